"""Import one file into the store: read as text, map, validate every row, then write — all or
nothing — into the next version of the store. This module runs the steps in order; each
lives in its own module:

- `read`: the file into the temp table `raw`, every column as text, rows numbered as in the
  file (the header is row 1);
- `parse`: the mapping settled on the file's columns, each field's SQL (`casts`, and the
  day/month order of dates `formats` detects), every field parsed once into `typed`;
- `validate` (and `causes` for a root-cause register): every problem, as `results.Problem`;
- `write`: the good rows into the draft of the next version (`cxdash.publish`), the history,
  the rejected rows (`--rejects`).

Everything is read as text first so that a bad value is *reported* (file, row, column, value,
why) instead of failing a cast deep inside DuckDB or being silently dropped. Time-zone offsets
in values are converted to the reporting zone; values without one are taken as wall-clock
time in it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl

from cxdash import cause_register, publish, store
from cxdash.drivers import assign
from cxdash.importer import events, messages
from cxdash.importer.causes import register_problems, write_causes
from cxdash.importer.mapping import TABLES, Mapping
from cxdash.importer.parse import (
    ParsedField,
    clear_before_created,
    materialise,
    plan_fields,
    settle_mapping,
    unparsed_auto_fields,
)
from cxdash.importer.read import ROW, ReadFailed, columns_of, load_raw
from cxdash.importer.results import (
    ImportFailed,
    ImportReport,
    OnProgress,
    Problem,
    Progress,
    RowsRejected,
)
from cxdash.importer.validate import validate
from cxdash.importer.write import (
    drop_rejected,
    record_import,
    write_events,
    write_messages,
    write_rejects,
    write_rows,
)
from cxdash.schema import TABLES_BY_NAME, Table, create_schema
from cxdash.settings import load as load_settings

__all__ = ["IMPORTABLE", "MODES", "ImportFailed", "ImportReport", "RowsRejected", "check_file",
           "import_file"]  # fmt: skip

IMPORTABLE = TABLES
MODES = ("upsert", "replace")
FORMS = {"events": events.EVENTS, "messages": messages.MESSAGES}  # input forms → contacts


def import_file(
    path: Path,
    db: Path,
    table: str | None = None,
    mapping: Mapping | None = None,
    *,
    skip_bad_rows: bool = False,
    rejects: Path | None = None,
    sheet: str | None = None,
    mode: str = "upsert",
    progress: OnProgress | None = None,
    source_name: str | None = None,
    changed_by: str | None = None,
) -> ImportReport:
    """Import one file, all or nothing (`skip_bad_rows` imports the good rows and reports the
    rest; else `RowsRejected` lists every problem). `mode="replace"` empties the table
    first; the default upserts by id. `progress` hears each phase as it begins.
    `source_name` is what the history records when `path` is a copy (an upload).
    Root causes: every field change is recorded in `root_cause_changes` as made by
    `changed_by` (default "import: <file name>"). Before a replace swaps in, the store as it
    was is kept as an automatic backup (`ImportReport.backup`; `cxdash restore` undoes it)."""
    if mode not in MODES:
        raise ImportFailed(f"mode must be one of {', '.join(MODES)}")
    say = progress or (lambda _progress: None)
    keep = "import" if mode == "replace" else None

    def published(phase: publish.Phase) -> None:
        say(Progress(phase))

    with _store_failures(), publish.new_version(db, keep=keep, progress=published) as draft:
        con = draft.con
        create_schema(con)
        checked = _check(con, path, table, mapping, sheet, progress)
        if rejects is not None:
            write_rejects(con, checked.problems, rejects)
        con.execute("DROP VIEW raw; DROP TABLE raw_data")  # every value is in `typed` now:
        bad_rows = checked.bad_rows  # free the file's copy before writing
        if checked.problems and not skip_bad_rows:
            raise RowsRejected(tuple(checked.problems))
        say(Progress("writing"))
        drop_rejected(con, bad_rows)  # `typed` holds the good rows only from here on
        notes: tuple[str, ...] = checked.read_notes
        if checked.table == "events":
            written = write_events(draft, checked.plan, checked.mapping, mode)
        elif checked.table == "messages":
            written, linked = write_messages(draft, checked.plan, checked.mapping, mode)
            notes = (*notes, *linked)
        elif checked.table == "root_causes":
            by = changed_by or f"import: {Path(source_name or path).name}"
            written = write_causes(con, checked.plan, set(), mode, by)
        else:
            fits = path.stat().st_size < store.write_memory_bytes()
            written = write_rows(draft, checked.spec, checked.plan, mode, fits)
        placed = assign.assign_new(con)  # a later import among the accepted drivers
        if placed is not None:
            notes = (*notes, placed.note())
        record_import(con, path, source_name or str(path), checked.table, checked.rows_read,
                      written, len(bad_rows))  # fmt: skip
    kept = str(draft.kept) if draft.kept is not None else None
    return replace(checked.report(written=written, mode=mode), backup=kept, notes=notes)


@contextlib.contextmanager
def _store_failures() -> Iterator[None]:
    """A full disk or a damaged store fails the import like bad data: nothing was written."""
    try:
        yield
    except store.StoreError as exc:
        raise ImportFailed(str(exc)) from exc


def check_file(
    path: Path,
    db: Path | None = None,
    table: str | None = None,
    mapping: Mapping | None = None,
    *,
    sheet: str | None = None,
    preview_rows: int = 10,
) -> tuple[ImportReport, pl.DataFrame]:
    """Everything an import would do short of writing: the matched mapping, every problem,
    and the first rows as read. Runs in a scratch in-memory database (the store is only read
    for its reporting time zone and, for root causes, the reasons they may name), so the Data
    page can show it before anyone commits."""
    con = duckdb.connect(config={"threads": 2, "memory_limit": "2GB"})
    try:
        tz, known = "UTC", None
        wanted = table or (mapping.table if mapping else None)
        if wanted == "root_causes":
            known = set()  # no store yet: no reason is known
        if db is not None and db.exists():
            with contextlib.closing(store.open_read(db)) as live:
                tz = load_settings(live).timezone
                if wanted == "root_causes":
                    known = cause_register.known_reasons(live)
        checked = _check(con, path, table, mapping, sheet, None, tz=tz, known_reasons=known)
        first = con.sql(f"SELECT * FROM raw ORDER BY {ROW} LIMIT {int(preview_rows)}").pl()
        return checked.report(written=0, mode="check"), first
    finally:
        con.close()


@dataclass
class _Checked:
    """A file read, mapped, parsed and validated on a connection (temp tables raw, typed)."""

    path: Path
    table: str
    spec: Table
    mapping: Mapping
    plan: list[ParsedField]
    problems: list[Problem]
    rows_read: int
    ignored: tuple[str, ...]
    dropped: dict[str, str]
    cleared: dict[str, int]
    read_notes: tuple[str, ...] = ()  # how the file was read (lines in another encoding)

    @property
    def target(self) -> str:
        return "contacts" if self.table in FORMS else self.table

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.problems}

    def report(self, *, written: int, mode: str) -> ImportReport:
        return ImportReport(
            file=str(self.path), table=self.table, matched=self.mapping.describe(),
            unknown_columns=self.ignored, rows_read=self.rows_read, rows_written=written,
            rows_rejected=len(self.bad_rows), problems=tuple(self.problems),
            dropped=self.dropped, target=self.target, mode=mode, cleared=self.cleared,
            notes=self.read_notes,
        )  # fmt: skip


def _check(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str | None,
    mapping: Mapping | None,
    sheet: str | None,
    progress: OnProgress | None,
    tz: str | None = None,
    known_reasons: set[str] | None = None,
) -> _Checked:
    """Read, map, parse and validate on `con`. Root causes are also held to the register's
    own rules (`cxdash.cause_register`), against `known_reasons` (default: the store on `con`)."""
    table = table or (mapping.table if mapping else None) or "contacts"
    if table not in IMPORTABLE:
        raise ImportFailed(f"--table must be one of {', '.join(IMPORTABLE)}")
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    say = progress or (lambda _progress: None)
    spec = FORMS.get(table) or TABLES_BY_NAME[table]
    tz = tz or load_settings(con).timezone
    con.execute("SET TimeZone = $tz", {"tz": tz})
    say(Progress("reading", detail=path.name))
    try:
        read_notes = load_raw(con, path, (mapping or Mapping()).read, sheet, progress)
    except ReadFailed as exc:
        raise ImportFailed(str(exc)) from exc
    columns = columns_of(con)
    mapping, dropped = settle_mapping(path, spec, mapping, columns)
    if table == "messages" and not any(mapping.covers(f) for f in messages.LINKS):
        raise ImportFailed(
            f"{path}: a conversation log needs conversation_id or reply_to to link its "
            f"messages, and none of the columns ({', '.join(columns)}) was matched; map one, "
            "e.g. [fields] reply_to = \"in_response_to_tweet_id\"")  # fmt: skip
    say(Progress("checking"))
    params: dict[str, object] = {"tz": tz}
    plan = materialise(con, plan_fields(con, spec, mapping, path, params), params)
    if mapping.automatic:
        unparsed = unparsed_auto_fields(con, plan)
        if unparsed:  # e.g. a Y/N column named "Resolved" is not a resolution time
            dropped.update(unparsed)
            mapping = mapping.without(set(unparsed))
            con.execute("DROP TABLE typed")
            params = {"tz": tz}
            plan = materialise(con, plan_fields(con, spec, mapping, path, params), params)
    cleared = clear_before_created(con, plan, mapping)
    problems = validate(con, spec, plan, path, params)
    if table == "root_causes":
        known = cause_register.known_reasons(con) if known_reasons is None else known_reasons
        problems = sorted(problems + register_problems(con, plan, path, known),
                          key=lambda p: p.row)  # fmt: skip
    rows_read = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    ignored = tuple(c for c in columns if c not in mapping.sources())
    return _Checked(path, table, spec, mapping, plan, problems, rows_read, ignored, dropped,
                    cleared, read_notes)  # fmt: skip
