"""A root-cause register from a file goes through the register itself
(`cxdash.cause_register`): its rules checked row by row, each broken one a `Problem` naming
the column of the field it is about, and the good causes written with every field change
recorded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from cxdash import cause_register
from cxdash.importer.parse import ParsedField
from cxdash.importer.results import Problem
from cxdash.schema import ROOT_CAUSES


def causes_in_file(
    con: duckdb.DuckDBPyConnection, plan: list[ParsedField]
) -> list[tuple[int, cause_register.RootCause, dict[str, str | None]]]:
    """(row, cause, field → text in the file) for every row of `typed` that has an id; an
    empty status is the schema's default, identified. Registers are small: rows in Python."""
    by_name = {f.col.name: f for f in plan}
    names = [c.name for c in ROOT_CAUSES.contract_columns]
    select = ", ".join(f"{by_name[n].typed}, {by_name[n].text}" if n in by_name else "NULL, NULL"
                       for n in names)  # fmt: skip
    rows = con.execute(f"SELECT _cxdash_row, {select} FROM typed WHERE {by_name['cause_id'].typed} "
                       "IS NOT NULL ORDER BY _cxdash_row").fetchall()  # fmt: skip
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


def register_problems(
    con: duckdb.DuckDBPyConnection, plan: list[ParsedField], path: Path, known: set[str]
) -> list[Problem]:
    """The register's own rules (cxdash.cause_register.broken_rules), row by row, naming the column
    of the field each rule is about. A rule on a value that did not parse is left out: the
    parse error already names it (a fixed_on of "soon" is not also "missing")."""
    by_name = {f.col.name: f for f in plan}
    out = []
    for row, cause, text in causes_in_file(con, plan):
        for broken in cause_register.broken_rules(cause, known):
            unparsed = text[broken.field] is not None and getattr(cause, broken.field) in (None, ())
            if unparsed:
                continue
            label = by_name[broken.field].label if broken.field in by_name else broken.field
            out.append(Problem(str(path), row, label, text[broken.field], broken.message))
    return out


def write_causes(
    con: duckdb.DuckDBPyConnection, plan: list[ParsedField], bad_rows: set[int], mode: str, by: str
) -> int:
    """Upsert the good causes through the register (cxdash.cause_register.apply), which records
    every field that changes; `replace` also removes, and records, the causes not in the file."""
    now = dt.datetime.now().replace(microsecond=0)
    causes = [cause for row, cause, _ in causes_in_file(con, plan) if row not in bad_rows]
    if mode == "replace":
        keep = {c.cause_id for c in causes}
        for (cause_id,) in con.execute("SELECT cause_id FROM root_causes ORDER BY 1").fetchall():
            if cause_id not in keep:
                cause_register.remove(con, cause_id, by, now)
    for cause in causes:
        cause_register.apply(con, cause, by, now)
    return len(causes)
