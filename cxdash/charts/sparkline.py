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

from cxdash.charts.style import ACCENT, NEUTRAL

WIDTH, HEIGHT, PAD = 100.0, 30.0, 2.0  # the viewBox; the image is stretched to the tile


def _scale(values: Sequence[float], n: int) -> list[tuple[float, float]]:
    """(x, y) of each value, x spread over `n` slots, y scaled to the range of `values`'
    first n (the whole weeks) and clamped to the box (a partial week may fall outside it)."""
    whole = values[:n] if n else values
    lo, hi = min(whole), max(whole)
    span = hi - lo
    step = WIDTH / (len(values) - 1)
    inner = HEIGHT - 2 * PAD

    def y(v: float) -> float:
        if span == 0:
            return HEIGHT / 2 if v == lo else (PAD if v > lo else HEIGHT - PAD)
        return min(HEIGHT - PAD, max(PAD, PAD + (hi - v) / span * inner))

    return [(i * step, y(v)) for i, v in enumerate(values)]


def points(values: Sequence[float]) -> str:
    """SVG polyline points: first week at the left edge, last at the right, the lowest value
    at the bottom and the highest at the top (a flat series in the middle)."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in _scale(values, len(values)))


def svg(values: Sequence[float], color: str = ACCENT, *, partial_last: bool = False) -> str:
    """The line; with `partial_last`, the last point (a week still under way) as a dashed grey
    step, outside the scale of the whole weeks, so it never reads as a dive or a spike."""
    line = ('fill="none" stroke-width="1.5" stroke-linejoin="round" '
            'vector-effect="non-scaling-stroke"')
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
            'preserveAspectRatio="none">')  # fmt: skip
    if not partial_last or len(values) < 3:
        return f'{head}<polyline points="{points(values)}" stroke="{color}" {line}/></svg>'
    xy = _scale(values, len(values) - 1)
    whole = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy[:-1])
    (x0, y0), (x1, y1) = xy[-2], xy[-1]
    return (f'{head}<polyline points="{whole}" stroke="{color}" {line}/>'
            f'<polyline points="{x0:.1f},{y0:.1f} {x1:.1f},{y1:.1f}" stroke="{NEUTRAL}" '
            f'stroke-dasharray="3 2" {line}/></svg>')  # fmt: skip


def img(values: Sequence[float], text: str, height: int = 32, *, partial_last: bool = False) -> str:
    """An <img> holding the sparkline as a data URI (st.html keeps <img>, drops inline SVG);
    `text` is its alternative text and tooltip."""
    data = base64.b64encode(svg(values, partial_last=partial_last).encode()).decode("ascii")
    said = escape(text, quote=True)
    return (f'<img src="data:image/svg+xml;base64,{data}" alt="{said}" title="{said}" '
            f'style="display:block;width:100%;height:{height}px">')  # fmt: skip
