"""Chart text as text: the one path every figure takes before it is drawn (on a page, through
`cxdash.ui.charts.show`, and in the offline report, through `cxdash.review.report`).

Plotly reads a little HTML in every text it draws — tick labels, hover, legends, titles,
annotations, bar texts: `<a href=…>` becomes a live link and `<span style="…url(…)">` makes
the browser fetch from outside. A reason, team or agent name holding them would do so on the
shared screen and in the "offline" report. So every string in a figure is escaped (`<` `>`
`&` as entities, which Plotly draws as the characters), except the templates and formats our
own code writes (`hovertemplate`, `texttemplate`, `tickformat` …: data reaches a hover only
through `%{…}`, whose values are escaped with the data); then the few attribute-free tags our
own titles use (`<b>`, `<i>`, `<br>`, `<sup>`, `<sub>`, `<em>`) are allowed back — a data value
holding one of them only changes how it looks, never what it fetches or links.
"""

from __future__ import annotations

import html
import re
from typing import Any

import plotly.graph_objects as go

# Tags that carry no attribute and cannot link or fetch.
_ALLOWED = re.compile(r"&lt;(/?(?:b|i|em|sup|sub)|br ?/?)&gt;", re.IGNORECASE)


def plain(text: str) -> str:
    """A string as Plotly should draw it: the characters, never markup."""
    return _ALLOWED.sub(r"<\1>", html.escape(text, quote=False))


def _ours(key: str) -> bool:
    """Keys whose strings our code writes, in Plotly's own mini-languages."""
    return key.endswith(("template", "format", "src")) or key in ("type", "mode", "uid")


def _walk(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return value if _ours(key) else plain(value)
    if isinstance(value, dict):
        return {k: _walk(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, key) for v in value]
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in ("O", "U", "S"):
        return [_walk(v, key) for v in value.tolist()]
    return value


def as_text(fig: go.Figure) -> go.Figure:
    """The figure with every data and layout string shown as text (see the module)."""
    return go.Figure(_walk(fig.to_plotly_json()))
