"""Business time as data: a calendar of open intervals per schedule with the business time
accumulated before each, so that any duration or due time is two lookups in DuckDB — never
a Python loop per contact. The lookups are hash joins on two small tables derived from the
calendar (by report-clock day, and by hour of cumulative business time), not ASOF joins: an
ASOF join sorts every contact once per lookup, seven times for a contact's SLA facts, which
took most of a minute and spilled gigabytes at 10M contacts.

The calendar is built from the schedules as they are now, for the days the data covers (and
a year after, for due times still ahead), each schedule's local hours turned into the
reporting time zone's wall clock (the store's timestamps) through zoneinfo. A schedule's own
clock changes move its hours on the report clock (New York's 09:00 is 14:00 or 15:00 in
Berlin); on a UTC report clock (the default) a Berlin night 22:00–06:00 is 7 or 9 hours when
the clocks change. Lengths are read on the report clock, like every duration in cxdash, so
business time never exceeds calendar time and a 24/7 schedule is calendar time exactly. A
holiday closes its whole local day, also the part of a night that runs into it.

- business time from a to b on schedule s = cum(s, b) − cum(s, a), where cum(s, t) is the
  open time before t: the open time before t's day plus the day's open pieces up to t.
- the due time of a target T after a = the moment cum reaches cum(s, a) + T: the interval
  whose business time (cum_before, cum_before + open] holds that goal, looked up in the
  goal's hour of business time, `start + (goal − cum_before)`. A goal that
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
    first … last + AHEAD_DAYS, and its two lookup tables, so that a contact's lookups are hash
    joins on a small table instead of ASOF joins (a sort of every contact each):
    `table`_days (schedule, day, cum0_us, pieces) — each report-clock day, the business time
    before it and its open pieces (start, length) — and `table`_goals (schedule, bucket,
    spans) — for each hour of business time (the cumulative clock / BUCKET_US), the intervals
    whose business time falls in it; the number of intervals."""
    rows: dict[str, list[object]] = {"schedule": [], "start_ts": [], "end_ts": [],
                                     "open_us": [], "cum_before_us": []}  # fmt: skip
    days: dict[str, list[object]] = {"schedule": [], "day": [], "cum0_us": [], "pieces": []}
    goals: dict[str, list[object]] = {"schedule": [], "bucket": [], "spans": []}
    day_first, day_last = first - dt.timedelta(days=2), last + dt.timedelta(days=AHEAD_DAYS + 2)
    for schedule in config.schedules:
        total = 0
        spans = intervals(schedule, report_tz, first - dt.timedelta(days=1),
                          last + dt.timedelta(days=AHEAD_DAYS))  # fmt: skip
        by_bucket: dict[int, list[dict[str, int]]] = {}
        for begin, finish in spans:
            length = (finish - begin) // dt.timedelta(microseconds=1)
            for key, value in (("schedule", schedule.name), ("start_ts", begin),
                               ("end_ts", finish), ("open_us", length),
                               ("cum_before_us", total)):  # fmt: skip
                rows[key].append(value)
            span = {"cb": total, "o": length, "s": _epoch_us(begin)}
            for bucket in range(total // BUCKET_US, (total + length - 1) // BUCKET_US + 1):
                by_bucket.setdefault(bucket, []).append(span)
            total += length
        for bucket, items in by_bucket.items():
            goals["schedule"].append(schedule.name)
            goals["bucket"].append(bucket)
            goals["spans"].append(items)
        _days(schedule.name, spans, day_first, day_last, days)
    frame = pl.DataFrame(rows, schema={"schedule": pl.String, "start_ts": pl.Datetime("us"),
                                       "end_ts": pl.Datetime("us"), "open_us": pl.Int64,
                                       "cum_before_us": pl.Int64})  # fmt: skip
    piece = pl.List(pl.Struct({"s": pl.Int64, "o": pl.Int64}))
    span_type = pl.List(pl.Struct({"cb": pl.Int64, "o": pl.Int64, "s": pl.Int64}))
    frames = {
        table: (frame, "ORDER BY schedule, start_ts"),
        f"{table}_days": (pl.DataFrame(days, schema={"schedule": pl.String, "day": pl.Date,
                                                     "cum0_us": pl.Int64, "pieces": piece}),
                          ""),
        f"{table}_goals": (pl.DataFrame(goals, schema={"schedule": pl.String,
                                                       "bucket": pl.Int64, "spans": span_type}),
                           ""),
    }  # fmt: skip
    for name, (data, order) in frames.items():
        con.register("calendar_frame", data.to_arrow())
        try:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM calendar_frame {order}")
        finally:
            con.unregister("calendar_frame")
    return frame.height


BUCKET_US = 3_600 * _US  # the goals table's step on the cumulative clock: an hour


def _epoch_us(ts: dt.datetime) -> int:
    return (ts - _EPOCH) // dt.timedelta(microseconds=1)


_EPOCH = dt.datetime(1970, 1, 1)


def _days(name: str, spans: list[tuple[dt.datetime, dt.datetime]], day_first: dt.date,
          day_last: dt.date, out: dict[str, list[object]]) -> None:  # fmt: skip
    """Each report-clock day day_first … day_last of one schedule: the business time before
    its midnight and its open pieces (intervals cut at midnight)."""
    k, before = 0, 0  # the first interval not wholly before this day; the time of those that are
    day = day_first
    while day <= day_last:
        midnight = dt.datetime.combine(day, dt.time())
        following = midnight + dt.timedelta(days=1)
        while k < len(spans) and spans[k][1] <= midnight:
            before += (spans[k][1] - spans[k][0]) // dt.timedelta(microseconds=1)
            k += 1
        cum0, pieces = before, []
        j = k
        while j < len(spans) and spans[j][0] < following:
            begin, finish = max(spans[j][0], midnight), min(spans[j][1], following)
            if spans[j][0] < midnight:  # the part of it before midnight is before the day
                cum0 += (midnight - spans[j][0]) // dt.timedelta(microseconds=1)
            pieces.append({"s": _epoch_us(begin),
                           "o": (finish - begin) // dt.timedelta(microseconds=1)})
            j += 1
        out["schedule"].append(name)
        out["day"].append(day)
        out["cum0_us"].append(cum0)
        out["pieces"].append(pieces)
        day = following.date()


def cumulative_sql(source: str, ts: str, alias: str, table: str = CALENDAR) -> str:
    """A SELECT of `source`'s columns plus `alias` = the business microseconds of its row's
    `schedule` before `ts` (NULL when ts or the schedule is NULL, or ts is outside the
    calendar's days): the day's business time before midnight plus its pieces up to ts."""
    return f"""
        SELECT s.*, CASE WHEN s.{ts} IS NOT NULL AND s.schedule IS NOT NULL THEN
                   k.cum0_us + coalesce(CAST(list_sum(list_transform(k.pieces, lambda p:
                       greatest(0, least(p.o, epoch_us(s.{ts}) - p.s)))) AS BIGINT), 0) END
               AS {alias}
        FROM {source} s LEFT JOIN {table}_days k
          ON k.schedule = s.schedule AND k.day = CAST(s.{ts} AS DATE)"""


def due_sql(source: str, goal: str, alias: str, table: str = CALENDAR) -> str:
    """A SELECT of `source`'s columns plus `alias` = the timestamp at which its schedule's
    cumulative business time reaches `goal` microseconds (NULL beyond the calendar): the
    interval whose business time (cum_before, cum_before + open] holds the goal, found in the
    goal's hour of business time."""
    return f"""
        SELECT s.*, make_timestamp(list_transform(list_filter(k.spans, lambda x:
                   x.cb < s.{goal} AND s.{goal} <= x.cb + x.o),
                   lambda x: CAST(x.s + (s.{goal} - x.cb) AS BIGINT))[1]) AS {alias}
        FROM {source} s LEFT JOIN {table}_goals k
          ON k.schedule = s.schedule AND k.bucket = (s.{goal} - 1) // {BUCKET_US}"""


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
