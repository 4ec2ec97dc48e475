"""The root-cause register as a team edits it: validated causes, saved into the next version
of the store, every change recorded (field, old → new, when, by whom).

Kept apart from the UI so the rules hold the same for the app, a CSV round trip and tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path

import duckdb

from cxdash import publish
from cxdash.schema import ROOT_CAUSE_STATUSES, create_schema
from cxdash.store import StoreInfo


class InvalidCause(ValueError):
    """What is wrong with a cause, in words a person can act on."""


@dataclass(frozen=True)
class RootCause:
    cause_id: str
    title: str | None = None
    reasons: tuple[str, ...] = ()
    owner: str | None = None
    status: str = "identified"
    identified_on: dt.date | None = None
    fixed_on: dt.date | None = None
    notes: str | None = None

    def as_text(self) -> dict[str, str | None]:
        """Each field as the change history writes it."""
        out: dict[str, str | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = ", ".join(value) if value else None
            out[f.name] = None if value is None else str(value)
        return out


@dataclass(frozen=True)
class Broken:
    """One rule a cause breaks: the field it is about (an import names that field's column)
    and what is wrong."""

    field: str
    message: str


def broken_rules(cause: RootCause, known_reasons: set[str]) -> list[Broken]:
    """Every rule the cause breaks, with the field each is about (empty when it may be saved)."""
    out = []
    if not cause.cause_id.strip():
        out.append(Broken("cause_id", "a cause needs an id"))
    if cause.status not in ROOT_CAUSE_STATUSES:
        out.append(Broken("status", f"status must be one of {', '.join(ROOT_CAUSE_STATUSES)}"))
    if cause.status == "eliminated" and cause.fixed_on is None:
        out.append(Broken("fixed_on", "an eliminated cause needs the date it was fixed (fixed_on)"))
    if cause.fixed_on and cause.identified_on and cause.fixed_on < cause.identified_on:
        out.append(Broken("fixed_on", f"fixed_on {cause.fixed_on} is before identified_on "
                                      f"{cause.identified_on}"))  # fmt: skip
    unknown = [r for r in cause.reasons if r not in known_reasons]
    if unknown:
        out.append(Broken("reasons", f"reason(s) {', '.join(map(repr, unknown))} are neither "
                                     "in the contacts nor in the driver catalog"))  # fmt: skip
    return out


def problems(cause: RootCause, known_reasons: set[str]) -> list[str]:
    """Every rule the cause breaks, in words (empty when it may be saved)."""
    return [b.message for b in broken_rules(cause, known_reasons)]


def known_reasons(
    con: duckdb.DuckDBPyConnection, info: StoreInfo | None = None
) -> set[str]:
    """Drivers a cause may name: those of the contacts and those in the driver catalog (a
    store written by another tool may lack either; with `info` that is taken from it, as a
    lake on Spark has no DuckDB catalog to ask)."""
    if info is not None:
        present = {t for t in ("contacts", "reasons") if info.has_column(t, "reason")}
        drivers = info.has_column("contacts", "driver")
    else:
        found = set(con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND database_name = current_database() AND table_name IN ('contacts', 'reasons') "
            "AND column_name IN ('reason', 'driver')"
        ).fetchall())  # fmt: skip
        present = {t for t, c in found if c == "reason"}
        drivers = ("contacts", "driver") in found
    seen = "coalesce(driver, reason)" if drivers else "reason"  # a cause names drivers (§2)
    parts = [sql for table, sql in (
        ("contacts", f"SELECT DISTINCT {seen} FROM contacts WHERE {seen} IS NOT NULL"),
        ("reasons", "SELECT reason FROM reasons WHERE reason IS NOT NULL"),
    ) if table in present]  # fmt: skip
    if not parts:
        return set()
    return {r for (r,) in con.execute(" UNION ".join(parts)).fetchall()}


def _load(con: duckdb.DuckDBPyConnection, cause_id: str) -> RootCause | None:
    row = con.execute("SELECT cause_id, title, reasons, owner, status, identified_on, fixed_on, "
                      "notes FROM root_causes WHERE cause_id = $id",
                      {"id": cause_id}).fetchall()  # fmt: skip
    if not row:
        return None
    values = list(row[0])
    values[2] = tuple(values[2] or ())
    return RootCause(*values)


Change = tuple[str, str | None, str | None]  # (field, old, new) as the history writes them
# (changed_at, changed_by, field, old, new) as `changes` reads them back
HistoryRow = tuple[dt.datetime, str, str, str | None, str | None]


def apply(
    con: duckdb.DuckDBPyConnection, cause: RootCause, by: str, now: dt.datetime
) -> list[Change]:
    """Write one cause on a writer's connection (add, or replace the one with its id) and
    record each field that changed, at `now`, by `by`; returns the changes. Checks no rule:
    callers validate first (`save`, the importer)."""
    before = _load(con, cause.cause_id)
    old = before.as_text() if before else dict.fromkeys(cause.as_text())
    new = cause.as_text()
    changed = [(k, old[k], new[k]) for k in new if old[k] != new[k]]
    con.execute("DELETE FROM root_causes WHERE cause_id = $id", {"id": cause.cause_id})
    con.execute(
        "INSERT INTO root_causes VALUES ($id, $title, $reasons, $owner, $status, $ident, "
        "$fixed, $notes)",
        {"id": cause.cause_id, "title": cause.title, "reasons": list(cause.reasons),
         "owner": cause.owner, "status": cause.status, "ident": cause.identified_on,
         "fixed": cause.fixed_on, "notes": cause.notes},
    )  # fmt: skip
    _record(con, cause.cause_id, changed, by, now)
    return changed


def remove(
    con: duckdb.DuckDBPyConnection, cause_id: str, by: str, now: dt.datetime
) -> list[Change]:
    """Delete one cause on a writer's connection, recording each field it had as changed to
    nothing; returns those changes ([] when there was no such cause)."""
    before = _load(con, cause_id)
    if before is None:
        return []
    changed: list[Change] = [(k, v, None) for k, v in before.as_text().items() if v is not None]
    con.execute("DELETE FROM root_causes WHERE cause_id = $id", {"id": cause_id})
    _record(con, cause_id, changed, by, now)
    return changed


def _record(
    con: duckdb.DuckDBPyConnection, cause_id: str, changed: list[Change], by: str,
    now: dt.datetime,
) -> None:
    for name, was, becomes in changed:
        con.execute(
            "INSERT INTO root_cause_changes VALUES ($id, $at, $by, $f, $old, $new)",
            {"id": cause_id, "at": now, "by": by, "f": name, "old": was, "new": becomes},
        )


def save(db: Path, cause: RootCause, by: str = "local") -> list[Change]:
    """Add or change one cause (all or nothing) and record what changed; returns the changes
    (field, old, new). Raises InvalidCause, naming every rule broken."""
    with publish.new_version(db) as draft:
        con = draft.con
        create_schema(con)
        broken = problems(cause, known_reasons(con))
        if broken:
            raise InvalidCause(f"cause {cause.cause_id!r}: " + "; ".join(broken))
        return apply(con, cause, by, dt.datetime.now().replace(microsecond=0))


def changes(con: duckdb.DuckDBPyConnection, cause_id: str) -> list[HistoryRow]:
    """A cause's change history, oldest first: (changed_at, changed_by, field, old, new)."""
    try:
        return con.execute(
            "SELECT changed_at, changed_by, field, old_value, new_value FROM root_cause_changes "
            "WHERE cause_id = $id ORDER BY changed_at, field", {"id": cause_id}
        ).fetchall()
    except duckdb.CatalogException:  # a store written before the history existed
        return []
