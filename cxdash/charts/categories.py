"""Many categories on one axis (see analysis.topn): labels cut short on the axis but whole in
the hover and in a click's value, so one 90-character reason cannot push a plot off a 1366×768
screen; and an Other bar that would flatten the bars beside it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from cxdash.analysis.topn import is_other, short
from cxdash.charts.style import CHAR_PX

WIDTH = 36  # characters of a horizontal tick label
ROTATED = 24  # of a label rotated under a bar: it reaches left of its bar


def ticks(values: Sequence[str], width: int = WIDTH) -> dict[str, list[str]]:
    """Tick text cut short while the categories keep the whole value (hover, click)."""
    return {"tickvals": list(values), "ticktext": [short(v, width) for v in values]}


def rotated_left(values: Sequence[str], angle: float = 35, base: int = 78) -> int:
    """A left margin wide enough for the first rotated label, which runs left of the plot."""
    if not values:
        return base
    reach = len(short(values[0], ROTATED)) * CHAR_PX * math.cos(math.radians(angle))
    return max(base, int(reach) - 10)


def clip_other(
    fig: go.Figure, labels: Sequence[str], sizes: Sequence[float], *, horizontal: bool = False,
    **axis: object,
) -> None:
    """An Other bar many times the biggest group's would flatten every bar beside it: the
    value axis fits the groups, and Other runs off its end with its number written on.
    `labels`/`sizes` list Other last; `axis` picks the axis (e.g. secondary_y=False)."""
    if len(labels) < 2 or not is_other(labels[-1]) or sizes[-1] <= 2 * max(sizes[:-1]):
        return
    end = max(sizes[:-1]) * 1.3
    text = f"<b>{sizes[-1]:,.0f}</b> " + ("→" if horizontal else "↑")
    place = {"x": end * 0.8, "y": labels[-1]} if horizontal else {"x": labels[-1], "y": end * 0.2}
    (fig.update_xaxes if horizontal else fig.update_yaxes)(range=[0, end], **axis)
    fig.add_annotation(**place, showarrow=False, text=text,
                       font={"size": 13, "color": "#24292f"},
                       bgcolor="rgba(255,255,255,0.9)")  # fmt: skip
