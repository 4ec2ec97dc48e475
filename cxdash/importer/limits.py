"""What a file may ask of the reader before it is read: refused in a sentence, not after
minutes of work and an out-of-memory error.

- **Columns**: a header of 100,000 columns took DuckDB 40 s and then all its memory. Real
  exports are wide (a help desk with custom fields: a few hundred columns); more than
  `MAX_COLUMNS` is refused, counted on the first line (or the Parquet schema).
- **The first line**: a header longer than `MAX_HEADER_BYTES` is not a header.
- **Compression**: real CSV exports compress 1–13× (measured on the exports in
  `../shared/realdata/`, gzip -9); a `.gz` that expands more than `MAX_RATIO`× is a bomb
  (a 100 KB file giving 2M identical rows). Checked by streaming through the start of the
  file, so a bomb is refused after a few megabytes, not after the whole expansion.
- **Workbooks**: an .xlsx is a zip; its members' sizes are in the zip's directory, so a
  sheet that expands beyond `MAX_RATIO`× (and `MAX_SHEET_BYTES`) is refused unread.
"""

from __future__ import annotations

import gzip
import re
import zipfile
import zlib
from pathlib import Path

MAX_COLUMNS = 4_096
MAX_HEADER_BYTES = 1 << 20
MAX_RATIO = 100
RATIO_AFTER_BYTES = 16 << 20  # judge the expansion once this much came out
MAX_SHEET_BYTES = 2 << 30


class TooLarge(Exception):
    """A file asks more than cxdash reads; the message names the file and the limit."""


def check_file(path: Path) -> None:
    """Refuse `path` if it breaks one of the limits above; reads at most its first MBs."""
    name = path.name.lower()
    if name.endswith((".xlsx", ".xlsm", ".ods")):
        _check_workbook(path)
    elif name.endswith(".parquet"):
        _check_parquet(path)
    elif not name.endswith((".xls", ".xlsb")):
        if name.endswith(".gz"):
            _check_expansion(path)
        _check_header(path, _first_line(path))


def _first_line(path: Path) -> bytes:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return handle.readline(MAX_HEADER_BYTES + 1)
    except (OSError, EOFError, zlib.error):  # not gzip after all: the reader says so
        return b""


def _check_header(path: Path, line: bytes) -> None:
    if len(line) > MAX_HEADER_BYTES:
        raise TooLarge(f"{path}: the first line is longer than {MAX_HEADER_BYTES >> 20} MB; "
                       "that is not a header cxdash reads (is the file a CSV?)")  # fmt: skip
    unquoted = re.sub(rb'"[^"]*"', b"", line)  # a delimiter inside quotes is text
    _check_count(path, max(unquoted.count(d) + 1 for d in (b",", b";", b"\t", b"|")))


def _check_count(path: Path, columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise TooLarge(f"{path}: has {columns:,} columns; cxdash reads at most "
                       f"{MAX_COLUMNS:,} (keep the columns you map and import that)")  # fmt: skip


def _check_parquet(path: Path) -> None:
    import polars as pl

    try:
        columns = len(pl.read_parquet_schema(path))
    except Exception:  # not Parquet after all: the reader says so
        return
    _check_count(path, columns)


def _check_expansion(path: Path) -> None:
    """Stream-decompress until RATIO_AFTER_BYTES came out (or the file ended); refuse if
    that took less than 1/MAX_RATIO of it in compressed bytes."""
    inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    consumed = produced = 0
    with path.open("rb") as handle:
        while produced < RATIO_AFTER_BYTES and not inflate.eof and (
                piece := handle.read(1 << 14)):
            data = piece
            try:
                while data and produced < RATIO_AFTER_BYTES and not inflate.eof:
                    produced += len(inflate.decompress(data, 1 << 20))
                    data = inflate.unconsumed_tail
            except zlib.error:
                return  # not gzip: the reader says so
            consumed += len(piece) - len(data)
    if produced >= RATIO_AFTER_BYTES and produced > MAX_RATIO * max(consumed, 1):
        raise TooLarge(f"{path}: expands more than {MAX_RATIO}× ({produced >> 20} MB from "
                       f"{consumed / 1024:,.0f} KB so far); real exports compress 1–13×, so "
                       "cxdash does not read it. If it is real, decompress it and import "
                       "the CSV")  # fmt: skip


def _check_workbook(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: the spreadsheet reader says so
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > MAX_SHEET_BYTES or (
                member.file_size > RATIO_AFTER_BYTES and ratio > MAX_RATIO):
            raise TooLarge(f"{path}: its part {member.filename} expands to "
                           f"{member.file_size >> 20:,} MB ({ratio:,.0f}×); cxdash does not "
                           "read a workbook like that (save the sheet as CSV)")  # fmt: skip
