"""Read a source file into the temp table `raw`: every column as text, rows numbered as in the
file (`_row`; the header is row 1), nothing interpreted yet.

CSV goes through DuckDB's reader, which streams and spills to disk under the connection's
memory limit, so a file larger than memory imports. When DuckDB's sniffer cannot read a file
(a bare carriage return inside an unquoted field stops it), polars reads it instead.
Excel is read by polars + fastexcel, one sheet at a time.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from cxdash.importer.mapping import ReadOptions
from cxdash.importer.results import OnProgress, Progress
from cxdash.importer.sql import ident

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


class ReadFailed(Exception):
    pass


def columns_of(con: duckdb.DuckDBPyConnection, table: str = "raw") -> list[str]:
    rows = con.execute("SELECT name FROM pragma_table_info($t)", {"t": table}).fetchall()
    return [c for (c,) in rows if c != "_row"]


def load_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: ReadOptions,
    sheet: str | None = None,
    progress: OnProgress | None = None,
) -> None:
    """Fill the temp table `raw_data` and expose it, with `_row`, as the view `raw`."""
    name = path.name.lower()
    if name.endswith(EXCEL_SUFFIXES):
        _load_excel(con, path, sheet)
    elif name.endswith(".parquet"):
        with _reporting(con, progress):
            _run(con, "SELECT * FROM read_parquet($path)", path)
        _number_rows(con, first=1)
    else:
        _load_csv(con, path, options, progress)
    if options.names:
        _rename(con, path, options.names)
    _check_not_empty(con, path)


def _number_rows(con: duckdb.DuckDBPyConnection, first: int) -> None:
    """Rows keep the file's order (preserve_insertion_order), so a row's number in the file
    is its rowid plus the line of the first data row — no window over the whole file, which
    doubled the reading time at 10M rows."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT rowid + {int(first)} AS _row, * "
                "FROM raw_data")  # fmt: skip


def _keep(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    """For readers that number rows themselves (polars, Excel): the frame becomes raw_data."""
    con.register("read_frame", frame.to_arrow())
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE raw_data AS SELECT * FROM read_frame")
    finally:
        con.unregister("read_frame")
    con.execute("CREATE OR REPLACE TEMP VIEW raw AS SELECT * FROM raw_data")


def _csv_sql(options: ReadOptions, encoding: str) -> str:
    args = ["all_varchar = true", "sample_size = 20480", f"encoding = '{encoding}'"]
    if options.header is not None:
        args.append(f"header = {str(options.header).lower()}")
    if options.delimiter is not None:
        args.append("delim = " + "'" + options.delimiter.replace("'", "''") + "'")
    return f"SELECT * FROM read_csv($path, {', '.join(args)})"


def _load_csv(
    con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, progress: OnProgress | None
) -> None:
    last: Exception | None = None
    for encoding in ("utf-8", "latin-1"):  # a UTF-8 BOM is skipped by the UTF-8 reader
        try:
            with _reporting(con, progress):
                _run(con, _csv_sql(options, encoding), path)
            _number_rows(con, first=1 if _headerless(con, options) else 2)
            return
        except duckdb.Error as exc:
            last = exc
    try:
        _load_with_polars(con, path, options)
    except Exception as exc:  # polars raises several error types for unreadable input
        raise ReadFailed(f"{path}: cannot be read as a table of text (CSV or Parquet): "
                         f"{_first(last or exc)}") from exc  # fmt: skip


def _run(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw_data AS {select}", {"path": str(path)})


def _headerless(con: duckdb.DuckDBPyConnection, options: ReadOptions) -> bool:
    """DuckDB names the columns of a file without a header column0, column1, …"""
    if options.header is not None:
        return not options.header
    columns = columns_of(con, "raw_data")
    return columns == [f"column{i}" for i in range(len(columns))] or columns == [
        f"column{i:02d}" for i in range(len(columns))]


def _load_with_polars(con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions) -> None:
    """The fallback reader: a bare \\r inside an unquoted field is text, not a line end."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if b"\x00" in head:
        raise ReadFailed("binary content (NUL bytes)")
    text = head.decode("utf-8", errors="replace")
    delimiter = options.delimiter
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    header = options.header if options.header is not None else True
    frame = pl.read_csv(path, separator=delimiter, has_header=header, infer_schema=False,
                        encoding="utf8-lossy", truncate_ragged_lines=False)  # fmt: skip
    if not header:
        frame = frame.rename({c: f"column{i}" for i, c in enumerate(frame.columns)})
    _keep(con, frame.with_row_index("_row", offset=2 if header else 1))


def _load_excel(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None) -> None:
    """One sheet, every cell as text (formula cells give their saved values)."""
    import fastexcel

    try:
        sheets = fastexcel.read_excel(str(path)).sheet_names
    except Exception as exc:  # fastexcel raises its own error types
        raise ReadFailed(f"{path}: cannot be read as a spreadsheet ({_first(exc)})") from exc
    if sheet is None and len(sheets) > 1:
        raise ReadFailed(f"{path}: has sheets {', '.join(map(repr, sheets))}; choose one with "
                         f"--sheet NAME")  # fmt: skip
    name = sheet or sheets[0]
    if name not in sheets:
        raise ReadFailed(f"{path}: no sheet {name!r}; it has {', '.join(map(repr, sheets))}")
    frame = pl.read_excel(path, sheet_name=name, infer_schema_length=0)
    # A time-only cell (a duration, a time of day) comes back on Excel's day zero.
    frame = frame.with_columns(
        pl.all().cast(pl.String).str.replace(r"^1899-12-3[01][ T]", "")
    ).with_row_index("_row", offset=2)
    _keep(con, frame)


def _rename(con: duckdb.DuckDBPyConnection, path: Path, names: tuple[str, ...]) -> None:
    """[read] names: the columns of a file without a header, in order."""
    current = columns_of(con, "raw_data")
    if len(names) != len(current):
        raise ReadFailed(f"{path}: the mapping names {len(names)} columns ([read] names) but "
                         f"the file has {len(current)}")  # fmt: skip
    if len(set(names)) != len(names):
        raise ReadFailed(f"{path}: [read] names has a name twice")
    renames = "".join(f"ALTER TABLE raw_data RENAME COLUMN {ident(c)} TO {ident(n)};"
                      for c, n in zip(current, names, strict=True) if c != n)  # fmt: skip
    if renames:  # the view `raw` selects *, so it follows the table
        con.execute(renames)


def _check_not_empty(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    columns = columns_of(con)
    rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    if rows == 0 and columns in (["column0"], []):
        raise ReadFailed(f"{path}: the file is empty")
    if rows == 0:
        raise ReadFailed(f"{path}: the file has a header ({', '.join(columns)}) but no rows")


@contextmanager
def _reporting(con: duckdb.DuckDBPyConnection, progress: OnProgress | None) -> Iterator[None]:
    """Report a long read's progress (DuckDB's own estimate) about twice a second, in steps
    of 5 %."""
    if progress is None:
        yield
        return
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    done = threading.Event()

    def poll() -> None:
        shown = -1
        while not done.wait(0.5):
            pct = con.query_progress()
            if pct >= 0 and int(pct) // 5 != shown:
                shown = int(pct) // 5
                progress(Progress("reading", pct / 100))

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
