"""What moved, for the wall view: contacts per driver in a stretch of time up to a moment,
against the same stretch one week earlier — to the minute, so a day the data is still filling
(today up to 14:05) is set against last week's same weekday up to 14:05, never a whole day.

The filters are the metrics' own (`period_fragment`), so the counts agree with the catalogue's
`contacts` for whole days; `cxdash.analysis.movers` then says which changes are beyond noise.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from cxdash.metrics.compiler import period_fragment
from cxdash.metrics.dimensions import DIMENSIONS_BY_ID
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.store import StoreInfo

WEEK = dt.timedelta(days=7)


def driver_counts(
    con: duckdb.DuckDBPyConnection, filters: Filters, info: StoreInfo, start: dt.datetime,
    end: dt.datetime,
) -> pl.DataFrame:
    """Contacts per driver created in [start, end] (`now`) and in [start − 7 days, end − 7 days]
    (`before`), under `filters`: columns driver, now, before, drivers with none in either left
    out, most contacts now first. (A stretch longer than 7 days would count some contacts in
    both.)"""
    request = MetricRequest(Period(start.date() - WEEK, end.date()), filters, metrics=("contacts",))
    frag = period_fragment(request, info).with_params(
        n_start=start, n_end=end, b_start=start - WEEK, b_end=end - WEEK)
    reason = DIMENSIONS_BY_ID["reason"].contact_sql
    body = f"""
        SELECT {reason} AS driver,
               count(*) FILTER (WHERE c.created_at >= $n_start AND c.created_at <= $n_end) AS now,
               count(*) FILTER (WHERE c.created_at >= $b_start AND c.created_at <= $b_end)
                 AS before
        FROM {frag.sources.contacts} c
        WHERE ((c.created_at >= $n_start AND c.created_at <= $n_end)
               OR (c.created_at >= $b_start AND c.created_at <= $b_end))
          AND {frag.contact_filters}
        GROUP BY ALL
        ORDER BY now DESC, driver"""
    sql, params = frag.query(body)
    with con.cursor() as cur:
        frame: pl.DataFrame = cur.sql(sql, params=params).pl()
    return frame.with_columns(pl.col("now", "before").cast(pl.Int64))
