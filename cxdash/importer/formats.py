"""The format of a timestamp or date column the mapping does not give ([formats]): ISO when
ISO parsing reads every value, else the day-first or month-first order the data proves; a
column whose every value reads both ways is a question for the mapping, not a guess."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cxdash.importer.casts import typed_sql
from cxdash.importer.results import ImportFailed
from cxdash.importer.sql import run_sql
from cxdash.schema import Column

# Day/month orders tried when a timestamp column is not ISO (detected from the data).
DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")
MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%Y %I:%M:%S %p",
               "%m/%d/%Y %I:%M %p")  # fmt: skip


def detect_format(
    con: duckdb.DuckDBPyConnection, col: Column, text: str, label: str, path: Path,
    params: dict[str, object],
) -> str | None:
    """None when ISO parsing reads every value; else the day/month order the data proves.

    The first 20,000 values decide when they are all ISO (a stray value later is reported by
    validation, row by row); otherwise every value is probed, in one pass for all formats."""
    iso = typed_sql(col, text)
    sample = (f"SELECT count(*) FILTER (WHERE {typed_sql(col, 'x')} IS NULL), count(*) FROM "
              f"(SELECT {text} AS x FROM raw WHERE {text} IS NOT NULL LIMIT 20000)")  # fmt: skip
    fails, seen = run_sql(con, sample, params)[0]
    if seen and not fails:
        return None
    candidates = [(family, fmt) for family, formats in (("day first", DAY_FIRST),
                  ("month first", MONTH_FIRST)) for fmt in formats]  # fmt: skip
    probes = {**params, **{f"probe{i}": fmt for i, (_, fmt) in enumerate(candidates)}}
    if seen and not _layouts_beat_iso(con, col, text, len(candidates), probes):
        return None  # ISO with bad values among them: validation reports those row by row
    row = run_sql(con, f"SELECT count({text}), count({iso}), {_counts(text, len(candidates))} "
                       "FROM raw", probes)[0]  # fmt: skip
    total, iso_ok, oks = row[0], row[1], row[2:]
    if iso_ok == total:
        return None
    best: dict[str, tuple[int, str]] = {}
    for (family, fmt), ok in zip(candidates, oks, strict=True):
        if ok > best.get(family, (0, ""))[0]:
            best[family] = (ok, fmt)
    complete = {fam: fmt for fam, (ok, fmt) in best.items() if ok == total}
    if len(complete) == 2:
        raise ImportFailed(
            f"{path}: column {label!r} has dates such as 03/04/2026 where every value reads "
            f"both day-first and month-first; say which in the mapping, e.g. [formats] "
            f"{col.name} = \"{complete['day first']}\" (day first) or "
            f"\"{complete['month first']}\" (month first)"
        )
    if complete:
        return next(iter(complete.values()))
    if best:  # neither reads every value: take the better, and report the rest row by row
        return max(best.values())[1]
    return None


def _layouts_beat_iso(
    con: duckdb.DuckDBPyConnection, col: Column, text: str, layouts: int,
    probes: dict[str, object],
) -> bool:
    """Whether any day/month layout reads more of the first 20,000 values than ISO does.
    When none does, the values that fail are bad data, not another layout, and the probe of
    every layout over the whole column (most of `--skip-bad-rows`' cost on a file with a
    third of its timestamps missing or garbled) is skipped."""
    row = run_sql(con, f"SELECT count({typed_sql(col, 'x')}), {_counts('x', layouts)} "
                       f"FROM (SELECT {text} AS x FROM raw WHERE {text} IS NOT NULL "
                       f"LIMIT 20000)", probes)[0]  # fmt: skip
    return bool(max(row[1:]) > row[0])


def _counts(text: str, layouts: int) -> str:
    """SQL: how many values of `text` each layout $probe0… reads."""
    return ", ".join(f"count(TRY_STRPTIME({text}, $probe{i}))" for i in range(layouts))
