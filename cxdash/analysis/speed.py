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

from cxdash.metrics.catalogue import HAPPY_SQL, HAPPY_STEPS, METRICS_BY_ID, not_in_data
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
# The fields a friction reads: a store that holds none of them cannot say whether contacts
# met it (no first response time is not a slow one): such a friction is "not in your data".
FRICTION_NEEDS: dict[str, tuple[str, ...]] = {
    "slow_first_response": ("first_response_at",),
    "unresolved": ("resolved_at", "status"),
    "slow_resolution": ("resolved_at",),
    "transferred": ("transfers",),
    "reopened": ("reopens",),
    "unhappy": ("csat",),
}
FUNNEL_SCHEMA = {"step": pl.String, "label": pl.String, "contacts": pl.Int64,
                 "share": pl.Float64}  # fmt: skip
FRICTION_SCHEMA = {"friction": pl.String, "label": pl.String, "contacts": pl.Int64,
                   "in_data": pl.Boolean}  # fmt: skip
assert set(FRICTION_NEEDS) == {f for f, _ in FRICTIONS}, "every friction says what it needs"

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
    """(funnel: step, label, contacts, share) and (friction: friction, label, contacts,
    in_data). Past "resolved", the funnel's steps need resolution times: on a store without
    any resolved_at their contacts and shares are null ("not in your data", as happy_rate)."""
    frag = period_fragment(request, info, settings, _COLUMNS)
    frag = frag.with_params(fr_target=float(settings.first_response_target_hours))
    sql, used = frag.query(_body())
    with con.cursor() as cur:
        row = cur.sql(sql, params=used).pl().row(0, named=True)
    total = row["contacts"]
    timed = not not_in_data(METRICS_BY_ID["happy_rate"], info.provides)
    steps = [(s, label, int(row[s]) if s in ("contacts", "resolved") or timed else None)
             for s, label in FUNNEL_STEPS]  # fmt: skip
    funnel = pl.DataFrame({
        "step": [s for s, _, _ in steps],
        "label": [label for _, label, _ in steps],
        "contacts": [n for _, _, n in steps],
        "share": [n / total if total and n is not None else None for _, _, n in steps],
    }, schema=FUNNEL_SCHEMA)  # fmt: skip
    held = {f: any(info.provides(c) for c in FRICTION_NEEDS[f]) for f, _ in FRICTIONS}
    friction = pl.DataFrame({
        "friction": [f for f, _ in FRICTIONS],
        "label": [label for _, label in FRICTIONS],
        "contacts": [int(row[f]) if held[f] else None for f, _ in FRICTIONS],
        "in_data": [held[f] for f, _ in FRICTIONS],
    }, schema=FRICTION_SCHEMA)  # fmt: skip
    friction = friction.sort("contacts", descending=True, nulls_last=True)
    return funnel, friction
