"""Read the root-cause register and the driver catalog for charts and tables."""

from __future__ import annotations

import duckdb
import polars as pl

from cxdash.metrics.sources import build_sources
from cxdash.store import StoreInfo

QUADRANTS = {
    ("low", "low"): "Eliminate",
    ("high", "low"): "Automate",
    ("low", "high"): "Simplify",
    ("high", "high"): "Leverage",
}


def root_causes(con: duckdb.DuckDBPyConnection, info: StoreInfo) -> pl.DataFrame:
    src = build_sources(info)
    ctes = ", ".join(c for c in src.ctes if c.startswith("root_causes_src"))
    with con.cursor() as cur:
        return cur.sql(
            f"WITH {ctes} SELECT cause_id, title, reasons, owner, status, identified_on, "
            "fixed_on, notes FROM root_causes_src ORDER BY fixed_on NULLS LAST, cause_id"
        ).pl()


def driver_catalog(con: duckdb.DuckDBPyConnection, info: StoreInfo) -> pl.DataFrame:
    """reason, value_to_customer, value_to_business, preventable, external, quadrant."""
    empty = pl.DataFrame(schema={
        "reason": pl.String, "value_to_customer": pl.String, "value_to_business": pl.String,
        "preventable": pl.Boolean, "external": pl.Boolean, "quadrant": pl.String,
    })  # fmt: skip
    if not info.has_table("reasons"):
        return empty
    cols = info.columns["reasons"]
    pick = [
        c if c in cols else f"NULL AS {c}"
        for c in ("reason", "value_to_customer", "value_to_business", "preventable", "external")
    ]
    with con.cursor() as cur:
        frame = cur.sql(f"SELECT {', '.join(pick)} FROM reasons ORDER BY reason").pl()
    quadrant = [
        QUADRANTS.get((str(c).lower(), str(b).lower()))
        for c, b in zip(frame["value_to_customer"], frame["value_to_business"], strict=True)
    ]
    return frame.with_columns(pl.Series("quadrant", quadrant, dtype=pl.String))
