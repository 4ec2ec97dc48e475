"""Speed to happiness: the funnel from contact to happy customer, and what blocks it.

Funnel steps are cumulative — each keeps the contacts that passed every step before:
contacts → first response within target (self-served contacts pass: the help centre answered)
→ resolved → no transfer and no reopen → happy (resolved within the happy target, CSAT not
below 4). Frictions are counted over contacts that did not pass the whole funnel; one contact
can be blocked by several, so they are not a partition.
"""

from __future__ import annotations

import duckdb
import polars as pl

from cxdash.metrics.compiler import Fragment, period_fragment
from cxdash.metrics.request import MetricRequest
from cxdash.settings import Settings
from cxdash.store import StoreInfo

FUNNEL_STEPS = (
    ("contacts", "Contacts"),
    ("responded", "First response within target"),
    ("resolved", "Resolved"),
    ("smooth", "No transfer or reopen"),
    ("happy", "Happy"),
)
FRICTIONS = (
    ("slow_first_response", "First response slower than target"),
    ("unresolved", "Not resolved"),
    ("slow_resolution", "Resolved slower than the happy target"),
    ("transferred", "Transferred"),
    ("reopened", "Reopened"),
    ("unhappy", "CSAT below 4"),
)

_COLUMNS = (
    "first_response_hours", "resolution_hours", "is_resolved", "self_served", "transfers",
    "reopens", "csat",
)  # fmt: skip

_FLAGS = f"""
flags AS (
  SELECT self_served OR coalesce(first_response_hours <= $fr_target, false) AS responded,
         is_resolved AS resolved,
         transfers = 0 AND reopens = 0 AS smooth,
         is_resolved AND resolution_hours <= $happy_hours AND (csat IS NULL OR csat >= 4)
           AS happy_end,
         NOT self_served AND coalesce(first_response_hours > $fr_target, true)
           AS slow_first_response,
         is_resolved AND resolution_hours > $happy_hours AS slow_resolution,
         transfers > 0 AS transferred, reopens > 0 AS reopened,
         coalesce(csat < 4, false) AS unhappy
  FROM {Fragment.period_contacts}),
ends AS (SELECT *, responded AND resolved AND smooth AND happy_end AS done FROM flags)"""


def funnel_and_frictions(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo,
    settings: Settings,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(funnel: step, label, contacts, share) and (friction: friction, label, contacts)."""
    frag = period_fragment(request, info, settings, _COLUMNS)
    frag = frag.with_params(fr_target=float(settings.first_response_target_hours))
    body = """
SELECT count(*) AS contacts,
       count(*) FILTER (WHERE responded) AS responded,
       count(*) FILTER (WHERE responded AND resolved) AS resolved,
       count(*) FILTER (WHERE responded AND resolved AND smooth) AS smooth,
       count(*) FILTER (WHERE done) AS happy,
       count(*) FILTER (WHERE NOT done AND slow_first_response) AS slow_first_response,
       count(*) FILTER (WHERE NOT done AND NOT resolved) AS unresolved,
       count(*) FILTER (WHERE NOT done AND slow_resolution) AS slow_resolution,
       count(*) FILTER (WHERE NOT done AND transferred) AS transferred,
       count(*) FILTER (WHERE NOT done AND reopened) AS reopened,
       count(*) FILTER (WHERE NOT done AND unhappy) AS unhappy
FROM ends"""
    sql, used = frag.query(body, _FLAGS)
    with con.cursor() as cur:
        row = cur.sql(sql, params=used).pl().row(0, named=True)
    total = row["contacts"]
    funnel = pl.DataFrame({
        "step": [s for s, _ in FUNNEL_STEPS],
        "label": [label for _, label in FUNNEL_STEPS],
        "contacts": [int(row[s]) for s, _ in FUNNEL_STEPS],
        "share": [row[s] / total if total else None for s, _ in FUNNEL_STEPS],
    })  # fmt: skip
    friction = pl.DataFrame({
        "friction": [f for f, _ in FRICTIONS],
        "label": [label for _, label in FRICTIONS],
        "contacts": [int(row[f]) for f, _ in FRICTIONS],
    }).sort("contacts", descending=True)  # fmt: skip
    return funnel, friction
