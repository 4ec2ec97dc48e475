"""Time series whose first or last bucket the data does not fully cover (views.buckets).

A week the data ends inside holds a day or two; drawn like the others it reads as a collapse
in volume or a swing in a rate. Such a point is drawn apart: a hollow marker labelled
"so far", reached by a dashed line, while the solid line joins the whole buckets only.
Frames carry the flag as a boolean `partial` column beside `bucket` (see `mark`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from cxdash.metrics.request import Period
from cxdash.views.buckets import SO_FAR, partial_flags

__all__ = ["PARTIAL", "SO_FAR", "add_line", "flags", "mark"]

PARTIAL = "partial"
BUCKET = "bucket"


def mark(
    frame: pl.DataFrame, grain: str, period: Period, first_day: dt.date, last_day: dt.date
) -> pl.DataFrame:
    """`frame` (with a `bucket` column) with a `partial` column: True for a bucket the
    period and the data do not fully cover."""
    if frame.is_empty() or BUCKET not in frame.columns:
        return frame.with_columns(pl.lit(False).alias(PARTIAL))
    flags = partial_flags(frame[BUCKET].to_list(), grain, period, first_day, last_day)
    return frame.with_columns(pl.Series(PARTIAL, flags, dtype=pl.Boolean))


def flags(frame: pl.DataFrame) -> list[bool]:
    if PARTIAL not in frame.columns:
        return [False] * frame.height
    return [bool(v) for v in frame[PARTIAL].to_list()]


def add_line(
    fig: go.Figure,
    x: Sequence[object],
    y: Sequence[float | None],
    partial: Sequence[bool],
    *,
    name: str,
    color: str,
    hovertemplate: str,
    width: int = 3,
    showlegend: bool = True,
    label: bool = True,
) -> None:
    """The series as a solid line over its whole buckets plus, for each partial one with a
    value, a dashed step from its neighbour to a hollow "so far" marker (without its own
    text when `label` is False: several lines share one `label_once`)."""
    solid = [None if p else v for v, p in zip(y, partial, strict=True)]
    fig.add_trace(go.Scatter(
        x=list(x), y=solid, mode="lines+markers", name=name, legendgroup=name,
        line={"color": color, "width": width}, marker={"size": 8}, showlegend=showlegend,
        hovertemplate=hovertemplate,
    ))  # fmt: skip
    n = len(y)
    for i in range(n):
        if not partial[i] or y[i] is None:
            continue
        near = next((j for j in (i - 1, i + 1) if 0 <= j < n and not partial[j]
                     and y[j] is not None), None)  # fmt: skip
        if near is not None:
            fig.add_trace(go.Scatter(
                x=[x[near], x[i]], y=[y[near], y[i]], mode="lines", legendgroup=name,
                line={"color": color, "width": max(1, width - 1), "dash": "dot"},
                hoverinfo="skip", showlegend=False,
            ))  # fmt: skip
        fig.add_trace(go.Scatter(
            x=[x[i]], y=[y[i]], mode="markers+text", legendgroup=name, showlegend=False,
            marker={"size": 11, "color": "white", "line": {"color": color, "width": 2}},
            text=[SO_FAR if label else ""], textposition="top center",
            textfont={"color": color, "size": 13},
            hovertemplate=hovertemplate.replace("<extra>", f" ({SO_FAR})<extra>"),
        ))  # fmt: skip


def label_once(fig: go.Figure, x: Sequence[object], partial: Sequence[bool]) -> None:
    """One grey "so far" above each partial bucket, for a chart of several lines."""
    for xi, p in zip(x, partial, strict=True):
        if p:
            fig.add_annotation(x=xi, y=1.02, xref="x", yref="paper", text=SO_FAR,
                               showarrow=False, font={"color": "#57606a", "size": 13},
                               yanchor="bottom")  # fmt: skip
