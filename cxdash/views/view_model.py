"""What every page shows — a period, the filters, the data's extent — and the metric requests
it implies, as plain data without Streamlit: the store's writers compute the first page's
reads ahead (`cxdash.first_view`) from the very same requests the pages ask for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cxdash.metrics.catalogue import BUILTIN, Catalogue
from cxdash.metrics.request import Filters, MetricRequest, Period, preset_period

FILTER_DIMS = ("channel", "team", "region", "product", "reason", "priority")
DEFAULT_PRESET = "28d"
SPARK_WEEKS = 12
TREND_WEEKS = 52


@dataclass(frozen=True)
class View:
    """What every page shows: a period, the filters, the data's extent, and the metric
    catalogue (built-in and custom metrics) its requests carry."""

    period: Period
    filters: Filters
    first_day: dt.date
    last_day: dt.date
    catalogue: Catalogue = BUILTIN


def default_view(first: dt.date, last: dt.date, catalogue: Catalogue = BUILTIN) -> View:
    """The view a visit opens on: the default period preset, no filters."""
    return View(preset_period(DEFAULT_PRESET, first, last), Filters(), first, last, catalogue)


def request(
    view: View, metrics: tuple[str, ...], by: tuple[str, ...] = (), grain: str | None = None
) -> MetricRequest:
    return MetricRequest(view.period, view.filters, by, grain, metrics, catalogue=view.catalogue)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def trend_request(
    view: View, metrics: tuple[str, ...], by: tuple[str, ...] = (), weeks: int = SPARK_WEEKS
) -> MetricRequest:
    """Weekly values over the period, or over the last `weeks` weeks when it is shorter.

    The window starts on a Monday so no week is a clipped sliver that looks like a dip, and
    not before the data's first full week.
    """
    end = view.period.end
    start = min(view.period.start, end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1))
    first_full_week = monday(view.first_day + dt.timedelta(days=6))
    start = max(monday(start), min(first_full_week, monday(end)))
    return MetricRequest(Period(start, end), view.filters, by, "week", metrics,
                         catalogue=view.catalogue)  # fmt: skip


def weekly_request(view: View, metrics: tuple[str, ...], by: tuple[str, ...] = ()) -> MetricRequest:
    """The period itself by week, widened back to its first Monday."""
    period = Period(monday(view.period.start), view.period.end)
    return MetricRequest(period, view.filters, by, "week", metrics, catalogue=view.catalogue)
