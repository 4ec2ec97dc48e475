"""Speed to happiness: the funnel from contact to happy customer, and what blocks it.

Funnel steps are cumulative — each keeps the contacts that passed every step before it — and
are the conditions of happy_rate in order (`catalogue.HAPPY_STEPS`): contacts → resolved →
resolved within the happy target → at most one transfer and no reopen → CSAT not below 4. So
the last step is exactly happy_rate's count: one "happy" on the page (SPEC §4.4).

Frictions are counted over the contacts that did not reach happy: each condition of happy they
fail, and a first response slower than its target (not a condition of happy, so shown beside
the funnel rather than in it; self-served contacts count as answered in time). One contact can
be blocked by several, so they are not a partition.
"""

from __future__ import annotations

import duckdb
import polars as pl

from cxdash.metrics.catalogue import HAPPY_SQL, HAPPY_STEPS
from cxdash.metrics.compiler import Fragment, period_fragment
from cxdash.metrics.request import MetricRequest
from cxdash.settings import Settings
from cxdash.store import StoreInfo

FUNNEL_STEPS: tuple[tuple[str, str], ...] = (
    ("contacts", "Contacts"),
    *((step.id, step.label) for step in HAPPY_STEPS),
)
# (id, label, SQL true for a contact it blocks), over the contacts that are not happy.
_FRICTIONS: tuple[tuple[str, str, str], ...] = (
    ("slow_first_response", "First response slower than target",
     "NOT self_served AND coalesce(first_response_hours > $fr_target, true)"),
    # NOT of a NULL condition is NULL, so an unresolved contact is "not resolved", never also
    # "resolved slower than the happy target".
    *((c.friction, c.friction_label, f"NOT ({c.sql})")
      for step in HAPPY_STEPS for c in step.conditions),
)  # fmt: skip
FRICTIONS: tuple[tuple[str, str], ...] = tuple((f, label) for f, label, _ in _FRICTIONS)

_COLUMNS = (
    "first_response_hours", "resolution_hours", "is_resolved", "self_served", "transfers",
    "reopens", "csat",
)  # fmt: skip


def _body() -> str:
    counts = ["count(*) AS contacts"]
    passed: list[str] = []
    for step in HAPPY_STEPS:
        passed.append(step.sql)
        counts.append(f"count(*) FILTER (WHERE {' AND '.join(passed)}) AS {step.id}")
    counts += [f"count(*) FILTER (WHERE NOT is_happy AND {sql}) AS {f}"
               for f, _, sql in _FRICTIONS]  # fmt: skip
    columns = ",\n       ".join(counts)
    return f"""
SELECT {columns}
FROM (SELECT *, {HAPPY_SQL} AS is_happy FROM {Fragment.period_contacts})"""


def funnel_and_frictions(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo,
    settings: Settings,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(funnel: step, label, contacts, share) and (friction: friction, label, contacts)."""
    frag = period_fragment(request, info, settings, _COLUMNS)
    frag = frag.with_params(fr_target=float(settings.first_response_target_hours))
    sql, used = frag.query(_body())
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
