"""A deliberately naive second opinion on every SPEC §3 metric, written from SPEC's text.

The engine compiles one clever SQL statement over precomputed look-ahead columns; this module
restates each definition the slow, obvious way — filter a Polars frame, loop over a customer's
other rows — so the property tests can compare the two on random small stores. It reads the
same row dicts the tests hand to `tests.storebuilder`, never the store or the engine's SQL.

One period, optional filters, and optionally one group (a dimension value, None included),
which is read as "one more filter" that matches nulls too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

HAPPY_TARGET = dt.timedelta(hours=24)  # SPEC §3 happy_rate default target
REPEAT_WINDOW = dt.timedelta(hours=168)  # default repeat window
REPURCHASE_WINDOW = dt.timedelta(days=90)
BASELINE_DAYS = 56  # contacts_avoided looks this many days before the fix

CONTACT_DIMS = ("channel", "reason", "team", "agent", "priority", "product", "region")
ORDER_DIMS = ("product", "region")  # filters on these apply to orders too

CONTACT_SCHEMA: dict[str, Any] = {
    "contact_id": pl.String,
    "created_at": pl.Datetime("us"),
    "customer_id": pl.String,
    "channel": pl.String,
    "reason": pl.String,
    "team": pl.String,
    "agent": pl.String,
    "product": pl.String,
    "region": pl.String,
    "priority": pl.String,
    "first_response_at": pl.Datetime("us"),
    "resolved_at": pl.Datetime("us"),
    "reopens": pl.Int64,
    "transfers": pl.Int64,
    "escalated": pl.Boolean,
    "self_served": pl.Boolean,
    "first_contact_resolved": pl.Boolean,
    "csat": pl.Int64,
    "ces": pl.Int64,
    "status": pl.String,
}
RESOLVED_STATUSES = ("solved", "closed", "resolved")  # SPEC §3 default setting
ORDER_SCHEMA: dict[str, Any] = {
    "order_id": pl.String,
    "customer_id": pl.String,
    "ordered_at": pl.Datetime("us"),
    "product": pl.String,
    "region": pl.String,
}
REASON_SCHEMA: dict[str, Any] = {
    "reason": pl.String,
    "preventable": pl.Boolean,
    "external": pl.Boolean,
}

Row = Mapping[str, Any]
Value = float | int | None
_NO_GROUP = object()


def _frame(rows: Iterable[Row], schema: dict[str, Any]) -> pl.DataFrame:
    data = {col: [row.get(col) for row in rows] for col in schema}
    return pl.DataFrame(data, schema=schema)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _mean(frame: pl.DataFrame, expr: pl.Expr) -> float | None:
    """Share/mean of `expr` over the frame's rows; None when there are no rows (no base)."""
    if frame.height == 0:
        return None
    return float(frame.select(expr.cast(pl.Float64).mean()).item())


def _quantile(values: pl.Series, q: float) -> float | None:
    values = values.drop_nulls()
    if values.len() == 0:
        return None
    return float(values.quantile(q, interpolation="linear"))


def _dimension_matches(
    frame: pl.DataFrame,
    filters: Mapping[str, Iterable[str]],
    group: tuple[str, object],
    dims: Sequence[str],
) -> pl.DataFrame:
    for dim, values in filters.items():
        if dim in dims:
            frame = frame.filter(pl.col(dim).is_in(list(values)))
    dim, value = group
    if value is not _NO_GROUP and dim in dims:
        frame = frame.filter(
            pl.col(dim).is_null() if value is None else pl.col(dim) == pl.lit(value)
        )
    return frame


def compute_reference(
    contacts: Sequence[Row],
    orders: Sequence[Row] = (),
    reasons: Sequence[Row] = (),
    root_causes: Sequence[Row] = (),
    *,
    start: dt.date,
    end: dt.date,
    filters: Mapping[str, Iterable[str]] | None = None,
    group: tuple[str, str | None] | None = None,
    store_contacts: Sequence[Row] | None = None,
    store_has_orders: bool | None = None,
) -> dict[str, Value]:
    """Every SPEC §3 metric for [start, end] under `filters` (and within one `group`).
    `store_contacts`: what the store holds, when `contacts` is only part of it (the data as
    it stood on an earlier day): "not in your data" is about the store, not that part; so is
    `store_has_orders` (whether a metric on orders has a base at all)."""
    filters = dict(filters or {})
    group_key: tuple[str, object] = group if group is not None else ("", _NO_GROUP)
    start_ts, end_ts = _day_start(start), _day_start(end + dt.timedelta(days=1))

    # All contacts, defaults applied: missing reason → Unknown, counts → 0, flags → false.
    as_given = _frame(contacts, CONTACT_SCHEMA)
    every_contact = as_given.with_columns(
        pl.col("reason").fill_null("Unknown"),
        pl.col("reopens").fill_null(0),
        pl.col("transfers").fill_null(0),
        pl.col("escalated").fill_null(False),
        pl.col("self_served").fill_null(False),
    )
    every_order = _frame(orders, ORDER_SCHEMA)
    has_orders = every_order.height > 0 if store_has_orders is None else store_has_orders
    catalog = _frame(reasons, REASON_SCHEMA)

    # Look-ahead facts are about the customer's other contacts/orders, whatever the filters.
    contact_times: dict[str, list[dt.datetime]] = {}
    for customer, created in every_contact.select("customer_id", "created_at").iter_rows():
        if customer is not None:
            contact_times.setdefault(customer, []).append(created)
    order_times: dict[str, list[dt.datetime]] = {}
    for customer, ordered in every_order.select("customer_id", "ordered_at").iter_rows():
        if customer is not None:
            order_times.setdefault(customer, []).append(ordered)

    def has_repeat(customer: str | None, created: dt.datetime) -> bool:
        if customer is None:
            return False
        later = contact_times[customer]
        return any(created < t <= created + REPEAT_WINDOW for t in later)

    def orders_again(customer: str, after: dt.datetime) -> bool:
        return any(after < t <= after + REPURCHASE_WINDOW for t in order_times.get(customer, []))

    filtered = _dimension_matches(every_contact, filters, group_key, CONTACT_DIMS)
    period = filtered.filter((pl.col("created_at") >= start_ts) & (pl.col("created_at") < end_ts))
    period = period.with_columns(
        pl.Series(
            "is_repeat",
            [has_repeat(k, t) for k, t in period.select("customer_id", "created_at").iter_rows()],
            dtype=pl.Boolean,
        ),
        (
            (pl.col("first_response_at") - pl.col("created_at")).dt.total_microseconds() / 3.6e9
        ).alias("first_response_hours"),
        ((pl.col("resolved_at") - pl.col("created_at")).dt.total_microseconds() / 3.6e9).alias(
            "resolution_hours"
        ),
        _resolved().alias("is_resolved"),
    )
    resolved = period.filter(pl.col("is_resolved"))
    filtered_orders = _dimension_matches(every_order, filters, group_key, ORDER_DIMS)
    orders_in_period = filtered_orders.filter(
        (pl.col("ordered_at") >= start_ts) & (pl.col("ordered_at") < end_ts)
    )

    out: dict[str, Value] = {}
    out["contacts"] = period.height

    # contact_rate: null without any orders or without orders in the period.
    if not has_orders or orders_in_period.height == 0:
        out["contact_rate"] = None
    else:
        out["contact_rate"] = 1000.0 * period.height / orders_in_period.height

    out["repeat_contact_rate"] = _mean(
        period.filter(pl.col("customer_id").is_not_null()), pl.col("is_repeat")
    )
    out["self_service_rate"] = _mean(period, pl.col("self_served"))

    if catalog.height == 0:
        out["preventable_share"] = None
        out["external_share"] = None
    else:
        preventable = {
            r for r, p in catalog.select("reason", "preventable").iter_rows() if p is True
        }
        external = {r for r, e in catalog.select("reason", "external").iter_rows() if e is True}
        out["preventable_share"] = _mean(period, pl.col("reason").is_in(list(preventable)))
        out["external_share"] = _mean(period, pl.col("reason").is_in(list(external)))

    eliminated = [rc for rc in root_causes if rc.get("status") == "eliminated"]
    out["causes_eliminated"] = sum(
        1 for rc in eliminated if rc.get("fixed_on") is not None and start <= rc["fixed_on"] <= end
    )
    out["contacts_avoided"] = _contacts_avoided(
        eliminated, filtered, filtered_orders, has_orders, start, end
    )

    out["resolution_rate"] = _mean(period, pl.col("is_resolved"))
    out["fcr_rate"] = _mean(
        resolved,
        pl.when(pl.col("first_contact_resolved").is_not_null())
        .then(pl.col("first_contact_resolved"))
        .otherwise((pl.col("reopens") == 0) & (pl.col("transfers") == 0) & ~pl.col("is_repeat")),
    )
    out["reopen_rate"] = _mean(resolved, pl.col("reopens") > 0)
    answers = period.filter(pl.col("csat").is_not_null())
    out["csat"] = _mean(answers, pl.col("csat") >= 4)
    # answers on resolved contacts: a survey on a contact the data cannot call resolved would
    # make the rate exceed 1
    out["csat_response_rate"] = (
        resolved.filter(pl.col("csat").is_not_null()).height / resolved.height
        if resolved.height else None
    )  # fmt: skip
    out["ces_avg"] = _mean(period.filter(pl.col("ces").is_not_null()), pl.col("ces"))
    out["first_response_hours_median"] = _quantile(period["first_response_hours"], 0.5)
    out["first_response_hours_p90"] = _quantile(period["first_response_hours"], 0.9)
    out["resolution_hours_median"] = _quantile(period["resolution_hours"], 0.5)
    out["resolution_hours_p90"] = _quantile(period["resolution_hours"], 0.9)
    out["transfer_rate"] = _mean(period, pl.col("transfers") >= 1)
    out["escalation_rate"] = _mean(period, pl.col("escalated"))

    # backlog: created on or before end, not resolved by the end of that day (start ignored);
    # resolved by status alone is resolved at any time.
    out["backlog"] = filtered.filter(
        (pl.col("created_at") < end_ts)
        & (pl.col("resolved_at") >= end_ts)
        | (pl.col("created_at") < end_ts) & pl.col("resolved_at").is_null() & ~_resolved()
    ).height

    if not has_orders:
        out["repurchase_after_contact_90d"] = None
        out["repurchase_baseline_90d"] = None
    else:
        first_resolution: dict[str, dt.datetime] = {}
        for customer, r in resolved.select("customer_id", "resolved_at").iter_rows():
            if customer is not None and r is not None:  # a resolution time is needed
                first_resolution[customer] = min(r, first_resolution.get(customer, r))
        out["repurchase_after_contact_90d"] = (
            sum(orders_again(k, r) for k, r in first_resolution.items()) / len(first_resolution)
            if first_resolution
            else None
        )
        contacted = {
            k
            for k, t in every_contact.select("customer_id", "created_at").iter_rows()
            if k is not None and start_ts <= t < end_ts
        }
        first_order: dict[str, dt.datetime] = {}
        for customer, o in orders_in_period.select("customer_id", "ordered_at").iter_rows():
            if customer is not None and customer not in contacted:
                first_order[customer] = min(o, first_order.get(customer, o))
        out["repurchase_baseline_90d"] = (
            sum(orders_again(k, o) for k, o in first_order.items()) / len(first_order)
            if first_order
            else None
        )

    out["happy_rate"] = _mean(
        period,
        pl.col("is_resolved")
        # resolved by status alone has no resolution time: not within target
        & ((pl.col("resolved_at") - pl.col("created_at")) <= HAPPY_TARGET).fill_null(False)
        & (pl.col("transfers") <= 1)
        & (pl.col("reopens") == 0)
        & (pl.col("csat").is_null() | (pl.col("csat") >= 4)),
    )
    # SPEC §3 "Not in your data": none of the fields a metric needs, on any contact of the
    # store, makes it null.
    holds = as_given if store_contacts is None else _frame(store_contacts, CONTACT_SCHEMA)
    given = {c for c in holds.columns if holds[c].is_not_null().any()}
    for metric, fields in NEEDS_ANY.items():
        if not given & set(fields):
            out[metric] = None
    # The scenarios hold no schedules or SLA policies: the business-hours and SLA metrics are
    # not in the data (worked by hand with schedules in tests/sla/test_import_cli.py).
    out.update(dict.fromkeys(SLA_METRICS))
    return out


SLA_METRICS = (
    "first_response_business_hours_median", "first_response_business_hours_p90",
    "resolution_business_hours_median", "resolution_business_hours_p90",
    "sla_first_response_rate", "sla_resolution_rate", "sla_breaches", "sla_running",
    "sla_at_risk",
)  # fmt: skip


NEEDS_ANY: dict[str, tuple[str, ...]] = {
    "self_service_rate": ("self_served",),
    "transfer_rate": ("transfers",),
    "escalation_rate": ("escalated",),
    "reopen_rate": ("reopens",),
    "fcr_rate": ("first_contact_resolved", "reopens", "transfers", "customer_id"),
    "resolution_rate": ("resolved_at", "status"),
    "backlog": ("resolved_at", "status"),
    "happy_rate": ("resolved_at",),
    "csat_response_rate": ("csat",),
}


def _resolved() -> pl.Expr:
    """SPEC §3 "Resolved": resolved_at set, or a resolved status (trimmed, any case)."""
    status = pl.col("status").str.strip_chars().str.to_lowercase()
    return pl.col("resolved_at").is_not_null() | status.is_in(RESOLVED_STATUSES).fill_null(False)


def _contacts_avoided(
    eliminated: Sequence[Row],
    filtered_contacts: pl.DataFrame,
    filtered_orders: pl.DataFrame,
    orders_table_has_rows: bool,
    start: dt.date,
    end: dt.date,
) -> float | None:
    """SPEC: Σ over eliminated causes fixed by `end` of expected − actual in W."""
    qualifying = [
        rc for rc in eliminated if rc.get("fixed_on") is not None and rc["fixed_on"] <= end
    ]
    if not qualifying:
        return None
    order_days = filtered_orders.select(pl.col("ordered_at").dt.date().alias("day"))

    def orders_between(first: dt.date, last: dt.date) -> int:
        return order_days.filter(pl.col("day").is_between(first, last)).height

    def contacts_between(reasons: list[str], first: dt.date, last: dt.date) -> int:
        return filtered_contacts.filter(
            pl.col("reason").is_in(reasons)
            & (pl.col("created_at") >= _day_start(first))
            & (pl.col("created_at") < _day_start(last + dt.timedelta(days=1)))
        ).height

    total = 0.0
    for rc in qualifying:
        fixed: dt.date = rc["fixed_on"]
        cause_reasons = sorted(set(rc.get("reasons") or []))
        w_start = max(fixed, start)
        base_first = fixed - dt.timedelta(days=BASELINE_DAYS)
        base_last = fixed - dt.timedelta(days=1)
        actual = contacts_between(cause_reasons, w_start, end)
        base = contacts_between(cause_reasons, base_first, base_last)
        base_orders = orders_between(base_first, base_last) if orders_table_has_rows else 0
        if orders_table_has_rows and base_orders > 0:
            expected = base * orders_between(w_start, end) / base_orders
        else:
            expected = base * ((end - w_start).days + 1) / BASELINE_DAYS
        total += expected - actual
    return total
