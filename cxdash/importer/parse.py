"""From the file's columns to parsed fields: the mapping settled on the columns the file has,
one SQL expression per contract field (a column, columns joined, a constant, a duration after
created_at; conditions, value translations, a format, a subtraction), and every field parsed
once into the temp table `typed`, which validation and writing read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from cxdash.importer.casts import typed_sql
from cxdash.importer.cells import restore_sql
from cxdash.importer.formats import detect_format
from cxdash.importer.mapping import Mapping
from cxdash.importer.results import ImportFailed
from cxdash.importer.sql import ident, run_sql
from cxdash.schema import Column, Table

# Tables cxdash exports for a spreadsheet (cxdash.exports): their text cells may carry the
# apostrophe that keeps a spreadsheet from running them as a formula (cxdash.importer.cells).
SPREADSHEET_TABLES = ("reasons", "root_causes")


@dataclass(frozen=True)
class ParsedField:
    """One contract field of the file: its text and its typed value as SQL (over `raw`, or
    after `materialise` the columns of `typed`), and how problems name its source."""

    col: Column
    text: str  # SQL: the source value as trimmed text (NULL when empty)
    label: str  # how problems name the source: "Created", "Date + Time", "constant channel"
    typed: str  # SQL: the value in the contract's type
    why: str | None = None  # why a value that does not parse is wrong (else by type)


def settle_mapping(
    path: Path, spec: Table, mapping: Mapping | None, columns: list[str]
) -> tuple[Mapping, dict[str, str]]:
    """The mapping to use on these columns, and optional fields left out (field → why)."""
    dropped: dict[str, str] = {}
    if mapping is None:
        mapping = Mapping.auto(spec.name, columns)
    elif not mapping.fields:  # only formats, values, read options…: match the fields
        mapping = replace(mapping, fields=Mapping.auto(spec.name, columns).fields, automatic=True)
    missing = {f: [c for c in cols if c not in columns] for f, cols in mapping.fields.items()}
    missing.update({f: [c] for f, c in mapping.minutes_after_created.items() if c not in columns})
    missing = {f: cols for f, cols in missing.items() if cols}
    required = {c.name for c in spec.contract_columns if c.required}
    if mapping.lenient:  # a preset: exports leave optional columns out
        optional = {f for f in missing if f not in required}
        dropped.update({f: f"column {missing[f][0]!r} is not in the file" for f in optional})
        mapping = mapping.without(optional)
        missing = {f: cols for f, cols in missing.items() if f in required}
    absent = sorted({c for cols in missing.values() for c in cols}
                    | {c for cond in mapping.when.values() for c in cond if c not in columns})
    if absent:
        raise ImportFailed(f"{path}: the mapping names column(s) {', '.join(map(repr, absent))}, "
                           f"but the file has {', '.join(map(repr, columns))}")  # fmt: skip
    unmet = [f for f in sorted(required) if not mapping.covers(f)]
    if unmet:
        raise ImportFailed(
            f"{path}: required field(s) {', '.join(unmet)} not found among the columns "
            f"({', '.join(columns)}); map them in a mapping file (--mapping), e.g. "
            f"[fields] {unmet[0]} = \"<your column>\""
        )
    return mapping, dropped


def plan_fields(
    con: duckdb.DuckDBPyConnection, spec: Table, mapping: Mapping, path: Path,
    params: dict[str, object],
) -> list[ParsedField]:
    """The SQL of every contract field the mapping fills, over `raw`; the values they need
    are added to `params`."""
    plan: list[ParsedField] = []
    for col in spec.contract_columns:
        name = col.name
        if name in mapping.constants:
            params[f"c_{name}"] = mapping.constants[name]
            text, label = f"CAST($c_{name} AS VARCHAR)", f"constant {name}"
        elif name in mapping.fields:
            cols = mapping.fields[name]
            joined = " || ' ' || ".join(f"CAST({ident(c)} AS VARCHAR)" for c in cols)
            text = f"nullif(trim({joined}), '')"
            label = " + ".join(cols)
            if spec.name in SPREADSHEET_TABLES and col.sql_type in ("VARCHAR", "VARCHAR[]"):
                text = restore_sql(text)  # '=x (as exported) is the text =x
        elif name in mapping.after_created and col.sql_type == "TIMESTAMP":
            plan.append(_after_created(plan, name, *mapping.after_created[name]))
            continue
        else:
            continue
        for i, (cond_col, cond_value) in enumerate(mapping.when.get(name, {}).items()):
            params[f"w_{name}_{i}"] = cond_value
            text = f"CASE WHEN {ident(cond_col)} = $w_{name}_{i} THEN {text} END"
        value_map = mapping.values.get(name, {})
        for i, (src, dst) in enumerate(value_map.items()):
            params[f"v_{name}_{i}_from"], params[f"v_{name}_{i}_to"] = src, dst
            text = (f"CASE WHEN {text} = $v_{name}_{i}_from THEN $v_{name}_{i}_to "
                    f"ELSE {text} END")  # fmt: skip
        if value_map:
            text = f"nullif({text}, '')"  # a value mapped to "" is empty
        fmt = mapping.formats.get(name)
        if col.sql_type in ("TIMESTAMP", "DATE") and fmt is None:
            fmt = detect_format(con, col, text, label, path, params)
        fmt_param = None
        if fmt is not None:
            fmt_param = f"f_{name}"
            params[fmt_param] = fmt
        typed = typed_sql(col, text, fmt_param, fmt or "")
        if name in mapping.subtract:
            params[f"s_{name}"] = mapping.subtract[name]
            typed = f"CAST(greatest({typed} - $s_{name}, 0) AS {col.sql_type})"
        plan.append(ParsedField(col, text, label, typed))
    return plan


def _after_created(plan: list[ParsedField], name: str, source: str, unit: float) -> ParsedField:
    """A timestamp given as a duration after creation (Zendesk's "First reply time in
    minutes", a call centre's "Speed of answer in seconds")."""
    unit_name = "minutes" if unit == 60 else "seconds"
    created = next((f for f in plan if f.col.name == "created_at"), None)
    if created is None:
        raise ImportFailed(f"{name} is given in {unit_name} after created_at, so map "
                           "created_at too")  # fmt: skip
    text = f"nullif(trim(CAST({ident(source)} AS VARCHAR)), '')"
    amount = f"TRY_CAST({text} AS DOUBLE)"
    micros = f"CAST(round({amount} * {unit * 1e6}) AS BIGINT)"
    # up to 100 years after creation: beyond that the value is not a duration (and overflows)
    typed = (f"CASE WHEN {amount} >= 0 AND {amount} * {unit} < 3.2e9 "
             f"THEN {created.typed} + to_microseconds({micros}) END")  # fmt: skip
    col = Column(name, "TIMESTAMP")
    return ParsedField(col, text, f"{source} ({unit_name})", typed,
                       f"not a number of {unit_name} (0 or more)")  # fmt: skip


def materialise(
    con: duckdb.DuckDBPyConnection, plan: list[ParsedField], params: dict[str, object]
) -> list[ParsedField]:
    """Parse every field once into the temp table `typed` (t_<field> text, v_<field> value;
    text fields only v_, which is their text); validation and loading then read plain columns
    instead of re-casting per check."""
    def text_of(f: ParsedField) -> str:
        return f"v_{f.col.name}" if f.col.sql_type == "VARCHAR" else f"t_{f.col.name}"

    cols = ", ".join(
        (f"{f.text} AS v_{f.col.name}" if f.col.sql_type == "VARCHAR"
         else f"{f.text} AS t_{f.col.name}, {f.typed} AS v_{f.col.name}")
        for f in plan
    )  # fmt: skip
    run_sql(con, f"CREATE TEMP TABLE typed AS SELECT _cxdash_row, {cols} FROM raw", params)
    return [ParsedField(f.col, text_of(f), f.label, f"v_{f.col.name}", f.why) for f in plan]


def unparsed_auto_fields(
    con: duckdb.DuckDBPyConnection, plan: list[ParsedField]
) -> dict[str, str]:
    """Automatically matched timestamp fields none of whose values is a date: the name matched,
    the content did not (field → why, with an example value). Numbers and flags that do not
    parse stay errors ("5 stars" in a CSAT column is bad data, not a different column)."""
    typed = [f for f in plan if f.col.sql_type == "TIMESTAMP" and not f.col.required]
    if not typed:
        return {}
    counts = ", ".join(f"count({f.text}), count({f.typed}), any_value({f.text})" for f in typed)
    row = con.execute(f"SELECT {counts} FROM typed").fetchall()[0]
    out = {}
    for i, f in enumerate(typed):
        texts, values, example = row[3 * i : 3 * i + 3]
        if texts and not values:
            out[f.col.name] = (f"column {f.label!r} holds values such as {example!r}, "
                               f"which are not {f.col.sql_type.lower()} values")  # fmt: skip
    return out


def clear_before_created(
    con: duckdb.DuckDBPyConnection, plan: list[ParsedField], mapping: Mapping
) -> dict[str, int]:
    """[before_created] field = "clear": empty the values before created_at, and count them
    so the report says how many (a known-bad source clock, not a silent fix)."""
    names = {f.col.name for f in plan}
    out = {}
    for name, policy in mapping.before_created.items():
        if policy != "clear" or name not in names or "created_at" not in names:
            continue
        (n,) = con.execute(f"SELECT count(*) FROM typed WHERE v_{name} < v_created_at"
                           ).fetchall()[0]  # fmt: skip
        if n:
            con.execute(f"UPDATE typed SET v_{name} = NULL, t_{name} = NULL "
                        f"WHERE v_{name} < v_created_at")  # fmt: skip
            out[name] = n
    return out
