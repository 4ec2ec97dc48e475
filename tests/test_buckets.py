"""Partial buckets (views.buckets), by hand."""

from __future__ import annotations

import datetime as dt

from cxdash.metrics.request import Period
from cxdash.views import buckets

D = dt.date


def test_a_week_the_data_ends_inside_is_partial() -> None:
    # Data 1 Oct – Tue 1 Dec 2026; weekly buckets over Mon 2 Nov – Tue 1 Dec.
    period, first, last = Period(D(2026, 11, 2), D(2026, 12, 1)), D(2026, 10, 1), D(2026, 12, 1)
    weeks = [D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30)]
    assert buckets.partial_flags(weeks, "week", period, first, last) == [
        False, False, False, False, True]  # fmt: skip
    assert buckets.covered_until(D(2026, 11, 30), "week", period, last) == D(2026, 12, 1)
    # Data to Sunday 29 Nov and a period ending there: every week whole.
    sunday = D(2026, 11, 29)
    assert buckets.partial_flags(weeks[:4], "week", Period(period.start, sunday), first,
                                 sunday) == [False] * 4  # fmt: skip


def test_a_first_bucket_that_starts_mid_week_or_before_the_data_is_partial() -> None:
    last = D(2026, 12, 31)
    # The period starts on a Wednesday: its first bucket is the clipped Wed 4 Nov.
    period = Period(D(2026, 11, 4), D(2026, 11, 29))
    assert buckets.partial_flags([D(2026, 11, 4), D(2026, 11, 9)], "week", period,
                                 D(2026, 1, 1), last) == [True, False]  # fmt: skip
    # The data starts on Thursday 5 Nov: the week of 2 Nov is partial though the period is not.
    period = Period(D(2026, 11, 2), D(2026, 11, 29))
    assert buckets.partial_flags([D(2026, 11, 2), D(2026, 11, 9)], "week", period,
                                 D(2026, 11, 5), last) == [True, False]  # fmt: skip


def test_months_and_days() -> None:
    period = Period(D(2026, 1, 1), D(2026, 3, 15))
    months = [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert buckets.partial_flags(months, "month", period, D(2025, 1, 1), D(2026, 3, 31)) == [
        False, False, True]  # fmt: skip
    assert buckets.natural(D(2026, 2, 10), "month") == Period(D(2026, 2, 1), D(2026, 2, 28))
    assert buckets.partial_flags([D(2026, 3, 14), D(2026, 3, 15)], "day", period,
                                 D(2025, 1, 1), D(2026, 3, 15)) == [False, False]  # fmt: skip
