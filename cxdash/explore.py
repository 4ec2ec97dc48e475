"""Explore, the analyst's page, as plain data: which request a choice of metrics, group-bys,
grain and extra filters makes, which chart fits its shape, and which contacts lie behind a row.

Explore asks the same engine as every other page and the CLI, so a number here is the number
`cxdash metrics` prints for the same view (a test holds them to it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from cxdash.metrics.catalogue import BUILTIN, Catalogue
from cxdash.metrics.compiler import BUCKET
from cxdash.metrics.request import Filters, MetricRequest, Period

Shape = Literal["tiles", "line", "lines", "bars", "heatmap"]
MAX_CHARTS = 4  # charts for the first few metrics; the table holds them all


def combine(view: Filters, extra: Filters) -> Filters | None:
    """The sidebar's filters narrowed by Explore's own; None when together they leave nothing
    (two filters on one dimension with no value in common)."""
    merged = {dim: set(values) for dim, values in view.values}
    for dim, values in extra.values:
        merged[dim] = merged[dim] & set(values) if dim in merged else set(values)
        if not merged[dim]:
            return None
    return Filters.of(merged)


def shape(by: tuple[str, ...], grain: str | None) -> Shape:
    """The chart that fits: a number per metric, a line over time (one per group with a
    dimension), bars for one dimension, a heat map for two."""
    if grain is None:
        return ("tiles", "bars", "heatmap")[len(by)]
    return "line" if not by else "lines"


def build_request(
    period: Period, filters: Filters, metrics: tuple[str, ...], by: tuple[str, ...],
    grain: str | None, catalogue: Catalogue = BUILTIN,
) -> MetricRequest:  # fmt: skip
    """Validated by MetricRequest itself (known metrics and dimensions, at most two)."""
    return MetricRequest(period, filters, tuple(by), grain, tuple(metrics), catalogue=catalogue)


def behind_row(
    request: MetricRequest, row: dict[str, Any]
) -> tuple[Filters, tuple[dt.date, dt.date] | None, str] | None:
    """Filters, days and a title for the contacts behind one row of the result table; None
    for a group without a value (e.g. contacts with no team), which no filter can select."""
    filters = request.filters
    parts = []
    for dim in request.by:
        value = row.get(dim)
        if value is None:
            return None
        filters = filters.with_value(dim, [str(value)])
        parts.append(f"{dim}: {value}")
    days = None
    if request.grain is not None and row.get(BUCKET) is not None:
        start: dt.date = row[BUCKET]
        end = _bucket_end(start, request.grain, request.period.end)
        days = (start, end)
        parts.append(f"{request.grain} of {start:%-d %b %Y}")
    return filters, days, " · ".join(parts) or request.period.caption()


def _bucket_end(start: dt.date, grain: str, last: dt.date) -> dt.date:
    if grain == "day":
        end = start
    elif grain == "week":
        end = start + dt.timedelta(days=6 - start.weekday())
    else:
        following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
    return min(end, last)
