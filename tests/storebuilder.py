"""Small, real DuckDB stores for tests: rows given as dicts, unlisted columns left empty.

`build_store` writes a store the way cxdash's writers do (schema, derived columns, freshness
stamp); `build_bare_store` writes only the SPEC §2 contract columns, as another tool would, so
tests can prove both paths of the query layer agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from cxdash import publish
from cxdash.schema import CONTACTS, ORDERS, REASONS, ROOT_CAUSES, Table, create_schema
from cxdash.settings import Settings
from cxdash.settings import save as save_settings

Row = Mapping[str, Any]


def _insert(con: duckdb.DuckDBPyConnection, table: Table, rows: Iterable[Row]) -> None:
    known = {c.name for c in table.contract_columns}
    for row in rows:
        unknown = set(row) - known
        if unknown:
            raise KeyError(f"{table.name}: unknown columns {sorted(unknown)}")
        cols = list(row)
        placeholders = ", ".join(f"${c}" for c in cols)
        con.execute(
            f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({placeholders})", dict(row)
        )


def build_store(
    path: Path,
    contacts: Iterable[Row],
    orders: Iterable[Row] = (),
    reasons: Iterable[Row] = (),
    root_causes: Iterable[Row] = (),
    settings: Settings | None = None,
) -> Path:
    with publish.new_version(path, from_existing=False) as draft:
        con = draft.con
        create_schema(con)
        _insert(con, CONTACTS, contacts)
        _insert(con, ORDERS, orders)
        _insert(con, REASONS, reasons)
        _insert(con, ROOT_CAUSES, root_causes)
        if settings is not None:
            save_settings(con, settings)
        draft.rows_changed()
    return path


def build_bare_store(
    path: Path,
    contacts: Iterable[Row],
    orders: Iterable[Row] = (),
    reasons: Iterable[Row] = (),
    root_causes: Iterable[Row] = (),
) -> Path:
    """Only the tables that have rows, only contract columns, no cxdash bookkeeping."""
    con = duckdb.connect(str(path))
    try:
        for table, rows in (
            (CONTACTS, list(contacts)),
            (ORDERS, list(orders)),
            (REASONS, list(reasons)),
            (ROOT_CAUSES, list(root_causes)),
        ):
            if not rows and table is not CONTACTS:
                continue
            cols = ", ".join(f"{c.name} {c.sql_type}" for c in table.contract_columns)
            con.execute(f"CREATE TABLE {table.name} ({cols})")
            _insert(con, table, rows)
    finally:
        con.close()
    return path


def ts(text: str) -> dt.datetime:
    """'2026-05-04 09:00' → datetime; keeps fixtures short and readable."""
    return dt.datetime.fromisoformat(text)
