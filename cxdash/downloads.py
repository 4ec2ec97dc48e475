"""Every table a person downloads, as CSV, Parquet or Excel that is safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (some after white space, some
on a tab or carriage return) as a formula — a contact's comment or a customer-typed reason
could carry one (CSV injection). Text cells that start that way get an apostrophe in front, as
OWASP advises, in all three formats: the one rule of every export
(`cxdash.importer.cells.neutralise`). Numbers stay numbers (a negative count is not a formula),
so only text columns are touched. Excel files are written with xlsxwriter's URL and formula
detection off: a value that looks like a link (`https://…`, `external:\\host\\share`, which
becomes `file:///\\host\\share`, a click that can hand a Windows login hash to that host) is
written as the text it is.
"""

from __future__ import annotations

import io

import polars as pl

from cxdash.importer.cells import neutralise

FORMATS = {  # name → (file extension, MIME type)
    "CSV": ("csv", "text/csv"),
    "Parquet": ("parquet", "application/vnd.apache.parquet"),
    "Excel": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def safe_text(text: str) -> str:
    """The cell a text is written as: an apostrophe in front of anything that could run."""
    return neutralise(text)


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell made safe; list columns become "a; b" text first."""
    out = frame
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            out = out.with_columns(pl.col(name).cast(pl.List(pl.String)).list.join("; "))
            dtype = pl.String()
        if dtype in (pl.String, pl.Categorical, pl.Enum) or isinstance(dtype, pl.Enum):
            out = out.with_columns(
                pl.col(name).cast(pl.String).map_elements(safe_text, return_dtype=pl.String)
            )
    return out


def to_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """The frame as a downloadable file in `fmt` (a key of FORMATS), made safe first."""
    safe = safe_frame(frame)
    buffer = io.BytesIO()
    if fmt == "CSV":
        # A byte-order mark so Excel reads the file as UTF-8 (accents in reasons and names).
        buffer.write(b"\xef\xbb\xbf")
        safe.write_csv(buffer)
    elif fmt == "Parquet":
        safe.write_parquet(buffer)
    elif fmt == "Excel":
        from xlsxwriter import Workbook

        # never a hyperlink or formula from a value: text is text
        with Workbook(buffer, {"strings_to_urls": False, "strings_to_formulas": False,
                               "strings_to_numbers": False}) as book:  # fmt: skip
            safe.write_excel(book, worksheet="cxdash", autofit=True)
    else:
        raise ValueError(f"unknown download format {fmt!r}; use one of {', '.join(FORMATS)}")
    return buffer.getvalue()
