"""The root-cause register as a team edits it: validated causes, saved into the next version
of the store, every change recorded (field, old → new, when, by whom).

Kept apart from the UI so the rules hold the same for the app, a CSV round trip and tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path

import duckdb

from cxdash import store
from cxdash.schema import ROOT_CAUSE_STATUSES, create_schema


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


def problems(cause: RootCause, known_reasons: set[str]) -> list[str]:
    """Every rule the cause breaks (empty when it may be saved)."""
    out = []
    if not cause.cause_id.strip():
        out.append("a cause needs an id")
    if cause.status not in ROOT_CAUSE_STATUSES:
        out.append(f"status must be one of {', '.join(ROOT_CAUSE_STATUSES)}")
    if cause.status == "eliminated" and cause.fixed_on is None:
        out.append("an eliminated cause needs the date it was fixed (fixed_on)")
    if cause.fixed_on and cause.identified_on and cause.fixed_on < cause.identified_on:
        out.append(f"fixed_on {cause.fixed_on} is before identified_on {cause.identified_on}")
    unknown = [r for r in cause.reasons if r not in known_reasons]
    if unknown:
        out.append(f"reason(s) {', '.join(map(repr, unknown))} are neither in the contacts nor "
                   "in the driver catalog")  # fmt: skip
    return out


def known_reasons(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Reasons a cause may name: those seen in contacts and those in the driver catalog."""
    rows = con.execute("SELECT DISTINCT reason FROM contacts WHERE reason IS NOT NULL "
                       "UNION SELECT reason FROM reasons").fetchall()  # fmt: skip
    return {r for (r,) in rows}


def _load(con: duckdb.DuckDBPyConnection, cause_id: str) -> RootCause | None:
    row = con.execute("SELECT cause_id, title, reasons, owner, status, identified_on, fixed_on, "
                      "notes FROM root_causes WHERE cause_id = $id",
                      {"id": cause_id}).fetchall()  # fmt: skip
    if not row:
        return None
    values = list(row[0])
    values[2] = tuple(values[2] or ())
    return RootCause(*values)


def save(db: Path, cause: RootCause, by: str = "local") -> list[tuple[str, str | None, str | None]]:
    """Add or change one cause (all or nothing) and record what changed; returns the changes
    (field, old, new). Raises InvalidCause, naming every rule broken."""
    with store.new_version(db, from_existing=True) as con:
        create_schema(con)
        broken = problems(cause, known_reasons(con))
        if broken:
            raise InvalidCause(f"cause {cause.cause_id!r}: " + "; ".join(broken))
        before = _load(con, cause.cause_id)
        old = before.as_text() if before else dict.fromkeys(cause.as_text())
        new = cause.as_text()
        changes = [(k, old[k], new[k]) for k in new if old[k] != new[k]]
        con.execute("DELETE FROM root_causes WHERE cause_id = $id", {"id": cause.cause_id})
        con.execute(
            "INSERT INTO root_causes VALUES ($id, $title, $reasons, $owner, $status, $ident, "
            "$fixed, $notes)",
            {"id": cause.cause_id, "title": cause.title, "reasons": list(cause.reasons),
             "owner": cause.owner, "status": cause.status, "ident": cause.identified_on,
             "fixed": cause.fixed_on, "notes": cause.notes},
        )  # fmt: skip
        now = dt.datetime.now().replace(microsecond=0)
        for name, was, becomes in changes:
            con.execute(
                "INSERT INTO root_cause_changes VALUES ($id, $at, $by, $f, $old, $new)",
                {"id": cause.cause_id, "at": now, "by": by, "f": name, "old": was,
                 "new": becomes},
            )  # fmt: skip
    return changes


def changes(con: duckdb.DuckDBPyConnection, cause_id: str) -> list[tuple]:
    """A cause's change history, oldest first: (changed_at, changed_by, field, old, new)."""
    try:
        return con.execute(
            "SELECT changed_at, changed_by, field, old_value, new_value FROM root_cause_changes "
            "WHERE cause_id = $id ORDER BY changed_at, field", {"id": cause_id}
        ).fetchall()
    except duckdb.CatalogException:  # a store written before the history existed
        return []
