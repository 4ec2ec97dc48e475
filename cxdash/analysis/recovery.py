"""The recovery view: does a customer who had a problem come back and buy?

Cohorts of customers over the period (SPEC §3 "recovery view"):
- no contact: ordered in the period, no contact in it (the repurchase_baseline_90d population);
- for customers who contacted us, their *first* contact of the period decides the cohort:
  resolved and happy (CSAT 4–5), resolved and unhappy (CSAT 1–3), resolved but not rated
  (shown apart, so the rated cohorts are not diluted), and unresolved.
Outcome: an order within 90 days after the resolution (or, unresolved, after the contact).
Behaviour, not stated intent: the literature finds the paradox in satisfaction, rarely in
repurchase (ANCHORS §1.10), so each rate carries its 95 % interval and its n.
"""

from __future__ import annotations

import duckdb
import polars as pl

from cxdash.analysis.stats import wilson_interval
from cxdash.metrics.compiler import Fragment, period_fragment
from cxdash.metrics.request import MetricRequest
from cxdash.settings import Settings
from cxdash.store import StoreInfo

COHORTS = {
    "no_contact": "No contact",
    "resolved_happy": "Resolved, happy",
    "resolved_unhappy": "Resolved, unhappy",
    "unresolved": "Unresolved",
    "resolved_unrated": "Resolved, not rated",
}

_COLUMNS = (
    "contact_id", "customer_id", "created_at", "resolved_at", "csat",
    "next_order_after_resolved_at", "next_order_after_created_at",
)  # fmt: skip

_CONTACTED = f"""
first_contacts AS (
  SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY created_at, contact_id) AS rn
  FROM {Fragment.period_contacts} WHERE customer_id IS NOT NULL),
contacted AS (
  SELECT CASE WHEN resolved_at IS NULL THEN 'unresolved'
              WHEN csat >= 4 THEN 'resolved_happy'
              WHEN csat IS NOT NULL THEN 'resolved_unhappy'
              ELSE 'resolved_unrated' END AS cohort,
         coalesce(CASE WHEN resolved_at IS NULL
                       THEN next_order_after_created_at <= created_at + INTERVAL 90 DAY
                       ELSE next_order_after_resolved_at <= resolved_at + INTERVAL 90 DAY END,
                  false) AS repurchased
  FROM first_contacts WHERE rn = 1)"""


def recovery_cohorts(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """One row per cohort: cohort, label, customers, repurchased, rate, low, high."""
    if info.orders_rows == 0:
        return pl.DataFrame(
            schema={"cohort": pl.String, "label": pl.String, "customers": pl.Int64,
                    "repurchased": pl.Int64, "rate": pl.Float64, "low": pl.Float64,
                    "high": pl.Float64}
        )  # fmt: skip
    frag = period_fragment(request, info, settings, _COLUMNS, baseline=True)
    body = f"""
SELECT cohort, count(*) AS customers, sum(repurchased::INTEGER) AS repurchased
FROM contacted GROUP BY cohort
UNION ALL
SELECT 'no_contact', coalesce(sum(customers), 0),
       coalesce(round(sum(customers * repurchase_baseline_90d)), 0)
FROM {frag.repurchase_baseline}"""
    sql, params = frag.query(body, _CONTACTED)
    with con.cursor() as cur:
        raw = cur.sql(sql, params=params).pl()
    counts = {r["cohort"]: (int(r["customers"]), int(r["repurchased"])) for r in raw.to_dicts()}
    rows = []
    for cohort, label in COHORTS.items():
        n, k = counts.get(cohort, (0, 0))
        interval = wilson_interval(k, n)
        rows.append({
            "cohort": cohort, "label": label, "customers": n, "repurchased": k,
            "rate": k / n if n else None,
            "low": interval[0] if interval else None,
            "high": interval[1] if interval else None,
        })  # fmt: skip
    return pl.DataFrame(rows)
