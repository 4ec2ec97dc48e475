"""Which buckets of a time series the data fully covers (SPEC issue 16: partial buckets).

A week the data ends inside holds a day or two: drawn like the others, it reads as a collapse
in volume and as a swing in every rate. A bucket is *complete* when it spans its whole day,
week (Monday–Sunday) or month and every day of it lies both in the request's period and in the
data (first to last contact day). Charts draw the others differently, labelled "so far", and
trend statements and sparkline directions leave them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cxdash.metrics.request import Period

SO_FAR = "so far"


def natural(day: dt.date, grain: str) -> Period:
    """The whole day, ISO week or calendar month that holds `day`."""
    if grain == "day":
        return Period(day, day)
    if grain == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=6))
    if grain == "month":
        start = day.replace(day=1)
        nxt = (start + dt.timedelta(days=32)).replace(day=1)
        return Period(start, nxt - dt.timedelta(days=1))
    raise ValueError(f"unknown grain {grain!r}")


def is_complete(bucket: dt.date, grain: str, period: Period, first_day: dt.date,
                last_day: dt.date) -> bool:  # fmt: skip
    whole = natural(bucket, grain)
    start, end = max(period.start, first_day), min(period.end, last_day)
    return whole.start >= start and whole.end <= end


def partial_flags(buckets: Iterable[dt.date], grain: str, period: Period, first_day: dt.date,
                  last_day: dt.date) -> list[bool]:  # fmt: skip
    """For each bucket (its first day, as the metric frames carry it): True when partial."""
    return [not is_complete(b, grain, period, first_day, last_day) for b in buckets]


def covered_until(bucket: dt.date, grain: str, period: Period, last_day: dt.date) -> dt.date:
    """The last day of `bucket` that holds data: for a label like 'so far (to Tue 1 Dec)'."""
    return min(natural(bucket, grain).end, period.end, last_day)
