"""Widgets of the Explore page. Every choice is bound to the URL (`x_…` parameters), so a link
reproduces the whole view: metrics, group-bys, grain and Explore's own filters on top of the
sidebar's."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from typing import Any

import polars as pl
import streamlit as st

from cxdash import downloads, explore
from cxdash.analysis.topn import MISSING
from cxdash.charts import explore as charts
from cxdash.metrics.catalogue import Metric
from cxdash.metrics.compiler import BUCKET
from cxdash.metrics.dimensions import DIMENSION_IDS, DIMENSIONS_BY_ID, GRAINS
from cxdash.metrics.request import Filters, MetricRequest
from cxdash.ui import data, figures, panels, tiles
from cxdash.views.view_model import View

DEFAULT_METRICS = ["contacts", "resolution_rate", "csat"]
NO_GRAIN = "none"
GRAIN_LABELS = {NO_GRAIN: "No time grain", "day": "Day", "week": "Week", "month": "Month"}
FILTER_PREFIX = "x_f_"
UNIT_FORMATS = {"rate": "percent", "count": "localized", "hours": "%.2f h", "minutes": "%.1f min",
                "per_1000": "%.2f", "score": "%.2f"}  # fmt: skip


def choices(view: View) -> tuple[MetricRequest | None, str]:
    """The metric, group-by and grain pickers and Explore's own filters; the request they make
    (None when the filters leave nothing) and a note for the person."""
    metrics = {m.id: m for m in view.catalogue.all()}
    left, middle, right = st.columns([3, 2, 1])
    chosen = left.multiselect(
        "Metrics", list(metrics), default=DEFAULT_METRICS, key="x_metrics",
        bind="query-params", format_func=lambda m: metrics[m].label,
        placeholder="Pick one or more metrics",
    )  # fmt: skip
    by = middle.multiselect(
        "Group by (up to two)", list(DIMENSION_IDS), key="x_by", bind="query-params",
        max_selections=2, format_func=lambda d: DIMENSIONS_BY_ID[d].label, placeholder="Nothing",
    )  # fmt: skip
    grain = right.selectbox("Time grain", [NO_GRAIN, *GRAINS], key="x_grain",
                            bind="query-params", format_func=GRAIN_LABELS.__getitem__)  # fmt: skip
    extra = _extra_filters(view)
    if not chosen:
        return None, "Pick at least one metric."
    filters = explore.combine(view.filters, extra)
    if filters is None:
        return None, ("Explore's filters and the sidebar's have no value in common on one "
                      "dimension: nothing to show.")  # fmt: skip
    request = explore.build_request(view.period, filters, tuple(chosen), tuple(by),
                                    None if grain == NO_GRAIN else grain,
                                    view.catalogue)  # fmt: skip
    return request, ""


def _extra_filters(view: View) -> Filters:
    values = data.dimension_values(DIMENSION_IDS)
    active = [d for d in DIMENSION_IDS if st.session_state.get(FILTER_PREFIX + d)]
    label = "More filters, on top of the sidebar's" + (f" ({len(active)} on)" if active else "")
    chosen: dict[str, list[str]] = {}
    with st.expander(label, expanded=bool(active)):
        columns = st.columns(4)
        for i, dim in enumerate(DIMENSION_IDS):
            picked = columns[i % 4].multiselect(
                DIMENSIONS_BY_ID[dim].label, values.get(dim, []), key=FILTER_PREFIX + dim,
                bind="query-params", placeholder="All",
            )  # fmt: skip
            if picked:
                chosen[dim] = picked
    return Filters.of(chosen)


def show_charts(request: MetricRequest, frame: pl.DataFrame) -> None:
    kind = explore.shape(request.by, request.grain)
    metrics = [request.catalogue[m] for m in request.metrics]
    if kind == "tiles":
        tiles.tile_grid(data.compare(request))
        return
    if request.grain is not None:  # the same (cached) frame, its partial buckets flagged
        frame = data.compute_series(request)
    shown = metrics[: explore.MAX_CHARTS]
    columns = st.columns(2) if len(shown) > 1 else [st.container()]
    for i, metric in enumerate(shown):
        with columns[i % len(columns)]:
            figures.show(charts.metric_chart(frame, metric, request.by, kind),
                            key=f"x_chart_{metric.id}")  # fmt: skip
    if len(metrics) > len(shown):
        st.caption(f"Charts for the first {len(shown)} metrics; the table has all of them.")


def _column_config(metrics: Sequence[Metric]) -> dict[str, Any]:
    config: dict[str, Any] = {BUCKET: st.column_config.DateColumn("Period", format="YYYY-MM-DD")}
    for dim in DIMENSION_IDS:
        config[dim] = st.column_config.TextColumn(DIMENSIONS_BY_ID[dim].label)
    for m in metrics:
        fmt = UNIT_FORMATS.get(m.unit, "%.2f")
        config[m.id] = st.column_config.NumberColumn(m.label, format=fmt, help=m.description)
    return config


def show_table(request: MetricRequest, frame: pl.DataFrame) -> dict[str, Any] | None:
    """The numbers as a table, every row (charts may group the smallest into Other; this
    does not); the selected row, if any."""
    metrics = [request.catalogue[m] for m in request.metrics]
    event = st.dataframe(frame, key="x_table", hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", placeholder=MISSING,
                         column_config=_column_config(metrics))  # fmt: skip
    rows = event["selection"]["rows"] if event else []
    return frame.row(rows[0], named=True) if rows and rows[0] < frame.height else None


def drill(request: MetricRequest, row: dict[str, Any] | None) -> None:
    if row is None:
        st.caption("Select a row of the table to see the contacts behind it.")
        return
    behind = explore.behind_row(request, row)
    if behind is None:
        st.caption("This row groups contacts without a value for one of its dimensions; "
                   "they cannot be picked out by a filter.")  # fmt: skip
        return
    filters, days, title = behind
    contacts_request = MetricRequest(request.period, filters, metrics=("contacts",))
    panels.drill_panel(contacts_request, title=title, days=days, key="x_drill")


def show_downloads(frame: pl.DataFrame, request: MetricRequest) -> None:
    stem = f"cxdash-explore-{request.period.start}-{request.period.end}"
    with st.container(horizontal=True):
        for name, (ext, mime) in downloads.FORMATS.items():
            st.download_button(
                name, data=functools.partial(downloads.to_bytes, frame, name),
                file_name=f"{stem}.{ext}", mime=mime, on_click="ignore",
                icon=":material/download:", key=f"x_download_{ext}",
            )  # fmt: skip
    st.caption("Text cells that start with = + - @ get an apostrophe in front, so a "
               "spreadsheet shows them instead of running them.")  # fmt: skip


def show_sql(request: MetricRequest) -> None:
    query = data.compiled(request)
    with st.expander("The SQL behind these numbers (read-only)"):
        st.caption("Every value you chose travels as a parameter ($name), never inside the "
                   "SQL text.")  # fmt: skip
        st.code(query.sql, language="sql")
        st.code(json.dumps(query.params, default=_json_value, indent=2), language="json")


def _json_value(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime | dt.timedelta):
        return str(value)
    raise TypeError(type(value).__name__)
