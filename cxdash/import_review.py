"""What the Data page needs to review an upload before importing it, without Streamlit.

An uploaded file is copied to a private temporary folder beside the store (DuckDB reads paths,
not memory buffers), checked with `cxdash.importer.run.check_file`, shown as a mapping table a
person can edit, and imported with the mapping that table describes. The mapping round-trips
through the same TOML-like dict `Mapping.parse` reads, so what the page imports and the TOML
file it offers for `cxdash import --mapping` are the same thing.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

import duckdb
import polars as pl

from cxdash.importer.events import EVENTS
from cxdash.importer.mapping import EventRules, Mapping
from cxdash.importer.read import EXCEL_SUFFIXES, ReadFailed, columns_of, load_raw
from cxdash.importer.results import Problem, Progress
from cxdash.importer.run import ImportFailed, ImportReport, check_file
from cxdash.schema import TABLES_BY_NAME, Column
from cxdash.store import StoreInfo

UPLOAD_TYPES = ("csv", "tsv", "txt", "gz", "parquet", "xlsx", "xlsm", "xls", "ods")
PREVIEW_ROWS = 10
MAX_PROBLEMS = 200  # kept and listed per check; the count covers them all
NOT_MAPPED = "—"  # the mapping table's choice for "no column"; the grid shows "" as "None"
_NAME_MAX = 120


# ---- the uploaded file on disk ------------------------------------------------------------
def safe_name(name: str) -> str:
    """The upload's own name reduced to one harmless path component that keeps its suffix
    (the reader picks CSV, Parquet or Excel by it): no folders, no leading dot, no control
    or shell-special characters. '../../x.csv' becomes 'x.csv'."""
    base = PureWindowsPath(PurePosixPath(name).name).name  # drop / and \\ folders alike
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    base = re.sub(r"\.{2,}", ".", base) or "upload"
    if len(base) > _NAME_MAX:
        suffix = "".join(s for s in PurePosixPath(base).suffixes[-2:] if len(s) <= 10)
        base = base[: _NAME_MAX - len(suffix)].rstrip(" .") + suffix
    return base


@contextlib.contextmanager
def saved_upload(data: IO[bytes], name: str, folder: Path) -> Iterator[Path]:
    """The upload as a file in a fresh private folder under `folder` (the store's), removed
    with everything in it when the block ends, whatever happens inside."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cxdash-upload-", dir=folder) as tmp:
        path = Path(tmp) / safe_name(name)
        data.seek(0)
        with path.open("wb") as handle:
            shutil.copyfileobj(data, handle, 1 << 20)
        yield path


def is_excel(name: str) -> bool:
    return name.lower().endswith(EXCEL_SUFFIXES)


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheets; [] when it cannot be read (the check then says why)."""
    import fastexcel

    try:
        return list(fastexcel.read_excel(str(path)).sheet_names)
    except Exception:  # fastexcel raises its own error types
        return []


# ---- fields of each table -----------------------------------------------------------------
def fields_of(table: str) -> tuple[Column, ...]:
    """The contract fields a file for `table` can fill, in the contract's order."""
    return (EVENTS if table == "events" else TABLES_BY_NAME[table]).contract_columns


def required_fields(table: str) -> list[str]:
    return [c.name for c in fields_of(table) if c.required]


# ---- checking -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """A file checked against a mapping: the importer's report, or why it stopped; the file's
    columns and first rows either way (when the file could be read at all). Only the first
    problems are kept, as a table naming the upload, not our temporary copy."""

    columns: tuple[str, ...]
    preview: pl.DataFrame | None
    report: ImportReport | None = None
    failure: str | None = None
    problem_count: int = 0
    problems: pl.DataFrame | None = None


def run_check(
    path: Path, db: Path, table: str, mapping: Mapping | None, sheet: str | None, shown_as: str
) -> Check:
    """check_file, with the temporary path in its messages replaced by the upload's name."""
    try:
        report, first = check_file(path, db, table, mapping, sheet=sheet,
                                   preview_rows=PREVIEW_ROWS)  # fmt: skip
    except (ImportFailed, duckdb.Error) as exc:  # a DuckDB error is a file it cannot take
        failure = shown(first_lines(exc), path, shown_as)
        try:
            columns, first = read_preview(path, mapping, sheet)
        except ReadFailed:
            return Check((), None, failure=failure)
        return Check(tuple(columns), first, failure=failure)
    columns = tuple(c for c in first.columns if c != "_row")
    listed = tuple(replace(p, file=shown_as) for p in report.problems[:MAX_PROBLEMS])
    return Check(
        columns, first, report=replace(report, problems=listed, file=shown_as),
        problem_count=len(report.problems), problems=problems_table(listed, shown_as),
    )  # fmt: skip


def preview_table(first: pl.DataFrame) -> pl.DataFrame:
    """The first rows for people: `row` as numbered in the file, empty cells empty."""
    return first.rename({"_row": "row"}).with_columns(pl.col(pl.String).fill_null(""))


def read_preview(
    path: Path, mapping: Mapping | None, sheet: str | None, rows: int = PREVIEW_ROWS
) -> tuple[list[str], pl.DataFrame]:
    """The file's columns and first rows as the importer reads them, for a file whose check
    stopped before it got that far (e.g. a required field not matched)."""
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    try:
        load_raw(con, path, (mapping or Mapping()).read, sheet)
        return columns_of(con), con.sql(f"SELECT * FROM raw ORDER BY _row LIMIT {int(rows)}").pl()
    finally:
        con.close()


# Where each phase starts on the progress bar: reading is most of an import's time.
_BAR_STARTS = {"reading": 0.0, "checking": 0.6, "writing": 0.75, "refreshing": 0.85,
               "saving": 0.95}  # fmt: skip


def bar_fraction(progress: Progress) -> float:
    """Roughly how far an import is (0–1), for a progress bar; DuckDB's own estimate moves
    it while the file is read."""
    if progress.phase == "reading" and progress.fraction is not None:
        return min(progress.fraction, 1.0) * _BAR_STARTS["checking"]
    return _BAR_STARTS[progress.phase]


def first_lines(exc: BaseException) -> str:
    """The importer's own message whole (it lists problems line by line); a DuckDB error's
    first line only (the rest is its internals)."""
    text = str(exc).strip()
    if isinstance(exc, ImportFailed) or not text:
        return text or type(exc).__name__
    return text.splitlines()[0]


def shown(message: str, path: Path, name: str) -> str:
    """A message as the person knows the file: by the name they uploaded, not our temp path."""
    return message.replace(str(path), name)


def problems_table(problems: tuple[Problem, ...], name: str) -> pl.DataFrame:
    """The problems as a table, one row each, the file named as the person uploaded it."""
    schema = {"file": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String,
              "why": pl.String}  # fmt: skip
    return pl.DataFrame([(name, p.row, p.column, p.value, p.why) for p in problems],
                        schema=schema, orient="row")  # fmt: skip


# ---- the mapping as a table ---------------------------------------------------------------
def settled(
    base: Mapping | None, table: str, columns: tuple[str, ...], dropped: dict[str, str]
) -> Mapping:
    """The mapping the check actually used: automatic matching (or the preset) minus the
    fields it left out and the fields whose columns the file does not have."""
    mapping = base or Mapping.auto(table, list(columns))
    if not mapping.fields:
        mapping = replace(mapping, fields=Mapping.auto(table, list(columns)).fields)
    names = {c.name for c in fields_of(table)}
    absent = {f for f, cols in mapping.fields.items() if not set(cols) <= set(columns)}
    absent |= {f for f, (c, _) in mapping.after_created.items() if c not in columns}
    foreign = {f for f in mapping.fields if f not in names}
    kept = mapping.without(set(dropped) | absent | foreign)
    return replace(kept, table=table, automatic=False, lenient=False)


def mapping_dict(mapping: Mapping) -> dict[str, Any]:
    """The TOML-like dict `Mapping.parse` reads, holding everything `mapping` says."""
    out: dict[str, Any] = {}
    if mapping.table:
        out["table"] = mapping.table
    sections: dict[str, dict[str, Any]] = {
        "fields": {f: cols[0] if len(cols) == 1 else list(cols)
                   for f, cols in mapping.fields.items()},
        "formats": dict(mapping.formats),
        "constants": dict(mapping.constants),
        "minutes_after_created": dict(mapping.minutes_after_created),
        "seconds_after_created": dict(mapping.seconds_after_created),
        "before_created": dict(mapping.before_created),
        "subtract": dict(mapping.subtract),
        "values": {f: dict(v) for f, v in mapping.values.items()},
        "when": {f: dict(v) for f, v in mapping.when.items()},
    }  # fmt: skip
    read: dict[str, Any] = {}
    if mapping.read.header is not None:
        read["header"] = mapping.read.header
    if mapping.read.names:
        read["names"] = list(mapping.read.names)
    if mapping.read.delimiter is not None:
        read["delimiter"] = mapping.read.delimiter
    sections["read"] = read
    if mapping.events != EventRules():
        sections["events"] = {
            "resolved": list(mapping.events.resolved),
            "responded": list(mapping.events.responded),
            "reopen": mapping.events.reopen,
            "transfer_on": mapping.events.transfer_on,
        }
    out.update({k: v for k, v in sections.items() if v})
    return out


def _notes(mapping: Mapping, name: str, dropped: dict[str, str]) -> str:
    notes = []
    if name in mapping.constants:
        notes.append(f"constant {mapping.constants[name]!r}")
    for field_name, (col, unit) in mapping.after_created.items():
        if field_name == name:
            notes.append(f"created_at + {col!r} in {'minutes' if unit == 60 else 'seconds'}")
    if mapping.values.get(name):
        notes.append(f"{len(mapping.values[name])} values translated")
    if name in mapping.subtract:
        notes.append(f"minus {mapping.subtract[name]:g}")
    for col, value in mapping.when.get(name, {}).items():
        notes.append(f"only where {col} = {value!r}")
    if name in dropped:
        notes.append(f"left out: {dropped[name]}")
    return "; ".join(notes)


def mapping_rows(
    table: str, mapping: Mapping, dropped: dict[str, str] | None = None
) -> pl.DataFrame:
    """One row per contract field: is it required, which column(s) fill it, in which format,
    and what else the mapping does with it. A field without a column shows NOT_MAPPED: the
    grid prints both null and "" as "None", which reads like a column of that name."""
    dropped = dropped or {}
    rows = []
    for col in fields_of(table):
        cols = mapping.fields.get(col.name, ())
        rows.append({
            "field": col.name, "required": col.required,
            "source column": cols[0] if cols else NOT_MAPPED,
            "second column": cols[1] if len(cols) > 1 else NOT_MAPPED,
            "format": mapping.formats.get(col.name, ""),
            "notes": _notes(mapping, col.name, dropped),
        })  # fmt: skip
    schema = {"field": pl.String, "required": pl.Boolean, "source column": pl.String,
              "second column": pl.String, "format": pl.String, "notes": pl.String}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def _cell(value: object) -> str | None:
    """An editor cell as text; NOT_MAPPED, empty, None and NaN (pandas) all mean "nothing"."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return None if text in ("", NOT_MAPPED) else text


def edited_dict(base: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`base` (a mapping_dict) with [fields] and [formats] as the edited rows say. A field
    given a column here no longer takes a constant or a duration from the base mapping."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    fields: dict[str, Any] = {}
    formats = {f: v for f, v in base.get("formats", {}).items()}
    for row in rows:
        name = row["field"]
        cols = [c for c in (_cell(row.get("source column")), _cell(row.get("second column")))
                if c is not None]  # fmt: skip
        if cols:
            fields[name] = cols[0] if len(cols) == 1 else cols
            for section in ("constants", "minutes_after_created", "seconds_after_created"):
                if name in out.get(section, {}):
                    del out[section][name]
        fmt = _cell(row.get("format"))
        if fmt is None:
            formats.pop(name, None)
        else:
            formats[name] = fmt
    out["fields"], out["formats"] = fields, formats
    return {k: v for k, v in out.items() if v or k == "fields"}


def unmapped_required(table: str, mapping_data: dict[str, Any]) -> list[str]:
    """Required fields the mapping gives no column, constant or duration."""
    covered = set()
    for section in ("fields", "constants", "minutes_after_created", "seconds_after_created"):
        covered |= set(mapping_data.get(section, {}))
    return [f for f in required_fields(table) if f not in covered]


# ---- TOML ---------------------------------------------------------------------------------
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}  # fmt: skip


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def to_toml(data: dict[str, Any], header: str = "") -> str:
    """Write a mapping dict as TOML (top-level values, then one [table] per section)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    lines += [f"{toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items()]

    def table(path: list[str], body: dict[str, Any]) -> None:
        flat = {k: v for k, v in body.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in body.items() if isinstance(v, dict)}
        if flat or not nested:
            lines.extend(["", "[" + ".".join(toml_key(p) for p in path) + "]"])
            lines.extend(f"{toml_key(k)} = {_toml_value(v)}" for k, v in flat.items())
        for key, sub in nested.items():
            table([*path, key], sub)

    for key, value in data.items():
        if isinstance(value, dict):
            table([key], value)
    return "\n".join(lines).lstrip("\n") + "\n"


# ---- history ------------------------------------------------------------------------------
HISTORY_COLUMNS = ("file", "sha256", "target", "rows_read", "rows_written", "rows_rejected",
                   "imported_at")  # fmt: skip


def history(
    con: duckdb.DuckDBPyConnection, info: StoreInfo | None = None
) -> pl.DataFrame:
    """Every import recorded in the store, newest first: the file by name (an upload's
    temporary folder means nothing later), its content hash shortened to 12 characters.
    With `info` the table's presence is taken from it (a lake on Spark has no DuckDB
    catalog to ask)."""
    with con.cursor() as cur:
        present = info.has_table("import_history") if info is not None else cur.sql(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'import_history' AND "
            "schema_name = 'main' AND database_name = current_database()"
        ).fetchall()[0][0]  # fmt: skip
        if not present:
            return pl.DataFrame(schema={c: pl.String for c in HISTORY_COLUMNS})
        return cur.sql(
            r"""SELECT regexp_extract(file, '[^/\\]*$') AS file, left(sha256, 12) AS sha256,
                       target, rows_read, rows_written, rows_rejected, imported_at
                FROM import_history ORDER BY imported_at DESC"""
        ).pl()
