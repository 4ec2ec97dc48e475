"""Explore's charts: one per metric, in the shape the question has (see cxdash.explore.shape)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from cxdash.analysis.topn import MISSING, is_other, short, top_metrics
from cxdash.charts import partial
from cxdash.charts.categories import ROTATED, clip_other, ticks
from cxdash.charts.style import ACCENT, SERIES, base_layout, empty_figure, label_margin
from cxdash.explore import Shape
from cxdash.metrics.catalogue import Metric
from cxdash.metrics.compiler import BUCKET

MAX_SERIES = 8  # lines per chart; more groups are in the table
MAX_BARS = 20  # bars, and heat-map rows, before the rest are one "Other (k more)"
MAX_COLUMNS = 10  # heat-map columns (labels turned, in half a page), likewise
OTHER_COLOUR = "#afb8c1"

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
    return pl.concat_str([pl.col(d).cast(pl.String).fill_null(MISSING) for d in by],
                         separator=" · ")  # fmt: skip


def _capped(
    data: pl.DataFrame, dim: str, n: int, metric: Metric, within: tuple[str, ...] = ()
) -> pl.DataFrame:
    """The n biggest groups of `dim` by contacts and "Other (k more)" (topn.top_metrics); a
    result without contacts keeps the n biggest by the metric alone, with no Other row,
    since nothing says how the rest would add up. The table keeps every group."""
    data = data.with_columns(pl.col(dim).cast(pl.String).fill_null(MISSING))
    if "contacts" in data.columns:
        # every column, so the bases of the rates (RATE_BASES) are aggregated as well
        return top_metrics(data, dim, n, data.columns, within=within)
    kept = (data.group_by(dim).agg(pl.col(metric.id).abs().sum())
            .sort([metric.id, dim], descending=[True, False]).head(n)[dim])  # fmt: skip
    return data.filter(pl.col(dim).is_in(kept.implode()))


def _shown(data: pl.DataFrame, dim: str, n: int, suffix: str = "") -> str:
    """" (top 20 of 1,841)" when `dim` has more than n + 1 groups (topn groups the rest)."""
    groups = data[dim].n_unique()
    return f" (top {n} of {groups:,}{suffix})" if groups > n + 1 else ""


def _by_size(frame: pl.DataFrame, dim: str) -> list[str]:
    """The groups of `dim` by contacts, biggest first, Other last."""
    size = dict(frame.group_by(dim).agg(pl.col("contacts").sum()).rows())
    return sorted(size, key=lambda g: (is_other(g), -size[g], g))


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
        fig = go.Figure()
        partial.add_line(
            fig, data[BUCKET].to_list(), data[metric.id].to_list(), partial.flags(data),
            name=metric.label, color=ACCENT,
            hovertemplate=f"%{{x|%d %b %Y}}<br>%{{y:{hover}}}<extra></extra>",
        )  # fmt: skip
        fig.update_xaxes(title_text="period starting")
    elif kind == "lines":
        labelled = data.with_columns(_group_label(data, by).alias("_group"))
        weight = "contacts" if "contacts" in labelled.columns else metric.id
        top = (labelled.group_by("_group").agg(pl.col(weight).abs().sum())
               .sort(weight, descending=True).head(MAX_SERIES)["_group"].to_list())  # fmt: skip
        fig = go.Figure()
        for i, group in enumerate(top):
            part = labelled.filter(pl.col("_group") == group).sort(BUCKET)
            partial.add_line(
                fig, part[BUCKET].to_list(), part[metric.id].to_list(), partial.flags(part),
                name=group, color=SERIES[i % len(SERIES)], width=2, label=False,
                hovertemplate=f"{group}<br>%{{x|%d %b %Y}}<br>%{{y:{hover}}}<extra></extra>",
            )  # fmt: skip
        fig.update_xaxes(title_text="period starting")
        buckets = labelled.unique(BUCKET, maintain_order=True).sort(BUCKET)
        partial.label_once(fig, buckets[BUCKET].to_list(), partial.flags(buckets))
        if labelled["_group"].n_unique() > MAX_SERIES:
            title += f" (top {MAX_SERIES} groups)"
    elif kind == "bars":
        dim = by[0]
        title += _shown(data, dim, MAX_BARS, f" by {dim}")
        capped = _capped(data, dim, MAX_BARS, metric).filter(pl.col(metric.id).is_not_null())
        # Bars by value, biggest on top; Other (not one group) at the bottom.
        other = pl.Series([is_other(v) for v in capped[dim]], dtype=pl.Boolean)
        ordered = pl.concat([capped.filter(other), capped.filter(~other).sort(metric.id)])
        labels = ordered[dim].to_list()
        fig = go.Figure(go.Bar(
            y=labels, x=ordered[metric.id].to_list(), orientation="h",
            marker_color=[OTHER_COLOUR if is_other(v) else ACCENT for v in labels],
            hovertemplate=f"%{{y}}<br>%{{x:{hover}}}<extra></extra>",
        ))  # fmt: skip
        fig.update_xaxes(title_text=axis_title, tickformat=tick)
        fig.update_yaxes(type="category", **ticks(labels))
        if metric.unit == "count":  # a sum of many groups (a rate of them is one more rate)
            clip_other(fig, labels[::-1], ordered[metric.id].to_list()[::-1], horizontal=True)
        return base_layout(fig, title, height=max(320, 28 * len(labels) + 130),
                           left=label_margin(map(short, labels)))  # fmt: skip
    else:  # heatmap
        rows_dim, cols_dim = by
        # Columns first, within each row's group; then rows, within the columns kept.
        text = _capped(data, cols_dim, MAX_COLUMNS, metric, within=(rows_dim,))
        text = _capped(text, rows_dim, MAX_BARS, metric, within=(cols_dim,))
        if "contacts" in text.columns:  # by size, biggest top left; Other last
            rows = _by_size(text, rows_dim)[::-1]
            cols = _by_size(text, cols_dim)
        else:
            rows, cols = (sorted(text[d].unique().to_list()) for d in (rows_dim, cols_dim))
        lookup = {(r, c): v for r, c, v in text.select(rows_dim, cols_dim, metric.id).rows()}
        # A count of Other sums many groups: on the groups' colour scale it would wash every
        # other cell out, so its cells are grey (their numbers in the hover and the table).
        apart = metric.unit == "count"
        def cell(r: str, c: str, other: bool) -> object:
            return lookup.get((r, c)) if (is_other(r) or is_other(c)) == other else None
        hover_cell = f"%{{y}} · %{{x}}<br>%{{z:{hover}}}<extra></extra>"
        fig = go.Figure(go.Heatmap(
            x=cols, y=rows, z=[[cell(r, c, False) if apart else lookup.get((r, c))
                                for c in cols] for r in rows],
            colorscale="Blues", xgap=1, ygap=1, hovertemplate=hover_cell,
            colorbar={"title": axis_title, "tickformat": tick},
        ))  # fmt: skip
        if apart and any(is_other(v) for v in (*rows, *cols)):
            z = [[cell(r, c, True) for c in cols] for r in rows]
            fig.add_trace(go.Heatmap(
                x=cols, y=rows, z=z, showscale=False, xgap=1, ygap=1,
                colorscale=[[0, "#d0d7de"], [1, "#d0d7de"]],
                hovertemplate=hover_cell,
            ))  # fmt: skip
        fig.update_xaxes(type="category", title_text=cols_dim + _shown(data, cols_dim, MAX_COLUMNS),
                         tickangle=-35, categoryorder="array", categoryarray=cols,
                         **ticks(cols, ROTATED))  # fmt: skip
        fig.update_yaxes(type="category", title_text=rows_dim + _shown(data, rows_dim, MAX_BARS),
                         categoryorder="array", categoryarray=rows, **ticks(rows))  # fmt: skip
        bottom = label_margin([short(c, ROTATED) for c in cols], rotated=True, base=60)
        return base_layout(fig, title, height=max(320, 30 * len(rows) + 90 + bottom),
                           left=label_margin(map(short, rows)) + 24, bottom=bottom)  # fmt: skip
    fig.update_yaxes(title_text=axis_title, tickformat=tick, rangemode="tozero")
    return base_layout(fig, title, height=360)
