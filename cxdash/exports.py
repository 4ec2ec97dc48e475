"""The root-cause register and the driver catalog as CSV, for a team that keeps them in a
spreadsheet too.

Each file has exactly the columns `cxdash import FILE --table root_causes` (or `reasons`)
matches without a mapping, in the contract's order (SPEC §2), one row per cause or reason,
sorted by id:

    cause_id,title,reasons,owner,status,identified_on,fixed_on,notes
    reason,value_to_customer,value_to_business,preventable,external

Dates are YYYY-MM-DD, flags true/false, nothing is empty text (an empty cell is no value).
A cause's reasons share one cell, separated by "; ", and a cell that a spreadsheet would run
as a formula gets an apostrophe in front; `cxdash.importer.cells` has both rules, which the
importer undoes exactly, so export → import gives back the same rows. Files are UTF-8 with a
byte-order mark (so Excel shows accents right; the importer skips it); `bom=False` for a
terminal or a pipe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import duckdb

from cxdash.importer.cells import join_list, neutralise
from cxdash.schema import REASONS, ROOT_CAUSES, Table
from cxdash.store import StoreInfo

EXPORTABLE = {"root_causes": ROOT_CAUSES, "reasons": REASONS}
BOM = "\ufeff"


def register_csv(
    con: duckdb.DuckDBPyConnection, *, bom: bool = True, info: StoreInfo | None = None
) -> bytes:
    """The root-cause register as CSV bytes (`cxdash import --table root_causes` reads it)."""
    return to_csv(cells(con, "root_causes", info), bom=bom)


def catalog_csv(
    con: duckdb.DuckDBPyConnection, *, bom: bool = True, info: StoreInfo | None = None
) -> bytes:
    """The driver catalog as CSV bytes (`cxdash import --table reasons` reads it)."""
    return to_csv(cells(con, "reasons", info), bom=bom)


def cells(
    con: duckdb.DuckDBPyConnection, table: str, info: StoreInfo | None = None
) -> list[list[str]]:
    """The header and one row per stored row, every value as the text of its cell. A store
    without the table (written by another tool) gives the header alone. With `info` the
    tables present are taken from it (a lake on Spark has no DuckDB catalog to ask)."""
    if table not in EXPORTABLE:
        raise ValueError(f"can export {' or '.join(EXPORTABLE)}, not {table!r}")
    spec: Table = EXPORTABLE[table]
    names = [c.name for c in spec.contract_columns]
    with con.cursor() as cur:  # a shared (app) connection takes one query at a time
        present = info.has_table(table) if info is not None else cur.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND schema_name = "
            "'main' AND database_name = current_database()", {"t": table}
        ).fetchall()[0][0]  # fmt: skip
        rows = cur.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY "
                           f"{names[0]}").fetchall() if present else []  # fmt: skip
    return [names, *([_cell(v) for v in row] for row in rows)]


def to_csv(table: list[list[str]], *, bom: bool = True) -> bytes:
    """Cells as RFC 4180 CSV: commas, quotes only where needed, CRLF line ends."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return ((BOM if bom else "") + out.getvalue()).encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise(join_list(value))
    return neutralise(str(value))
