"""How a field's text becomes its contract type (SPEC §2) in SQL — NULL where it does not
parse, so that validation reports the value instead of a cast failing — and why a value
that does not parse is wrong, by type."""

from __future__ import annotations

from cxdash.importer.cells import split_list_sql
from cxdash.schema import Column

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


def typed_sql(col: Column, text: str, fmt_param: str | None = None, fmt: str = "") -> str:
    """SQL turning the text expression into `col`'s type; NULL where it does not parse."""
    if col.sql_type == "DATE":
        if fmt_param is None:
            return f"TRY_CAST({text} AS DATE)"
        return f"CAST(TRY_STRPTIME({text}, ${fmt_param}) AS DATE)"
    if col.sql_type == "VARCHAR[]":  # a list in one cell: "a; b"
        return split_list_sql(text)
    if col.sql_type == "TIMESTAMP":
        if fmt_param is None:  # only values with a zone take the (6× slower) zone-aware cast
            zoned = f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE $tz AS TIMESTAMP)"
            return (f"CASE WHEN regexp_matches({text}, '(Z|z|[+-][0-9][0-9](:?[0-9][0-9])?|"
                    f"[A-Za-z]{{3,5}})$') THEN {zoned} ELSE TRY_CAST({text} AS TIMESTAMP) END")
        parsed = f"TRY_STRPTIME({text}, ${fmt_param})"
        return f"CAST({parsed} AT TIME ZONE $tz AS TIMESTAMP)" if "%z" in fmt else parsed
    if col.sql_type in ("INTEGER", "BIGINT"):  # beyond the type's range: NULL, so one row's
        number = f"TRY_CAST({text} AS DOUBLE)"  # 1e23 is a bad value, not a failed import
        return (f"CASE WHEN {number} = round({number}) THEN TRY_CAST({number} AS "
                f"{col.sql_type}) END")  # fmt: skip
    if col.sql_type == "DOUBLE" and col.name.endswith("_seconds"):  # 143 or 00:02:23
        return _finite(f"coalesce(TRY_CAST({text} AS DOUBLE), "
                       f"CASE WHEN regexp_full_match({text}, '\\d+:\\d\\d(:\\d\\d(\\.\\d+)?)?') "
                       f"THEN epoch(TRY_CAST({text} AS INTERVAL)) END)")  # fmt: skip
    if col.sql_type == "DOUBLE":
        return _finite(f"TRY_CAST({text} AS DOUBLE)")
    if col.sql_type == "BOOLEAN":
        low = f"lower({text})"
        return (
            f"CASE WHEN {low} IN {_TRUE} THEN true WHEN {low} IN {_FALSE} THEN false END"
        )
    return text


def _finite(number: str) -> str:
    """`inf`, `nan` and 1e400 are not amounts anyone measured: NULL, so reported as bad."""
    return f"CASE WHEN isfinite({number}) THEN {number} END"  # DuckDB computes it once


def why_unparsed(col: Column) -> str:
    return {
        "TIMESTAMP": "not a date and time (write YYYY-MM-DD HH:MM:SS, optionally with +HH:MM)",
        "DATE": "not a date (write YYYY-MM-DD)",
        "INTEGER": "not a whole number (or too large)",
        "BIGINT": "not a whole number (or too large)",
        "DOUBLE": "not a number (seconds may be written as hh:mm:ss)",
        "BOOLEAN": "not true/false (yes/no, 1/0)",
    }.get(col.sql_type, "not readable")
