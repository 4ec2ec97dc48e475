"""Every row checked over the parsed table `typed`, each failure a `Problem`: required
fields empty, values that do not parse, values out of their range (SPEC §2's checks),
first response or resolution before creation, and ids repeated within the file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cxdash.importer.casts import why_unparsed
from cxdash.importer.parse import ParsedField
from cxdash.importer.results import Problem
from cxdash.importer.sql import literal, run_sql
from cxdash.schema import Table

MAX_TEXT = 100_000  # a comment of 10 MB is not a comment: it would fill pages and reports
SHOWN = 200  # of a bad value in a problem's message
_RANGE_CHECKED = (
    "csat", "ces", "reopens", "transfers", "handle_seconds", "hold_seconds",
    "value_to_customer", "value_to_business",
)  # fmt: skip


def validate(
    con: duckdb.DuckDBPyConnection, spec: Table, plan: list[ParsedField], path: Path,
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
        col, text, label = f.col, f.text, literal(f.label)
        if col.required:
            checks.append((f"{text} IS NULL", label, "NULL",
                           literal(f"is empty but {col.name} is required")))  # fmt: skip
        why = f.why or why_unparsed(col)
        if col.sql_type in ("TIMESTAMP", "DATE") and not f.why:
            why += _layout_hint(con, f, params)
        checks.append((f"{text} IS NOT NULL AND {f.typed} IS NULL", label, text,
                       literal(why)))  # fmt: skip
        if col.sql_type in ("VARCHAR", "VARCHAR[]"):
            checks.append((f"length({text}) > {MAX_TEXT}", label,
                           f"length({text}) || ' characters'",
                           literal(f"longer than {MAX_TEXT:,} characters, the most a field "
                                   "holds")))  # fmt: skip
        if col.check and col.name in _RANGE_CHECKED:
            cond = col.check.replace(col.name, f"({f.typed})")
            checks.append((f"{f.typed} IS NOT NULL AND NOT ({cond})", label, text,
                           literal("must satisfy " + col.check)))  # fmt: skip
    if spec.name in ("contacts", "events") and "created_at" in by_name:
        created = by_name["created_at"].typed
        for later in ("first_response_at", "resolved_at"):
            if later in by_name:
                f = by_name[later]
                checks.append((f"{f.typed} < {created}", literal(f.label), f.text,
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
            "SELECT _cxdash_row, p.col AS col, p.val AS val, p.why AS why FROM ("
            f"SELECT _cxdash_row, unnest(list_filter([{problems}], lambda x: x IS NOT NULL)) AS p "
            f"FROM typed WHERE {any_problem})"  # clean rows (nearly all) skip the list building
        )
    key = spec.unique_id or spec.primary_key
    if key in by_name and _has_duplicates(con, by_name[key].text):
        f = by_name[key]
        parts.append(
            f"SELECT _cxdash_row, {literal(f.label)}, k, 'duplicate id in this file' FROM "
            f"(SELECT _cxdash_row, {f.text} AS k, count(*) OVER (PARTITION BY {f.text}) AS n "
            "FROM typed) "
            f"WHERE n > 1 AND k IS NOT NULL"
        )
    if not parts:
        return []
    rows = run_sql(
        con,
        f"SELECT _cxdash_row, col, CASE WHEN length(val) > {SHOWN} THEN left(val, {SHOWN}) "
        "|| '…' ELSE val END, why FROM (" + " UNION ALL ".join(parts)
        + ") ORDER BY _cxdash_row, col",
        params,
    )
    return [Problem(str(path), row, col, val, why) for row, col, val, why in rows]


def _layout_hint(con: duckdb.DuckDBPyConnection, f: ParsedField, params: dict[str, object]) -> str:
    """'; try [formats] created_at = "%d-%m-%Y %I.%M.%S %p"' when values of the field do not
    parse and one layout reads nearly all of them (the one `--suggest` would propose), so the
    message teaches the fix instead of only asking for ISO; "" otherwise."""
    from cxdash.importer.suggest import best_layout  # the suggester's layouts, one list

    def used(sql: str) -> dict[str, object]:  # DuckDB refuses a parameter a statement lacks
        return {k: v for k, v in params.items() if f"${k}" in sql}

    probe = (f"SELECT count(*) FROM (SELECT 1 FROM typed WHERE {f.text} IS NOT NULL "
             f"AND {f.typed} IS NULL LIMIT 1)")  # fmt: skip
    if not run_sql(con, probe, used(probe))[0][0]:
        return ""
    values = f"(SELECT {f.text} AS x FROM typed LIMIT 50000) p"
    found = best_layout(con, values, used(values))
    if found is None:
        return ""
    layout, read, seen = found
    return (f"; try [formats] {f.col.name} = \"{layout}\" in the mapping (it reads {read:,} "
            f"of {seen:,} values; `cxdash import FILE --suggest` proposes a whole mapping)")


def _has_duplicates(con: duckdb.DuckDBPyConnection, key: str) -> bool:
    """A cheap hash aggregate first: the row-by-row duplicate report needs a window over the
    whole file, paid only when some id repeats."""
    sql = f"SELECT 1 FROM typed WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1 LIMIT 1"
    return bool(con.execute(sql).fetchall())


