"""The wall view (`/wall?refresh=60&rotate=20`) as plain data, no Streamlit: its options from
the link, which panel shows when it rotates, what it reads, and the data's freshness in words.

- `refresh` (seconds, default 60, at least 10): how often the wall looks for a new version of
  the store and redraws; a value it cannot take is said on the wall and the nearest one used.
- `rotate` (seconds, at least 10; `rotate=true` is every 20 s): one panel at a time, in turn —
  the headline figures, what moved, the backlog and SLAs — instead of all three at once.

The periods: the headline figures are the last 7 days (the data's last day and the 6 before),
each against the 7 days before, as the Scoreboard's "Last 7 days" shows them; what moved is
today up to the newest contact against the same weekday a week earlier up to the same time,
and the last 7 days up to that moment against the 7 before (`cxdash.analysis.wall`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from cxdash.metrics.catalogue import BUILTIN, Catalogue
from cxdash.metrics.request import Filters, MetricRequest, Period

DEFAULT_REFRESH, MIN_REFRESH = 60, 10
DEFAULT_ROTATE, MIN_ROTATE = 20, 10
DAYS = 7
PANELS: dict[str, str] = {
    "figures": "Headline figures",
    "moved": "What moved",
    "backlog": "Backlog and SLAs",
}
OFFENSE = ("contacts", "contact_rate", "repeat_contact_rate", "preventable_share")
DEFENSE = ("resolution_rate", "fcr_rate", "csat", "first_response_hours_p90")
BACKLOG = ("backlog",)
SLA = ("sla_at_risk", "sla_breaches")  # shown when the store has SLA policies
YES = ("true", "yes", "on", "1")


@dataclass(frozen=True)
class Options:
    refresh: int  # seconds between looks for a new store version
    rotate: int | None  # seconds per panel, or None: every panel at once
    notes: tuple[str, ...] = ()  # what the link asked that the wall could not take

    @property
    def tick(self) -> int:
        """Seconds between the wall's redraws: the refresh, or the rotation when faster."""
        return min(self.refresh, self.rotate) if self.rotate else self.refresh


def _seconds(name: str, raw: str, default: int, least: int, notes: list[str]) -> int:
    try:
        value = int(float(raw))
    except ValueError:
        notes.append(f"{name}={raw} is not a number of seconds: {default} s")
        return default
    if value < least:
        notes.append(f"{name}={raw} is under {least} s: {least} s")
        return least
    return value


def options(params: Mapping[str, str | None]) -> Options:
    """The wall's options from the link's `refresh` and `rotate`."""
    notes: list[str] = []
    raw = (params.get("refresh") or "").strip()
    refresh = _seconds("refresh", raw, DEFAULT_REFRESH, MIN_REFRESH, notes) if raw \
        else DEFAULT_REFRESH  # fmt: skip
    spin = (params.get("rotate") or "").strip().lower()
    rotate: int | None = None
    if spin in YES:
        rotate = DEFAULT_ROTATE
    elif spin and spin not in ("false", "no", "off", "0"):
        rotate = _seconds("rotate", spin, DEFAULT_ROTATE, MIN_ROTATE, notes)
    return Options(refresh, rotate, tuple(notes))


def panel_at(opts: Options, seconds: float) -> str | None:
    """The panel on show at `seconds` (a clock's epoch seconds) when rotating, else None: the
    same panel on every wall at the same time, each for `rotate` seconds."""
    if not opts.rotate:
        return None
    return list(PANELS)[int(seconds // opts.rotate) % len(PANELS)]


def week(first: dt.date, last: dt.date) -> Period:
    """The headline figures' period: the last 7 days of the data (fewer when it is shorter)."""
    return Period(max(first, last - dt.timedelta(days=DAYS - 1)), last)


def figures_request(
    filters: Filters, first: dt.date, last: dt.date, metrics: tuple[str, ...],
    catalogue: Catalogue = BUILTIN,
) -> MetricRequest:
    """`metrics` over the last 7 days (and, through `compare`, the 7 before)."""
    return MetricRequest(week(first, last), filters, metrics=metrics, catalogue=catalogue)


def stretches(newest: dt.datetime) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """What moved is counted over: today, from midnight to the newest contact, and the last
    7 days, from midnight 6 days before; each against the same stretch a week earlier."""
    midnight = dt.datetime.combine(newest.date(), dt.time())
    return {"today": (midnight, newest),
            "week": (midnight - dt.timedelta(days=DAYS - 1), newest)}  # fmt: skip


def ago(seconds: float) -> str:
    """'just now', '1 minute ago', '5 minutes ago', '3 hours ago', '2 days ago'."""
    if seconds < 60:
        return "just now"
    for size, unit, limit in ((60, "minute", 60), (3600, "hour", 48), (86400, "day", None)):
        count = int(seconds // size)
        if limit is None or count < limit:
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    raise AssertionError("unreachable")  # pragma: no cover


def freshness(newest: dt.datetime | None, written: dt.datetime | None, now: dt.datetime) -> str:
    """'data up to 6 Dec 23:52, written 5 minutes ago' (the newest contact; the store's file)."""
    parts = [f"data up to {newest:%-d %b %H:%M}" if newest else "no contacts yet"]
    if written is not None:
        parts.append(f"written {ago(max(0.0, (now - written).total_seconds()))}")
    return ", ".join(parts)
