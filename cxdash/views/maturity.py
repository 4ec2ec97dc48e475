"""Whether a period's value is still maturing, in words for its tile (SPEC §3 like for like).

Like for like makes the *comparison* fair; it does not make a recent value final. A repeat
contact can still come within 7 days after the period, a repurchase within 90, and a contact
still open can yet be resolved, reopened or scored. The tile says so, and by when it is
complete where that is known, instead of letting a leader read an unfinished number as final.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from cxdash.metrics.catalogue import Metric
from cxdash.metrics.request import Period
from cxdash.settings import Settings

# Open contacts below this share of the period barely move its rates: no note for them.
OPEN_SHARE = 0.02


def horizon_days(metric: Metric, settings: Settings) -> int:
    """How many days past the period the metric looks (the repeat window is a setting)."""
    if metric.id == "repeat_contact_rate":
        return math.ceil(settings.repeat_window_hours / 24)
    return metric.horizon_days


def note(
    metric: Metric,
    period: Period,
    newest: dt.date | None,
    settings: Settings,
    open_contacts: int | None = None,
    contacts: int | None = None,
) -> str | None:
    """'Maturing …' for `metric` over `period` on data whose newest contact is on
    `newest`; None when the value is as complete as it will get."""
    if newest is None:
        return None
    days = horizon_days(metric, settings)
    if days:
        complete = period.end + dt.timedelta(days=days)
        if complete > newest:
            return f"Maturing until {complete:%-d %b %Y}"
    if metric.until_resolved and open_contacts and contacts \
            and open_contacts / contacts >= OPEN_SHARE:  # fmt: skip
        return f"Maturing: {open_contacts:,} still open"
    return None


def open_contacts(values: Mapping[str, float | int | None]) -> int | None:
    """The period's contacts not resolved yet, from its contacts and resolution rate."""
    contacts, rate = values.get("contacts"), values.get("resolution_rate")
    if contacts is None or rate is None:
        return None
    return round(float(contacts) * (1 - float(rate)))


def notes(
    metrics: Mapping[str, Metric],
    values: Mapping[str, float | int | None],
    period: Period,
    newest: dt.date | None,
    settings: Settings,
) -> dict[str, str]:
    """The note of every metric in `metrics` that is still maturing, by id."""
    still_open = open_contacts(values)
    contacts = values.get("contacts")
    out = {}
    for metric_id, metric in metrics.items():
        if values.get(metric_id) is None:
            continue
        text = note(metric, period, newest, settings, still_open,
                    int(contacts) if contacts is not None else None)  # fmt: skip
        if text:
            out[metric_id] = text
    return out
