"""One look for every chart: readable across a room, units on every axis, no clutter."""

from __future__ import annotations

import plotly.graph_objects as go

FONT_SIZE = 15
BETTER, WORSE, NEUTRAL, ACCENT = "#1a7f37", "#cf222e", "#8c959f", "#1f6feb"
SERIES = ("#1f6feb", "#bf8700", "#8250df", "#1a7f37", "#cf222e", "#0a7ea4")


def base_layout(fig: go.Figure, title: str, *, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": FONT_SIZE + 3}},
        template="plotly_white",
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": 10, "r": 10, "t": 56, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        separators=".,",  # decimal point, thousands comma
        hoverlabel={"font_size": FONT_SIZE},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True, separatethousands=True)
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
