"""How numbers read to a person: one place, so a tile, a table and the CLI agree.

Rates are fractions in data and percentages on screen (one decimal); durations are hours in
data and "42 min", "3.4 h" or "2.1 d" on screen; a metric without a base is "—", never 0.
Custom metrics may also be in minutes (shown like hours) or a plain number.
"""

from __future__ import annotations

from cxdash.metrics.catalogue import Metric

MISSING = "—"


def format_hours(hours: float) -> str:
    if 0 < hours < 1 / 60:
        return "< 1 min"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def format_number(value: float) -> str:
    """About three significant figures for small values, whole numbers from 1,000 up."""
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_value(metric: Metric, value: float | int | None) -> str:
    if value is None or value != value:  # None or NaN
        return MISSING
    if metric.unit == "rate":
        return f"{value * 100:.1f}%"
    if metric.unit == "hours":
        return format_hours(float(value))
    if metric.unit == "minutes":
        return format_hours(float(value) / 60)
    if metric.unit == "number":
        return format_number(float(value))
    if metric.unit == "per_1000":
        return f"{value:,.1f}"
    if metric.unit == "score":
        return f"{value:.2f}"
    return f"{round(value):,}"  # counts; contacts avoided is an expectation, shown whole


def format_change(metric: Metric, change: float | None, relative: float | None = None) -> str:
    """Signed change against the previous period: points for rates, units otherwise.

    The sign is ASCII: st.metric reads a leading "-" to point the arrow down.
    """
    if change is None:
        return MISSING
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    size = abs(change)
    if metric.unit == "rate":
        return f"{sign}{size * 100:.1f} pt"
    if metric.unit == "hours":
        return f"{sign}{format_hours(size)}"
    if metric.unit == "minutes":
        return f"{sign}{format_hours(size / 60)}"
    if metric.unit == "score":
        return f"{sign}{size:.2f}"
    if metric.unit == "number":
        text = f"{sign}{format_number(size)}"
    else:
        text = f"{sign}{size:,.0f}" if metric.unit == "count" else f"{sign}{size:,.1f}"
    if relative is not None and metric.unit in ("count", "per_1000", "number"):
        text += f" ({sign}{abs(relative) * 100:.1f}%)"
    return text
