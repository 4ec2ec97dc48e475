"""Business time and due times worked out by hand (the arithmetic beside each assert), and
the properties every schedule must keep (issue 20, point 7)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxdash.sla import calendar, config

D = dt.datetime
H = 3_600_000_000  # microseconds in an hour
M = 60_000_000

OFFICE = """
[schedules.default]
timezone = "Europe/Berlin"
mon = ["09:00-12:30", "13:30-17:00"]   # a split shift: 7 h
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
holidays = ["2026-04-03"]              # Good Friday
[schedules.night]
timezone = "Europe/Berlin"
mon = ["22:00-06:00"]
sat = ["22:00-06:00"]                  # the night of the clocks' change, 28/29 March 2026
[schedules.always]
timezone = "UTC"
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]
[schedules.newyork]
timezone = "America/New_York"
mon = ["09:00-17:00"]
[[sla]]
first_response = "1h"
"""


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    cfg = config.parse(OFFICE)
    connection = duckdb.connect()
    calendar.build(connection, cfg, "Europe/Berlin", dt.date(2026, 3, 1), dt.date(2026, 6, 30))
    return connection


def _hours(con: duckdb.DuckDBPyConnection, schedule: str, a: D, b: D) -> float:
    (value,) = calendar.business_us(con, [(schedule, a, b)])
    assert value is not None
    return value / H


@pytest.mark.parametrize(("a", "b", "hours", "why"), [
    # Friday 6 March 16:55 → Monday 9 March 09:05: 5 min on Friday + 5 min on Monday
    (D(2026, 3, 6, 16, 55), D(2026, 3, 9, 9, 5), 10 / 60, "over a weekend"),
    # created 07:00, before opening; answered 10:00: 09:00–10:00
    (D(2026, 3, 10, 7, 0), D(2026, 3, 10, 10, 0), 1, "created before opening"),
    # created 18:30 Tuesday after closing; answered 09:30 Wednesday: 30 min
    (D(2026, 3, 10, 18, 30), D(2026, 3, 11, 9, 30), 0.5, "created after closing"),
    # Saturday to Sunday: nothing open
    (D(2026, 3, 7, 10, 0), D(2026, 3, 8, 15, 0), 0, "on a weekend"),
    # Thursday 2 April 16:00 → Monday 6 April 10:00, Good Friday closed: 1 h + 1 h
    (D(2026, 4, 2, 16, 0), D(2026, 4, 6, 10, 0), 2, "over a holiday"),
    # Monday 12:00 → 14:00 on the split shift: 12:00–12:30 + 13:30–14:00
    (D(2026, 3, 9, 12, 0), D(2026, 3, 9, 14, 0), 1, "over a lunch break"),
    # Monday 9 March: 7 h open, created before and answered after
    (D(2026, 3, 9, 8, 0), D(2026, 3, 9, 20, 0), 7, "a whole split day"),
])  # fmt: skip
def test_office_hours(con, a: D, b: D, hours: float, why: str) -> None:
    assert _hours(con, "default", a, b) == pytest.approx(hours), why


def test_a_night_across_midnight(con) -> None:
    # Monday 9 March 23:00 → Tuesday 07:00 on 22:00–06:00: 23:00–06:00 = 7 h
    assert _hours(con, "night", D(2026, 3, 9, 23), D(2026, 3, 10, 7)) == 7
    # Tuesday 10 March 05:00 → 05:30 is inside Monday's night: 0.5 h
    assert _hours(con, "night", D(2026, 3, 10, 5), D(2026, 3, 10, 5, 30)) == 0.5


@pytest.fixture(scope="module")
def con_utc() -> duckdb.DuckDBPyConnection:
    """The same schedules on a store whose reporting zone is UTC (cxdash's default)."""
    connection = duckdb.connect()
    calendar.build(connection, config.parse(OFFICE), "UTC", dt.date(2026, 3, 1),
                   dt.date(2026, 12, 31))  # fmt: skip
    return connection


def test_the_nights_the_clocks_change_are_an_hour_shorter_and_longer(con_utc) -> None:
    # Saturday 28 March 22:00 → Sunday 06:00 Berlin: at 02:00 the clock jumps to 03:00, so
    # the night is 22:00 CET = 21:00 UTC → 06:00 CEST = 04:00 UTC = 7 h
    assert _hours(con_utc, "night", D(2026, 3, 28, 20), D(2026, 3, 29, 8)) == 7
    # a week earlier, both CET: 21:00 → 05:00 UTC = 8 h
    assert _hours(con_utc, "night", D(2026, 3, 21, 20), D(2026, 3, 22, 8)) == 8
    # Saturday 24 October: 22:00 CEST = 20:00 UTC → Sunday 06:00 CET = 05:00 UTC = 9 h
    assert _hours(con_utc, "night", D(2026, 10, 24, 19), D(2026, 10, 25, 8)) == 9
    # 7 h of target from 21:00 UTC on the short night: due at its very end, 04:00 UTC
    assert calendar.due_times(con_utc, [("night", D(2026, 3, 28, 21), 7 * 60)]) == [
        D(2026, 3, 29, 4)]


def test_on_a_report_clock_with_summer_time_the_night_reads_as_the_clock_shows(con) -> None:
    """The store's timestamps are the reporting zone's wall clock (as every duration in
    cxdash is), so on a Berlin clock the short night reads 22:00 → 06:00 = 8 h, the same as
    its calendar time; business time never exceeds calendar time."""
    assert _hours(con, "night", D(2026, 3, 28, 21), D(2026, 3, 29, 8)) == 8


def test_a_schedule_in_another_zone_is_read_on_the_report_clock(con) -> None:
    # New York 09:00–17:00 on Monday 9 March 2026 (EDT since 8 March, UTC−4; Berlin still
    # CET, UTC+1): 14:00–22:00 Berlin time. 13:00 → 15:00 Berlin counts 14:00–15:00 = 1 h.
    assert _hours(con, "newyork", D(2026, 3, 9, 13), D(2026, 3, 9, 15)) == 1
    # 16 March: New York 09:00–17:00 EDT = 13:00–21:00 UTC = 14:00–22:00 Berlin (CET until
    # 29 March); 21:00 → 23:00 Berlin counts 21:00–22:00 = 1 h
    assert _hours(con, "newyork", D(2026, 3, 16, 21), D(2026, 3, 16, 23)) == 1


def test_due_times(con) -> None:
    due = calendar.due_times(con, [
        ("default", D(2026, 3, 6, 16, 55), 60),   # 5 min Friday + 55 min Monday → Mon 09:55
        ("default", D(2026, 3, 9, 12, 0), 60),    # 30 min to 12:30, 30 min from 13:30 → 14:00
        ("default", D(2026, 3, 9, 16, 0), 60),    # exactly at closing: due 17:00, not Tue 09:00
        ("default", D(2026, 3, 9, 11, 30), 60),   # due at 12:30, the break's start
        ("default", D(2026, 4, 2, 16, 30), 60),   # 30 min Thursday, Good Friday, Mon 09:30
        ("default", D(2026, 3, 10, 7, 0), 8 * 60),  # a whole Tuesday: 17:00
        ("always", D(2026, 3, 10, 7, 0), 25 * 60),  # 24/7 (UTC = Berlin−1 h): 25 h later
        ("night", D(2026, 3, 28, 23, 0), 7 * 60),  # 23:00–06:00 = 7 h on the clock: 06:00
    ])  # fmt: skip
    assert due == [D(2026, 3, 9, 9, 55), D(2026, 3, 9, 14, 0), D(2026, 3, 9, 17, 0),
                   D(2026, 3, 9, 12, 30), D(2026, 4, 6, 9, 30), D(2026, 3, 10, 17, 0),
                   D(2026, 3, 11, 8, 0), D(2026, 3, 29, 6, 0)]  # fmt: skip


def test_a_changed_schedule_gives_other_durations() -> None:
    """Derived from the schedules as they are now: rebuilding the calendar re-derives."""
    con = duckdb.connect()
    span = [("default", D(2026, 3, 9, 8), D(2026, 3, 9, 20))]
    calendar.build(con, config.parse(OFFICE), "Europe/Berlin", dt.date(2026, 3, 1),
                   dt.date(2026, 3, 31))  # fmt: skip
    assert calendar.business_us(con, span) == [7 * H]
    longer = OFFICE.replace('mon = ["09:00-12:30", "13:30-17:00"]', 'mon = ["08:00-18:00"]')
    calendar.build(con, config.parse(longer), "Europe/Berlin", dt.date(2026, 3, 1),
                   dt.date(2026, 3, 31))  # fmt: skip
    assert calendar.business_us(con, span) == [10 * H]


_when = st.datetimes(min_value=D(2026, 3, 2), max_value=D(2026, 6, 1))


@settings(max_examples=60, deadline=None)
@given(a=_when, b=_when, holiday=st.dates(min_value=dt.date(2026, 3, 2),
                                          max_value=dt.date(2026, 6, 1)))
def test_properties(con, a: D, b: D, holiday: dt.date) -> None:
    a, b = min(a, b), max(a, b)
    calendar_us = (b - a) // dt.timedelta(microseconds=1)
    office, always = calendar.business_us(con, [("default", a, b), ("always", a, b)])
    assert office is not None and 0 <= office <= calendar_us  # business ≤ calendar time
    assert always == calendar_us  # a 24/7 schedule is calendar time
    # adding a holiday never shortens a duration … and never makes a due time earlier
    fewer = duckdb.connect()
    closed = OFFICE.replace('holidays = ["2026-04-03"]',
                            f'holidays = ["2026-04-03", "{holiday.isoformat()}"]')
    calendar.build(fewer, config.parse(closed), "Europe/Berlin", dt.date(2026, 3, 1),
                   dt.date(2026, 6, 30))  # fmt: skip
    (less,) = calendar.business_us(fewer, [("default", a, b)])
    assert less is not None and less <= office
    (due_before,) = calendar.due_times(con, [("default", a, 90)])
    (due_after,) = calendar.due_times(fewer, [("default", a, 90)])
    assert due_before is not None and due_after is not None and due_after >= due_before
