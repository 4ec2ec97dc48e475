"""The Parquet layout Spark reads (a "lake"), and `export_parquet`, which writes a store into it.

    DIR/cxdash_lake.json          written last: the layout version, the source, rows per table
    DIR/contacts/month=YYYY-MM/   contacts by the month of created_at (Hive-style partitions)
    DIR/orders/month=YYYY-MM/     orders by the month of ordered_at
    DIR/<table>/data_0.parquet    every other table of cxdash.schema (reasons, root_causes,
                                  settings, cxdash_meta, orders_daily, repurchase_baselines,
                                  import_history, root_cause_changes, driver_map,
                                  contact_drivers, driver_map_changes, …)

Every table carries the columns of `cxdash.schema` in its order, with DuckDB's types as
Parquet types (TIMESTAMP as a timestamp without time zone, which Spark reads as TIMESTAMP_NTZ:
wall-clock time in the reporting zone, as in the store). Contacts and orders carry the derived
look-ahead columns, contacts their `driver` (what every filter and group-by on reason reads)
and `orders_daily` the rollup (`cxdash.derived`), taken from the relations DuckDB's query layer
reads (`cxdash.metrics.sources`): a fresh store's stored columns, else what that layer derives
per query for a store another tool wrote or whose derived data is stale (the writers' SQL for
the look-ahead; the driver there is the reason). So Spark runs the compiled metric SQL over the
tables as they are: the derived SQL itself (a window with a RANGE frame and ASOF joins) is not
translated, and `cxdash_meta.derived_for` records the row counts it was computed for.
The stored repurchase baselines (`cxdash.metrics.rollups`) go along when the store's derived
data is fresh, and Spark's compiled SQL reads them as DuckDB's does; otherwise none are written.

The export reads one consistent version of the store (DuckDB keeps the file it opened) and
writes into a temporary folder beside DIR that is renamed to DIR when complete, so a folder
named DIR is always a whole lake. It never overwrites: DIR must not exist or be empty.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cxdash import store
from cxdash.metrics.sources import build_sources
from cxdash.schema import CONTACTS, META, ORDERS, ORDERS_DAILY, SCHEMA_VERSION, TABLES, Table

MANIFEST = "cxdash_lake.json"
LAYOUT_VERSION = 1
PARTITION_COLUMN = "month"
# table → the timestamp its month partitions follow
PARTITIONED = {"contacts": "created_at", "orders": "ordered_at"}


class LakeError(Exception):
    """A lake that cannot be written or read; the message says what to do."""


@dataclass(frozen=True)
class ExportSummary:
    out: Path
    rows: dict[str, int]
    months: dict[str, int]  # partitioned table → month folders written
    seconds: float


def _select(table: Table, relation: str | None, info: store.StoreInfo) -> str:
    """The table's columns in schema order from `relation` (typed NULLs for missing ones)."""
    if relation is None:
        nulls = ", ".join(f"CAST(NULL AS {c.sql_type}) AS {c.name}" for c in table.columns)
        return f"SELECT {nulls} WHERE false"
    have = info.columns.get(table.name, {})
    cols = []
    for col in table.columns:
        if relation != table.name or col.name in have:
            cols.append(f"CAST({col.name} AS {col.sql_type}) AS {col.name}")
        else:
            cols.append(f"CAST(NULL AS {col.sql_type}) AS {col.name}")
    return f"SELECT {', '.join(cols)} FROM {relation}"


def _out_problem(out: Path) -> str | None:
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file; give a folder that does not exist yet or is empty"
    if out.is_dir() and any(out.iterdir()):
        n = sum(1 for _ in out.iterdir())
        return (f"--out {out} is not empty ({n} entr{'y' if n == 1 else 'ies'}); give a new "
                "or empty folder (export-parquet never overwrites a lake)")  # fmt: skip
    return None


def export_parquet(db: Path, out: Path) -> ExportSummary:
    """Write the store at `db` as a lake in the folder `out` (missing or empty)."""
    started = time.monotonic()
    problem = _out_problem(out)
    if problem:
        raise LakeError(problem)
    con = store.open_checked(db)  # a missing or damaged store: its message and the way back
    try:
        info = store.inspect(con)
    finally:
        con.close()
    store.require_writable(out.parent, f"the lake {out} is written there")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    # COPY writes files, which the app's read connections may not: a connection of its own.
    con = duckdb.connect(str(db), read_only=True,
                         config={"threads": 2, "memory_limit": store.WRITE_MEMORY})  # fmt: skip
    try:
        tmp.mkdir()
        rows, months = _write_tables(con, info, tmp)
        manifest = {
            "format": "cxdash-lake",
            "layout": LAYOUT_VERSION,
            "schema_version": SCHEMA_VERSION,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": str(db.resolve()),
            "partitioned_by": {t: f"{PARTITION_COLUMN} of {c}" for t, c in PARTITIONED.items()},
            "rows": rows,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out.is_dir():  # empty, checked above
            out.rmdir()
        os.replace(tmp, out)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if "No space left on device" in str(exc):
            raise LakeError(f"no space left on device while writing the lake {out}; nothing "
                            "was written (free some space, or give another --out)") from exc
        raise
    finally:
        con.close()
    return ExportSummary(out, rows, months, time.monotonic() - started)


def _write_tables(
    con: duckdb.DuckDBPyConnection, info: store.StoreInfo, tmp: Path
) -> tuple[dict[str, int], dict[str, int]]:
    src = build_sources(info)
    relation = {
        "contacts": src.contacts if info.has_table("contacts") else None,
        "orders": src.orders,  # an empty typed relation when the store has no orders
        "orders_daily": src.orders_daily,
    }
    prefix = f"WITH {', '.join(src.ctes)} " if src.ctes else ""
    rows: dict[str, int] = {}
    months: dict[str, int] = {}
    for table in TABLES:
        if table is META:
            continue  # written below, for the rows exported
        name = table.name
        rel = relation.get(name, name if info.has_table(name) else None)
        if name not in relation and all(c.derived for c in table.columns) \
                and not info.derived_fresh:
            rel = None  # a rollup of a store whose derived data is stale: not exported
        body = _select(table, rel, info)
        if table in (CONTACTS, ORDERS, ORDERS_DAILY):
            body = prefix + body  # their relations may be CTEs over the contract tables
        folder = tmp / name
        if name in PARTITIONED:
            ts = PARTITIONED[name]
            con.execute(f"COPY (SELECT *, strftime({ts}, '%Y-%m') AS {PARTITION_COLUMN} "
                        f"FROM ({body}) ORDER BY {ts}) TO '{_quoted(folder)}' "
                        f"(FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}))")  # fmt: skip
            months[name] = sum(1 for p in folder.iterdir() if p.is_dir()) if folder.is_dir() \
                else 0  # fmt: skip
        if not folder.is_dir() or not any(folder.iterdir()):
            # One file even when empty, so Spark finds the columns and their types.
            folder.mkdir(exist_ok=True)
            con.execute(f"COPY ({body}) TO '{_quoted(folder / 'data_0.parquet')}' "
                        "(FORMAT parquet)")  # fmt: skip
        # Counted from the files written: the export reads back what it wrote.
        files = f"{_quoted(folder)}/**/*.parquet"
        rows[name] = int(con.execute(f"SELECT count(*) FROM read_parquet('{files}')")
                         .fetchall()[0][0])  # fmt: skip
    schema_version = str(SCHEMA_VERSION)
    if info.has_table("cxdash_meta"):
        found = con.execute("SELECT value FROM cxdash_meta WHERE key = 'schema_version'")\
            .fetchall()  # fmt: skip
        schema_version = found[0][0] if found else schema_version
    (tmp / META.name).mkdir()
    con.execute(
        f"COPY (SELECT * FROM (VALUES ('schema_version', $v), ('derived_for', $d)) "
        f"AS t(key, value)) TO '{_quoted(tmp / META.name / 'data_0.parquet')}' (FORMAT parquet)",
        {"v": schema_version, "d": f"{rows['contacts']}:{rows['orders']}"},
    )
    rows[META.name] = 2
    return rows, months


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def read_manifest(lake: str) -> dict[str, Any]:
    """The manifest of a lake in a local folder; LakeError when it is not a cxdash lake."""
    folder = Path(lake)
    manifest = folder / MANIFEST
    if not folder.is_dir():
        raise LakeError(f"no lake at {lake}: write one with `cxdash export-parquet --db STORE "
                        f"--out {lake}`")  # fmt: skip
    if not manifest.is_file():
        raise LakeError(f"{lake} is not a cxdash lake (no {MANIFEST}; an export that did not "
                        f"finish leaves none): write one with `cxdash export-parquet --db STORE "
                        f"--out DIR`")  # fmt: skip
    try:
        data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LakeError(f"{manifest} does not read ({exc}); export the store again") from exc
    if data.get("format") != "cxdash-lake" or data.get("layout", 0) > LAYOUT_VERSION:
        raise LakeError(f"{manifest} is not a lake layout this cxdash reads (layout "
                        f"{data.get('layout')!r}); export the store again")  # fmt: skip
    return data


def is_local(lake: str) -> bool:
    """A plain folder (else a URI such as hdfs://… or s3a://…, read by Spark alone)."""
    return "://" not in lake or lake.startswith("file://")


def lake_version(lake: str) -> tuple[int, int, int] | None:
    """Changes when a new lake replaces the folder (the app's cache key); None for a URI."""
    if not is_local(lake):
        return None
    with contextlib.suppress(OSError):
        return store.store_version(Path(lake.removeprefix("file://")) / MANIFEST)
    return None
