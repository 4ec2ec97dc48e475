"""What each screen of the weekly review holds: the scope it looks at and plain data per
screen (values, Polars frames, movers), built by `agenda.Review` and read by the page and the
report alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from cxdash.analysis.movers import Move
from cxdash.formatting import format_change, format_hours, format_value
from cxdash.metrics import catalogue
from cxdash.metrics.catalogue import Side
from cxdash.metrics.request import Filters, Period
from cxdash.metrics.runner import MetricValue
from cxdash.review.weeks import Week


@dataclass(frozen=True)
class Scope:
    """What the review looks at: a week, the filters, the data's extent, masking on/off."""

    week: Week
    filters: Filters = field(default_factory=Filters)
    first_day: dt.date = dt.date.min
    last_day: dt.date = dt.date.max
    masked: bool = True

    @property
    def end(self) -> dt.date:
        """The week's last day with data (its Sunday, or the data's last day inside it)."""
        return min(self.week.end, self.last_day)

    @property
    def partial(self) -> bool:
        return self.week.end > self.last_day

    @property
    def days(self) -> int:
        return (self.end - self.week.start).days + 1

    def window(self, weeks_back: int = 0) -> Period:
        """The week's observed days, `weeks_back` weeks earlier (same weekdays)."""
        shift = dt.timedelta(weeks=weeks_back)
        return Period(self.week.start - shift, self.end - shift)

    def covered(self, period: Period) -> bool:
        return period.start >= self.first_day and period.end <= self.last_day

    def caption(self) -> str:
        text = f"{self.week.iso} · {self.week.caption()}"
        if self.partial:
            text += f" · data to {self.end:%a %-d %b}"
        if self.filters:
            text += f" · {self.filters.caption()}"
        return text


# ---- screen data ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreLine:
    metric_id: str
    value: float | int | None
    last_week: float | int | None
    average: float | None  # mean of up to AVERAGE_WEEKS weekly values before the week
    weeks_averaged: int
    # The columns to import when the store holds none the metric needs ("not in your data").
    missing: tuple[str, ...] = ()

    @property
    def missing_text(self) -> str:
        """'Not in your data: import transfers' (or '' when the data holds the metric)."""
        return f"Not in your data: import {' or '.join(self.missing)}" if self.missing else ""

    @property
    def metric(self) -> catalogue.Metric:
        return catalogue.get(self.metric_id)

    @property
    def vs_last_week(self) -> MetricValue:
        return MetricValue(self.metric, self.value, self.last_week)

    @property
    def vs_average(self) -> MetricValue:
        return MetricValue(self.metric, self.value, self.average)


@dataclass(frozen=True)
class Score:
    offense: tuple[ScoreLine, ...]
    defense: tuple[ScoreLine, ...]
    weekly: pl.DataFrame  # bucket, contacts, happy_rate for up to TREND_WEEKS weeks

    def by_side(self) -> tuple[tuple[Side, tuple[ScoreLine, ...]], ...]:
        """(side, lines) in the order the review shows them: offense, then defense."""
        return (("offense", self.offense), ("defense", self.defense))


@dataclass(frozen=True)
class Target:
    label: str  # "First response within 4 h"
    goal: str  # "p90 ≤ 4.0 h"
    actual: str  # "p90 6.2 h"
    missed: bool | None  # None: nothing to judge this week
    rule: str  # how "missed" is decided, in words


@dataclass(frozen=True)
class Wins:
    eliminated: pl.DataFrame  # cause_id, title, reasons, fixed_on
    holding: pl.DataFrame  # cause_id, title, reasons, avoided, verdict
    avoided_total: float | None  # the contacts_avoided metric for the week
    falling: tuple[Move, ...]


@dataclass(frozen=True)
class Worries:
    rising: tuple[Move, ...]
    targets: tuple[Target, ...]
    came_back: pl.DataFrame  # cause_id, title, reasons, verdict
    new_causes: pl.DataFrame  # cause_id, title, reasons, status, identified_on
    voices: pl.DataFrame  # comment columns (see COMMENT_COLUMNS)


@dataclass(frozen=True)
class Recovery:
    window: Period | None
    previous: Period | None
    cohorts: pl.DataFrame  # analysis.recovery columns + previous_rate
    note: str  # why there is nothing to show, or ""


@dataclass(frozen=True)
class Moments:
    rows: pl.DataFrame  # COMMENT_COLUMNS
    candidates: int  # comments with CSAT 4–5 in the week


@dataclass(frozen=True)
class Plays:
    rows: pl.DataFrame  # analysis.opportunities columns, top PLAYS
    total: int
    days: int


COMMENT_COLUMNS = ("contact_id", "created_at", "channel", "reason", "team", "agent", "csat",
                   "ces", "resolution_hours", "comment")  # fmt: skip


def hours_text(value: float) -> str:
    """'24 h' rather than '24.0 h' for a whole-hour target."""
    return f"{value:g} h" if value >= 1 and float(value).is_integer() else format_hours(value)


def format_line(line: ScoreLine) -> tuple[str, str, str]:
    """(value, change vs last week with its relative size, change vs the average) as text."""
    now = format_value(line.metric, line.value)
    last, avg = line.vs_last_week, line.vs_average
    return (now, format_change(line.metric, last.change, last.relative_change),
            format_change(line.metric, avg.change))  # fmt: skip
