"""Explore's charts: one per metric, in the shape the question has (see cxdash.explore.shape)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from cxdash.charts.style import ACCENT, SERIES, base_layout, empty_figure, label_margin
from cxdash.explore import Shape
from cxdash.metrics.catalogue import Metric
from cxdash.metrics.compiler import BUCKET

MAX_SERIES = 8  # lines per chart; more groups are in the table

_AXIS = {  # unit → (axis title, tick format, hover format)
    "rate": ("share", ".0%", ".1%"),
    "per_1000": ("per 1,000 orders", ",.1f", ",.2f"),
    "hours": ("hours", ",.1f", ",.2f"),
    "minutes": ("minutes", ",.1f", ",.1f"),
    "score": ("score", ".2f", ".2f"),
    "count": ("count", ",.0f", ",.0f"),
}


def _axis(metric: Metric) -> tuple[str, str, str]:
    return _AXIS.get(metric.unit, ("value", ",.2f", ",.2f"))


def _group_label(frame: pl.DataFrame, by: tuple[str, ...]) -> pl.Expr:
    return pl.concat_str([pl.col(d).cast(pl.String).fill_null("(none)") for d in by],
                         separator=" · ")  # fmt: skip


def metric_chart(
    frame: pl.DataFrame, metric: Metric, by: tuple[str, ...], kind: Shape
) -> go.Figure:
    """The chart for one metric of an Explore result (`frame` from the engine)."""
    title = metric.label
    data = frame.filter(pl.col(metric.id).is_not_null()) if metric.id in frame.columns else frame
    if data.is_empty():
        return empty_figure(title, "No value for this view")
    axis_title, tick, hover = _axis(metric)
    if kind == "line":
        fig = go.Figure(go.Scatter(
            x=data[BUCKET].to_list(), y=data[metric.id].to_list(), mode="lines+markers",
            line={"color": ACCENT, "width": 3}, name=metric.label,
            hovertemplate=f"%{{x|%d %b %Y}}<br>%{{y:{hover}}}<extra></extra>",
        ))  # fmt: skip
        fig.update_xaxes(title_text="period starting")
    elif kind == "lines":
        labelled = data.with_columns(_group_label(data, by).alias("_group"))
        weight = "contacts" if "contacts" in labelled.columns else metric.id
        top = (labelled.group_by("_group").agg(pl.col(weight).abs().sum())
               .sort(weight, descending=True).head(MAX_SERIES)["_group"].to_list())  # fmt: skip
        fig = go.Figure()
        for i, group in enumerate(top):
            part = labelled.filter(pl.col("_group") == group).sort(BUCKET)
            fig.add_trace(go.Scatter(
                x=part[BUCKET].to_list(), y=part[metric.id].to_list(), mode="lines+markers",
                name=group, line={"color": SERIES[i % len(SERIES)], "width": 2},
                hovertemplate=f"{group}<br>%{{x|%d %b %Y}}<br>%{{y:{hover}}}<extra></extra>",
            ))  # fmt: skip
        fig.update_xaxes(title_text="period starting")
        if labelled["_group"].n_unique() > MAX_SERIES:
            title += f" (top {MAX_SERIES} groups)"
    elif kind == "bars":
        dim = by[0]
        ordered = data.sort(metric.id)
        labels = ordered[dim].cast(pl.String).fill_null("(none)").to_list()
        fig = go.Figure(go.Bar(
            y=labels, x=ordered[metric.id].to_list(), orientation="h", marker_color=ACCENT,
            hovertemplate=f"%{{y}}<br>%{{x:{hover}}}<extra></extra>",
        ))  # fmt: skip
        fig.update_xaxes(title_text=axis_title, tickformat=tick)
        return base_layout(fig, title, height=max(320, 28 * len(labels) + 130),
                           left=label_margin(labels))  # fmt: skip
    else:  # heatmap
        rows_dim, cols_dim = by
        text = data.with_columns(pl.col(rows_dim).cast(pl.String).fill_null("(none)"),
                                 pl.col(cols_dim).cast(pl.String).fill_null("(none)"))  # fmt: skip
        rows = sorted(text[rows_dim].unique().to_list())
        cols = sorted(text[cols_dim].unique().to_list())
        lookup = {(r, c): v for r, c, v in text.select(rows_dim, cols_dim, metric.id).rows()}
        z = [[lookup.get((r, c)) for c in cols] for r in rows]
        fig = go.Figure(go.Heatmap(
            x=cols, y=rows, z=z, colorscale="Blues", xgap=1, ygap=1,
            colorbar={"title": axis_title, "tickformat": tick},
            hovertemplate=f"%{{y}} · %{{x}}<br>%{{z:{hover}}}<extra></extra>",
        ))  # fmt: skip
        fig.update_xaxes(type="category", title_text=cols_dim)
        fig.update_yaxes(type="category", title_text=rows_dim)
        fig.update_xaxes(tickangle=-35)
        bottom = label_margin(cols, rotated=True, base=60)
        return base_layout(fig, title, height=max(320, 30 * len(rows) + 90 + bottom),
                           left=label_margin(rows) + 24, bottom=bottom)  # fmt: skip
    fig.update_yaxes(title_text=axis_title, tickformat=tick, rangemode="tozero")
    return base_layout(fig, title, height=360)
