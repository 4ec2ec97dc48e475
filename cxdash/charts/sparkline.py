"""A tile's weekly sparkline as a tiny SVG image.

The Scoreboard shows 20-odd sparklines. Drawn as charts (Vega, what `st.metric`'s own
`chart_data` uses), they took about 0.7 s of the browser's main thread on this machine's first
page at 10M contacts, a seventh of the 5 s a first page may take after a start; as one image
each they cost next to nothing. A sparkline carries the shape, not values: the tile shows
the value and the change, and the image's text says where the weeks went from and to.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from cxdash.charts.style import ACCENT

WIDTH, HEIGHT, PAD = 100.0, 30.0, 2.0  # the viewBox; the image is stretched to the tile


def points(values: Sequence[float]) -> str:
    """SVG polyline points: first week at the left edge, last at the right, the lowest value
    at the bottom and the highest at the top (a flat series in the middle)."""
    lo, hi = min(values), max(values)
    span = hi - lo
    step = WIDTH / (len(values) - 1)
    inner = HEIGHT - 2 * PAD

    def y(v: float) -> float:
        return HEIGHT / 2 if span == 0 else PAD + (hi - v) / span * inner

    return " ".join(f"{i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))


def svg(values: Sequence[float], color: str = ACCENT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
        f'preserveAspectRatio="none"><polyline points="{points(values)}" fill="none" '
        f'stroke="{color}" stroke-width="1.5" stroke-linejoin="round" '
        f'vector-effect="non-scaling-stroke"/></svg>'
    )


def img(values: Sequence[float], text: str, height: int = 32) -> str:
    """An <img> holding the sparkline as a data URI (st.html keeps <img>, drops inline SVG);
    `text` is its alternative text and tooltip."""
    data = base64.b64encode(svg(values).encode()).decode("ascii")
    said = escape(text, quote=True)
    return (f'<img src="data:image/svg+xml;base64,{data}" alt="{said}" title="{said}" '
            f'style="display:block;width:100%;height:{height}px">')  # fmt: skip
