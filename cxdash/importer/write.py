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
from cxdash.importer import events, messages
from cxdash.importer.mapping import Mapping
from cxdash.importer.parse import ParsedField
from cxdash.importer.read import ROW, columns_of, free_name
from cxdash.importer.results import Problem
from cxdash.importer.sql import run_sql
from cxdash.schema import Table


def drop_rejected(con: duckdb.DuckDBPyConnection, bad_rows: set[int]) -> None:
    """Take the rejected rows out of `typed`, so that every writer reads only good rows: one
    hash join on their numbers. (Testing each row against the list of bad rows, as the
    writers did, is rows × bad rows: 166 s for a million rows with a third bad.)"""
    if not bad_rows:
        return
    rows = pl.DataFrame({ROW: sorted(bad_rows)}, schema={ROW: pl.Int64})
    con.register("rejected_rows", rows.to_arrow())
    try:
        con.execute("DELETE FROM typed WHERE _cxdash_row IN "
                    "(SELECT _cxdash_row FROM rejected_rows)")  # fmt: skip
    finally:
        con.unregister("rejected_rows")


def write_rows(
    draft: publish.Draft,
    spec: Table,
    plan: list[ParsedField],
    mode: str,
    fits_in_memory: bool = False,
) -> int:
    """Upsert (or replace) the rows of `typed` (the rejected ones taken out by
    `drop_rejected`), and say which derived columns publishing must bring up to date: every
    row's after a replace or into an empty table, else the customers touched."""
    con = draft.con
    by_name = {f.col.name: f for f in plan}
    cols = [
        f"{by_name[c.name].typed} AS {c.name}" if c.name in by_name
        else f"CAST({c.default or 'NULL'} AS {c.sql_type}) AS {c.name}"
        for c in spec.contract_columns
    ]  # fmt: skip
    params: dict[str, object] = {}
    source = f"(SELECT {', '.join(cols)} FROM typed)"
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
        # way in (a separate refresh rewrote every row: 45 % slower at 1M rows), and so is the
        # driver while nothing maps reasons. Its window holds whole rows, so files larger than
        # memory take the spilling path below.
        driver = ("NULL" if derived.drivers_mapped(con)  # refreshed when published
                  else derived.DRIVER_OF_REASON.format(c="s"))  # fmt: skip
        run_sql(con, f"INSERT INTO contacts ({names}, next_contact_at, driver) SELECT {names}, "
                     f"{derived.NEXT_CONTACT_AT.format(c='s')}, {driver} FROM {source} s",
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
    draft: publish.Draft, plan: list[ParsedField], mapping: Mapping, mode: str
) -> int:
    """One contact per case (from the events of `typed`, the rejected ones taken out by
    `drop_rejected`), merged into the contacts already in the store."""
    con = draft.con
    mapped = {f.col.name for f in plan}
    sql, params = events.staged_contacts_sql(mapped, mapping.events)
    run_sql(con, sql, {**params, "bad": []})  # typed holds no rejected row any more
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


def write_messages(
    draft: publish.Draft, plan: list[ParsedField], mapping: Mapping, mode: str
) -> tuple[int, tuple[str, ...]]:
    """One contact per customer-initiated conversation (from the messages of `typed`),
    upserted into the contacts by id (a conversation is the whole of its contact, so a
    re-import replaces it), and what linking found, worded for the report."""
    con = draft.con
    mapped = {f.col.name for f in plan}
    linked = messages.link(con, mapped)
    messages.staged_contacts(con, mapped, mapping.messages)
    con.execute("DROP TABLE conv")
    staged = columns_of(con, "staged")
    if mode == "replace":
        con.execute("DELETE FROM contacts")
    con.execute("CREATE TEMP TABLE touched AS SELECT DISTINCT customer_id FROM ("
                "SELECT customer_id FROM staged UNION ALL SELECT customer_id FROM contacts "
                "WHERE contact_id IN (SELECT contact_id FROM staged))")  # fmt: skip
    con.execute("DELETE FROM contacts WHERE contact_id IN (SELECT contact_id FROM staged)")
    names = ", ".join(staged)
    con.execute(f"INSERT INTO contacts ({names}) SELECT {names} FROM staged")
    draft.rows_changed(customers="touched", orders=False)
    written = int(con.execute("SELECT count(*) FROM staged").fetchall()[0][0])
    return written, linked.notes()


def write_rejects(con: duckdb.DuckDBPyConnection, problems: list[Problem], target: Path) -> None:
    """The bad rows as they were in the file, with their row number and every reason
    ("column 'X' value 'Y': why", joined by "; ", in the order of `problems`)."""
    reasons = _reasons(problems)
    # On the connection itself: cursors do not see its TEMP tables. A semi join on the row
    # numbers (a list_contains per row was rows × bad rows).
    con.register("rejects_reasons", reasons.select(ROW).to_arrow())
    try:
        bad = con.sql(f"SELECT * FROM raw SEMI JOIN rejects_reasons USING ({ROW}) "
                      f"ORDER BY {ROW}").pl()  # fmt: skip
    finally:
        con.unregister("rejects_reasons")
    listed = (bad.select(pl.col(ROW).cast(pl.Int64))
              .join(reasons, on=ROW, how="left", maintain_order="left")["problems"])  # fmt: skip
    columns = [c for c in bad.columns if c != ROW]
    bad = bad.rename({ROW: free_name(columns, "row")}).with_columns(
        listed.alias(free_name(columns, "problems")))
    target.parent.mkdir(parents=True, exist_ok=True)
    bad.write_csv(target)


def _reasons(problems: list[Problem]) -> pl.DataFrame:
    """One row per rejected row (`_cxdash_row`, `problems`): each problem worded `column 'X' value
    'Y': why` (Python's repr of the column and the value; no value for an empty cell),
    joined by "; " in the order given. Worded column-wise, with repr taken once per distinct
    text, not once per problem (a Python loop over the problems took 1 s per 333,000)."""
    frame = pl.DataFrame(
        {ROW: [p.row for p in problems], "column": [p.column for p in problems],
         "value": [p.value for p in problems], "why": [p.why for p in problems]},
        schema={ROW: pl.Int64, "column": pl.String, "value": pl.String, "why": pl.String},
    )  # fmt: skip

    def quoted(name: str) -> pl.Expr:
        texts = frame[name].drop_nulls().unique().to_list()
        return pl.col(name).replace_strict(texts, [repr(t) for t in texts],
                                           default=None, return_dtype=pl.String)  # fmt: skip

    value = pl.when(pl.col("value").is_null()).then(pl.lit("")).otherwise(
        pl.lit(" value ") + quoted("value"))  # fmt: skip
    reason = pl.lit("column ") + quoted("column") + value + pl.lit(": ") + pl.col("why")
    worded = frame.select(ROW, reason.alias("problems"))
    shared = worded[ROW].is_duplicated()  # most bad rows have one problem: no join needed
    joined = (worded.filter(shared).group_by(ROW, maintain_order=True)
              .agg(pl.col("problems").str.join("; ")))  # fmt: skip
    return pl.concat([worded.filter(~shared), joined]).sort(ROW)


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
