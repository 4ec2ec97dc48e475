"""Import one file into the store: read as text, map, validate every row, then write — all or
nothing — into the next version of the store.

Everything is read as text first so that a bad value is *reported* (file, row, column, value,
why) instead of failing a cast deep inside DuckDB or being silently dropped. Rows are numbered
as in the file (the header is row 1). Time-zone offsets in values are converted to the
reporting zone; values without one are taken as wall-clock time in it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl

from cxdash import cause_register, derived, publish, store
from cxdash.importer import events
from cxdash.importer.cells import restore_sql, split_list_sql
from cxdash.importer.mapping import TABLES, Mapping
from cxdash.importer.read import ReadFailed, columns_of, ident, load_raw
from cxdash.importer.results import (
    ImportFailed,
    ImportReport,
    OnProgress,
    Problem,
    Progress,
    RowsRejected,
)
from cxdash.schema import ROOT_CAUSES, TABLES_BY_NAME, Column, Table, create_schema
from cxdash.settings import load as load_settings

IMPORTABLE = TABLES
# Tables cxdash exports for a spreadsheet (cxdash.exports): their text cells may carry the
# apostrophe that keeps a spreadsheet from running them as a formula (cxdash.importer.cells).
SPREADSHEET_TABLES = ("reasons", "root_causes")
MODES = ("upsert", "replace")
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _typed(col: Column, text: str, fmt_param: str | None = None, fmt: str = "") -> str:
    """SQL turning the text expression into `col`'s type; NULL where it does not parse."""
    if col.sql_type == "DATE":
        if fmt_param is None:
            return f"TRY_CAST({text} AS DATE)"
        return f"CAST(TRY_STRPTIME({text}, ${fmt_param}) AS DATE)"
    if col.sql_type == "VARCHAR[]":  # a list in one cell: "a; b"
        return split_list_sql(text)
    if col.sql_type == "TIMESTAMP":
        if fmt_param is None:  # only values with a zone take the (6× slower) zone-aware cast
            zoned = f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE $tz AS TIMESTAMP)"
            return (f"CASE WHEN regexp_matches({text}, '(Z|z|[+-][0-9][0-9](:?[0-9][0-9])?|"
                    f"[A-Za-z]{{3,5}})$') THEN {zoned} ELSE TRY_CAST({text} AS TIMESTAMP) END")
        parsed = f"TRY_STRPTIME({text}, ${fmt_param})"
        return f"CAST({parsed} AT TIME ZONE $tz AS TIMESTAMP)" if "%z" in fmt else parsed
    if col.sql_type in ("INTEGER", "BIGINT"):
        number = f"TRY_CAST({text} AS DOUBLE)"
        return f"CASE WHEN {number} = round({number}) THEN CAST({number} AS BIGINT) END"
    if col.sql_type == "DOUBLE" and col.name.endswith("_seconds"):  # 143 or 00:02:23
        return (f"coalesce(TRY_CAST({text} AS DOUBLE), "
                f"CASE WHEN regexp_full_match({text}, '\\d+:\\d\\d(:\\d\\d(\\.\\d+)?)?') "
                f"THEN epoch(TRY_CAST({text} AS INTERVAL)) END)")  # fmt: skip
    if col.sql_type == "DOUBLE":
        return f"TRY_CAST({text} AS DOUBLE)"
    if col.sql_type == "BOOLEAN":
        low = f"lower({text})"
        return (
            f"CASE WHEN {low} IN {_TRUE} THEN true WHEN {low} IN {_FALSE} THEN false END"
        )
    return text


def _why(col: Column) -> str:
    return {
        "TIMESTAMP": "not a date and time (write YYYY-MM-DD HH:MM:SS, optionally with +HH:MM)",
        "DATE": "not a date (write YYYY-MM-DD)",
        "INTEGER": "not a whole number",
        "BIGINT": "not a whole number",
        "DOUBLE": "not a number (seconds may be written as hh:mm:ss)",
        "BOOLEAN": "not true/false (yes/no, 1/0)",
    }.get(col.sql_type, "not readable")


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
            _write_rejects(con, checked.problems, rejects)
        con.execute("DROP VIEW raw; DROP TABLE raw_data")  # every value is in `typed` now:
        bad_rows = checked.bad_rows  # free the file's copy before writing
        if checked.problems and not skip_bad_rows:
            raise RowsRejected(tuple(checked.problems))
        say(Progress("writing"))
        if checked.table == "events":
            written = _write_events(draft, checked.plan, checked.mapping, bad_rows, mode)
        elif checked.table == "root_causes":
            by = changed_by or f"import: {Path(source_name or path).name}"
            written = _write_causes(con, checked.plan, bad_rows, mode, by)
        else:
            fits = path.stat().st_size < store.write_memory_bytes()
            written = _write_rows(draft, checked.spec, checked.plan, bad_rows, mode, fits)
        con.execute(
            "INSERT INTO import_history VALUES ($f, $h, $t, $r, $w, $x, $at)",
            {"f": source_name or str(path), "h": _sha256(path), "t": checked.table,
             "r": checked.rows_read, "w": written, "x": len(bad_rows), "at": dt.datetime.now()},
        )  # fmt: skip
    kept = str(draft.kept) if draft.kept is not None else None
    return replace(checked.report(written=written, mode=mode), backup=kept)


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
        first = con.sql(f"SELECT * FROM raw ORDER BY _row LIMIT {int(preview_rows)}").pl()
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
    plan: list[_Field]
    problems: list[Problem]
    rows_read: int
    ignored: tuple[str, ...]
    dropped: dict[str, str]
    cleared: dict[str, int]

    @property
    def target(self) -> str:
        return "contacts" if self.table == "events" else self.table

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.problems}

    def report(self, *, written: int, mode: str) -> ImportReport:
        return ImportReport(
            file=str(self.path), table=self.table, matched=self.mapping.describe(),
            unknown_columns=self.ignored, rows_read=self.rows_read, rows_written=written,
            rows_rejected=len(self.bad_rows), problems=tuple(self.problems),
            dropped=self.dropped, target=self.target, mode=mode, cleared=self.cleared,
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
    spec = events.EVENTS if table == "events" else TABLES_BY_NAME[table]
    tz = tz or load_settings(con).timezone
    con.execute("SET TimeZone = $tz", {"tz": tz})
    say(Progress("reading", detail=path.name))
    try:
        load_raw(con, path, (mapping or Mapping()).read, sheet, progress)
    except ReadFailed as exc:
        raise ImportFailed(str(exc)) from exc
    columns = columns_of(con)
    mapping, dropped = _settle_mapping(path, spec, mapping, columns)
    say(Progress("checking"))
    params: dict[str, object] = {"tz": tz}
    plan = _materialise(con, _plan(con, spec, mapping, path, params), params)
    if mapping.automatic:
        unparsed = _unparsed_auto_fields(con, plan)
        if unparsed:  # e.g. a Y/N column named "Resolved" is not a resolution time
            dropped.update(unparsed)
            mapping = mapping.without(set(unparsed))
            con.execute("DROP TABLE typed")
            params = {"tz": tz}
            plan = _materialise(con, _plan(con, spec, mapping, path, params), params)
    cleared = _clear_before_created(con, plan, mapping)
    problems = _validate(con, spec, plan, path, params)
    if table == "root_causes":
        known = cause_register.known_reasons(con) if known_reasons is None else known_reasons
        problems = sorted(problems + _register_problems(con, plan, path, known),
                          key=lambda p: p.row)  # fmt: skip
    rows_read = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    ignored = tuple(c for c in columns if c not in mapping.sources())
    return _Checked(path, table, spec, mapping, plan, problems, rows_read, ignored, dropped,
                    cleared)  # fmt: skip


def _clear_before_created(
    con: duckdb.DuckDBPyConnection, plan: list[_Field], mapping: Mapping
) -> dict[str, int]:
    """[before_created] field = "clear": empty the values before created_at, and count them
    so the report says how many (a known-bad source clock, not a silent fix)."""
    names = {f.col.name for f in plan}
    out = {}
    for name, policy in mapping.before_created.items():
        if policy != "clear" or name not in names or "created_at" not in names:
            continue
        (n,) = con.execute(f"SELECT count(*) FROM typed WHERE v_{name} < v_created_at").fetchone()
        if n:
            con.execute(f"UPDATE typed SET v_{name} = NULL, t_{name} = NULL "
                        f"WHERE v_{name} < v_created_at")  # fmt: skip
            out[name] = n
    return out


def _settle_mapping(
    path: Path, spec: Table, mapping: Mapping | None, columns: list[str]
) -> tuple[Mapping, dict[str, str]]:
    """The mapping to use on these columns, and optional fields left out (field → why)."""
    dropped: dict[str, str] = {}
    if mapping is None:
        mapping = Mapping.auto(spec.name, columns)
    elif not mapping.fields:  # only formats, values, read options…: match the fields
        mapping = replace(mapping, fields=Mapping.auto(spec.name, columns).fields, automatic=True)
    missing = {f: [c for c in cols if c not in columns] for f, cols in mapping.fields.items()}
    missing.update({f: [c] for f, c in mapping.minutes_after_created.items() if c not in columns})
    missing = {f: cols for f, cols in missing.items() if cols}
    required = {c.name for c in spec.contract_columns if c.required}
    if mapping.lenient:  # a preset: exports leave optional columns out
        optional = {f for f in missing if f not in required}
        dropped.update({f: f"column {missing[f][0]!r} is not in the file" for f in optional})
        mapping = mapping.without(optional)
        missing = {f: cols for f, cols in missing.items() if f in required}
    absent = sorted({c for cols in missing.values() for c in cols}
                    | {c for cond in mapping.when.values() for c in cond if c not in columns})
    if absent:
        raise ImportFailed(f"{path}: the mapping names column(s) {', '.join(map(repr, absent))}, "
                           f"but the file has {', '.join(map(repr, columns))}")  # fmt: skip
    unmet = [f for f in sorted(required) if not mapping.covers(f)]
    if unmet:
        raise ImportFailed(
            f"{path}: required field(s) {', '.join(unmet)} not found among the columns "
            f"({', '.join(columns)}); map them in a mapping file (--mapping), e.g. "
            f"[fields] {unmet[0]} = \"<your column>\""
        )
    return mapping, dropped


def _unparsed_auto_fields(con: duckdb.DuckDBPyConnection, plan: list[_Field]) -> dict[str, str]:
    """Automatically matched timestamp fields none of whose values is a date: the name matched,
    the content did not (field → why, with an example value). Numbers and flags that do not
    parse stay errors ("5 stars" in a CSAT column is bad data, not a different column)."""
    typed = [f for f in plan if f.col.sql_type == "TIMESTAMP" and not f.col.required]
    if not typed:
        return {}
    counts = ", ".join(f"count({f.text}), count({f.typed}), any_value({f.text})" for f in typed)
    row = con.execute(f"SELECT {counts} FROM typed").fetchall()[0]
    out = {}
    for i, f in enumerate(typed):
        texts, values, example = row[3 * i : 3 * i + 3]
        if texts and not values:
            out[f.col.name] = (f"column {f.label!r} holds values such as {example!r}, "
                               f"which are not {f.col.sql_type.lower()} values")  # fmt: skip
    return out


def _write_rows(
    draft: publish.Draft,
    spec: Table,
    plan: list[_Field],
    bad_rows: set[int],
    mode: str,
    fits_in_memory: bool = False,
) -> int:
    """Upsert (or replace) the good rows, and say which derived columns publishing must bring
    up to date: every row's after a replace or into an empty table, else the customers
    touched."""
    con = draft.con
    by_name = {f.col.name: f for f in plan}
    cols = [
        f"{by_name[c.name].typed} AS {c.name}" if c.name in by_name
        else f"CAST({c.default or 'NULL'} AS {c.sql_type}) AS {c.name}"
        for c in spec.contract_columns
    ]  # fmt: skip
    where = " WHERE NOT list_contains($bad, _row)" if bad_rows else ""
    params = {"bad": sorted(bad_rows)} if bad_rows else {}
    source = f"(SELECT {', '.join(cols)} FROM typed{where})"
    key = spec.unique_id or spec.primary_key
    names = ", ".join(c.name for c in spec.contract_columns)
    looked_ahead = spec.name in ("contacts", "orders")
    empty = mode == "replace" or not con.execute(f"SELECT 1 FROM {spec.name} LIMIT 1").fetchall()
    if mode == "replace":
        con.execute(f"DELETE FROM {spec.name}")
    if not empty:
        if looked_ahead:  # whose derived values change: the new rows' and the replaced rows'
            _exec(con, f"CREATE TEMP TABLE touched AS SELECT DISTINCT customer_id FROM ("
                       f"SELECT customer_id FROM {source} UNION ALL SELECT customer_id FROM "
                       f"{spec.name} WHERE {key} IN (SELECT {key} FROM {source}))",
                  params)  # fmt: skip
        _exec(con, f"DELETE FROM {spec.name} WHERE {key} IN (SELECT {key} FROM {source})",
              params)  # fmt: skip
    no_orders = not con.execute("SELECT 1 FROM orders LIMIT 1").fetchall()
    if spec.name == "contacts" and empty and no_orders and fits_in_memory:
        # The common first import: the only look-ahead is the next contact, computed on the
        # way in (a separate refresh rewrote every row: 45 % slower at 1M rows). Its window
        # holds whole rows, so files larger than memory take the spilling path below.
        _exec(con, f"INSERT INTO contacts ({names}, next_contact_at) SELECT {names}, "
                   f"{derived.NEXT_CONTACT_AT.format(c='s')} FROM {source} s", params)  # fmt: skip
        written = _exec(con, f"SELECT count(*) FROM {source}", params)[0][0]
        draft.lookahead_written(orders=False)
        return written
    _exec(con, f"INSERT INTO {spec.name} ({names}) SELECT {names} FROM {source}", params)
    written = _exec(con, f"SELECT count(*) FROM {source}", params)[0][0]
    if looked_ahead:
        draft.rows_changed(customers=None if empty else "touched", orders=spec.name == "orders")
    return written


def _write_events(
    draft: publish.Draft, plan: list[_Field], mapping: Mapping, bad_rows: set[int], mode: str
) -> int:
    """One contact per case, merged into the contacts already in the store."""
    con = draft.con
    mapped = {f.col.name for f in plan}
    sql, params = events.staged_contacts_sql(mapped, mapping.events)
    _exec(con, sql, {**params, "bad": sorted(bad_rows)})
    staged = columns_of(con, "staged")
    if mode == "replace":
        con.execute("DELETE FROM contacts")
    con.execute(events.merged_sql(staged))
    names = ", ".join(columns_of(con, "merged"))
    con.execute("CREATE TEMP TABLE touched AS SELECT DISTINCT customer_id FROM ("
                "SELECT customer_id FROM merged UNION ALL SELECT customer_id FROM contacts "
                "WHERE contact_id IN (SELECT contact_id FROM merged))")  # fmt: skip
    con.execute("DELETE FROM contacts WHERE contact_id IN (SELECT contact_id FROM merged)")
    con.execute(f"INSERT INTO contacts ({names}) SELECT {names} FROM merged")
    draft.rows_changed(customers="touched", orders=False)
    return con.execute("SELECT count(*) FROM merged").fetchall()[0][0]


def _causes(
    con: duckdb.DuckDBPyConnection, plan: list[_Field]
) -> list[tuple[int, cause_register.RootCause, dict[str, str | None]]]:
    """(row, cause, field → text in the file) for every row of `typed` that has an id; an
    empty status is the schema's default, identified. Registers are small: rows in Python."""
    by_name = {f.col.name: f for f in plan}
    names = [c.name for c in ROOT_CAUSES.contract_columns]
    select = ", ".join(f"{by_name[n].typed}, {by_name[n].text}" if n in by_name else "NULL, NULL"
                       for n in names)  # fmt: skip
    rows = con.execute(f"SELECT _row, {select} FROM typed WHERE {by_name['cause_id'].typed} "
                       "IS NOT NULL ORDER BY _row").fetchall()  # fmt: skip
    out = []
    for row, *pairs in rows:
        value = dict(zip(names, pairs[0::2], strict=True))
        text = dict(zip(names, pairs[1::2], strict=True))
        cause = cause_register.RootCause(
            cause_id=value["cause_id"], title=value["title"],
            reasons=tuple(value["reasons"] or ()), owner=value["owner"],
            status=value["status"] or "identified", identified_on=value["identified_on"],
            fixed_on=value["fixed_on"], notes=value["notes"],
        )  # fmt: skip
        out.append((row, cause, text))
    return out


def _register_problems(
    con: duckdb.DuckDBPyConnection, plan: list[_Field], path: Path, known: set[str]
) -> list[Problem]:
    """The register's own rules (cxdash.cause_register.broken_rules), row by row, naming the column
    of the field each rule is about. A rule on a value that did not parse is left out: the
    parse error already names it (a fixed_on of "soon" is not also "missing")."""
    by_name = {f.col.name: f for f in plan}
    out = []
    for row, cause, text in _causes(con, plan):
        for broken in cause_register.broken_rules(cause, known):
            unparsed = text[broken.field] is not None and getattr(cause, broken.field) in (None, ())
            if unparsed:
                continue
            label = by_name[broken.field].label if broken.field in by_name else broken.field
            out.append(Problem(str(path), row, label, text[broken.field], broken.message))
    return out


def _write_causes(
    con: duckdb.DuckDBPyConnection, plan: list[_Field], bad_rows: set[int], mode: str, by: str
) -> int:
    """Upsert the good causes through the register (cxdash.cause_register.apply), which records
    every field that changes; `replace` also removes, and records, the causes not in the file."""
    now = dt.datetime.now().replace(microsecond=0)
    causes = [cause for row, cause, _ in _causes(con, plan) if row not in bad_rows]
    if mode == "replace":
        keep = {c.cause_id for c in causes}
        for (cause_id,) in con.execute("SELECT cause_id FROM root_causes ORDER BY 1").fetchall():
            if cause_id not in keep:
                cause_register.remove(con, cause_id, by, now)
    for cause in causes:
        cause_register.apply(con, cause, by, now)
    return len(causes)


@dataclass(frozen=True)
class _Field:
    col: Column
    text: str  # SQL: the source value as trimmed text (NULL when empty)
    label: str  # how errors name the source
    typed: str  # SQL: the value in the contract's type
    why: str | None = None  # why a value that does not parse is wrong (else by type)


# Day/month orders tried when a timestamp column is not ISO (detected from the data).
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%Y %I:%M:%S %p",
                "%m/%d/%Y %I:%M %p")  # fmt: skip


def _plan(
    con: duckdb.DuckDBPyConnection, spec: Table, mapping: Mapping, path: Path,
    params: dict[str, object],
) -> list[_Field]:
    plan: list[_Field] = []
    for col in spec.contract_columns:
        name = col.name
        if name in mapping.constants:
            params[f"c_{name}"] = mapping.constants[name]
            text, label = f"CAST($c_{name} AS VARCHAR)", f"constant {name}"
        elif name in mapping.fields:
            cols = mapping.fields[name]
            joined = " || ' ' || ".join(f"CAST({ident(c)} AS VARCHAR)" for c in cols)
            text = f"nullif(trim({joined}), '')"
            label = " + ".join(cols)
            if spec.name in SPREADSHEET_TABLES and col.sql_type in ("VARCHAR", "VARCHAR[]"):
                text = restore_sql(text)  # '=x (as exported) is the text =x
        elif name in mapping.after_created and col.sql_type == "TIMESTAMP":
            plan.append(_after_created(plan, name, *mapping.after_created[name]))
            continue
        else:
            continue
        for i, (cond_col, cond_value) in enumerate(mapping.when.get(name, {}).items()):
            params[f"w_{name}_{i}"] = cond_value
            text = f"CASE WHEN {ident(cond_col)} = $w_{name}_{i} THEN {text} END"
        value_map = mapping.values.get(name, {})
        for i, (src, dst) in enumerate(value_map.items()):
            params[f"v_{name}_{i}_from"], params[f"v_{name}_{i}_to"] = src, dst
            text = (f"CASE WHEN {text} = $v_{name}_{i}_from THEN $v_{name}_{i}_to "
                    f"ELSE {text} END")  # fmt: skip
        if value_map:
            text = f"nullif({text}, '')"  # a value mapped to "" is empty
        fmt = mapping.formats.get(name)
        if col.sql_type in ("TIMESTAMP", "DATE") and fmt is None:
            fmt = _detect_format(con, col, text, label, path, params)
        fmt_param = None
        if fmt is not None:
            fmt_param = f"f_{name}"
            params[fmt_param] = fmt
        typed = _typed(col, text, fmt_param, fmt or "")
        if name in mapping.subtract:
            params[f"s_{name}"] = mapping.subtract[name]
            typed = f"CAST(greatest({typed} - $s_{name}, 0) AS {col.sql_type})"
        plan.append(_Field(col, text, label, typed))
    return plan


def _after_created(plan: list[_Field], name: str, source: str, unit: float) -> _Field:
    """A timestamp given as a duration after creation (Zendesk's "First reply time in
    minutes", a call centre's "Speed of answer in seconds")."""
    unit_name = "minutes" if unit == 60 else "seconds"
    created = next((f for f in plan if f.col.name == "created_at"), None)
    if created is None:
        raise ImportFailed(f"{name} is given in {unit_name} after created_at, so map "
                           "created_at too")  # fmt: skip
    text = f"nullif(trim(CAST({ident(source)} AS VARCHAR)), '')"
    amount = f"TRY_CAST({text} AS DOUBLE)"
    micros = f"CAST(round({amount} * {unit * 1e6}) AS BIGINT)"
    typed = f"CASE WHEN {amount} >= 0 THEN {created.typed} + to_microseconds({micros}) END"
    col = Column(name, "TIMESTAMP")
    return _Field(col, text, f"{source} ({unit_name})", typed,
                  f"not a number of {unit_name} (0 or more)")  # fmt: skip


def _materialise(
    con: duckdb.DuckDBPyConnection, plan: list[_Field], params: dict[str, object]
) -> list[_Field]:
    """Parse every field once into the temp table `typed` (t_<field> text, v_<field> value;
    text fields only v_, which is their text); validation and loading then read plain columns
    instead of re-casting per check."""
    def text_of(f: _Field) -> str:
        return f"v_{f.col.name}" if f.col.sql_type == "VARCHAR" else f"t_{f.col.name}"

    cols = ", ".join(
        (f"{f.text} AS v_{f.col.name}" if f.col.sql_type == "VARCHAR"
         else f"{f.text} AS t_{f.col.name}, {f.typed} AS v_{f.col.name}")
        for f in plan
    )  # fmt: skip
    _exec(con, f"CREATE TEMP TABLE typed AS SELECT _row, {cols} FROM raw", params)
    return [_Field(f.col, text_of(f), f.label, f"v_{f.col.name}", f.why) for f in plan]


def _detect_format(
    con: duckdb.DuckDBPyConnection, col: Column, text: str, label: str, path: Path,
    params: dict[str, object],
) -> str | None:
    """None when ISO parsing reads every value; else the day/month order the data proves.

    The first 20,000 values decide when they are all ISO (a stray value later is reported by
    validation, row by row); otherwise every value is probed, in one pass for all formats."""
    iso = _typed(col, text)
    sample = (f"SELECT count(*) FILTER (WHERE {_typed(col, 'x')} IS NULL), count(*) FROM "
              f"(SELECT {text} AS x FROM raw WHERE {text} IS NOT NULL LIMIT 20000)")  # fmt: skip
    fails, seen = _exec(con, sample, params)[0]
    if seen and not fails:
        return None
    candidates = [(family, fmt) for family, formats in (("day first", _DAY_FIRST),
                  ("month first", _MONTH_FIRST)) for fmt in formats]  # fmt: skip
    probes = {**params, **{f"probe{i}": fmt for i, (_, fmt) in enumerate(candidates)}}
    counts = ", ".join(f"count(TRY_STRPTIME({text}, $probe{i}))" for i in range(len(candidates)))
    row = _exec(con, f"SELECT count({text}), count({iso}), {counts} FROM raw", probes)[0]
    total, iso_ok, oks = row[0], row[1], row[2:]
    if iso_ok == total:
        return None
    best: dict[str, tuple[int, str]] = {}
    for (family, fmt), ok in zip(candidates, oks, strict=True):
        if ok > best.get(family, (0, ""))[0]:
            best[family] = (ok, fmt)
    complete = {fam: fmt for fam, (ok, fmt) in best.items() if ok == total}
    if len(complete) == 2:
        raise ImportFailed(
            f"{path}: column {label!r} has dates such as 03/04/2026 where every value reads "
            f"both day-first and month-first; say which in the mapping, e.g. [formats] "
            f"{col.name} = \"{complete['day first']}\" (day first) or "
            f"\"{complete['month first']}\" (month first)"
        )
    if complete:
        return next(iter(complete.values()))
    if best:  # neither reads every value: take the better, and report the rest row by row
        return max(best.values())[1]
    return None


def _write_rejects(con: duckdb.DuckDBPyConnection, problems: list[Problem], target: Path) -> None:
    """The bad rows as they were in the file, with their row number and every reason
    ("column 'X' value 'Y': why", joined by "; ")."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        where = f"column {p.column!r}" + (f" value {p.value!r}" if p.value is not None else "")
        reasons.setdefault(p.row, []).append(f"{where}: {p.why}")
    # On the connection itself: cursors do not see its TEMP tables.
    bad = con.sql("SELECT * FROM raw WHERE list_contains($rows, _row) ORDER BY _row",
                  params={"rows": sorted(reasons)}).pl()  # fmt: skip
    listed = ["; ".join(reasons[r]) for r in bad["_row"]]
    bad = bad.rename({"_row": "row"}).with_columns(pl.Series("problems", listed, pl.String))
    target.parent.mkdir(parents=True, exist_ok=True)
    bad.write_csv(target)


def _validate(
    con: duckdb.DuckDBPyConnection, spec: Table, plan: list[_Field], path: Path,
    params: dict[str, object],
) -> list[Problem]:
    """Every problem, in file order (then by column), over the parsed table `typed`.

    Row checks run in one pass over the file: each row gets the list of its problems (a
    struct per failed check), and only rows with problems come back. Duplicate ids need the
    whole file, so they are a second, separate scan.
    """
    by_name = {f.col.name: f for f in plan}
    checks: list[tuple[str, str, str, str]] = []  # (condition, column label, value, why)
    for f in plan:
        col, text, label = f.col, f.text, _lit(f.label)
        if col.required:
            checks.append((f"{text} IS NULL", label, "NULL",
                           _lit(f"is empty but {col.name} is required")))  # fmt: skip
        checks.append((f"{text} IS NOT NULL AND {f.typed} IS NULL", label, text,
                       _lit(f.why or _why(col))))  # fmt: skip
        if col.check and col.name in _RANGE_CHECKED:
            cond = col.check.replace(col.name, f"({f.typed})")
            checks.append((f"{f.typed} IS NOT NULL AND NOT ({cond})", label, text,
                           _lit("must satisfy " + col.check)))  # fmt: skip
    if spec.name in ("contacts", "events") and "created_at" in by_name:
        created = by_name["created_at"].typed
        for later in ("first_response_at", "resolved_at"):
            if later in by_name:
                f = by_name[later]
                checks.append((f"{f.typed} < {created}", _lit(f.label), f.text,
                               "'is before created_at'"))  # fmt: skip
    parts = []
    if checks:
        problems = ", ".join(
            f"CASE WHEN {cond} THEN {{'col': {label}, 'val': CAST({val} AS VARCHAR), "
            f"'why': {why}}} END"
            for cond, label, val, why in checks
        )
        any_problem = " OR ".join(f"coalesce({cond}, false)" for cond, *_ in checks)
        parts.append(
            "SELECT _row, p.col AS col, p.val AS val, p.why AS why FROM ("
            f"SELECT _row, unnest(list_filter([{problems}], lambda x: x IS NOT NULL)) AS p "
            f"FROM typed WHERE {any_problem})"  # clean rows (nearly all) skip the list building
        )
    key = spec.unique_id or spec.primary_key
    if key in by_name and _has_duplicates(con, by_name[key].text):
        f = by_name[key]
        parts.append(
            f"SELECT _row, {_lit(f.label)}, k, 'duplicate id in this file' FROM "
            f"(SELECT _row, {f.text} AS k, count(*) OVER (PARTITION BY {f.text}) AS n FROM typed) "
            f"WHERE n > 1 AND k IS NOT NULL"
        )
    if not parts:
        return []
    rows = _exec(
        con,
        "SELECT _row, col, val, why FROM (" + " UNION ALL ".join(parts) + ") ORDER BY _row, col",
        params,
    )
    return [Problem(str(path), row, col, val, why) for row, col, val, why in rows]


def _has_duplicates(con: duckdb.DuckDBPyConnection, key: str) -> bool:
    """A cheap hash aggregate first: the row-by-row duplicate report needs a window over the
    whole file, paid only when some id repeats."""
    sql = f"SELECT 1 FROM typed WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1 LIMIT 1"
    return bool(con.execute(sql).fetchall())


_RANGE_CHECKED = (
    "csat", "ces", "reopens", "transfers", "handle_seconds", "hold_seconds",
    "value_to_customer", "value_to_business",
)  # fmt: skip


def _exec(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> list[tuple]:
    """Execute with only the parameters the text uses (DuckDB rejects extra ones)."""
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return con.execute(sql, used).fetchall()


def _lit(text: str) -> str:
    """A SQL string literal of our own text (column names from the file are quoted safely)."""
    return "'" + text.replace("'", "''") + "'"
