"""Read a source file into the temp table `raw`: every column as text, rows numbered as in the
file (`_cxdash_row`; the header is row 1), nothing interpreted yet.

The row number's name is cxdash's own and DuckDB's `rowid` pseudo-column is only read on a
table whose columns are not the user's names, so a file with its own `rowid`, `_row` or
`row` column keeps every row and every row its number.

CSV goes through DuckDB's reader, which streams and spills to disk under the connection's
memory limit, so a file larger than memory imports. When DuckDB's sniffer cannot read a file
(a bare carriage return inside an unquoted field stops it), polars reads it instead.
Excel is read by polars + fastexcel, one sheet at a time.
"""

from __future__ import annotations

import csv
import gzip
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from cxdash.importer import limits
from cxdash.importer.mapping import ReadOptions
from cxdash.importer.results import OnProgress, Progress
from cxdash.importer.sql import ident

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


ROW = "_cxdash_row"  # the row number in `raw`; a file's column of this name is refused
_HIDDEN = "_cxdash_col_"  # raw_data's name for a user column DuckDB would take for rowid


class ReadFailed(Exception):
    pass


def columns_of(con: duckdb.DuckDBPyConnection, table: str = "raw") -> list[str]:
    rows = con.execute("SELECT name FROM pragma_table_info($t)", {"t": table}).fetchall()
    return [c for (c,) in rows if c != ROW]


def free_name(columns: list[str] | tuple[str, ...], wanted: str) -> str:
    """A name for a column cxdash adds for people (`row`, `problems`) that the file's own
    columns do not already use: `wanted`, else `wanted (cxdash)`, `wanted (cxdash)'`, …"""
    taken = {c.lower() for c in columns}
    label = wanted
    while label.lower() in taken:
        label = f"{label} (cxdash)" if label == wanted else f"{label}'"
    return label


def load_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    options: ReadOptions,
    sheet: str | None = None,
    progress: OnProgress | None = None,
) -> tuple[str, ...]:
    """Fill the temp table `raw_data` and expose it, with `ROW`, as the view `raw`; what a
    person should know about the reading (lines read as Latin-1 in a UTF-8 file)."""
    try:
        limits.check_file(path)
    except limits.TooLarge as exc:
        raise ReadFailed(str(exc)) from exc
    name = path.name.lower()
    first: int | None = None
    notes: tuple[str, ...] = ()
    if name.endswith(EXCEL_SUFFIXES):
        _load_excel(con, path, sheet)
    elif name.endswith(".parquet"):
        with _reporting(con, progress):
            _run(con, "SELECT * FROM read_parquet($path)", path)
        first = 1
    else:
        first, notes = _load_csv(con, path, options, progress)
    if options.names:
        _refuse_reserved(path, list(options.names))
        _rename(con, path, options.names)
    if first is not None:  # polars and Excel frames were checked before numbering
        names = con.execute("SELECT name FROM pragma_table_info('raw_data')").fetchall()
        _refuse_reserved(path, [n for (n,) in names])
    _expose(con, first)
    _check_not_empty(con, path)
    return notes


def _refuse_reserved(path: Path, names: list[str]) -> None:
    for name in names:
        if name.lower().startswith((ROW.lower(), _HIDDEN)):
            raise ReadFailed(f"{path}: column {name!r} has a name cxdash keeps for itself "
                             "(row numbers); rename it in the file")  # fmt: skip


def _expose(con: duckdb.DuckDBPyConnection, first: int | None) -> None:
    """The view `raw`: the file's columns under their names, with the row number `ROW`.

    Rows keep the file's order (preserve_insertion_order), so a row's number in the file is
    its rowid plus the line of the first data row — no window over the whole file, which
    doubled the reading time at 10M rows. A user column named `rowid` (any case) would hide
    the pseudo-column, so raw_data holds it under another name and the view names it back.
    `first` None: the reader numbered the rows itself (polars, Excel)."""
    if first is None:
        con.execute("CREATE OR REPLACE TEMP VIEW raw AS SELECT * FROM raw_data")
        return
    names = columns_of(con, "raw_data")
    selected = []
    for i, name in enumerate(names):
        if name.lower() == "rowid":
            hidden = f"{_HIDDEN}{i}"
            con.execute(f"ALTER TABLE raw_data RENAME COLUMN {ident(name)} TO {ident(hidden)}")
            selected.append(f"{ident(hidden)} AS {ident(name)}")
        else:
            selected.append(ident(name))
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT rowid + {int(first)} AS {ROW}, "
                f"{', '.join(selected)} FROM raw_data")  # fmt: skip


def _keep(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    """For readers that number rows themselves (polars, Excel): the frame becomes raw_data."""
    con.register("read_frame", frame.to_arrow())
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE raw_data AS SELECT * FROM read_frame")
    finally:
        con.unregister("read_frame")


def _csv_sql(options: ReadOptions, encoding: str) -> str:
    args = ["all_varchar = true", "sample_size = 20480", f"encoding = '{encoding}'"]
    if options.header is not None:
        args.append(f"header = {str(options.header).lower()}")
    if options.delimiter is not None:
        args.append("delim = " + "'" + options.delimiter.replace("'", "''") + "'")
    return f"SELECT * FROM read_csv($path, {', '.join(args)})"


def _load_csv(
    con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, progress: OnProgress | None
) -> tuple[int | None, tuple[str, ...]]:
    """Fill raw_data; the line of the first data row (None when the rows are numbered) and
    the notes on reading.

    UTF-8 first (a BOM is skipped); a file that is not UTF-8 throughout is Latin-1 — unless
    it also holds UTF-8 text (an export appended to by two systems): then each line is read
    in the encoding it is in, through a UTF-8 copy, and the note says which lines were
    Latin-1 — reading it all as Latin-1 would garble every UTF-8 line without a word."""
    last: Exception | None = None
    try:
        with _reporting(con, progress):
            _run(con, _csv_sql(options, "utf-8"), path)
        return (1 if _headerless(con, options) else 2), ()
    except duckdb.Error as exc:
        last = exc
    with _utf8_copy(path) as (source, latin1_lines):
        notes = _latin1_note(latin1_lines)
        try:
            with _reporting(con, progress):
                _run(con, _csv_sql(options, "utf-8" if latin1_lines else "latin-1"), source)
            return (1 if _headerless(con, options) else 2), notes
        except duckdb.Error as exc:
            last = exc
        try:
            _load_with_polars(con, source, options, shown=path)
            return None, notes
        except Exception as exc:  # polars raises several error types for unreadable input
            raise ReadFailed(f"{path}: cannot be read as a table of text (CSV or Parquet): "
                             f"{_first(last or exc)}") from exc  # fmt: skip


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|"
                             rb"[\xf0-\xf4][\x80-\xbf]{3}")  # fmt: skip
_CHUNK = 16 << 20


def _chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes (decompressed if .gz) in pieces that end at a line end, so no
    character is cut in two."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        rest = b""
        while piece := handle.read(_CHUNK):
            piece = rest + piece
            cut = piece.rfind(b"\n") + 1
            if cut == 0:
                rest = piece
                continue
            rest = piece[cut:]
            yield piece[:cut]
        if rest:
            yield rest


def _mixes_utf8(path: Path) -> bool:
    """True if the file has UTF-8 characters and bytes that are not UTF-8."""
    invalid = multibyte = False
    for piece in _chunks(path):
        try:
            piece.decode("utf-8")
            multibyte = multibyte or not piece.isascii()
        except UnicodeDecodeError:
            invalid = True
            multibyte = multibyte or _UTF8_MULTIBYTE.search(piece) is not None
        if invalid and multibyte:
            return True
    return False


@contextmanager
def _utf8_copy(path: Path) -> Iterator[tuple[Path, list[int]]]:
    """`path` itself and no lines, unless the file mixes UTF-8 and Latin-1: then a UTF-8
    copy (removed afterwards) with each line decoded as UTF-8 where it is valid, as Latin-1
    where not, and the numbers of the lines read as Latin-1."""
    if not _mixes_utf8(path):
        yield path, []
        return
    latin1: list[int] = []
    with tempfile.TemporaryDirectory(prefix="cxdash-read-") as folder:
        copy = Path(folder) / "utf8.csv"
        line = 0
        with copy.open("w", encoding="utf-8", newline="") as out:
            for piece in _chunks(path):
                try:
                    out.write(piece.decode("utf-8"))
                    line += piece.count(b"\n")
                    continue
                except UnicodeDecodeError:
                    pass
                lines = piece.split(b"\n")  # a bare \r inside a field is not a line end
                for i, text in enumerate(lines):
                    if i < len(lines) - 1:
                        text += b"\n"
                    elif not text:
                        break  # the piece ended with its line end
                    line += 1
                    try:
                        out.write(text.decode("utf-8"))
                    except UnicodeDecodeError:
                        latin1.append(line)
                        out.write(_single_byte(text))
        yield copy, latin1


def _single_byte(text: bytes) -> str:
    """Windows-1252 (what "Latin-1" exports from Windows are: € is 0x80) where every byte is
    one of its characters, else ISO Latin-1."""
    try:
        return text.decode("cp1252")
    except UnicodeDecodeError:
        return text.decode("latin-1")


def _latin1_note(lines: list[int]) -> tuple[str, ...]:
    if not lines:
        return ()
    shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10:,} more"
                                                if len(lines) > 10 else "")  # fmt: skip
    word = "line" if len(lines) == 1 else "lines"
    return (f"the file is UTF-8 but {len(lines):,} line(s) are Latin-1 / Windows-1252 ({word} "
            f"{shown}); each line was read in its own encoding",)


def _run(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw_data AS {select}", {"path": str(path)})


def _headerless(con: duckdb.DuckDBPyConnection, options: ReadOptions) -> bool:
    """DuckDB names the columns of a file without a header column0, column1, …"""
    if options.header is not None:
        return not options.header
    columns = columns_of(con, "raw_data")
    return columns == [f"column{i}" for i in range(len(columns))] or columns == [
        f"column{i:02d}" for i in range(len(columns))]


def _load_with_polars(
    con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, shown: Path
) -> None:
    """The fallback reader: a bare \\r inside an unquoted field is text, not a line end.
    `path` may be a UTF-8 copy of the file `shown` in messages."""
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
    _keep(con, _numbered(shown, frame, offset=2 if header else 1))


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
    )
    _keep(con, _numbered(path, frame, offset=2))


def _numbered(path: Path, frame: pl.DataFrame, offset: int) -> pl.DataFrame:
    _refuse_reserved(path, frame.columns)  # before with_row_index, which fails on the name
    return frame.with_row_index(ROW, offset=offset)


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
