"""Compile a MetricRequest into one parameterised DuckDB statement.

Shape of the statement: a `buckets` relation (one row for the period, or one per day/week/month
clipped to it), the period's contacts (`period_contacts`), then one block per metric family —
`FAMILIES`, a table: what builds it, which dimensions key it, each metric's final expression,
whether it needs orders and whether its rows are key rows — each keyed by (bucket,
dimensions…), joined onto the set of keys. Every user value — dates, filter values, settings —
travels as a `$name` parameter; the only identifiers in the SQL text come from the catalogue,
the dimension allow-list and the grain allow-list. The same text runs on every store;
`cxdash.metrics.sources` adapts what it reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Literal, get_args

from cxdash.metrics.catalogue import METRICS_BY_ID, Family, Metric, not_in_data
from cxdash.metrics.dimensions import DIMENSIONS_BY_ID
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.sources import Sources, build_sources
from cxdash.schema import CONTACTS
from cxdash.settings import Settings
from cxdash.sla.outcomes import outcome_sql
from cxdash.store import StoreInfo

BUCKET = "bucket"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_QUANTILE = re.compile(r"quantile_cont\((?P<col>[a-z_]+), (?P<q>0\.[0-9]+)\)")
_HOURS = "/ 3600000000.0"  # microseconds → hours
_FAR_FUTURE = "TIMESTAMP '9999-12-31 00:00:00'"
# Hours from a contact's creation to its resolution, over a contacts row `c` (NULL while it is
# unresolved): the one definition, used by the metrics and by whatever else shows the hours.
RESOLUTION_HOURS_SQL = f"date_diff('microsecond', c.created_at, c.resolved_at) {_HOURS}"

# The relations other modules may read from a Fragment (see there); the compiler's other CTEs
# are its own and may change shape or name at any time.
BUCKETS = "buckets"
PERIOD_CONTACTS = "period_contacts"
REPURCHASE_BASELINE = "repurchase_baseline"


def _with(
    ctes: Iterable[str], body: str, params: Mapping[str, object]
) -> tuple[str, dict[str, object]]:
    """The statement `WITH <ctes> <body>` and, of `params`, only those its text uses (DuckDB
    refuses a parameter the statement does not name)."""
    sql = "WITH " + ",\n".join(ctes) + "\n" + body
    used = set(_PARAM.findall(sql))
    return sql, {k: v for k, v in params.items() if k in used}


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: dict[str, object]
    keys: tuple[str, ...]  # bucket + dimension columns, in output order
    metrics: tuple[str, ...]


def compile_request(
    request: MetricRequest, info: StoreInfo, settings: Settings | None = None
) -> CompiledQuery:
    return _Compiler(request, info, settings or Settings()).compile()


@dataclass(frozen=True)
class Fragment:
    """The shared start of a query for analyses beyond the metric catalogue (distributions,
    cohorts, drill-down) to build on, so they filter exactly as the metrics do. Its relations,
    by the names below (the only compiler CTEs another module may read):

    - `buckets`: bucket, bucket_end, bucket_end_ts — one row per bucket of the request;
    - `period_contacts`: bucket, the request's dimensions and the columns asked of
      `period_fragment`, one row per contact of the period under the filters;
    - `repurchase_baseline` (with `baseline=True` on a store with orders): bucket, the order
      dimensions, repurchase_baseline_90d and customers — the no-contact repurchase cohort.
    """

    buckets: ClassVar[str] = BUCKETS
    period_contacts: ClassVar[str] = PERIOD_CONTACTS
    repurchase_baseline: ClassVar[str] = REPURCHASE_BASELINE

    ctes: tuple[str, ...]
    params: dict[str, object]
    sources: Sources
    contact_filters: str
    order_filters: str

    def with_params(self, **extra: object) -> Fragment:
        """The same fragment with more `$params` for the analysis built on it."""
        return dataclasses.replace(self, params={**self.params, **extra})

    def query(self, body: str, *more_ctes: str) -> tuple[str, dict[str, object]]:
        """The statement `body` over this fragment's relations and `more_ctes`, with the
        parameters it uses."""
        return _with((*self.ctes, *more_ctes), body, self.params)


def period_fragment(
    request: MetricRequest,
    info: StoreInfo,
    settings: Settings | None = None,
    columns: tuple[str, ...] = (),
    *,
    baseline: bool = False,
) -> Fragment:
    """Sources, `buckets` and `period_contacts` holding `columns` (names of
    `PERIOD_CONTACT_SQL`); with `baseline`, also `repurchase_baseline` (see Fragment)."""
    comp = _Compiler(request, info, settings or Settings())
    ctes = (*comp.src.ctes, comp._buckets(), comp._period_contacts([], extra=columns))
    if baseline and comp.has_orders:
        ctes = (*ctes, comp._repurchase_baseline())
    return Fragment(
        ctes=ctes,
        params=comp.params,
        sources=comp.src,
        contact_filters=comp._contact_filters(),
        order_filters=comp._order_filters(),
    )


def contacts_avoided_by_cause(
    request: MetricRequest, info: StoreInfo, settings: Settings | None = None
) -> tuple[str, dict[str, object]]:
    """The terms of `contacts_avoided` for the request's period, one row per eliminated cause
    that has a baseline or contacts: cause_id, w_start, w_end, base_n (B), actual_n, orders_w,
    orders_base and scale, with expected = base_n × scale and avoided = expected − actual_n.

    The same CTEs as the metric, so the per-cause figures on the Root causes page add up to
    the tile by construction (and a test holds them to it)."""
    flat = MetricRequest(request.period, request.filters, metrics=("contacts_avoided",))
    comp = _Compiler(flat, info, settings or Settings())
    ctes = [*comp.src.ctes, comp._buckets(), comp._contacts_avoided()]
    body = ("SELECT cause_id, w_start, w_end, base_n, actual_n, orders_w, orders_base, scale, "
            "base_n * scale AS expected, base_n * scale - actual_n AS avoided "
            "FROM av_cause ORDER BY cause_id")  # fmt: skip
    return _with(ctes, body, comp.params)


def contact_metric_probe(
    metric: Metric, period: Period, info: StoreInfo, settings: Settings | None = None
) -> tuple[str, dict[str, object]]:
    """A statement that puts `metric` (a `contacts` aggregate, perhaps not registered yet)
    through exactly the blocks a request would — sources, `period_contacts`, `cm` — and
    returns no rows.

    cxdash.metrics.custom runs it to check a custom metric against a store before it is
    registered: DuckDB binds every column and function, so a type error shows up here."""
    if metric.family != "contacts" or metric.sql is None:
        raise ValueError(f"metric {metric.id!r} is not a contacts aggregate")
    comp = _Compiler(MetricRequest(period, metrics=("contacts",)), info, settings or Settings())
    ctes = [*comp.src.ctes, comp._buckets(), comp._period_contacts([metric]),
            comp._contact_metrics([metric])]  # fmt: skip
    return _with(ctes, f"SELECT cm.{metric.id} FROM cm LIMIT 0", comp.params)


# SPEC §3 "Resolved": resolved_at set, or a resolved status ($resolved_statuses: trimmed,
# lower case). A store without a status column compares NULL: resolved_at alone decides.
_BY_STATUS = "coalesce(lower(trim(c.status)) = ANY($resolved_statuses), false)"
IS_RESOLVED_SQL = f"(c.resolved_at IS NOT NULL OR {_BY_STATUS})"
# Resolved by status alone: resolved at any time (there is no time to say when).
_ONLY_BY_STATUS = f"(c.resolved_at IS NULL AND {_BY_STATUS})"

# SPEC §3 "like for like": a contacts row as the data stood at `_cut` (the end of a day; NULL:
# as it stands). What came later is not there yet — an answer, a resolution (and with it the
# resolved status and the CSAT/CES given on resolving), a repeat contact, a next order. A
# contact without any resolved_at keeps its status and scores: nothing says when they came,
# and counting them in one period but not the other would be the bias this removes.
_KNOWN = "c._cut IS NULL OR {col} < c._cut"
_RESOLVED_KNOWN = "c._cut IS NULL OR c.resolved_at IS NULL OR c.resolved_at < c._cut"
AS_OF_SQL: Mapping[str, str] = MappingProxyType({
    "first_response_at": f"CASE WHEN {_KNOWN.format(col='c.first_response_at')} "
                         "THEN c.first_response_at END",
    "resolved_at": f"CASE WHEN {_KNOWN.format(col='c.resolved_at')} THEN c.resolved_at END",
    **{col: f"CASE WHEN {_RESOLVED_KNOWN} THEN c.{col} END" for col in ("status", "csat", "ces")},
    **{col: f"CASE WHEN {_KNOWN.format(col=f'c.{col}')} THEN c.{col} END"
       for col in ("next_contact_at", "next_order_after_resolved_at",
                   "next_order_after_created_at")},
    # Business time to an event not yet there is not known yet either; a due time not yet
    # reached at the cut is "not due" (outcome_sql: running, or achieved if it happened).
    "first_response_business_seconds": f"CASE WHEN {_KNOWN.format(col='c.first_response_at')} "
                                       "THEN c.first_response_business_seconds END",
    "resolution_business_seconds": f"CASE WHEN {_KNOWN.format(col='c.resolved_at')} "
                                   "THEN c.resolution_business_seconds END",
    **{col: f"CASE WHEN {_KNOWN.format(col=f'c.{col}')} THEN c.{col} END"
       for col in ("first_response_due_at", "resolution_due_at",
                   "first_response_at_risk_from", "resolution_at_risk_from")},
})  # fmt: skip

# SPEC §3 "newest data time": "now" for SLA targets still running, one scalar per statement.
SLA_NOW = "sla_now"
_NOW = f"(SELECT t FROM {SLA_NOW})"
_FR_OUTCOME = outcome_sql("c.first_response_at", "c.first_response_due_at",
                          "c.first_response_target_seconds", _NOW)  # fmt: skip
_RES_OUTCOME = outcome_sql("c.resolved_at", "c.resolution_due_at",
                           "c.resolution_target_seconds", _NOW)  # fmt: skip
# Open now, and its next target (first response, else resolution) has a quarter or less of
# its time left (publishing stored when that begins, in the target's own clock) and has not
# passed.
_FR_NEXT = "c.first_response_at IS NULL AND c.first_response_due_at IS NOT NULL"
SLA_AT_RISK_SQL = (
    f"coalesce(NOT {IS_RESOLVED_SQL} AND CASE WHEN {_FR_NEXT} THEN "
    f"c.first_response_at_risk_from <= {_NOW} AND c.first_response_due_at >= {_NOW} ELSE "
    f"c.resolution_at_risk_from <= {_NOW} AND c.resolution_due_at >= {_NOW} END, false)")

# A period_contacts column reading one of them depends on when the data is read.
_TIMED = re.compile(rf"\bc\.({'|'.join(AS_OF_SQL)})\b")

# The columns of `period_contacts`, as SQL over a contacts row `c` (and its catalog row `r`);
# only those some metric (or analysis) uses are built.
PERIOD_CONTACT_SQL: Mapping[str, str] = MappingProxyType({
    "customer_id": "c.customer_id",
    "created_at": "c.created_at",
    "first_response_at": "c.first_response_at",
    "resolved_at": "c.resolved_at",
    "reopens": "coalesce(c.reopens, 0)",
    "transfers": "coalesce(c.transfers, 0)",
    "escalated": "coalesce(c.escalated, false)",
    "self_served": "coalesce(c.self_served, false)",
    "first_contact_resolved": "c.first_contact_resolved",
    "csat": "c.csat",
    "ces": "c.ces",
    "handle_seconds": "c.handle_seconds",
    "hold_seconds": "c.hold_seconds",
    "is_resolved": IS_RESOLVED_SQL,
    "is_repeat": (
        "coalesce(c.customer_id IS NOT NULL"
        " AND c.next_contact_at <= c.created_at + $repeat_window, false)"
    ),
    "preventable": "coalesce(r.preventable, false)",
    "external": "coalesce(r.external, false)",
    "first_response_hours": (
        f"date_diff('microsecond', c.created_at, c.first_response_at) {_HOURS}"
    ),
    "resolution_hours": RESOLUTION_HOURS_SQL,
    "first_response_business_hours": "c.first_response_business_seconds / 3600.0",
    "resolution_business_hours": "c.resolution_business_seconds / 3600.0",
    "sla_first_response": _FR_OUTCOME,
    "sla_resolution": _RES_OUTCOME,
    "sla_at_risk": SLA_AT_RISK_SQL,
    "next_order_after_resolved_at": "c.next_order_after_resolved_at",
    "next_order_after_created_at": "c.next_order_after_created_at",
    "contact_id": "c.contact_id",
})  # fmt: skip


class _Compiler:
    def __init__(self, request: MetricRequest, info: StoreInfo, settings: Settings) -> None:
        self.req = request
        self.info = info
        self.settings = settings
        self.src: Sources = build_sources(info)
        self.metrics: list[Metric] = [request.catalogue[m] for m in request.metrics]
        self.families = {m.family for m in self.metrics}
        self.dims = [DIMENSIONS_BY_ID[d] for d in request.by]
        self.order_dims = [d for d in self.dims if d.order_sql is not None]
        self.has_orders = info.orders_rows > 0
        self.params: dict[str, object] = self._all_params()
        # The `contacts` aggregates to build: those asked for, after any that another asked
        # family reads (contact rate divides the contact count).
        asked = [m for m in self.metrics if m.family == "contacts"]
        used = dict.fromkeys(u for f in FAMILIES if f.name in self.families for u in f.uses)
        self.contact_metrics: list[Metric] = [
            *(METRICS_BY_ID[u] for u in used if all(m.id != u for m in asked)), *asked
        ]

    # ---- parameters and shared fragments ---------------------------------------------------
    def _all_params(self) -> dict[str, object]:
        period = self.req.period
        # With the previous period, the statement scans both and splits them into two buckets.
        first_day = period.previous().start if self.req.with_previous else period.start
        params: dict[str, object] = {
            "start_date": first_day,
            "end_date": period.end,
            "start_ts": dt.datetime.combine(first_day, dt.time()),
            "split_date": period.start,
            "split_ts": dt.datetime.combine(period.start, dt.time()),
            "end_ts": dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time()),
            "happy_hours": float(self.settings.happy_hours),
            "repeat_window": dt.timedelta(hours=self.settings.repeat_window_hours),
            "resolved_statuses": self.settings.resolved_status_list,
        }
        if self.req.with_previous:
            as_of = self.req.previous_as_of(self.info.newest_contact_day)
            params["asof_date"] = as_of
            params["asof_ts"] = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
        if self.req.as_of is not None:
            params["now_date"] = self.req.as_of
            params["now_ts"] = dt.datetime.combine(
                self.req.as_of + dt.timedelta(days=1), dt.time()
            )
        for dim, values in self.req.filters.values:
            params[f"f_{dim}"] = list(values)
        return params

    def _bucket(self, ts: str) -> str:
        if self.req.with_previous:
            return (
                f"CASE WHEN {ts} >= $split_ts THEN CAST($split_date AS DATE) "
                "ELSE CAST($start_date AS DATE) END"
            )
        if self.req.grain is None:
            return "CAST($start_date AS DATE)"
        return f"greatest(CAST(date_trunc('{self.req.grain}', {ts}) AS DATE), $start_date)"

    def _cut(self, ts: str) -> str | None:
        """The end of the day the data is read as of, for a row whose bucket time is `ts`;
        None when nothing is cut. With the previous period, its bucket is read like for like
        (`$asof_ts`) and the period's own as the request says."""
        now = "$now_ts" if self.req.as_of is not None else None
        if self.req.with_previous:
            other = f" ELSE {now}" if now else ""
            return f"CASE WHEN {ts} < $split_ts THEN $asof_ts{other} END"
        return now

    def _contacts_as_of(self, names: list[str]) -> str:
        """The contacts relation the period's rows are read from: as it stands, or with every
        later fact removed (AS_OF_SQL) when the request reads the data as of a day and one of
        the columns `names` (of PERIOD_CONTACT_SQL) depends on when it is read."""
        cut = self._cut("c.created_at")
        if cut is None or not any(_TIMED.search(PERIOD_CONTACT_SQL[n]) for n in names):
            return self.src.contacts
        cols = ",\n  ".join(
            f"{AS_OF_SQL[c.name]} AS {c.name}" if c.name in AS_OF_SQL else f"c.{c.name}"
            for c in CONTACTS.columns
        )
        return f"""(SELECT {cols}
FROM (SELECT c.*, {cut} AS _cut FROM {self.src.contacts} c
      WHERE c.created_at >= $start_ts AND c.created_at < $end_ts) c)"""

    def _contact_filters(self) -> str:
        parts = [
            f"{DIMENSIONS_BY_ID[dim].contact_sql} = ANY($f_{dim})"
            for dim, _ in self.req.filters.values
        ]
        return " AND ".join(parts) or "true"

    def _order_filters(self) -> str:
        parts = [
            f"{DIMENSIONS_BY_ID[dim].order_sql} = ANY($f_{dim})"
            for dim, _ in self.req.filters.values
            if DIMENSIONS_BY_ID[dim].order_sql is not None
        ]
        return " AND ".join(parts) or "true"

    def _dim_select(self, *, orders: bool = False) -> str:
        dims = self.order_dims if orders else self.dims
        return "".join(f", {d.order_sql if orders else d.contact_sql} AS {d.id}" for d in dims)

    def _cols(self, prefix: str = "", *, orders: bool = False) -> str:
        dims = self.order_dims if orders else self.dims
        return "".join(f", {prefix}{d.id}" for d in dims)

    @staticmethod
    def _match(left: str, right: str, names: list[str]) -> str:
        conds = [f"{left}.{BUCKET} = {right}.{BUCKET}"] + [
            f"{left}.{n} IS NOT DISTINCT FROM {right}.{n}" for n in names
        ]
        return " AND ".join(conds)

    # ---- blocks ----------------------------------------------------------------------------
    def _buckets(self) -> str:
        if self.req.with_previous:
            body = (
                "SELECT CAST($start_date AS DATE) AS bucket,"
                " CAST($split_date AS DATE) - 1 AS bucket_end"
                " UNION ALL SELECT CAST($split_date AS DATE), CAST($end_date AS DATE)"
            )
        elif self.req.grain is None:
            body = (
                "SELECT CAST($start_date AS DATE) AS bucket, CAST($end_date AS DATE) AS bucket_end"
            )
        else:
            grain = self.req.grain
            body = f"""SELECT greatest(CAST(g AS DATE), $start_date) AS bucket,
       least(CAST(g + INTERVAL 1 {grain} AS DATE) - 1, $end_date) AS bucket_end
FROM generate_series(CAST(date_trunc('{grain}', $start_date) AS TIMESTAMP),
                     CAST($end_date AS TIMESTAMP), INTERVAL 1 {grain}) AS t(g)"""
        return f"""{BUCKETS} AS (
SELECT bucket, bucket_end, CAST(bucket_end AS TIMESTAMP) + INTERVAL 1 DAY AS bucket_end_ts
FROM ({body}))"""

    def _pc_columns(self, metrics: list[Metric], extra: tuple[str, ...] = ()) -> list[str]:
        # a metric not in the data is a NULL constant: it reads no column
        text = " ".join(m.sql or "" for m in metrics if self._in_data(m)) + " " + " ".join(extra)
        for family in self._built():
            text += " " + " ".join(family.period_columns)
        return [name for name in PERIOD_CONTACT_SQL if re.search(rf"\b{name}\b", text)]

    def _period_contacts(self, metrics: list[Metric], extra: tuple[str, ...] = ()) -> str:
        s = self.src
        names = self._pc_columns(metrics, extra)
        cols = "".join(f",\n  {PERIOD_CONTACT_SQL[n]} AS {n}" for n in names)
        join = ""
        if {"preventable", "external"} & set(names):
            join = f" LEFT JOIN {s.reasons} r ON r.reason = coalesce(c.driver, c.reason, 'Unknown')"
        now = ""
        if SLA_NOW in cols:  # the newest data time, over the whole store (SPEC §3)
            now = (f"{SLA_NOW} AS (SELECT greatest(max(created_at), max(first_response_at), "
                   f"max(resolved_at)) AS t FROM {s.contacts}),\n")  # fmt: skip
        return f"""{now}{PERIOD_CONTACTS} AS (
SELECT {self._bucket('c.created_at')} AS bucket{self._dim_select()}{cols}
FROM {self._contacts_as_of(names)} c{join}
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND {self._contact_filters()})"""

    def _contact_metrics(self, wanted: list[Metric]) -> str:
        """One aggregate per metric; quantiles of one column share a single sort."""
        quantiles: dict[str, list[tuple[str, str]]] = {}
        inner, outer = [], []
        for m in wanted:
            match = _QUANTILE.fullmatch(m.sql or "")
            if (m.needs_catalog and self.info.reasons_rows == 0) or not self._in_data(m):
                outer.append(f"CAST(NULL AS DOUBLE) AS {m.id}")
            elif match:
                quantiles.setdefault(match["col"], []).append((m.id, match["q"]))
            else:
                inner.append(f"{m.sql} AS {m.id}")
                outer.append(m.id)
        for n, (col, items) in enumerate(quantiles.items()):
            qs = ", ".join(q for _, q in items)
            inner.append(f"quantile_cont({col}, [{qs}]) AS _q{n}")
            outer += [f"_q{n}[{i + 1}] AS {mid}" for i, (mid, _) in enumerate(items)]
        keys, aggregates = f"bucket{self._cols()}", ", ".join(inner) or "count(*) AS _n"
        return f"""cm AS (
SELECT {keys}, {', '.join(outer)}
FROM (SELECT {keys}, {aggregates} FROM {PERIOD_CONTACTS} GROUP BY ALL))"""

    def _orders_count(self) -> str:
        return f"""po AS (
SELECT {self._bucket("o.day")} AS bucket{self._dim_select(orders=True)}, sum(o.orders) AS orders
FROM {self.src.orders_daily} o
WHERE o.day >= $start_date AND o.day <= $end_date AND {self._order_filters()}
GROUP BY ALL)"""

    def _backlog(self) -> str:
        if self.req.grain is None and not self.req.with_previous:
            return f"""bl AS (
SELECT CAST($start_date AS DATE) AS bucket{self._dim_select()}, count(*) AS backlog
FROM {self.src.contacts} c
WHERE c.created_at < $end_ts AND (c.resolved_at IS NULL OR c.resolved_at >= $end_ts)
  AND NOT {_ONLY_BY_STATUS} AND {self._contact_filters()}
GROUP BY ALL)"""
        # Two inequalities so DuckDB can use its inequality join (IEJoin) for many buckets.
        return f"""bl AS (
SELECT b.bucket{self._dim_select()}, count(*) AS backlog
FROM {self.src.contacts} c JOIN {BUCKETS} b
  ON c.created_at < b.bucket_end_ts AND coalesce(c.resolved_at, {_FAR_FUTURE}) >= b.bucket_end_ts
WHERE c.created_at < $end_ts AND (c.resolved_at IS NULL OR c.resolved_at >= $start_ts)
  AND NOT {_ONLY_BY_STATUS} AND {self._contact_filters()}
GROUP BY ALL)"""

    def _repurchase_after(self) -> str:
        # min(next order after each resolution) = the first order after the earliest resolution.
        return f"""ra_c AS (
SELECT bucket{self._cols()}, customer_id, min(resolved_at) AS r,
       min(next_order_after_resolved_at) AS nxt
FROM {PERIOD_CONTACTS} WHERE resolved_at IS NOT NULL AND customer_id IS NOT NULL
GROUP BY ALL),
ra AS (
SELECT bucket{self._cols()},
       avg(coalesce(nxt <= r + INTERVAL 90 DAY, false)::DOUBLE) AS repurchase_after_contact_90d
FROM ra_c GROUP BY ALL)"""

    def _stored_baseline(self) -> str | None:
        """`repurchase_baseline` read from the repurchase_baselines rollup, when it holds every
        bucket of this request — each period as of the same day — and no order dimension
        filters or groups it; None means compute it."""
        if self.order_dims or self._order_filters() != "true" or self.src.orders != "orders":
            return None
        period, as_of = self.req.period, self.req.as_of
        now = "as_of = $now_date" if as_of is not None else "as_of IS NULL"
        if self.req.with_previous:
            before = period.previous()
            wanted = {(before.start, before.end, self.params["asof_date"]),
                      (period.start, period.end, as_of)}  # fmt: skip
            where = ("(period_start = $start_date AND period_end = CAST($split_date AS DATE) - 1"
                     " AND as_of = $asof_date) OR (period_start = $split_date"
                     f" AND period_end = $end_date AND {now})")  # fmt: skip
        elif self.req.grain is None:
            wanted = {(period.start, period.end, as_of)}
            where = f"period_start = $start_date AND period_end = $end_date AND {now}"
        else:
            return None
        if not wanted <= self.info.baseline_periods:
            return None
        return f"""{REPURCHASE_BASELINE} AS (
SELECT period_start AS bucket, repurchase_baseline_90d, customers
FROM repurchase_baselines WHERE {where})"""

    def _repurchase_baseline(self) -> str:
        if (stored := self._stored_baseline()) is not None:
            return stored
        s = self.src
        contacted = f"""rb_contacted AS (
SELECT DISTINCT {self._bucket('c.created_at')} AS bucket, c.customer_id
FROM {s.contacts} c
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND c.customer_id IS NOT NULL)"""
        if self.order_dims or self._order_filters() != "true":
            # Filtered orders: a customer's first *matching* order needs a group-by.
            # min(next order after each order) = the next order after the first one.
            first = f"""rb_first AS (
SELECT {self._bucket('o.ordered_at')} AS bucket{self._dim_select(orders=True)}, o.customer_id,
       min(o.ordered_at) AS o_at, min(o.next_ordered_at) AS nxt
FROM {s.orders} o
WHERE o.ordered_at >= $start_ts AND o.ordered_at < $end_ts AND o.customer_id IS NOT NULL
  AND {self._order_filters()}
GROUP BY ALL)"""
        else:
            # Unfiltered: the first order of a customer in a bucket is the one whose previous
            # order (ties broken by id) falls before the bucket — a filter, no group-by.
            bucket = self._bucket("o.ordered_at")
            first = f"""rb_first AS (
SELECT {bucket} AS bucket, o.customer_id, o.ordered_at AS o_at, o.next_ordered_at AS nxt
FROM {s.orders} o
WHERE o.ordered_at >= $start_ts AND o.ordered_at < $end_ts AND o.customer_id IS NOT NULL
  AND (o.prev_ordered_at IS NULL OR o.prev_ordered_at < CAST({bucket} AS TIMESTAMP)))"""
        cut = self._cut("CAST(f.bucket AS TIMESTAMP)")
        # Like for like, the next order counts only if it was there by the day measured as of.
        known = f" AND f.nxt < coalesce({cut}, {_FAR_FUTURE})" if cut else ""
        rate = f"avg(coalesce(f.nxt <= f.o_at + INTERVAL 90 DAY{known}, false)::DOUBLE)"
        return f"""{first},
{contacted},
{REPURCHASE_BASELINE} AS (
SELECT f.bucket{self._cols('f.', orders=True)},
       {rate} AS repurchase_baseline_90d,
       count(*) AS customers
FROM rb_first f
WHERE NOT EXISTS (SELECT 1 FROM rb_contacted k
                  WHERE k.bucket = f.bucket AND k.customer_id = f.customer_id)
GROUP BY ALL)"""

    def _causes_eliminated(self) -> str:
        return f"""ce AS (
SELECT b.bucket, count(rc.cause_id) AS causes_eliminated
FROM {BUCKETS} b LEFT JOIN {self.src.root_causes} rc
  ON rc.status = 'eliminated' AND rc.fixed_on >= b.bucket AND rc.fixed_on <= b.bucket_end
GROUP BY b.bucket)"""

    def _contacts_avoided(self) -> str:
        s = self.src
        cf = self._contact_filters()
        of = self._order_filters()
        dims = [d.id for d in self.dims]
        odims = [d.id for d in self.order_dims]

        def same(left: str, right: str, names: list[str]) -> str:
            return "".join(f" AND {left}.{n} IS NOT DISTINCT FROM {right}.{n}" for n in names)

        ow_n, ob_n = ("coalesce(ow.n, 0)", "coalesce(ob.n, 0)") if self.has_orders else ("0", "0")
        scale = (
            "CASE WHEN coalesce(ob.n, 0) > 0 THEN coalesce(ow.n, 0)::DOUBLE / ob.n "
            "ELSE (date_diff('day', t.w_start, t.bucket_end) + 1) / 56.0 END"
            if self.has_orders
            else "(date_diff('day', t.w_start, t.bucket_end) + 1) / 56.0"
        )
        return f"""av_causes AS (
SELECT DISTINCT cause_id, fixed_on FROM {s.root_causes}
WHERE status = 'eliminated' AND fixed_on IS NOT NULL),
av_reasons AS (
SELECT DISTINCT cause_id, fixed_on, reason
FROM (SELECT cause_id, fixed_on, unnest(reasons) AS reason FROM {s.root_causes}
      WHERE status = 'eliminated' AND fixed_on IS NOT NULL)),
av_windows AS (
SELECT b.bucket, b.bucket_end, a.cause_id, greatest(a.fixed_on, b.bucket) AS w_start
FROM {BUCKETS} b JOIN av_causes a ON a.fixed_on <= b.bucket_end),
av_actual AS (
SELECT w.bucket, w.cause_id{self._dim_select()}, count(*) AS n
FROM av_windows w JOIN av_reasons cr ON cr.cause_id = w.cause_id
JOIN {s.contacts} c ON coalesce(c.driver, c.reason, 'Unknown') = cr.reason
  AND c.created_at >= CAST(w.w_start AS TIMESTAMP)
  AND c.created_at < CAST(w.bucket_end AS TIMESTAMP) + INTERVAL 1 DAY
WHERE c.created_at >= $start_ts AND c.created_at < $end_ts AND {cf}
GROUP BY ALL),
av_base AS (
SELECT cr.cause_id{self._dim_select()}, count(*) AS n
FROM av_reasons cr JOIN {s.contacts} c ON coalesce(c.driver, c.reason, 'Unknown') = cr.reason
  AND c.created_at >= CAST(cr.fixed_on AS TIMESTAMP) - INTERVAL 56 DAY
  AND c.created_at < CAST(cr.fixed_on AS TIMESTAMP)
WHERE c.created_at < $end_ts AND {cf}
GROUP BY ALL),
av_keys AS (
SELECT cause_id{self._cols()} FROM av_base UNION SELECT cause_id{self._cols()} FROM av_actual),
av_terms AS (
SELECT w.bucket, w.bucket_end, w.w_start, w.cause_id{self._cols("k.")},
       coalesce(bs.n, 0) AS base_n, coalesce(ac.n, 0) AS actual_n
FROM av_windows w JOIN av_keys k ON k.cause_id = w.cause_id
LEFT JOIN av_base bs ON bs.cause_id = w.cause_id{same("bs", "k", dims)}
LEFT JOIN av_actual ac ON ac.bucket = w.bucket AND ac.cause_id = w.cause_id{same("ac", "k", dims)}),
av_ow AS (
SELECT w.bucket, w.cause_id{self._dim_select(orders=True)}, sum(o.orders) AS n
FROM av_windows w JOIN {s.orders_daily} o ON o.day >= w.w_start AND o.day <= w.bucket_end
WHERE {of} GROUP BY ALL),
av_ob AS (
SELECT a.cause_id{self._dim_select(orders=True)}, sum(o.orders) AS n
FROM av_causes a JOIN {s.orders_daily} o
  ON o.day >= a.fixed_on - INTERVAL 56 DAY AND o.day < a.fixed_on
WHERE {of} GROUP BY ALL),
av_cause AS (
SELECT t.bucket, t.cause_id, t.w_start, t.bucket_end AS w_end{self._cols("t.")}, t.base_n,
       t.actual_n, {ow_n} AS orders_w, {ob_n} AS orders_base, {scale} AS scale
FROM av_terms t
LEFT JOIN av_ow ow ON ow.bucket = t.bucket AND ow.cause_id = t.cause_id{same("ow", "t", odims)}
LEFT JOIN av_ob ob ON ob.cause_id = t.cause_id{same("ob", "t", odims)}),
av AS (
SELECT bucket{self._cols()}, sum(base_n * scale - actual_n) AS contacts_avoided
FROM av_cause GROUP BY ALL),
av_q AS (SELECT DISTINCT bucket FROM av_windows)"""

    # ---- assembly --------------------------------------------------------------------------
    def _contacts_block(self) -> str:
        return self._contact_metrics(self.contact_metrics)

    def _active(self, family: FamilyBlock) -> bool:
        if family.name == "contacts":
            return bool(self.contact_metrics)
        return family.name in self.families

    def _built(self) -> list[FamilyBlock]:
        """The families whose blocks this statement holds, in FAMILIES order."""
        return [f for f in FAMILIES
                if self._active(f) and (self.has_orders or not f.needs_orders)]  # fmt: skip

    def _key_names(self, family: FamilyBlock) -> list[str]:
        dims = {"contact": self.dims, "order": self.order_dims, "bucket": []}[family.keys]
        return [d.id for d in dims]

    def compile(self) -> CompiledQuery:
        dims = [d.id for d in self.dims]
        ctes = [*self.src.ctes, self._buckets()]
        if self.contact_metrics or dims or any(
            f.needs_period_contacts for f in FAMILIES if self._active(f)
        ):
            ctes.append(self._period_contacts(self.contact_metrics))
        # Grouped, the keys are every (bucket, dimensions…) with a contact, then the rows of the
        # families that add keys.
        key_sources: list[str] = []
        if dims:
            key_sources.append(f"SELECT DISTINCT bucket{self._cols()} FROM {PERIOD_CONTACTS}")
        joins: list[str] = []
        for family in self._built():
            ctes.append(family.build(self))
            names = self._key_names(family)
            target = family.relation if family.alias == family.relation else (
                f"{family.relation} {family.alias}")  # fmt: skip
            joins.append(f"LEFT JOIN {target} ON {self._match(family.alias, 'k', names)}")
            joins += [f"LEFT JOIN {r} ON {self._match(r, 'k', [])}" for r in family.also_joins]
            # Its rows are key rows only when it carries every dimension asked for.
            if dims and family.adds_keys and len(names) == len(dims):
                key_sources.append(f"SELECT bucket{self._cols()} FROM {family.relation}")
        if dims:
            ctes.append(f"keys AS ({' UNION '.join(key_sources)})")
        else:
            ctes.append(f"keys AS (SELECT bucket FROM {BUCKETS})")

        selects = [f"k.{BUCKET}", *(f"k.{d}" for d in dims)]
        selects += [f"{self._final(m)} AS {m.id}" for m in self.metrics]
        order = ", ".join(f"{n} NULLS LAST" for n in [BUCKET, *dims])
        body = f"SELECT {', '.join(selects)}\nFROM keys k\n" + "\n".join(joins)
        sql, params = _with(ctes, body + f"\nORDER BY {order}", self.params)
        return CompiledQuery(
            sql=sql,
            params=params,
            keys=(BUCKET, *dims),
            metrics=tuple(m.id for m in self.metrics),
        )

    def _final(self, m: Metric) -> str:
        family = FAMILIES_BY_NAME[m.family]
        if (family.needs_orders and not self.has_orders) or not self._in_data(m):
            return "CAST(NULL AS DOUBLE)"
        return family.final(m)

    def _in_data(self, m: Metric) -> bool:
        """False when the store holds none of the columns the metric needs (SPEC §3 "not in
        your data"): its value is NULL, never a 0 % made of defaults."""
        return not not_in_data(m, self.info.provides)


KeyDims = Literal["contact", "order", "bucket"]


@dataclass(frozen=True)
class FamilyBlock:
    """One metric family (`Metric.family`) as the statement computes it.

    Its block is the CTE(s) `build` returns, the last of them `relation` (joined as `alias`),
    with a row per bucket and per value of its key dimensions: the request's contact
    dimensions, only its order dimensions, or none (bucket only). `final` is a metric's
    expression in the outer SELECT. A family that `needs_orders` is not built on a store
    without orders and its metrics are NULL there. When the request groups, the rows of a
    family that `adds_keys` (and carries every dimension asked for) are key rows, so a
    combination with no contact still gets its backlog, orders or avoided contacts.
    """

    name: Family
    build: Callable[[_Compiler], str]
    relation: str
    keys: KeyDims
    final: Callable[[Metric], str]
    alias: str = ""  # defaults to `relation`
    needs_orders: bool = False
    adds_keys: bool = False
    needs_period_contacts: bool = False  # reads `period_contacts`, so it is built
    period_columns: tuple[str, ...] = ()  # columns of `period_contacts` it reads
    uses: tuple[str, ...] = ()  # `contacts` metrics it reads from `cm`
    also_joins: tuple[str, ...] = ()  # relations of its block joined on the bucket alone

    def __post_init__(self) -> None:
        if not self.alias:
            object.__setattr__(self, "alias", self.relation)


# In the order of the statement's CTEs and joins.
FAMILIES: tuple[FamilyBlock, ...] = (
    FamilyBlock(
        "contacts", _Compiler._contacts_block, "cm", "contact",
        lambda m: "coalesce(cm.contacts, 0)" if m.id == "contacts" else f"cm.{m.id}",
        needs_period_contacts=True,
    ),
    FamilyBlock(
        "contact_rate", _Compiler._orders_count, "po", "order",
        lambda m: "1000.0 * coalesce(cm.contacts, 0) / NULLIF(po.orders, 0)",
        needs_orders=True, adds_keys=True, uses=("contacts",),
    ),
    FamilyBlock(
        "backlog", _Compiler._backlog, "bl", "contact",
        lambda m: "coalesce(bl.backlog, 0)",
        adds_keys=True,
    ),
    FamilyBlock(
        "repurchase_after", _Compiler._repurchase_after, "ra", "contact",
        lambda m: "ra.repurchase_after_contact_90d",
        needs_orders=True, needs_period_contacts=True,
        period_columns=("customer_id", "resolved_at", "next_order_after_resolved_at"),
    ),
    FamilyBlock(
        "repurchase_baseline", _Compiler._repurchase_baseline, REPURCHASE_BASELINE, "order",
        lambda m: "rb.repurchase_baseline_90d",
        alias="rb", needs_orders=True, adds_keys=True,
    ),
    FamilyBlock(
        "causes_eliminated", _Compiler._causes_eliminated, "ce", "bucket",
        lambda m: "coalesce(ce.causes_eliminated, 0)",
    ),
    FamilyBlock(
        "contacts_avoided", _Compiler._contacts_avoided, "av", "contact",
        lambda m: "CASE WHEN av_q.bucket IS NOT NULL THEN coalesce(av.contacts_avoided, 0) END",
        adds_keys=True, also_joins=("av_q",),
    ),
)  # fmt: skip
FAMILIES_BY_NAME: Mapping[str, FamilyBlock] = MappingProxyType({f.name: f for f in FAMILIES})
assert set(FAMILIES_BY_NAME) == set(get_args(Family)), "every metric family needs a row"
