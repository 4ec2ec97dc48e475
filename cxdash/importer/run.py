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
import polars as pl

from cxdash import derived, store
from cxdash.importer.mapping import Mapping
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
    matched: dict[str, str]  # field → source column(s) or constant, as shown to a person
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


def _read_sql(path: Path, encoding: str = "utf-8") -> str:
    """All columns as text; the delimiter, quoting and a header row are detected (a file
    without a header gets column0, column1, …); .gz is read as it is."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "SELECT * FROM read_parquet($path)"
    return (
        "SELECT * FROM read_csv($path, all_varchar = true, sample_size = -1, "
        f"encoding = '{encoding}')"
    )


EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def _load_excel(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> None:
    """One sheet, every cell as text (formula cells give their saved values)."""
    import fastexcel

    try:
        sheets = fastexcel.read_excel(str(path)).sheet_names
    except Exception as exc:  # fastexcel raises its own error types
        raise ImportFailed(f"{path}: cannot be read as a spreadsheet ({_first(exc)})") from exc
    if sheet is None and len(sheets) > 1:
        raise ImportFailed(f"{path}: has sheets {', '.join(map(repr, sheets))}; choose one with "
                           f"--sheet NAME")  # fmt: skip
    name = sheet or sheets[0]
    if name not in sheets:
        raise ImportFailed(f"{path}: no sheet {name!r}; it has {', '.join(map(repr, sheets))}")
    frame = pl.read_excel(path, sheet_name=name, infer_schema_length=0)
    frame = frame.with_columns(pl.all().cast(pl.String)).with_row_index("_row", offset=2)
    con.register("excel_sheet", frame.to_arrow())
    con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM excel_sheet")
    con.unregister("excel_sheet")


def _load_raw(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None = None) -> None:
    """Read the file into the temp table `raw`, numbering rows as in the file."""
    if path.name.lower().endswith(EXCEL_SUFFIXES):
        _load_excel(con, path, sheet)
        _check_not_empty(con, path)
        return
    parquet = path.name.lower().endswith(".parquet")
    last: duckdb.Error | None = None
    for encoding in ("utf-8",) if parquet else ("utf-8", "latin-1"):  # BOM is fine in UTF-8
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE raw AS SELECT row_number() OVER () + 1 AS _row, * "
                f"FROM ({_read_sql(path, encoding)})",
                {"path": str(path)},
            )
            break
        except duckdb.Error as exc:
            last = exc
    else:
        raise ImportFailed(
            f"{path}: cannot be read as a table of text (CSV or Parquet): {_first(last)}"
        )
    _check_not_empty(con, path)


def _check_not_empty(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    columns = [c for (c,) in con.execute("SELECT name FROM pragma_table_info('raw')").fetchall()]
    rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    if rows == 0 and columns in (["_row", "column0"], ["_row"]):
        raise ImportFailed(f"{path}: the file is empty")
    if rows == 0:
        raise ImportFailed(f"{path}: the file has a header ({', '.join(columns[1:])}) but no rows")


def _typed(col: Column, text: str, fmt_param: str | None = None, fmt: str = "") -> str:
    """SQL turning the text expression into `col`'s type; NULL where it does not parse."""
    if col.sql_type == "TIMESTAMP":
        if fmt_param is None:
            return f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE $tz AS TIMESTAMP)"
        parsed = f"TRY_STRPTIME({text}, ${fmt_param})"
        return f"CAST({parsed} AT TIME ZONE $tz AS TIMESTAMP)" if "%z" in fmt else parsed
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
    mapping: Mapping | None = None,
    *,
    skip_bad_rows: bool = False,
    rejects: Path | None = None,
    sheet: str | None = None,
) -> ImportReport:
    if table not in IMPORTABLE:
        raise ImportFailed(f"--table must be one of {', '.join(IMPORTABLE)}")
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    spec = TABLES_BY_NAME[table]
    with store.new_version(db, from_existing=True) as con:
        create_schema(con)
        con.execute("SET TimeZone = $tz", {"tz": load_settings(con).timezone})
        _load_raw(con, path, sheet)
        columns = [c for (c,) in con.execute("SELECT name FROM pragma_table_info('raw')").fetchall()
                   if c != "_row"]  # fmt: skip
        mapping = mapping if mapping is not None else Mapping.auto(table, columns)
        unknown = sorted(c for c in mapping.sources() if c not in columns)
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise ImportFailed(f"{path}: the mapping names column(s) {names}, but the file has "
                               f"{', '.join(map(repr, columns))}")  # fmt: skip
        required = [c.name for c in spec.contract_columns if c.required]
        absent = [f for f in required if not mapping.covers(f)]
        if absent:
            raise ImportFailed(
                f"{path}: required field(s) {', '.join(absent)} not found among the columns "
                f"({', '.join(columns)}); map them in a mapping file (--mapping), e.g. "
                f"[fields] {absent[0]} = \"<your column>\""
            )
        ignored = tuple(c for c in columns if c not in mapping.sources())
        params: dict[str, object] = {"tz": load_settings(con).timezone}
        plan = _materialise(con, _plan(con, table, mapping, path, params), params)
        errors = _validate(con, spec.name, plan, path, params)
        rows_read = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
        bad_rows = {int(row) for row, _ in errors}
        if rejects is not None:
            _write_rejects(con, errors, rejects)
        if errors and not skip_bad_rows:
            listed = [msg for _, msg in errors[:MAX_LISTED]]
            more = len(errors) - len(listed)
            tail = f"\n… and {more} more" if more > 0 else ""
            raise ImportFailed(
                f"{len(errors)} problem(s) in {len(bad_rows)} row(s); nothing was imported "
                f"(use --skip-bad-rows to import the rest):\n" + "\n".join(listed) + tail
            )
        select = ", ".join(f"{f.typed} AS {f.col.name}" for f in plan)
        _exec(
            con,
            f"CREATE TEMP TABLE staged AS SELECT {select} FROM typed "
            "WHERE NOT list_contains($bad, _row)",
            {"bad": sorted(bad_rows)},
        )
        key = spec.unique_id or spec.primary_key
        names = ", ".join(f.col.name for f in plan)
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
        file=str(path), table=table, matched=mapping.describe(), unknown_columns=ignored,
        rows_read=rows_read, rows_written=written, rows_rejected=len(bad_rows),
        errors=tuple(msg for _, msg in errors),
    )  # fmt: skip


@dataclass(frozen=True)
class _Field:
    col: Column
    text: str  # SQL: the source value as trimmed text (NULL when empty)
    label: str  # how errors name the source
    typed: str  # SQL: the value in the contract's type


# Day/month orders tried when a timestamp column is not ISO (detected from the data).
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%Y %I:%M:%S %p",
                "%m/%d/%Y %I:%M %p")  # fmt: skip


def _plan(
    con: duckdb.DuckDBPyConnection, table: str, mapping: Mapping, path: Path,
    params: dict[str, object],
) -> list[_Field]:
    spec = TABLES_BY_NAME[table]
    plan = []
    for col in spec.contract_columns:
        if col.name in mapping.constants:
            params[f"c_{col.name}"] = mapping.constants[col.name]
            text, label = f"CAST($c_{col.name} AS VARCHAR)", f"constant {col.name}"
        elif col.name in mapping.fields:
            cols = mapping.fields[col.name]
            joined = " || ' ' || ".join(f"CAST({_ident(c)} AS VARCHAR)" for c in cols)
            text = f"nullif(trim({joined}), '')"
            label = " + ".join(cols)
        else:
            continue
        for i, (src, dst) in enumerate(mapping.values.get(col.name, {}).items()):
            params[f"v_{col.name}_{i}_from"], params[f"v_{col.name}_{i}_to"] = src, dst
            text = (f"CASE WHEN {text} = $v_{col.name}_{i}_from THEN $v_{col.name}_{i}_to "
                    f"ELSE {text} END")  # fmt: skip
        fmt = mapping.formats.get(col.name)
        if col.sql_type == "TIMESTAMP" and fmt is None:
            fmt = _detect_format(con, col, text, label, path, params)
        fmt_param = None
        if fmt is not None:
            fmt_param = f"f_{col.name}"
            params[fmt_param] = fmt
        plan.append(_Field(col, text, label, _typed(col, text, fmt_param, fmt or "")))
    return plan


def _materialise(
    con: duckdb.DuckDBPyConnection, plan: list[_Field], params: dict[str, object]
) -> list[_Field]:
    """Parse every field once into the temp table `typed` (t_<field> text, v_<field> value);
    validation and loading then read plain columns instead of re-casting per check."""
    cols = ", ".join(f"{f.text} AS t_{f.col.name}, {f.typed} AS v_{f.col.name}" for f in plan)
    _exec(con, f"CREATE TEMP TABLE typed AS SELECT _row, {cols} FROM raw", params)
    return [_Field(f.col, f"t_{f.col.name}", f.label, f"v_{f.col.name}") for f in plan]


def _detect_format(
    con: duckdb.DuckDBPyConnection, col: Column, text: str, label: str, path: Path,
    params: dict[str, object],
) -> str | None:
    """None when ISO parsing reads every value; else the day/month order the data proves."""
    iso = _typed(col, text)
    fails = _exec(con, f"SELECT count(*) FROM raw WHERE {text} IS NOT NULL AND {iso} IS NULL",
                  params)[0][0]  # fmt: skip
    if not fails:
        return None
    total = _exec(con, f"SELECT count(*) FROM raw WHERE {text} IS NOT NULL", params)[0][0]
    best: dict[str, tuple[int, str]] = {}
    for family, formats in (("day first", _DAY_FIRST), ("month first", _MONTH_FIRST)):
        for fmt in formats:
            probe = {**params, "probe": fmt}
            ok = _exec(con, f"SELECT count(*) FROM raw WHERE TRY_STRPTIME({text}, $probe) "
                            "IS NOT NULL", probe)[0][0]  # fmt: skip
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


def _write_rejects(
    con: duckdb.DuckDBPyConnection, errors: list[tuple[int, str]], target: Path
) -> None:
    """The bad rows as they were in the file, with their row number and every reason."""
    reasons: dict[int, list[str]] = {}
    for row, message in errors:
        reasons.setdefault(int(row), []).append(message.split(": ", 1)[1])
    # On the connection itself: cursors do not see its TEMP tables.
    bad = con.sql("SELECT * FROM raw WHERE list_contains($rows, _row) ORDER BY _row",
                  params={"rows": sorted(reasons)}).pl()  # fmt: skip
    problems = ["; ".join(reasons[r]) for r in bad["_row"]]
    bad = bad.rename({"_row": "row"}).with_columns(pl.Series("problems", problems, pl.String))
    target.parent.mkdir(parents=True, exist_ok=True)
    bad.write_csv(target)


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _validate(
    con: duckdb.DuckDBPyConnection, table: str, plan: list[_Field], path: Path,
    params: dict[str, object],
) -> list[tuple[int, str]]:
    """(row, message) for every problem, in file order, over the parsed table `typed`.

    Row checks run in one pass over the file: each row gets the list of its problems (a
    struct per failed check), and only rows with problems come back. Duplicate ids need the
    whole file, so they are a second, separate scan.
    """
    spec = TABLES_BY_NAME[table]
    by_name = {f.col.name: f for f in plan}
    checks: list[tuple[str, str, str, str]] = []  # (condition, column label, value, why)
    for f in plan:
        col, text, label = f.col, f.text, _lit(f.label)
        if col.required:
            checks.append((f"{text} IS NULL", label, "NULL",
                           _lit(f"is empty but {col.name} is required")))  # fmt: skip
        checks.append((f"{text} IS NOT NULL AND {f.typed} IS NULL", label, text,
                       _lit(_why(col))))  # fmt: skip
        if col.check and col.name in _RANGE_CHECKED:
            cond = col.check.replace(col.name, f"({f.typed})")
            checks.append((f"{f.typed} IS NOT NULL AND NOT ({cond})", label, text,
                           _lit("must satisfy " + col.check)))  # fmt: skip
    if table == "contacts" and "created_at" in by_name:
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
    if key in by_name:
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
    return [
        (row, f"{path}:{row}: column {col!r} value {val!r}: {why}" if val is not None
         else f"{path}:{row}: column {col!r}: {why}")
        for row, col, val, why in rows
    ]  # fmt: skip


_RANGE_CHECKED = (
    "csat", "ces", "reopens", "transfers", "handle_seconds", "hold_seconds",
    "value_to_customer", "value_to_business",
)  # fmt: skip


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
