"""The contacts behind a number: the same period and filters as the metric, plus the
selection (a dimension value, a week), sorted by an allow-listed column, one page at a time."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from cxdash.analysis import sla
from cxdash.metrics.compiler import period_fragment
from cxdash.metrics.request import MetricRequest
from cxdash.store import StoreInfo

COLUMNS = (
    "contact_id", "created_at", "customer_id", "channel", "driver", "reason", "team", "agent",
    "product", "region", "priority", "status", "first_response_at", "resolved_at", "reopens",
    "transfers", "escalated", "self_served", "csat", "ces", "comment",
)  # fmt: skip
PAGE_SIZE = 50
# Narrowings beyond dimensions and days, by name (never SQL from a caller): the contacts a
# count is made of, e.g. the breached ones behind an SLA cell.
ONLY = {"sla_breached": sla.breached_sql}


def contacts_behind(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo,
    *,
    days: tuple[dt.date, dt.date] | None = None,
    sort: str = "created_at",
    descending: bool = True,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    only: str | None = None,
) -> tuple[pl.DataFrame, int]:
    """(one page of contacts, total matching). `days` narrows to a bucket inside the period;
    `only` to one of ONLY's sets."""
    if sort not in COLUMNS:
        raise ValueError(f"cannot sort by {sort!r}")
    if only is not None and only not in ONLY:
        raise ValueError(f"cannot narrow to {only!r}")
    frag = period_fragment(request, info)
    c = frag.sources.contacts
    day_filter = ONLY[only](c) if only else "true"
    frag = frag.with_params(limit=page_size, offset=max(page, 0) * page_size)
    if days is not None:
        day_filter += " AND c.created_at >= $day_from AND c.created_at < $day_to"
        frag = frag.with_params(
            day_from=dt.datetime.combine(days[0], dt.time()),
            day_to=dt.datetime.combine(days[1] + dt.timedelta(days=1), dt.time()),
        )
    where = (
        f"c.created_at >= $start_ts AND c.created_at < $end_ts AND {frag.contact_filters} "
        f"AND {day_filter}"
    )
    direction = "DESC" if descending else "ASC"
    select = ", ".join(f"c.{col}" for col in COLUMNS)
    rows_sql, rows_params = frag.query(
        f"SELECT {select} FROM {c} c WHERE {where} "
        f"ORDER BY c.{sort} {direction} NULLS LAST, c.contact_id LIMIT $limit OFFSET $offset"
    )
    count_sql, count_params = frag.query(f"SELECT count(*) FROM {c} c WHERE {where}")
    with con.cursor() as cur:
        rows = cur.sql(rows_sql, params=rows_params).pl()
        total = int(cur.sql(count_sql, params=count_params).fetchall()[0][0])
    return rows, total
