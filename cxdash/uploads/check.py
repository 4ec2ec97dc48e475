"""An upload checked against a mapping by the importer itself (`check_file`), for the page to
show before anything is written: the report and its problems as a table, or why the check
stopped; the file's columns and first rows either way."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl

from cxdash.importer.mapping import Mapping
from cxdash.importer.read import ROW, ReadFailed, columns_of, free_name, load_raw
from cxdash.importer.results import Problem
from cxdash.importer.run import ImportFailed, ImportReport, check_file

PREVIEW_ROWS = 10
MAX_PROBLEMS = 200  # kept and listed per check; the count covers them all


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
            found, preview = read_preview(path, mapping, sheet)
        except ReadFailed:
            return Check((), None, failure=failure)
        return Check(tuple(found), preview, failure=failure)
    columns = tuple(c for c in first.columns if c != ROW)
    listed = tuple(replace(p, file=shown_as) for p in report.problems[:MAX_PROBLEMS])
    return Check(
        columns, first, report=replace(report, problems=listed, file=shown_as),
        problem_count=len(report.problems), problems=problems_table(listed, shown_as),
    )  # fmt: skip


def preview_table(first: pl.DataFrame) -> pl.DataFrame:
    """The first rows for people: `row` as numbered in the file, empty cells empty."""
    label = free_name([c for c in first.columns if c != ROW], "row")
    return first.rename({ROW: label}).with_columns(pl.col(pl.String).fill_null(""))


def read_preview(
    path: Path, mapping: Mapping | None, sheet: str | None, rows: int = PREVIEW_ROWS
) -> tuple[list[str], pl.DataFrame]:
    """The file's columns and first rows as the importer reads them, for a file whose check
    stopped before it got that far (e.g. a required field not matched)."""
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    try:
        load_raw(con, path, (mapping or Mapping()).read, sheet)
        return columns_of(con), con.sql(f"SELECT * FROM raw ORDER BY {ROW} LIMIT {int(rows)}").pl()
    finally:
        con.close()


def first_lines(exc: BaseException) -> str:
    """The importer's own message whole; a DuckDB error's first line only (the rest is its
    internals)."""
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
