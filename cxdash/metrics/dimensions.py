"""The allow-list of dimensions a user may filter or group by.

A dimension's SQL comes from this table, never from input: a request names a dimension by id
and the compiler looks the expression up. Product and region live on both contacts and orders,
so filtering on them narrows the denominator of contact rate too; the others are contact-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    contact_sql: str  # expression over the contacts relation, aliased `c`
    order_sql: str | None = None  # expression over the orders relation `o`, if it applies


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("channel", "Channel", "c.channel"),
    # SPEC §2: every filter and group-by on reason reads the driver (the reason after the
    # driver map; a missing one is `Unknown`).
    Dimension("reason", "Reason", "coalesce(c.driver, c.reason, 'Unknown')"),
    Dimension("team", "Team", "c.team"),
    Dimension("agent", "Agent", "c.agent"),
    Dimension("priority", "Priority", "c.priority"),
    Dimension("product", "Product", "c.product", "o.product"),
    Dimension("region", "Region", "c.region", "o.region"),
)

DIMENSIONS_BY_ID: dict[str, Dimension] = {d.id: d for d in DIMENSIONS}
DIMENSION_IDS: tuple[str, ...] = tuple(d.id for d in DIMENSIONS)

GRAINS: tuple[str, ...] = ("day", "week", "month")  # weeks start on Monday (ISO)


def distinct_values(con: Any, dims: tuple[str, ...]) -> dict[str, list[str]]:
    """Each dimension's values in the contacts, sorted: what its filter offers."""
    out: dict[str, list[str]] = {}
    for dim in dims:
        expr = DIMENSIONS_BY_ID[dim].contact_sql
        rows = con.sql(
            f"SELECT DISTINCT {expr} AS v FROM contacts c WHERE {expr} IS NOT NULL ORDER BY v"
        ).fetchall()
        out[dim] = [str(r[0]) for r in rows]
    return out
