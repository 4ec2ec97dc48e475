"""Schedules and SLA policies (SPEC §2): the TOML file, read and checked whole, and written back.

A schedule is a week of open intervals in one time zone, with holidays; teams map to
schedules, every other team uses `default`. Policies are tried in order and the first whose
conditions all match a contact applies; each has a first-response and/or a resolution
target, in business or calendar time.

Checked before anything is stored, every problem at once, each naming the file's line:
a time zone that does not exist, an interval that does not parse or overlaps another, a
holiday that is not a date of this era, a target that is not positive, a policy condition
on a field cxdash does not know, a team mapped to a schedule that is not there, and (given
the store's teams) a policy or mapping naming a team no contact has. An interval whose end is
before its start ("17:00-09:00") is a night shift across midnight: accepted, and said so,
since it is also what a day shift written backwards looks like.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CONDITIONS = ("priority", "channel", "team")
DEFAULT = "default"
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_TARGET = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([mhd])\s*$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}  # d = 24 (business) hours
_YEARS = (1990, 2100)  # a holiday outside these is a typo


class ConfigError(Exception):
    """Every problem found, one line each (`file:line: what`); nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Interval:
    """Open from `start` to `end`, in minutes after the local midnight of `day` (0 = Monday);
    `end` beyond 1440 runs into the next day."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class Schedule:
    name: str
    timezone: str
    intervals: tuple[Interval, ...]
    holidays: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Policy:
    """Conditions: field → the values that match (any of them); targets in minutes."""

    position: int
    conditions: tuple[tuple[str, tuple[str, ...]], ...]
    first_response_minutes: float | None
    resolution_minutes: float | None
    business_hours: bool

    def matches(self, contact: Mapping[str, object]) -> bool:
        return all(contact.get(f) in values for f, values in self.conditions)


@dataclass(frozen=True)
class SlaConfig:
    schedules: tuple[Schedule, ...] = ()
    teams: tuple[tuple[str, str], ...] = ()  # team → schedule name
    policies: tuple[Policy, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)  # accepted, but worth saying

    def schedule(self, name: str) -> Schedule | None:
        return next((s for s in self.schedules if s.name == name), None)

    def schedule_for(self, team: str | None) -> Schedule | None:
        named = dict(self.teams).get(team) if team is not None else None
        return self.schedule(named or DEFAULT)


class _Lines:
    """Where each table and key is in the TOML text (tomllib gives values, not lines)."""

    def __init__(self, text: str) -> None:
        self._at: dict[tuple[str, str], int] = {}
        table, sla = "", 0
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if line.startswith("[["):
                sla += line.startswith("[[sla]]")
                table = f"sla.{sla}" if line.startswith("[[sla]]") else line.strip("[] ")
                self._at.setdefault((table, ""), number)
            elif line.startswith("["):
                table = _unquote(line.split("]")[0].strip("[ "))
                self._at.setdefault((table, ""), number)
            elif "=" in line and not line.startswith("#"):
                key = _unquote(line.split("=", 1)[0].strip())
                self._at.setdefault((table, key), number)

    def of(self, table: str, key: str = "") -> int:
        return self._at.get((table, key)) or self._at.get((table, "")) or 1


def _unquote(text: str) -> str:
    return re.sub(r'"([^"]*)"', r"\1", text).replace("'", "")


def parse(text: str, source: str = "schedules.toml",
          teams: Iterable[str] | None = None) -> SlaConfig:  # fmt: skip
    """The checked configuration in `text`; `teams`: the store's teams, if known, which
    policies and [teams] must name. Raises ConfigError with every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: not valid TOML ({exc})"]) from exc
    lines = _Lines(text)
    problems: list[str] = []
    notes: list[str] = []

    def bad(table: str, key: str, what: str) -> None:
        problems.append(f"{source}:{lines.of(table, key)}: {what}")

    for key in sorted(set(raw) - {"schedules", "teams", "sla"}):
        bad("", key, f"unknown section {key!r} (schedules, teams and sla are known)")
    schedules = _schedules(raw.get("schedules", {}), bad, notes, lines, source)
    names = {s.name for s in schedules}
    mapped: list[tuple[str, str]] = []
    team_table = raw.get("teams", {})
    if not isinstance(team_table, dict):
        bad("teams", "", "[teams] must map team names to schedule names")
        team_table = {}
    for team, schedule in team_table.items():
        if not isinstance(schedule, str) or schedule not in names:
            bad("teams", team, f"team {team!r} uses schedule {schedule!r}, which is not in "
                f"[schedules] ({', '.join(sorted(names)) or 'none'})")  # fmt: skip
        else:
            mapped.append((team, schedule))
    policies = _policies(raw.get("sla", []), bad)
    known = set(teams) if teams is not None else None
    if known is not None:
        for team, _ in mapped:
            if team not in known:
                bad("teams", team, f"team {team!r} is in no contact (teams: "
                    f"{_listed(known)})")  # fmt: skip
        for p in policies:
            for value in dict(p.conditions).get("team", ()):
                if value not in known:
                    bad(f"sla.{p.position}", "team", f"policy {p.position} names team "
                        f"{value!r}, which is in no contact (teams: {_listed(known)})")  # fmt: skip
    if any(p.business_hours for p in policies) and DEFAULT not in names:
        unmapped = "every team" if not mapped else "teams not in [teams]"
        bad("", "", f"a policy counts business hours but there is no [schedules.default] "
            f"for {unmapped}")  # fmt: skip
    if problems:
        raise ConfigError(problems)
    return SlaConfig(tuple(schedules), tuple(mapped), tuple(policies), tuple(notes))


def _listed(values: set[str]) -> str:
    shown = sorted(values)[:8]
    return ", ".join(shown) + (f" and {len(values) - 8} more" if len(values) > 8 else "")


def _schedules(table: object, bad: Any, notes: list[str], lines: _Lines,
               source: str) -> list[Schedule]:  # fmt: skip
    if not isinstance(table, dict):
        bad("schedules", "", "[schedules] must hold named schedules ([schedules.default])")
        return []
    found = []
    for name, body in table.items():
        where = f"schedules.{name}"
        if not isinstance(body, dict):
            bad(where, "", f"schedule {name!r} must be a table")
            continue
        for key in sorted(set(body) - {"timezone", "holidays", *DAYS}):
            bad(where, key, f"schedule {name!r}: unknown key {key!r} (timezone, holidays, "
                "mon … sun)")  # fmt: skip
        zone = body.get("timezone")
        if not isinstance(zone, str) or not _zone_exists(zone):
            bad(where, "timezone", f"schedule {name!r}: time zone {zone!r} does not exist "
                "(an IANA name such as Europe/Berlin or America/New_York)")  # fmt: skip
        intervals: list[Interval] = []
        for day, label in enumerate(DAYS):
            given = body.get(label, [])
            if isinstance(given, str):
                given = [given]
            if not isinstance(given, list):
                bad(where, label, f"schedule {name!r}: {label} must be a list of "
                    '"HH:MM-HH:MM"')  # fmt: skip
                continue
            for text in given:
                interval = _interval(day, text)
                if interval is None:
                    bad(where, label, f"schedule {name!r}: {label} {text!r} is not an "
                        'interval "HH:MM-HH:MM" (00:00 to 24:00)')  # fmt: skip
                    continue
                if interval.end > 24 * 60:
                    notes.append(f"{source}:{lines.of(where, label)}: {label} {text!r} ends "
                                 f"before it starts, so it is read as a night across midnight "
                                 f"({_hours(interval.end - interval.start)} hours, into "
                                 f"{DAYS[(day + 1) % 7]}); for a day shift write "
                                 f"{_backwards(text)!r}")  # fmt: skip
                intervals.append(interval)
        for first, second in _overlaps(intervals):
            bad(where, DAYS[second.day], f"schedule {name!r}: {_say(second)} overlaps "
                f"{_say(first)}")  # fmt: skip
        holidays = []
        given_days = body.get("holidays", [])
        for value in given_days if isinstance(given_days, list) else [given_days]:
            day_value = _date(value)
            if day_value is None or not _YEARS[0] <= day_value.year <= _YEARS[1]:
                bad(where, "holidays", f"schedule {name!r}: holiday {value!r} is not a date "
                    f"between {_YEARS[0]} and {_YEARS[1]} (YYYY-MM-DD)")  # fmt: skip
            else:
                holidays.append(day_value)
        if not intervals:
            bad(where, "", f"schedule {name!r} has no open interval on any day")
        found.append(Schedule(str(name), str(zone), tuple(sorted(
            intervals, key=lambda i: (i.day, i.start))), tuple(sorted(set(holidays)))))
    return found


def _zone_exists(zone: str) -> bool:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _interval(day: int, text: object) -> Interval | None:
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start >= 24 * 60 or end > 24 * 60 or start == end:
        return None
    return Interval(day, start, end if end > start else end + 24 * 60)


def _overlaps(intervals: list[Interval]) -> list[tuple[Interval, Interval]]:
    """Pairs that share a minute, across midnight and from Sunday into Monday."""
    week = 7 * 24 * 60
    spans = sorted((i.day * 1440 + i.start, i.day * 1440 + i.end, i) for i in intervals)
    found = []
    for a, (s1, e1, i1) in enumerate(spans):
        for s2, e2, i2 in spans[a + 1:]:
            if s2 < e1 or (e2 > week and s1 < e2 - week):  # the week wraps around
                found.append((i1, i2))
    return found


def _say(interval: Interval) -> str:
    end = interval.end % 1440 if interval.end != 1440 else 1440
    return f"{DAYS[interval.day]} {_clock(interval.start)}-{_clock(end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def _backwards(text: str) -> str:
    start, end = text.split("-")
    return f"{end.strip()}-{start.strip()}"


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _policies(given: object, bad: Any) -> list[Policy]:
    if not isinstance(given, list):
        bad("", "sla", "[[sla]] policies must be an array of tables")
        return []
    found = []
    for position, body in enumerate(given, start=1):
        where = f"sla.{position}"
        if not isinstance(body, dict):
            bad(where, "", f"policy {position} must be a table")
            continue
        allowed = {"first_response", "resolution", "business_hours", *CONDITIONS}
        for key in sorted(set(body) - allowed):
            bad(where, key, f"policy {position}: unknown key {key!r} (conditions on "
                f"{', '.join(CONDITIONS)}; targets first_response, resolution; "
                "business_hours)")  # fmt: skip
        conditions = []
        for name in CONDITIONS:
            if name not in body:
                continue
            values = body[name] if isinstance(body[name], list) else [body[name]]
            if not values or not all(isinstance(v, str) and v.strip() for v in values):
                bad(where, name, f"policy {position}: {name} must be a value or a list of "
                    "values")  # fmt: skip
                continue
            conditions.append((name, tuple(values)))
        targets: dict[str, float | None] = {}
        for name in ("first_response", "resolution"):
            targets[name] = None
            if name in body:
                minutes = _target(body[name])
                if minutes is None or minutes <= 0:
                    bad(where, name, f"policy {position}: {name} {body[name]!r} is not a "
                        'positive time ("30m", "4h", "2d")')  # fmt: skip
                else:
                    targets[name] = minutes
        if "first_response" not in body and "resolution" not in body:
            bad(where, "", f"policy {position} has no target (first_response or resolution)")
        business = body.get("business_hours", True)
        if not isinstance(business, bool):
            bad(where, "business_hours", f"policy {position}: business_hours must be true "
                "or false")  # fmt: skip
            business = True
        found.append(Policy(position, tuple(conditions), targets["first_response"],
                            targets["resolution"], business))  # fmt: skip
    return found


def _target(value: object) -> float | None:
    match = _TARGET.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    return float(match.group(1)) * _UNIT_MINUTES[match.group(2)]


def to_toml(config: SlaConfig) -> str:
    """The configuration as the TOML file it is read from (parse(to_toml(c)) == c)."""
    out: list[str] = []
    for s in config.schedules:
        out.append(f"[schedules.{_key(s.name)}]")
        out.append(f"timezone = {_string(s.timezone)}")
        for day, label in enumerate(DAYS):
            shown = [f"{_clock(i.start)}-{_clock(i.end % 1440 if i.end > 1440 else i.end)}"
                     for i in s.intervals if i.day == day]  # fmt: skip
            if shown:
                out.append(f"{label} = [{', '.join(map(_string, shown))}]")
        if s.holidays:
            out.append(f"holidays = [{', '.join(_string(d.isoformat()) for d in s.holidays)}]")
        out.append("")
    if config.teams:
        out.append("[teams]")
        out.extend(f"{_string(team)} = {_string(name)}" for team, name in config.teams)
        out.append("")
    for p in config.policies:
        out.append("[[sla]]")
        for name, values in p.conditions:
            out.append(f"{name} = [{', '.join(map(_string, values))}]")
        for name, minutes in (("first_response", p.first_response_minutes),
                              ("resolution", p.resolution_minutes)):  # fmt: skip
            if minutes is not None:
                out.append(f"{name} = {_string(duration_text(minutes))}")
        out.append(f"business_hours = {str(p.business_hours).lower()}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def duration_text(minutes: float) -> str:
    """A target as written in the file: whole days, else whole hours, else minutes."""
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{int(minutes // size)}{unit}"
    return f"{minutes:g}m"


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _string(name)


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'
