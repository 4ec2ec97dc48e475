"""Results computed when the data changes, for the views the app opens on.

The repurchase baseline anti-joins a period's orders with the period's contacts: 1 s for 28
days at 10M contacts, 2–3 s with the previous period beside it, more for 90 days. Every other
metric of the Scoreboard takes a fraction of that. So every new version in which contacts or
orders changed (`cxdash.publish`, after the derived columns) also stores the baseline for the
sidebar's preset periods and the period before each, computed by the very query the
compiler builds; the compiler then reads a stored row when a request asks for exactly such a
period with no product or region filter (`_Compiler._stored_baseline`), and computes
everything else live. Same SQL, same numbers: tests/metrics/test_rollups.py compares both paths.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from cxdash import settings as settings_mod
from cxdash import store
from cxdash.metrics.compiler import period_fragment
from cxdash.metrics.request import PRESET_PERIODS, MetricRequest, Period, preset_period
from cxdash.schema import REPURCHASE_BASELINES, create_table_sql


def preset_periods(first: dt.date, last: dt.date) -> list[Period]:
    """The sidebar's preset periods for data from `first` to `last`."""
    return sorted({preset_period(p, first, last) for p in PRESET_PERIODS},
                  key=lambda p: (p.start, p.end))  # fmt: skip


def rebuild(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the stored baselines inside the writer's transaction; returns rows stored.
    Call after the derived columns are fresh: a stale store computes everything live."""
    # Dropped, not emptied: a store written by an older cxdash has the table without `as_of`.
    con.execute("DROP TABLE IF EXISTS repurchase_baselines")
    con.execute(create_table_sql(REPURCHASE_BASELINES))
    days = store.contact_days(con)
    info = store.inspect(con)  # the table is empty now, so the compiler computes live
    if days is None or not info.derived_fresh or info.orders_rows == 0:
        return 0
    first, last = days
    settings = settings_mod.load(con)
    Key = tuple[dt.date, dt.date, dt.date | None]
    stored: dict[Key, tuple[float | None, int]] = {}
    for period in preset_periods(first, last):
        request = MetricRequest(period, metrics=("repurchase_baseline_90d",), with_previous=True)
        # The previous period is measured like for like: as of previous_as_of.
        as_of = {period.previous().start: request.previous_as_of(info.newest_contact_day)}
        frag = period_fragment(request, info, settings, baseline=True)
        sql, params = frag.query(
            "SELECT b.bucket, b.bucket_end, rb.repurchase_baseline_90d, coalesce(rb.customers, 0) "
            f"FROM {frag.buckets} b LEFT JOIN {frag.repurchase_baseline} rb ON rb.bucket = b.bucket"
        )
        for start, end, rate, customers in con.execute(sql, params).fetchall():
            stored[(start, end, as_of.get(start))] = (rate, customers)
    con.executemany(
        "INSERT INTO repurchase_baselines VALUES (?, ?, ?, ?, ?)",
        [(*key, rate, customers) for key, (rate, customers) in stored.items()],
    )
    return len(stored)
