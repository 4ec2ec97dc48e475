"""Business time as data: a calendar of open intervals per schedule with the business time
accumulated before each, so that any duration or due time is two as-of lookups in DuckDB —
never a Python loop per contact.

The calendar is built from the schedules as they are now, for the days the data covers (and
a year after, for due times still ahead), each schedule's local hours turned into the
reporting time zone's wall clock (the store's timestamps) through zoneinfo. A schedule's own
clock changes move its hours on the report clock (New York's 09:00 is 14:00 or 15:00 in
Berlin); on a UTC report clock (the default) a Berlin night 22:00–06:00 is 7 or 9 hours when
the clocks change. Lengths are read on the report clock, like every duration in cxdash, so
business time never exceeds calendar time and a 24/7 schedule is calendar time exactly. A
holiday closes its whole local day, also the part of a night that runs into it.

- business time from a to b on schedule s = cum(s, b) − cum(s, a), where cum(s, t) is the
  open time before t: the last interval starting at or before t gives its `cum_before` plus
  the part of it before t.
- the due time of a target T after a = the moment cum reaches cum(s, a) + T: the interval
  with the largest `cum_before` below that goal, `start + (goal − cum_before)`. A goal that
  is reached exactly at an interval's end is due at that end, not at the next opening.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import duckdb
import polars as pl

from cxdash.sla.config import Schedule, SlaConfig

CALENDAR = "business_calendar"
AHEAD_DAYS = 400  # due times can fall after the newest data: a year of calendar beyond it
_US = 1_000_000


def intervals(schedule: Schedule, report_tz: str, first: dt.date, last: dt.date
              ) -> list[tuple[dt.datetime, dt.datetime]]:  # fmt: skip
    """The schedule's open intervals that start on local days first … last, as naive
    timestamps in `report_tz`, in order; nights are cut at local midnight, holidays left out."""
    zone, report = zoneinfo.ZoneInfo(schedule.timezone), zoneinfo.ZoneInfo(report_tz)
    holidays = set(schedule.holidays)
    pieces: list[tuple[dt.date, int, int]] = []  # local day, minutes from, minutes to
    day = first - dt.timedelta(days=1)  # a night of the day before runs into `first`
    while day <= last:
        for i in schedule.intervals:
            if i.day != day.weekday():
                continue
            pieces.append((day, i.start, min(i.end, 1440)))
            if i.end > 1440:
                pieces.append((day + dt.timedelta(days=1), 0, i.end - 1440))
        day += dt.timedelta(days=1)
    out = []
    for local_day, start, end in sorted(pieces):
        if local_day in holidays or not first <= local_day <= last:
            continue
        midnight = dt.datetime.combine(local_day, dt.time())
        begin = _in(midnight + dt.timedelta(minutes=start), zone, report)
        finish = _in(midnight + dt.timedelta(minutes=end), zone, report)
        if finish > begin:  # an interval inside a skipped DST hour is no time at all
            out.append((begin, finish))
    return _merged(out)


def _in(local: dt.datetime, zone: zoneinfo.ZoneInfo, report: zoneinfo.ZoneInfo) -> dt.datetime:
    return local.replace(tzinfo=zone).astimezone(report).replace(tzinfo=None)


def _merged(spans: list[tuple[dt.datetime, dt.datetime]]
            ) -> list[tuple[dt.datetime, dt.datetime]]:  # fmt: skip
    """Touching intervals (a night cut at midnight) become one."""
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for begin, finish in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def build(con: duckdb.DuckDBPyConnection, config: SlaConfig, report_tz: str, first: dt.date,
          last: dt.date, table: str = CALENDAR) -> int:  # fmt: skip
    """(Re)create `table` (schedule, start_ts, end_ts, open_us, cum_before_us) for local days
    first … last + AHEAD_DAYS; the number of intervals."""
    rows: dict[str, list[object]] = {"schedule": [], "start_ts": [], "end_ts": [],
                                     "open_us": [], "cum_before_us": []}  # fmt: skip
    for schedule in config.schedules:
        total = 0
        for begin, finish in intervals(schedule, report_tz, first - dt.timedelta(days=1),
                                       last + dt.timedelta(days=AHEAD_DAYS)):  # fmt: skip
            length = (finish - begin) // dt.timedelta(microseconds=1)
            for key, value in (("schedule", schedule.name), ("start_ts", begin),
                               ("end_ts", finish), ("open_us", length),
                               ("cum_before_us", total)):  # fmt: skip
                rows[key].append(value)
            total += length
    frame = pl.DataFrame(rows, schema={"schedule": pl.String, "start_ts": pl.Datetime("us"),
                                       "end_ts": pl.Datetime("us"), "open_us": pl.Int64,
                                       "cum_before_us": pl.Int64})  # fmt: skip
    con.register("calendar_frame", frame.to_arrow())
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM calendar_frame "
                    "ORDER BY schedule, start_ts")  # fmt: skip
    finally:
        con.unregister("calendar_frame")
    return frame.height


def cumulative_sql(source: str, ts: str, alias: str, table: str = CALENDAR) -> str:
    """A SELECT of `source`'s columns plus `alias` = the business microseconds of its row's
    `schedule` before `ts` (NULL when ts or the schedule is NULL)."""
    return f"""
        SELECT s.*, CASE WHEN s.{ts} IS NOT NULL AND s.schedule IS NOT NULL THEN
                   coalesce(k.cum_before_us + least(k.open_us,
                            greatest(0, epoch_us(s.{ts}) - epoch_us(k.start_ts))), 0) END
               AS {alias}
        FROM {source} s ASOF LEFT JOIN {table} k
          ON s.schedule = k.schedule AND s.{ts} >= k.start_ts"""


def due_sql(source: str, goal: str, alias: str, table: str = CALENDAR) -> str:
    """A SELECT of `source`'s columns plus `alias` = the timestamp at which its schedule's
    cumulative business time reaches `goal` microseconds (NULL beyond the calendar)."""
    return f"""
        SELECT s.*, CASE WHEN s.{goal} <= k.cum_before_us + k.open_us THEN
                   make_timestamp(epoch_us(k.start_ts) + (s.{goal} - k.cum_before_us)) END
               AS {alias}
        FROM {source} s ASOF LEFT JOIN {table} k
          ON s.schedule = k.schedule AND s.{goal} > k.cum_before_us"""


def business_us(con: duckdb.DuckDBPyConnection,
                spans: list[tuple[str, dt.datetime, dt.datetime]]) -> list[int | None]:  # fmt: skip
    """The business microseconds of each (schedule, start, end), in order — for checks and
    tests; derivation runs the same SQL over every contact at once."""
    frame = pl.DataFrame({"i": range(len(spans)), "schedule": [s for s, _, _ in spans],
                          "a": [a for _, a, _ in spans], "b": [b for _, _, b in spans]},
                         schema={"i": pl.Int64, "schedule": pl.String,
                                 "a": pl.Datetime("us"), "b": pl.Datetime("us")})  # fmt: skip
    con.register("spans_frame", frame.to_arrow())
    try:
        started = cumulative_sql("spans_frame", "a", "ca")
        sql = f"SELECT i, cb - ca FROM ({cumulative_sql(f'({started})', 'b', 'cb')}) ORDER BY i"
        return [v for _, v in con.execute(sql).fetchall()]
    finally:
        con.unregister("spans_frame")


def due_times(
    con: duckdb.DuckDBPyConnection, targets: list[tuple[str, dt.datetime, float]]
) -> list[dt.datetime | None]:
    """When each (schedule, start, target minutes of business time) falls due, in order."""
    frame = pl.DataFrame({"i": range(len(targets)), "schedule": [s for s, _, _ in targets],
                          "a": [a for _, a, _ in targets],
                          "target_us": [round(m * 60 * _US) for _, _, m in targets]},
                         schema={"i": pl.Int64, "schedule": pl.String, "a": pl.Datetime("us"),
                                 "target_us": pl.Int64})  # fmt: skip
    con.register("targets_frame", frame.to_arrow())
    try:
        started = cumulative_sql("targets_frame", "a", "ca")
        goal = f"(SELECT *, ca + target_us AS goal FROM ({started}))"
        sql = f"SELECT i, due FROM ({due_sql(goal, 'goal', 'due')}) ORDER BY i"
        return [v for _, v in con.execute(sql).fetchall()]
    finally:
        con.unregister("targets_frame")
