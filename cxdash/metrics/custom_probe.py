"""A custom metric against the store: its compiled blocks bound by DuckDB and run with LIMIT
0 on the store's read-only connection — the very blocks a request compiles to
(`compiler.contact_metric_probe`), which catches type errors — and the result must be a
number."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import duckdb

from cxdash.metrics.catalogue import Metric
from cxdash.metrics.compiler import contact_metric_probe
from cxdash.metrics.request import Period
from cxdash.settings import Settings
from cxdash.store import StoreInfo

_NUMERIC = re.compile(
    r"(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT"
    r"|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))"
)


def probe(
    metric: Metric, con: duckdb.DuckDBPyConnection, info: StoreInfo, settings: Settings
) -> tuple[Metric | None, str | None]:
    """(the metric as it will run, None) or (None, why not): bind and run (LIMIT 0) the
    metric's compiled blocks on the store; a DECIMAL result is kept as DOUBLE (JSON and the
    formatter want plain numbers)."""
    day = dt.date(2000, 1, 1)
    sql, params = contact_metric_probe(metric, Period(day, day), info, settings)
    try:
        with con.cursor() as cur:
            rel = cur.sql(sql, params=params)
            result_type = str(rel.types[0])
            rel.fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"sql does not run on the store: {first}"
    if not _NUMERIC.fullmatch(result_type):
        why = (f"sql gives a {result_type}, not a number; a metric must be numeric "
               "(for a share of true/false, avg(condition::DOUBLE))")  # fmt: skip
        return None, why
    if result_type.startswith("DECIMAL"):
        metric = dataclasses.replace(metric, sql=f"CAST({metric.sql} AS DOUBLE)")
    return metric, None
