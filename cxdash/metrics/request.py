"""What a page, the CLI or a test asks of the metric engine, validated before any SQL exists.

Everything here is plain data with a stable, hashable form, so the UI can use a request as a
cache key and the CLI can echo it back in its JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from cxdash.metrics.catalogue import BUILTIN, METRIC_IDS, Catalogue
from cxdash.metrics.dimensions import DIMENSION_IDS, DIMENSIONS_BY_ID, GRAINS


class RequestError(ValueError):
    """Bad input from a person: the message says what was wrong and what to do instead."""


@dataclass(frozen=True, order=True)
class Period:
    """Whole days, end inclusive, in the reporting time zone."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise RequestError(
                f"the period ends ({self.end}) before it starts ({self.start}); "
                "give --start on or before --end"
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def previous_as_of(self, newest: dt.date | None) -> dt.date:
        """The day at whose end the previous period is measured, like for like (SPEC §3):
        previous().end + L with L = newest − end in days (0 when end is later). A contact of
        the previous period then had exactly as long to be answered, resolved, come back or
        buy again as one of this period has had by `newest`."""
        lag = max(0, (newest - self.end).days) if newest is not None else 0
        return self.previous().end + dt.timedelta(days=lag)

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        return cls(parse_date(start, "--start"), parse_date(end, "--end"))

    def caption(self) -> str:
        if self.start.year == self.end.year:
            return f"{self.start:%-d %b} – {self.end:%-d %b %Y}"
        return f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"


def parse_date(text: str, what: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise RequestError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD") from None


@dataclass(frozen=True)
class Filters:
    """Dimension → allowed values; several values of one dimension mean any of them."""

    values: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, Iterable[str]] | None = None) -> Filters:
        items = []
        for dim, vals in (mapping or {}).items():
            if dim not in DIMENSION_IDS:
                raise RequestError(
                    f"unknown dimension {dim!r}; use one of: {', '.join(DIMENSION_IDS)}"
                )
            chosen = tuple(sorted({str(v) for v in vals}))
            if chosen:
                items.append((dim, chosen))
        return cls(tuple(sorted(items)))

    @classmethod
    def parse(cls, pairs: Iterable[str]) -> Filters:
        """Parse repeated `DIM=VALUE` options (the CLI's --filter)."""
        mapping: dict[str, list[str]] = {}
        for pair in pairs:
            dim, sep, value = pair.partition("=")
            if not sep or not dim.strip() or not value.strip():
                raise RequestError(
                    f"--filter {pair!r} is not DIM=VALUE; for example --filter channel=chat"
                )
            mapping.setdefault(dim.strip(), []).append(value.strip())
        return cls.of(mapping)

    def as_dict(self) -> dict[str, list[str]]:
        return {dim: list(vals) for dim, vals in self.values}

    def get(self, dim: str) -> tuple[str, ...]:
        return dict(self.values).get(dim, ())

    def with_value(self, dim: str, values: Iterable[str]) -> Filters:
        mapping = {d: list(v) for d, v in self.values}
        mapping[dim] = list(values)
        return Filters.of(mapping)

    def on_orders(self) -> Filters:
        """Only the filters on dimensions orders have too (product, region)."""
        return Filters(tuple((d, v) for d, v in self.values if DIMENSIONS_BY_ID[d].order_sql))

    def caption(self) -> str:
        """Plain English for chart captions, e.g. 'channel: chat or email'."""
        return "; ".join(f"{dim}: {' or '.join(vals)}" for dim, vals in self.values)

    def __bool__(self) -> bool:
        return bool(self.values)


@dataclass(frozen=True)
class MetricRequest:
    period: Period
    filters: Filters = field(default_factory=Filters)
    by: tuple[str, ...] = ()  # up to two dimensions
    grain: str | None = None  # day | week | month
    metrics: tuple[str, ...] = METRIC_IDS
    # Also compute the previous period of the same length, in the same statement (two buckets),
    # measured like for like: as the data stood at `Period.previous_as_of` (SPEC §3).
    with_previous: bool = False
    # The data as it stood at the end of this day (None: as it stands): a later resolved_at,
    # first_response_at, repeat contact or order is not there yet. The weekly review measures
    # the weeks before the one it shows at that week's age this way.
    as_of: dt.date | None = None
    # The metrics it may name and their definitions (built-in ones, then the team's custom
    # ones); compared through `definitions` below, not as a whole.
    catalogue: Catalogue = field(default=BUILTIN, repr=False, compare=False)
    # Set here, not by callers: a digest of the custom metrics' definitions among `metrics`
    # ("" for built-in ones), so caches keyed on the request miss when a metrics file changed.
    definitions: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        for dim in self.by:
            if dim not in DIMENSION_IDS:
                raise RequestError(
                    f"unknown dimension {dim!r}; use one of: {', '.join(DIMENSION_IDS)}"
                )
        if len(set(self.by)) != len(self.by) or len(self.by) > 2:
            raise RequestError("group by at most two different dimensions")
        if self.grain is not None and self.grain not in GRAINS:
            raise RequestError(
                f"unknown time grain {self.grain!r}; use one of: {', '.join(GRAINS)}"
            )
        for metric_id in self.metrics:
            if metric_id not in self.catalogue:
                raise RequestError(
                    f"unknown metric {metric_id!r}; use one of: {', '.join(self.catalogue)}"
                )
        if not self.metrics:
            raise RequestError("ask for at least one metric")
        if self.with_previous and self.grain is not None:
            raise RequestError("a time grain and the previous period cannot be combined")
        object.__setattr__(self, "definitions", self.catalogue.definitions_key(self.metrics))

    def for_period(self, period: Period) -> MetricRequest:
        return replace(self, period=period)

    def previous_as_of(self, newest: dt.date | None) -> dt.date:
        """The day the previous period is measured at (SPEC §3 like for like), for data whose
        newest contact is on `newest` — or on `as_of`, when the request looks at an earlier
        state of the data."""
        if self.as_of is not None:
            newest = self.as_of if newest is None else min(newest, self.as_of)
        return self.period.previous_as_of(newest)

    def cache_parts(self) -> tuple[MetricRequest, ...]:
        """The request as the app caches it: metrics that only order filters can change (the
        repurchase baseline, most of the Scoreboard's time at 10M contacts) apart, under the
        order filters only, so a channel, team, reason, priority or agent filter finds them
        cached. Same compiler, same numbers (tests/ui/test_threads.py checks against one query)."""
        orders_only = tuple(m for m in self.metrics if self.catalogue[m].orders_only)
        rest = tuple(m for m in self.metrics if m not in orders_only)
        if not orders_only or not rest:
            return (self,)
        return (
            replace(self, metrics=rest),
            replace(self, metrics=orders_only, filters=self.filters.on_orders()),
        )


PRESET_PERIODS = ("7d", "28d", "90d", "qtd", "all")  # the sidebar's, besides a custom range


def preset_period(preset: str, first: dt.date, last: dt.date) -> Period:
    """Presets count back from the newest contact, so a stale export still shows data."""
    if preset == "all":
        return Period(first, last)
    if preset == "qtd":
        quarter_start = dt.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
        return Period(max(first, quarter_start), last)
    days = {"7d": 7, "28d": 28, "90d": 90}.get(preset, 28)
    return Period(last - dt.timedelta(days=days - 1), last)
