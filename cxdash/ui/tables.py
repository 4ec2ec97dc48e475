"""Metric tables with conditional formatting: each cell coloured by whether it is better or
worse than the overall value of the period, in the metric's own direction."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import streamlit as st

from cxdash.analysis.topn import MISSING, is_other, top_metrics
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.ui.text import md

_GOOD, _BAD = "background-color: #dafbe1", "background-color: #ffebe9"
TOLERANCE = 0.05  # a cell within ±5 % of the overall value stays uncoloured
TOP = 25  # rows before the rest become one "Other (k more)" row


def _formatted(metric_id: str, value: float | int | None) -> str:
    return format_value(METRICS_BY_ID[metric_id], value)


def _style(metric_id: str, value: Any, overall: Any) -> str:
    metric = METRICS_BY_ID[metric_id]
    if value is None or overall in (None, 0) or metric.id == "contacts":
        return ""
    ratio = (value - overall) / abs(overall)
    if abs(ratio) < TOLERANCE:
        return ""
    better = (ratio > 0) == (metric.direction == "up")
    return _GOOD if better else _BAD


def metric_table(
    frame: pl.DataFrame,
    dim: str,
    metrics: Sequence[str],
    overall: Mapping[str, Any],
    *,
    key: str,
) -> list[str]:
    """Show the table, the TOP biggest by contacts and one row for the rest (its rates
    recomputed from their bases, topn.RATE_BASES); return the dimension values of the rows
    the person selected."""
    frame = frame.filter(pl.col("contacts") > 0)
    values = frame[dim].n_unique()
    frame = top_metrics(frame, dim, TOP, metrics)
    label_of = {m: METRICS_BY_ID[m].label for m in metrics}
    metric_of = {label: m for m, label in label_of.items()}
    shown = frame.select(
        pl.col(dim).alias(dim.capitalize()),
        *[
            pl.col(m)
            .map_elements(functools.partial(_formatted, m), return_dtype=pl.String)
            .alias(label_of[m])
            for m in metrics
        ],
    )

    def colour_column(column: Any) -> list[str]:
        metric_id = metric_of.get(column.name)
        if metric_id is None:
            return [""] * len(column)
        return [_style(metric_id, v, overall.get(metric_id)) for v in frame[metric_id]]

    styler = shown.to_pandas().style.apply(colour_column, axis=0)
    event = st.dataframe(
        styler, hide_index=True, width="stretch", key=key, on_select="rerun",
        selection_mode="multi-row", placeholder=MISSING,
        column_config={label_of[m]: st.column_config.TextColumn(
            help=METRICS_BY_ID[m].description) for m in metrics},
    )  # fmt: skip
    rest = (f" The {TOP} with most contacts of {values:,}; Other is the rest together (its "
            "medians cannot be combined: —); Explore lists every one." if values > frame.height
            else "")  # fmt: skip
    st.caption(
        f"By {dim}: green = better than the period overall by more than 5 %, red = worse. "
        f"Select rows to drill down.{rest}"
    )
    rows = event["selection"]["rows"] if event else []
    return [v for v in (frame[dim][i] for i in rows) if v != MISSING and not is_other(v)]


def static_table(frame: pl.DataFrame) -> None:
    """A small table drawn as HTML. `st.table` renders every cell and header as Markdown (a
    driver named `![x](http://…)` would load an image, `[a](…)` be a link: seen in Chromium),
    so text cells and column names go through `md()` here — the only place that calls
    `st.table` (tests/test_architecture.py). Pass the values as they are, never escaped."""
    escaped = frame.with_columns(pl.col(pl.String).map_elements(md, return_dtype=pl.String))
    st.table(escaped.rename({c: md(c) for c in frame.columns}), hide_index=True,
             border="horizontal")  # fmt: skip
