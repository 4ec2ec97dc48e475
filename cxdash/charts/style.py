"""One look for every chart: readable across a room, units on every axis, no clutter."""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go
import plotly.io as pio

FONT_SIZE = 15
BETTER, WORSE, NEUTRAL, ACCENT = "#1a7f37", "#cf222e", "#8c959f", "#1f6feb"
SERIES = ("#1f6feb", "#bf8700", "#8250df", "#1a7f37", "#cf222e", "#0a7ea4")


# Margins are set, not measured: Plotly's `automargin` re-runs layout until labels fit, which
# made a page of five charts take 0.3–0.4 s longer to redraw in the browser (bench_ui).
CHAR_PX = 6.6  # average width of one label character at FONT_SIZE − 2


def label_margin(labels: Iterable[object], *, base: int = 28, rotated: bool = False) -> int:
    """Pixels for an axis whose tick labels are `labels` (horizontal, or rotated ~35°)."""
    longest = max((len(str(label)) for label in labels), default=0)
    width = longest * CHAR_PX
    return int(base + (width * 0.6 if rotated else width))


def _template() -> go.layout.Template:
    """Plotly's "plotly_white", cut to the trace types and layout parts our charts use.

    The whole template defaults two dozen trace types and polar, ternary, 3-D and map axes:
    validating it cost 26 ms per chart, most of a page's Plotly time, and it travelled inside
    every chart's JSON to the browser. Cut, it is 7 ms and draws the same charts."""
    white = pio.templates["plotly_white"].to_plotly_json()
    layout = {key: value for key, value in white["layout"].items()
              if key not in ("polar", "ternary", "scene", "geo")}  # fmt: skip
    data = {kind: white["data"][kind] for kind in ("bar", "scatter", "heatmap")}
    return go.layout.Template(layout=layout, data=data)


TEMPLATE = _template()


def base_layout(
    fig: go.Figure,
    title: str,
    *,
    height: int = 380,
    left: int = 78,
    bottom: int = 64,
    right: int = 24,
) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": FONT_SIZE + 3}},
        template=TEMPLATE,
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": left, "r": right, "t": 64, "b": bottom},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        separators=".,",  # decimal point, thousands comma
        hoverlabel={"font_size": FONT_SIZE},
    )
    fig.update_xaxes(automargin=False, tickfont={"size": FONT_SIZE - 2})
    fig.update_yaxes(automargin=False, separatethousands=True, tickfont={"size": FONT_SIZE - 2})
    return fig


def percent_axis(fig: go.Figure, title: str, *, secondary: bool | None = None) -> None:
    kwargs = {"secondary_y": secondary} if secondary is not None else {}
    fig.update_yaxes(title_text=title, tickformat=".1%", rangemode="tozero", **kwargs)


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": FONT_SIZE + 1},
                       xref="paper", yref="paper", x=0.5, y=0.5)  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, title, height=240)
