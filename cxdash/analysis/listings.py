"""Read the root-cause register and the driver catalog for charts and tables."""

from __future__ import annotations

import re
from typing import cast

import duckdb
import polars as pl

from cxdash.metrics.sources import build_sources
from cxdash.store import StoreInfo

# SPEC §2, the value–irritant matrix: (value to customer, value to business) → action.
QUADRANTS = {
    ("low", "low"): "Eliminate",
    ("high", "low"): "Automate",
    ("low", "high"): "Simplify",
    ("high", "high"): "Leverage",
}
ACTIONS = {
    "Eliminate": "remove the reason to contact: nobody gains from it",
    "Automate": "let customers serve themselves: they want the answer",
    "Simplify": "make it quick and easy: the business needs the contact",
    "Leverage": "keep it and use it well: both sides gain",
}
ACTION_ORDER = {name: i for i, name in enumerate(ACTIONS)}


def root_causes(con: duckdb.DuckDBPyConnection, info: StoreInfo) -> pl.DataFrame:
    src = build_sources(info)
    ctes = ", ".join(c for c in src.ctes if c.startswith("root_causes_src"))
    with con.cursor() as cur:
        return cast(pl.DataFrame, cur.sql(
            f"WITH {ctes} SELECT cause_id, title, reasons, owner, status, identified_on, "
            "fixed_on, notes FROM root_causes_src ORDER BY fixed_on NULLS LAST, cause_id"
        ).pl())


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
        frame: pl.DataFrame = cur.sql(f"SELECT {', '.join(pick)} FROM reasons ORDER BY reason").pl()
    quadrant = [
        QUADRANTS.get((str(c).lower(), str(b).lower()))
        for c, b in zip(frame["value_to_customer"], frame["value_to_business"], strict=True)
    ]
    return frame.with_columns(pl.Series("quadrant", quadrant, dtype=pl.String))


def suggest_id(existing: list[str] | tuple[str, ...] | pl.Series) -> str:
    """The next id in the register's own style: after RC-121 comes RC-122 (RC-1 when empty)."""
    best: tuple[int, str, int] | None = None  # number, prefix, digits
    for cause_id in existing:
        found = re.fullmatch(r"(.*?)(\d+)", str(cause_id))
        if found and (best is None or int(found[2]) > best[0]):
            best = int(found[2]), found[1], len(found[2])
    if best is None:
        return "RC-1"
    number, prefix, digits = best
    taken = {str(c) for c in existing}
    while True:
        number += 1
        candidate = f"{prefix}{number:0{digits}d}"
        if candidate not in taken:
            return candidate
