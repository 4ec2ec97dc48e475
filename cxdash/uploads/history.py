"""What the Data page shows of the imports a store records (`import_history`, written by
`cxdash.importer.write.record_import`)."""

from __future__ import annotations

import duckdb
import polars as pl

from cxdash.store import StoreInfo

HISTORY_COLUMNS = ("file", "sha256", "target", "rows_read", "rows_written", "rows_rejected",
                   "imported_at")  # fmt: skip


def imports(
    con: duckdb.DuckDBPyConnection, info: StoreInfo | None = None
) -> pl.DataFrame:
    """Every import recorded in the store, newest first: the file by name (an upload's
    temporary folder means nothing later), its content hash shortened to 12 characters.
    With `info` the table's presence is taken from it (a lake on Spark has no DuckDB
    catalog to ask)."""
    with con.cursor() as cur:
        present = info.has_table("import_history") if info is not None else cur.sql(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'import_history' AND "
            "schema_name = 'main' AND database_name = current_database()"
        ).fetchall()[0][0]  # fmt: skip
        if not present:
            return pl.DataFrame(schema={c: pl.String for c in HISTORY_COLUMNS})
        frame: pl.DataFrame = cur.sql(
            r"""SELECT regexp_extract(file, '[^/\\]*$') AS file, left(sha256, 12) AS sha256,
                       target, rows_read, rows_written, rows_rejected, imported_at
                FROM import_history ORDER BY imported_at DESC"""
        ).pl()
        return frame
