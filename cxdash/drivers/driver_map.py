"""The driver map as a writer: raw reasons → drivers, and contacts' text assignments, written
into the next version of the store with every change kept, like the register's.

Publishing derives each contact's driver from them (`cxdash.derived.refresh_drivers`), so a
changed map applies to history at once; drivers new to the catalog get an untriaged row (no
value levels yet), so Playing to win lists them for triage instead of hiding them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from cxdash import publish
from cxdash.drivers import centres
from cxdash.schema import create_schema


class InvalidMap(ValueError):
    """What is wrong with a driver map, naming the reason."""


@dataclass(frozen=True)
class MapChange:
    """What a write did: reasons mapped anew, remapped, unmapped; contacts assigned from text;
    drivers added to the catalog."""

    added: int
    changed: int
    removed: int
    assigned: int
    catalog_added: tuple[str, ...]

    def summary(self) -> str:
        parts = [f"{n:,} {one if n == 1 else many}" for n, one, many in (
            (self.added, "reason mapped", "reasons mapped"), (self.changed, "remapped", "remapped"),
            (self.removed, "unmapped", "unmapped"),
            (self.assigned, "contact assigned from its text", "contacts assigned from their text"),
            (len(self.catalog_added), "driver added to the catalog",
             "drivers added to the catalog"),
        ) if n]  # fmt: skip
        return ", ".join(parts) or "no change"


def problems(mapping: Mapping[str, str]) -> list[str]:
    out = []
    for reason, driver in mapping.items():
        if not (driver or "").strip():
            out.append(f"reason {reason!r}: a driver needs a name")
        elif len(driver) > 80:
            out.append(f"reason {reason!r}: driver {driver[:40]!r}… is longer than 80 characters")
    return out


def current(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    try:
        return dict(con.execute("SELECT reason, driver FROM driver_map").fetchall())
    except duckdb.CatalogException:  # a store from before driver maps
        return {}


def write(
    db: Path,
    mapping: Mapping[str, str],
    *,
    assignments: pl.DataFrame | None = None,
    replace: bool = False,
    changed_by: str = "local",
    text_fields: tuple[str, ...] = (),
    discovered: bool = False,
) -> MapChange:
    """Map these reasons (and, with `replace`, unmap every other), assign these contacts
    (`assignments`: contact_id, driver, similarity, from the `text_fields` they were read
    from; replacing all earlier assignments), add untriaged catalog rows for new drivers and
    work out the drivers' centres again (`centres.refresh`: where a later import's contacts
    land: from the map when it came from discovery (`discovered`) or had centres before, so a
    hand-written map of a few reasons does not start placing new ones), as one new version.
    Raises InvalidMap."""
    broken = problems(mapping)
    if broken:
        raise InvalidMap("; ".join(broken))
    now = dt.datetime.now()
    with publish.new_version(db) as draft:
        con = draft.con
        create_schema(con)
        before = current(con)
        after = dict(mapping) if replace else {**before, **mapping}
        changes = [(r, before.get(r), after.get(r)) for r in sorted(set(before) | set(after))
                   if before.get(r) != after.get(r)]  # fmt: skip
        if changes:
            con.executemany("INSERT INTO driver_map_changes VALUES (?, ?, ?, ?, ?)",
                            [(r, now, changed_by, old, new) for r, old, new in changes])
            con.execute("DELETE FROM driver_map")
            if after:
                rows = pl.DataFrame({"reason": list(after), "driver": list(after.values())},
                                    schema={"reason": pl.String, "driver": pl.String})
                con.register("new_map", rows.to_arrow())
                con.execute("INSERT INTO driver_map SELECT reason, driver FROM new_map")
                con.unregister("new_map")
        assigned = 0
        if assignments is not None:
            con.execute("DELETE FROM contact_drivers")
            if assignments.height:
                con.register("new_assignments", assignments.select(
                    "contact_id", "driver", "similarity").to_arrow())
                con.execute("INSERT INTO contact_drivers SELECT contact_id, driver, similarity "
                            "FROM new_assignments")  # fmt: skip
                con.unregister("new_assignments")
            assigned = assignments.height
        drivers = sorted(set(after.values()) | (
            set(assignments["driver"].to_list()) if assignments is not None else set()))
        known = {r for (r,) in con.execute("SELECT reason FROM reasons").fetchall()}
        new = tuple(d for d in drivers if d not in known)
        if new:
            con.executemany("INSERT INTO reasons (reason) VALUES (?)", [(d,) for d in new])
        if changes and (discovered or centres.exist(con)):
            centres.refresh(con)
        if assignments is not None and text_fields:
            centres.refresh(con, text_fields)
        if changes or assignments is not None:
            draft.drivers_remapped()
    return MapChange(
        added=sum(1 for _, old, new in changes if old is None),
        changed=sum(1 for _, old, new in changes if old is not None and new is not None),
        removed=sum(1 for _, old, new in changes if new is None),
        assigned=assigned, catalog_added=new,
    )  # fmt: skip
