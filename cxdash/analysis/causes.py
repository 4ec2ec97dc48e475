"""What each root-cause fix did: contacts avoided to date with an uncertainty band, a verdict
(holding, came back, back near its pre-fix level, too early), and the weekly before/after series.

The figures come from the same compiled terms as the `contacts_avoided` metric
(`compiler.contacts_avoided_by_cause`), so a cause's row here and the tile always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import duckdb
import polars as pl

from cxdash.analysis.stats import poisson_interval
from cxdash.metrics.compiler import contacts_avoided_by_cause
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.settings import Settings
from cxdash.store import StoreInfo

BASELINE_DAYS = 56  # SPEC §3: the baseline is the 56 days before fixed_on
RECENT_DAYS = 28  # "has it come back?" looks at the last four weeks
BEFORE_WEEKS = 12  # the before/after chart starts this many weeks before the fix

# verdict → (short label for tables, what a leader reads, how loud)
VERDICTS: dict[str, tuple[str, str, str]] = {
    "holding": ("Holding", "Holding: fewer contacts than before the fix", "success"),
    "came_back": ("Came back", "Came back: more contacts than expected without the fix",
                  "error"),
    "near_baseline": ("Near pre-fix level",
                      "Back near its pre-fix level over the last 4 weeks", "warning"),
    "too_early": ("Too early", "Too early to tell: fixed less than 4 weeks before the data "
                  "ends", "info"),
    "after_data": ("Fix after data", "Fix date is after the last day of data", "info"),
    "no_baseline": ("No baseline", "No contacts of its reasons in the 56 days before the fix",
                    "info"),
}  # fmt: skip

EFFECT_SCHEMA = {
    "cause_id": pl.String, "baseline": pl.Int64, "expected": pl.Float64, "actual": pl.Int64,
    "avoided": pl.Float64, "avoided_low": pl.Float64, "avoided_high": pl.Float64,
    "recent_expected": pl.Float64, "recent_low": pl.Float64, "recent_actual": pl.Int64,
    "orders_base": pl.Int64, "verdict": pl.String,
}  # fmt: skip


@dataclass(frozen=True)
class Terms:
    """One cause's terms of the SPEC formula over a window W."""

    baseline: int  # B: contacts of its reasons in the 56 days before the fix
    actual: int  # contacts of its reasons in W
    scale: float  # orders in W / orders in the baseline, or days(W) / 56
    orders_base: int = 0  # orders in the baseline window (0 without orders)

    @property
    def expected(self) -> float:
        return self.baseline * self.scale

    @property
    def band(self) -> tuple[float, float]:
        """95 % band on `expected`, from the Poisson interval of the baseline count."""
        low, high = poisson_interval(self.baseline)
        return low * self.scale, high * self.scale


def _terms(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    filters: Filters,
    info: StoreInfo,
    settings: Settings,
) -> dict[str, Terms]:
    sql, params = contacts_avoided_by_cause(
        MetricRequest(period, filters, metrics=("contacts_avoided",)), info, settings
    )
    with con.cursor() as cur:
        rows = cur.execute(sql, params).fetchall()
    # cause_id, w_start, w_end, base_n, actual_n, orders_w, orders_base, scale, …
    return {r[0]: Terms(int(r[3]), int(r[4]), float(r[7]), int(r[6])) for r in rows}


def effects(
    con: duckdb.DuckDBPyConnection,
    causes: pl.DataFrame,
    filters: Filters,
    last_day: dt.date,
    info: StoreInfo,
    settings: Settings,
) -> pl.DataFrame:
    """Per eliminated cause: contacts avoided from its fix to `last_day` (the data's last
    day) with a 95 % band, the last 4 weeks against their expectation, and a verdict key of
    VERDICTS. Causes that are not eliminated get no row.
    """
    fixed = causes.filter((pl.col("status") == "eliminated") & pl.col("fixed_on").is_not_null())
    if fixed.is_empty():
        return pl.DataFrame(schema=EFFECT_SCHEMA)
    first_fix = min(cast(dt.date, fixed["fixed_on"].min()), last_day)  # not empty: a date
    to_date = _terms(con, Period(first_fix, last_day), filters, info, settings)
    recent_start = last_day - dt.timedelta(days=RECENT_DAYS - 1)
    recent = _terms(con, Period(recent_start, last_day), filters, info, settings)
    rows = []
    for cause_id, fixed_on in fixed.select("cause_id", "fixed_on").iter_rows():
        if fixed_on > last_day:
            rows.append({"cause_id": cause_id, "verdict": "after_data"})
            continue
        t = to_date.get(cause_id, Terms(0, 0, 0.0))
        r = recent.get(cause_id, Terms(0, 0, 0.0))
        low, high = t.band
        avoided = t.expected - t.actual
        recent_low = r.band[0]
        if t.baseline == 0 and t.actual == 0:
            verdict = "no_baseline"
        elif avoided < 0:
            verdict = "came_back"
        elif fixed_on > recent_start:
            verdict = "too_early"
        elif r.baseline > 0 and r.actual >= recent_low:
            verdict = "near_baseline"
        else:
            verdict = "holding"
        rows.append({
            "cause_id": cause_id, "baseline": t.baseline, "expected": t.expected,
            "actual": t.actual, "avoided": avoided, "avoided_low": low - t.actual,
            "avoided_high": high - t.actual, "recent_expected": r.expected,
            "recent_low": recent_low, "recent_actual": r.actual, "orders_base": t.orders_base,
            "verdict": verdict,
        })  # fmt: skip
    return pl.DataFrame(rows, schema=EFFECT_SCHEMA)


def cause_filters(filters: Filters, reasons: tuple[str, ...] | list[str]) -> Filters | None:
    """The view's filters narrowed to the cause's reasons; None when the view's own reason
    filter leaves none of them."""
    chosen = set(reasons)
    if filters.get("reason"):
        chosen &= set(filters.get("reason"))
    return filters.with_value("reason", sorted(chosen)) if chosen else None


def weekly_window(fixed_on: dt.date | None, identified_on: dt.date | None,
                  last_day: dt.date, first_day: dt.date) -> Period:  # fmt: skip
    """Weeks to chart: from 12 weeks before the fix (or before it was identified, or the last
    half year) to the data's end, starting on a Monday and not before the data's first whole
    week (a clipped first week would look like a dip)."""
    anchor = fixed_on or identified_on or last_day - dt.timedelta(weeks=BEFORE_WEEKS * 2)
    start = min(anchor, last_day) - dt.timedelta(weeks=BEFORE_WEEKS)
    first_full_week = first_day + dt.timedelta(days=(7 - first_day.weekday()) % 7)
    start = max(start, min(first_full_week, last_day))
    start -= dt.timedelta(days=start.weekday())
    return Period(start, last_day)


def baseline_level(baseline: int, orders_base: int, *, per_orders: bool) -> tuple[float, ...]:
    """The pre-fix level in the chart's unit — per 1,000 orders, or contacts per week — with
    its 95 % band: (level, low, high)."""
    low, high = poisson_interval(baseline)
    factor = 1000.0 / orders_base if per_orders and orders_base else 7.0 / BASELINE_DAYS
    return baseline * factor, low * factor, high * factor
