"""ISO weeks (Monday to Sunday, SPEC §3 "weeks start Monday"): parsing, naming, and the
weeks a store has contacts in."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from cxdash.metrics.request import RequestError

_ISO = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    def __post_init__(self) -> None:
        last = weeks_in_year(self.year)
        if not 1 <= self.number <= last:
            raise RequestError(
                f"week {self.year}-W{self.number:02d} does not exist: {self.year} has weeks "
                f"W01–W{last}"
            )

    @classmethod
    def parse(cls, text: str) -> Week:
        found = _ISO.fullmatch(text.strip()) if isinstance(text, str) else None
        if not found:
            raise RequestError(
                f"week {text!r} is not an ISO week; write it as YYYY-Www, for example 2026-W26"
            )
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, day: dt.date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def iso(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    def shifted(self, weeks: int) -> Week:
        return Week.of(self.start + dt.timedelta(weeks=weeks))

    def caption(self) -> str:
        """'22 – 28 Jun 2026' (months and years only where they differ)."""
        start, end = self.start, self.end
        if start.year != end.year:
            return f"{start:%-d %b %Y} – {end:%-d %b %Y}"
        if start.month != end.month:
            return f"{start:%-d %b} – {end:%-d %b %Y}"
        return f"{start:%-d} – {end:%-d %b %Y}"

    def __str__(self) -> str:
        return self.iso


def weeks_in_year(year: int) -> int:
    """52 or 53: the ISO week of 28 December is always the year's last."""
    return dt.date(year, 12, 28).isocalendar().week


def weeks_with_data(con: duckdb.DuckDBPyConnection) -> list[Week]:
    """Every ISO week holding at least one contact, newest first."""
    with con.cursor() as cur:
        rows = cur.sql(
            "SELECT DISTINCT CAST(date_trunc('week', created_at) AS DATE) AS monday "
            "FROM contacts WHERE created_at IS NOT NULL ORDER BY monday DESC"
        ).fetchall()
    return [Week.of(r[0]) for r in rows]


def default_week(weeks: list[Week], last_day: dt.date) -> Week | None:
    """The newest week the data covers to its Sunday (a review looks at a finished week),
    else the newest week there is."""
    whole = [w for w in weeks if w.end <= last_day]
    return whole[0] if whole else (weeks[0] if weeks else None)


def last_finished(weeks: list[Week], last_day: dt.date, today: dt.date) -> Week | None:
    """`--week last`: the newest week that has ended (its Sunday before `today`) and that the
    data covers to its Sunday — the page's default week, never a week still running."""
    done = [w for w in weeks if w.end <= last_day and w.end < today]
    return done[0] if done else None
