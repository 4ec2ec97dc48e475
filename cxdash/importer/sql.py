"""SQL text around a file's own names and the importer's own words: identifiers quoted,
literals escaped, statements run with only the parameters they use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb


def ident(name: str) -> str:
    """A column name from the file as a quoted SQL identifier (quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def run_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object]
) -> list[tuple[Any, ...]]:
    """Execute with only the parameters the text uses (DuckDB rejects extra ones)."""
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return con.execute(sql, used).fetchall()


def literal(text: str) -> str:
    """A SQL string literal of our own text (column names from the file are quoted safely)."""
    return "'" + text.replace("'", "''") + "'"
