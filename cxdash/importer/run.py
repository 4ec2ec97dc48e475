"""Import one file into the store: read as text, map, validate every row, then write — all or
nothing — into the next version of the store.

Everything is read as text first so that a bad value is *reported* (file, row, column, value,
why) instead of failing a cast deep inside DuckDB or being silently dropped. Rows are numbered
as in the file (the header is row 1). Time-zone offsets in values are converted to the
reporting zone; values without one are taken as wall-clock time in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cxdash import derived, store
from cxdash.importer.fields import auto_match
from cxdash.schema import TABLES_BY_NAME, Column, create_schema
from cxdash.settings import load as load_settings

IMPORTABLE = ("contacts", "orders", "reasons")
MAX_LISTED = 20
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


class ImportFailed(Exception):
    """Nothing was written; the message lists what to fix."""


@dataclass(frozen=True)
class ImportReport:
    file: str
    table: str
    matched: dict[str, str]
    unknown_columns: tuple[str, ...]
    rows_read: int
    rows_written: int
    rows_rejected: int
    errors: tuple[str, ...] = field(default_factory=tuple)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_sql(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "SELECT * FROM read_parquet($path)"
    return "SELECT * FROM read_csv($path, all_varchar = true, header = true, sample_size = -1)"


def _typed(col: Column, src: str) -> str:
    """SQL turning the text column `src` into `col`'s type; NULL where it does not parse."""
    text = f"nullif(trim(CAST({_ident(src)} AS VARCHAR)), '')"
    if col.sql_type == "TIMESTAMP":
        return f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE $tz AS TIMESTAMP)"
    if col.sql_type in ("INTEGER", "BIGINT"):
        number = f"TRY_CAST({text} AS DOUBLE)"
        return f"CASE WHEN {number} = round({number}) THEN CAST({number} AS BIGINT) END"
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
        "INTEGER": "not a whole number",
        "BIGINT": "not a whole number",
        "DOUBLE": "not a number",
        "BOOLEAN": "not true/false (yes/no, 1/0)",
    }.get(col.sql_type, "not readable")


def import_file(
    path: Path,
    db: Path,
    table: str = "contacts",
    mapping: dict[str, str] | None = None,
    *,
    skip_bad_rows: bool = False,
) -> ImportReport:
    if table not in IMPORTABLE:
        raise ImportFailed(f"--table must be one of {', '.join(IMPORTABLE)}")
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    spec = TABLES_BY_NAME[table]
    with store.new_version(db, from_existing=True) as con:
        create_schema(con)
        con.execute("SET TimeZone = $tz", {"tz": load_settings(con).timezone})
        try:
            con.execute(
                "CREATE TEMP TABLE raw AS SELECT row_number() OVER () + 1 AS _row, * "
                f"FROM ({_read_sql(path)})",
                {"path": str(path)},
            )
        except duckdb.Error as exc:
            raise ImportFailed(f"{path}: cannot be read as a table ({_first(exc)})") from exc
        columns = [c for (c,) in con.execute("SELECT name FROM pragma_table_info('raw')").fetchall()
                   if c != "_row"]  # fmt: skip
        matched = dict(mapping) if mapping is not None else auto_match(table, columns)
        missing = [c for c in columns if c not in matched.values()]
        for fld, src in matched.items():
            if src not in columns:
                raise ImportFailed(f"{path}: the mapping names column {src!r} for {fld}, but the "
                                   f"file has {', '.join(columns)}")  # fmt: skip
        required = [c.name for c in spec.contract_columns if c.required]
        absent = [f for f in required if f not in matched]
        if absent:
            raise ImportFailed(
                f"{path}: required field(s) {', '.join(absent)} not found among the columns "
                f"({', '.join(columns)}); map them in a mapping file, e.g. "
                f"[fields]\\n{absent[0]} = \"<your column>\""
            )
        errors = _validate(con, spec.name, matched, path)
        rows_read = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
        bad_rows = {int(row) for row, _ in errors}
        if errors and not skip_bad_rows:
            listed = [msg for _, msg in errors[:MAX_LISTED]]
            more = len(errors) - len(listed)
            tail = f"\n… and {more} more" if more > 0 else ""
            raise ImportFailed(
                f"{len(errors)} problem(s) in {len(bad_rows)} row(s); nothing was imported "
                f"(use --skip-bad-rows to import the rest):\n" + "\n".join(listed) + tail
            )
        fields = [c for c in spec.contract_columns if c.name in matched]
        select = ", ".join(f"{_typed(c, matched[c.name])} AS {c.name}" for c in fields)
        _exec(
            con,
            f"CREATE TEMP TABLE staged AS SELECT {select} FROM raw "
            "WHERE NOT list_contains($bad, _row)",
            {"bad": sorted(bad_rows), "tz": load_settings(con).timezone},
        )
        key = spec.unique_id or spec.primary_key
        names = ", ".join(c.name for c in fields)
        con.execute(f"DELETE FROM {spec.name} WHERE {key} IN (SELECT {key} FROM staged)")
        con.execute(f"INSERT INTO {spec.name} ({names}) SELECT {names} FROM staged")
        written = con.execute("SELECT count(*) FROM staged").fetchall()[0][0]
        if table in ("contacts", "orders"):
            derived.refresh(con)
        con.execute(
            "INSERT INTO import_history VALUES ($f, $h, $t, $r, $w, $x, $at)",
            {"f": str(path), "h": _sha256(path), "t": table, "r": rows_read, "w": written,
             "x": len(bad_rows), "at": dt.datetime.now()},
        )  # fmt: skip
    return ImportReport(
        file=str(path), table=table, matched=matched, unknown_columns=tuple(missing),
        rows_read=rows_read, rows_written=written, rows_rejected=len(bad_rows),
        errors=tuple(msg for _, msg in errors),
    )  # fmt: skip


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _validate(
    con: duckdb.DuckDBPyConnection, table: str, matched: dict[str, str], path: Path
) -> list[tuple[int, str]]:
    """(row, message) for every problem, in file order."""
    spec = TABLES_BY_NAME[table]
    checks: list[str] = []
    for col in spec.contract_columns:
        src = matched.get(col.name)
        if src is None:
            continue
        text = f"nullif(trim(CAST({_ident(src)} AS VARCHAR)), '')"
        typed = _typed(col, src)
        if col.required:
            checks.append(f"SELECT _row, {_lit(src)} AS col, NULL AS val, "
                          f"'is empty but {col.name} is required' AS why "
                          f"FROM raw WHERE {text} IS NULL")  # fmt: skip
        checks.append(f"SELECT _row, {_lit(src)}, {text}, {_lit(_why(col))} FROM raw "
                      f"WHERE {text} IS NOT NULL AND {typed} IS NULL")  # fmt: skip
        if col.check and col.name in ("csat", "ces", "reopens", "transfers", "handle_seconds",
                                      "hold_seconds", "value_to_customer", "value_to_business"):
            cond = col.check.replace(col.name, f"({typed})")
            checks.append(f"SELECT _row, {_lit(src)}, {text}, {_lit('must satisfy ' + col.check)} "
                          f"FROM raw WHERE {typed} IS NOT NULL AND NOT ({cond})")  # fmt: skip
    if table == "contacts" and "created_at" in matched:
        created = _typed(spec.column("created_at"), matched["created_at"])
        for later in ("first_response_at", "resolved_at"):
            if later in matched:
                value = _typed(spec.column(later), matched[later])
                checks.append(
                    f"SELECT _row, {_lit(matched[later])}, CAST({value} AS VARCHAR), "
                    f"'is before created_at' FROM raw WHERE {value} < {created}"
                )
    key = spec.unique_id or spec.primary_key
    if key in matched:
        text = f"nullif(trim(CAST({_ident(matched[key])} AS VARCHAR)), '')"
        checks.append(
            f"SELECT _row, {_lit(matched[key])}, {text}, 'duplicate id in this file' FROM "
            f"(SELECT _row, {text} AS k, count(*) OVER (PARTITION BY {text}) AS n FROM raw) d "
            f"JOIN raw USING (_row) WHERE n > 1 AND k IS NOT NULL"
        )
    if not checks:
        return []
    rows = _exec(
        con,
        "SELECT _row, col, val, why FROM (" + " UNION ALL ".join(checks) + ") ORDER BY _row, col",
        {"tz": load_settings(con).timezone},
    )
    return [
        (row, f"{path}:{row}: column {col!r} value {val!r}: {why}" if val is not None
         else f"{path}:{row}: column {col!r}: {why}")
        for row, col, val, why in rows
    ]  # fmt: skip


def _ident(name: str) -> str:
    """A column name from the file as a quoted SQL identifier (quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _exec(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> list[tuple]:
    """Execute with only the parameters the text uses (DuckDB rejects extra ones)."""
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return con.execute(sql, used).fetchall()


def _lit(text: str) -> str:
    """A SQL string literal of our own text (column names from the file are quoted safely)."""
    return "'" + text.replace("'", "''") + "'"
