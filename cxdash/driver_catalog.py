"""The driver catalog as a team edits it in the app: validated as a whole, then written into the
next version of the store (all or nothing), so a bad row never half-replaces the catalog."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cxdash import publish
from cxdash.schema import create_schema

LEVELS = ("high", "low")


class InvalidCatalog(ValueError):
    """What is wrong with the edited catalog, row by row."""


@dataclass(frozen=True)
class Driver:
    reason: str
    value_to_customer: str | None = None  # high / low; None = not triaged yet
    value_to_business: str | None = None
    preventable: bool = False
    external: bool = False


@dataclass(frozen=True)
class CatalogChange:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    def summary(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in
                 (("added", self.added), ("changed", self.changed), ("removed", self.removed))
                 if v]  # fmt: skip
        return ", ".join(parts) or "no change"


def problems(drivers: Iterable[Driver]) -> list[str]:
    """Every rule the catalog breaks, naming the row (1 = first row of the table)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, d in enumerate(drivers, start=1):
        name = (d.reason or "").strip()
        if not name:
            out.append(f"row {i}: a driver needs a reason name")
            continue
        if name in seen:
            out.append(f"row {i}: reason {name!r} is already in row {seen[name]}")
        seen.setdefault(name, i)
        for column in ("value_to_customer", "value_to_business"):
            value = getattr(d, column)
            if value is not None and value not in LEVELS:
                out.append(f"row {i} ({name}): {column} {value!r} must be high or low")
    return out


def _orphaned(con: duckdb.DuckDBPyConnection, kept: set[str]) -> list[str]:
    """Reasons a root cause names that would be neither in the contacts nor the catalog."""
    rows = con.execute(
        "SELECT DISTINCT r.cause_id, r.reason FROM (SELECT cause_id, unnest(reasons) AS reason "
        "FROM root_causes) r WHERE r.reason NOT IN (SELECT reason FROM contacts "
        "WHERE reason IS NOT NULL) ORDER BY 1, 2"
    ).fetchall()
    return [f"cause {c} names reason {r!r}, which is in no contact; keep it in the catalog"
            for c, r in rows if r not in kept]  # fmt: skip


def save(db: Path, drivers: list[Driver]) -> CatalogChange:
    """Replace the catalog with `drivers` (all or nothing); returns what changed."""
    cleaned = [Driver(d.reason.strip(), d.value_to_customer, d.value_to_business,
                      bool(d.preventable), bool(d.external)) for d in drivers]  # fmt: skip
    broken = problems(cleaned)
    if broken:
        raise InvalidCatalog("; ".join(broken))
    with publish.new_version(db) as draft:
        con = draft.con
        create_schema(con)
        broken = _orphaned(con, {d.reason for d in cleaned})
        if broken:
            raise InvalidCatalog("; ".join(broken))
        before = {r[0]: Driver(*r) for r in con.execute(
            "SELECT reason, value_to_customer, value_to_business, coalesce(preventable, false), "
            "coalesce(external, false) FROM reasons").fetchall()}  # fmt: skip
        con.execute("DELETE FROM reasons")
        con.executemany(
            "INSERT INTO reasons (reason, value_to_customer, value_to_business, preventable, "
            "external) VALUES (?, ?, ?, ?, ?)",
            [(d.reason, d.value_to_customer, d.value_to_business, d.preventable, d.external)
             for d in cleaned],
        )  # fmt: skip
    after = {d.reason: d for d in cleaned}
    return CatalogChange(
        added=tuple(sorted(after.keys() - before.keys())),
        changed=tuple(sorted(k for k in after.keys() & before.keys() if after[k] != before[k])),
        removed=tuple(sorted(before.keys() - after.keys())),
    )
