"""The checked rows written into the draft of the next version (`cxdash.publish.Draft`):
contacts, orders and reasons upserted (or replaced) by id, an event log merged as one
contact per case, the import recorded in `import_history`; and the rejected rows as they were
in the file, for a person to fix (`--rejects`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import polars as pl

from cxdash import derived, publish
from cxdash.importer import events
from cxdash.importer.mapping import Mapping
from cxdash.importer.parse import ParsedField
from cxdash.importer.read import columns_of
from cxdash.importer.results import Problem
from cxdash.importer.sql import run_sql
from cxdash.schema import Table


def write_rows(
    draft: publish.Draft,
    spec: Table,
    plan: list[ParsedField],
    bad_rows: set[int],
    mode: str,
    fits_in_memory: bool = False,
) -> int:
    """Upsert (or replace) the good rows, and say which derived columns publishing must bring
    up to date: every row's after a replace or into an empty table, else the customers
    touched."""
    con = draft.con
    by_name = {f.col.name: f for f in plan}
    cols = [
        f"{by_name[c.name].typed} AS {c.name}" if c.name in by_name
        else f"CAST({c.default or 'NULL'} AS {c.sql_type}) AS {c.name}"
        for c in spec.contract_columns
    ]  # fmt: skip
    where = " WHERE NOT list_contains($bad, _row)" if bad_rows else ""
    params = {"bad": sorted(bad_rows)} if bad_rows else {}
    source = f"(SELECT {', '.join(cols)} FROM typed{where})"
    key = spec.unique_id or spec.primary_key
    names = ", ".join(c.name for c in spec.contract_columns)
    looked_ahead = spec.name in ("contacts", "orders")
    empty = mode == "replace" or not con.execute(f"SELECT 1 FROM {spec.name} LIMIT 1").fetchall()
    if mode == "replace":
        con.execute(f"DELETE FROM {spec.name}")
    if not empty:
        if looked_ahead:  # whose derived values change: the new rows' and the replaced rows'
            run_sql(con, f"CREATE TEMP TABLE touched AS SELECT DISTINCT customer_id FROM ("
                         f"SELECT customer_id FROM {source} UNION ALL SELECT customer_id FROM "
                         f"{spec.name} WHERE {key} IN (SELECT {key} FROM {source}))",
                    params)  # fmt: skip
        run_sql(con, f"DELETE FROM {spec.name} WHERE {key} IN (SELECT {key} FROM {source})",
                params)  # fmt: skip
    no_orders = not con.execute("SELECT 1 FROM orders LIMIT 1").fetchall()
    if spec.name == "contacts" and empty and no_orders and fits_in_memory:
        # The common first import: the only look-ahead is the next contact, computed on the
        # way in (a separate refresh rewrote every row: 45 % slower at 1M rows). Its window
        # holds whole rows, so files larger than memory take the spilling path below.
        run_sql(con, f"INSERT INTO contacts ({names}, next_contact_at) SELECT {names}, "
                     f"{derived.NEXT_CONTACT_AT.format(c='s')} FROM {source} s",
                params)  # fmt: skip
        written = int(run_sql(con, f"SELECT count(*) FROM {source}", params)[0][0])
        draft.lookahead_written(orders=False)
        return written
    run_sql(con, f"INSERT INTO {spec.name} ({names}) SELECT {names} FROM {source}", params)
    written = int(run_sql(con, f"SELECT count(*) FROM {source}", params)[0][0])
    if looked_ahead:
        draft.rows_changed(customers=None if empty else "touched", orders=spec.name == "orders")
    return written


def write_events(
    draft: publish.Draft, plan: list[ParsedField], mapping: Mapping, bad_rows: set[int], mode: str
) -> int:
    """One contact per case, merged into the contacts already in the store."""
    con = draft.con
    mapped = {f.col.name for f in plan}
    sql, params = events.staged_contacts_sql(mapped, mapping.events)
    run_sql(con, sql, {**params, "bad": sorted(bad_rows)})
    staged = columns_of(con, "staged")
    if mode == "replace":
        con.execute("DELETE FROM contacts")
    con.execute(events.merged_sql(staged))
    names = ", ".join(columns_of(con, "merged"))
    con.execute("CREATE TEMP TABLE touched AS SELECT DISTINCT customer_id FROM ("
                "SELECT customer_id FROM merged UNION ALL SELECT customer_id FROM contacts "
                "WHERE contact_id IN (SELECT contact_id FROM merged))")  # fmt: skip
    con.execute("DELETE FROM contacts WHERE contact_id IN (SELECT contact_id FROM merged)")
    con.execute(f"INSERT INTO contacts ({names}) SELECT {names} FROM merged")
    draft.rows_changed(customers="touched", orders=False)
    return int(con.execute("SELECT count(*) FROM merged").fetchall()[0][0])


def write_rejects(con: duckdb.DuckDBPyConnection, problems: list[Problem], target: Path) -> None:
    """The bad rows as they were in the file, with their row number and every reason
    ("column 'X' value 'Y': why", joined by "; ")."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        where = f"column {p.column!r}" + (f" value {p.value!r}" if p.value is not None else "")
        reasons.setdefault(p.row, []).append(f"{where}: {p.why}")
    # On the connection itself: cursors do not see its TEMP tables.
    bad = con.sql("SELECT * FROM raw WHERE list_contains($rows, _row) ORDER BY _row",
                  params={"rows": sorted(reasons)}).pl()  # fmt: skip
    listed = ["; ".join(reasons[r]) for r in bad["_row"]]
    bad = bad.rename({"_row": "row"}).with_columns(pl.Series("problems", listed, pl.String))
    target.parent.mkdir(parents=True, exist_ok=True)
    bad.write_csv(target)


def record_import(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, table: str, rows_read: int,
    written: int, rejected: int,
) -> None:
    """One row of `import_history`: the file as `name` (an upload's own name, not its
    temporary copy's), the SHA-256 of what was read, and the rows read, written, rejected."""
    con.execute(
        "INSERT INTO import_history VALUES ($f, $h, $t, $r, $w, $x, $at)",
        {"f": name, "h": _sha256(path), "t": table, "r": rows_read, "w": written,
         "x": rejected, "at": dt.datetime.now()},
    )  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
