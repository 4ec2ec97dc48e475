"""`cxdash import FILE.toml --table schedules`: the schedules and SLA policies (SPEC §2),
checked whole against the store's teams, stored as one new version that re-derives every
contact's SLA facts — or, on any problem, nothing written and every problem named by line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cxdash import publish
from cxdash.schema import create_schema
from cxdash.sla import config as sla_config
from cxdash.sla.outcomes import outcome_sql


class SchedulesRejected(Exception):
    """The file's problems, one per line (`file:line: what`); the store is unchanged."""


@dataclass(frozen=True)
class SchedulesReport:
    schedules: int
    teams: int
    policies: int
    measured: int  # contacts with SLA facts after the import
    outcomes: dict[str, int]  # first-response outcome → contacts
    resolution_outcomes: dict[str, int]  # resolution outcome → contacts
    notes: tuple[str, ...]


def import_schedules(path: Path, db: Path, changed_by: str = "import") -> SchedulesReport:
    """Replace the store's schedules and SLA policies with the file's."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchedulesRejected(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    return save_schedules(text, db, source=str(path), changed_by=changed_by)


def check_schedules(text: str, teams: list[str], source: str = "schedules") -> list[str]:
    """Every problem of `text` against the store's teams, one line each; [] when it is good
    (Data and settings checks before it saves)."""
    try:
        sla_config.parse(text, source=source, teams=teams or None)
    except sla_config.ConfigError as exc:
        return list(exc.problems)
    return []


def save_schedules(text: str, db: Path, *, source: str = "schedules",
                   changed_by: str = "import") -> SchedulesReport:  # fmt: skip
    """Replace the store's schedules and SLA policies with `text` as one new version (every
    contact's SLA facts derived again), or raise SchedulesRejected and change nothing."""
    with publish.new_version(db) as draft:
        con = draft.con
        create_schema(con)
        teams = [t for (t,) in con.execute("SELECT DISTINCT team FROM contacts WHERE team IS "
                                           "NOT NULL").fetchall()]  # fmt: skip
        try:
            parsed = sla_config.parse(text, source=source, teams=teams or None)
        except sla_config.ConfigError as exc:
            raise SchedulesRejected("\n".join(exc.problems)) from exc
        con.execute("INSERT INTO sla_config VALUES ($toml, $at, $by)",
                    {"toml": sla_config.to_toml(parsed), "at": dt.datetime.now(),
                     "by": changed_by})  # fmt: skip
        draft.sla_rewritten()
    return _report(db, parsed)


def _report(db: Path, parsed: sla_config.SlaConfig) -> SchedulesReport:
    from cxdash import store

    con = store.open_read(db)
    try:
        measured = con.execute("SELECT count(*) FROM contacts WHERE sla_policy IS NOT NULL OR "
                               "first_response_business_seconds IS NOT NULL").fetchall()[0][0]
        now = {"now": _newest(con)}
        outcomes, resolution = ({str(k): int(v) for k, v in con.execute(
            f"SELECT {outcome_sql(done, f'{stem}_due_at', f'{stem}_target_seconds', '$now')}, "
            f"count(*) FROM contacts WHERE {stem}_target_seconds IS NOT NULL GROUP BY 1",
            now).fetchall()} for done, stem in (("first_response_at", "first_response"),
                                                ("resolved_at", "resolution")))  # fmt: skip
    finally:
        con.close()
    return SchedulesReport(len(parsed.schedules), len(parsed.teams), len(parsed.policies),
                           int(measured), outcomes, resolution, parsed.notes)  # fmt: skip


def _newest(con: duckdb.DuckDBPyConnection) -> dt.datetime:
    row = con.execute("SELECT greatest(max(created_at), max(first_response_at), "
                      "max(resolved_at)) FROM contacts").fetchall()[0][0]  # fmt: skip
    return row if isinstance(row, dt.datetime) else dt.datetime.min


def export_schedules(db: Path) -> str | None:
    """The schedules and policies in force as the TOML file they read from; None if none."""
    from cxdash import store

    con = store.open_read(db)
    try:
        rows = con.execute("SELECT toml FROM sla_config ORDER BY changed_at DESC, rowid DESC "
                           "LIMIT 1").fetchall()  # fmt: skip
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return str(rows[0][0]) if rows else None
