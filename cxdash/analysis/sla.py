"""SLA views that are lists of contacts, not aggregates: the at-risk backlog (open contacts
closest to breaching a target, by time left) and the rule for "breached" the drill-down uses.

Both read the facts publishing derived (due times per target, `cxdash.sla.derive`) against
the newest data time (SPEC §3), with the outcome rule of `cxdash.sla.outcomes`, so a list
and the metric it explains count the same contacts.
"""

from __future__ import annotations

import duckdb
import polars as pl

from cxdash.metrics.compiler import IS_RESOLVED_SQL, period_fragment
from cxdash.metrics.request import MetricRequest
from cxdash.settings import Settings
from cxdash.sla.derive import current
from cxdash.sla.outcomes import outcome_sql
from cxdash.store import StoreInfo

AT_RISK_LIMIT = 50


def newest_sql(contacts: str) -> str:
    """The newest data time (SPEC §3): "now" for targets still running."""
    return (f"(SELECT greatest(max(created_at), max(first_response_at), max(resolved_at)) "
            f"FROM {contacts})")  # fmt: skip


def breached_sql(contacts: str) -> str:
    """A contact (alias c) with at least one breached target — `sla_breaches`' rule."""
    now = newest_sql(contacts)
    first = outcome_sql("c.first_response_at", "c.first_response_due_at",
                        "c.first_response_target_seconds", now)  # fmt: skip
    resolution = outcome_sql("c.resolved_at", "c.resolution_due_at",
                             "c.resolution_target_seconds", now)  # fmt: skip
    return f"({first} = 'breached' OR {resolution} = 'breached')"


def at_risk_backlog(
    con: duckdb.DuckDBPyConnection, request: MetricRequest, info: StoreInfo,
    settings: Settings, limit: int = AT_RISK_LIMIT,
) -> pl.DataFrame:
    """Open contacts of the request's filters (any creation day: the backlog is now) whose
    next target — first response while unanswered, else resolution — is not yet due, soonest
    first, with the hours left on the report clock and whether the target counts business
    hours. `at_risk` marks those within a quarter of their target (`sla_at_risk`)."""
    frag = period_fragment(request, info).with_params(limit=limit)
    c = frag.sources.contacts
    now = newest_sql(c)
    first_next = "c.first_response_at IS NULL AND c.first_response_due_at IS NOT NULL"
    sql = f"""
        SELECT contact_id, created_at, team, channel, priority, driver, target, due_at,
               date_diff('second', now, due_at) / 3600.0 AS hours_left,
               coalesce(risk_from <= now, false) AS at_risk, sla_policy
        FROM (
          SELECT c.contact_id, c.created_at, c.team, c.channel, c.priority, c.driver,
                 c.sla_policy,
                 CASE WHEN {first_next} THEN 'first response' ELSE 'resolution' END AS target,
                 CASE WHEN {first_next} THEN c.first_response_due_at
                      ELSE c.resolution_due_at END AS due_at,
                 CASE WHEN {first_next} THEN c.first_response_at_risk_from
                      ELSE c.resolution_at_risk_from END AS risk_from,
                 {now} AS now
          FROM {c} c
          WHERE NOT {IS_RESOLVED_SQL} AND {frag.contact_filters}) o
        WHERE due_at IS NOT NULL AND due_at >= now
        ORDER BY due_at, contact_id
        LIMIT $limit"""
    sql_text, params = frag.query(sql)
    with con.cursor() as cur:
        rows: pl.DataFrame = cur.sql(sql_text, params=params).pl()
    config = current(con)
    business = {p.position: p.business_hours for p in config.policies} if config else {}
    clock: pl.Expr = pl.col("sla_policy").replace_strict(business, default=None,
                                                         return_dtype=pl.Boolean)  # fmt: skip
    return rows.with_columns(clock.alias("business_hours")).drop("sla_policy")
