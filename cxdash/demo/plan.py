"""Sizes and moments of one demo data set, worked out in Python before any SQL runs.

Everything the SQL needs as a constant (orders per week, the contact chances, where the
effects sit in microseconds) is decided here once, so the statements carry no logic that
would otherwise be repeated in several of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cxdash.demo import catalog
from cxdash.demo.clock import DAY_US, OrderClock, to_us

MIN_CONTACTS = 1_000
MAX_CONTACTS = 10_000_000
LEAD_WEEKS = 4  # orders before the first day, so early contacts have orders to be about
# Contacts with a customer per order, all streams together, after churn: measured on
# generated data so that `contacts` lands close to what was asked for.
CONTACTS_PER_ORDER = 0.1168
FIRST_CONTACTS_PER_ORDER = 0.1186  # before thinning by time of week; sets the base chance
MAX_BOOST = max(b for _, _, b in catalog.BUYER_CLASSES)


@dataclass(frozen=True)
class Plan:
    contacts: int
    seed: int
    dates: catalog.EffectDates
    clock: OrderClock
    p0: float  # chance an order leads to a contact, before boost and thinning
    anon_candidates: int  # draws for contacts without a customer (before thinning)

    @property
    def n(self) -> int:
        return self.clock.n

    @property
    def q(self) -> int:
        return self.clock.q

    @property
    def first_written(self) -> int:
        """Index of the first order inside the data window (earlier ones only feed contacts)."""
        return LEAD_WEEKS * self.clock.q

    @property
    def start_us(self) -> int:
        return to_us(self.dates.start)

    @property
    def end_us(self) -> int:
        """First microsecond after the data window."""
        return to_us(self.dates.end) + DAY_US


def mean_thinning() -> float:
    """Average share of contacts kept by the time-of-week and trend thinning."""
    weekday = sum(catalog.WEEKDAY_CONTACTS) / 7
    hour = sum(catalog.HOUR_CONTACTS) / 24
    trend = 1 - catalog.CONTACT_TREND / 2
    return weekday * hour * trend


def make_plan(contacts: int, seed: int, end: dt.date) -> Plan:
    if isinstance(contacts, bool) or not isinstance(contacts, int):
        raise TypeError("contacts must be an int")
    if not MIN_CONTACTS <= contacts <= MAX_CONTACTS:
        raise ValueError(
            f"contacts must be between {MIN_CONTACTS:,} and {MAX_CONTACTS:,}, got {contacts:,}"
        )
    dates = catalog.effect_dates(end)
    with_customer = contacts * (1 - catalog.NO_CUSTOMER_SHARE)
    per_week = max(7, round(with_customer / (catalog.DAYS / 7) / CONTACTS_PER_ORDER))
    first_day = dates.start - dt.timedelta(weeks=LEAD_WEEKS)
    clock = OrderClock.plan(first_day, catalog.DAYS // 7 + LEAD_WEEKS, per_week)
    boost = sum(share * b for _, share, b in catalog.BUYER_CLASSES)
    return Plan(
        contacts=contacts,
        seed=seed,
        dates=dates,
        clock=clock,
        p0=FIRST_CONTACTS_PER_ORDER / (boost * mean_thinning()),
        anon_candidates=round(contacts * catalog.NO_CUSTOMER_SHARE / mean_thinning()),
    )
