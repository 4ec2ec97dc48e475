"""Small, real DuckDB stores for tests: rows given as dicts, unlisted columns left empty.

`build_store` writes a store the way cxdash's writers do (schema, derived columns, freshness
stamp); `build_bare_store` writes only the SPEC §2 contract columns, as another tool would, so
tests can prove both paths of the query layer agree.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from cxdash import first_view, publish, store
from cxdash.schema import CONTACTS, ORDERS, REASONS, ROOT_CAUSES, Table, create_schema
from cxdash.settings import Settings
from cxdash.settings import save as save_settings

Row = Mapping[str, Any]


def _insert(con: duckdb.DuckDBPyConnection, table: Table, rows: Iterable[Row]) -> None:
    """Consecutive rows with the same columns go in one statement (one per row took 5 ms:
    most of a 300-contact fixture's time), in their order: rowid order is the rows' order."""
    known = {c.name for c in table.contract_columns}
    for cols, run in itertools.groupby(rows, key=lambda row: tuple(row)):
        unknown = set(cols) - known
        if unknown:
            raise KeyError(f"{table.name}: unknown columns {sorted(unknown)}")
        batch = list(run)
        for start in range(0, len(batch), 500):
            chunk = batch[start:start + 500]
            one = f"({', '.join('?' for _ in cols)})"
            con.execute(
                f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES "
                + ", ".join(one for _ in chunk),
                [row[c] for row in chunk for c in cols],
            )


def build_store(
    path: Path,
    contacts: Iterable[Row],
    orders: Iterable[Row] = (),
    reasons: Iterable[Row] = (),
    root_causes: Iterable[Row] = (),
    settings: Settings | None = None,
) -> Path:
    """Publish the rows as a new store at `path`. The same rows asked for again in this
    process are copied from the first build (a publish computes derived columns, rollups and
    the first view: about 0.4 s, most of a small test), with the first-view snapshot
    re-keyed to the copy, so the copy reads exactly as a fresh build would."""
    rows = (list(contacts), list(orders), list(reasons), list(root_causes))
    if path.exists():  # a new version over an existing store: written as cxdash writes it
        _publish(path, *rows, settings=settings)
        return path
    # The first view depends on its size setting: a store built under another is no copy.
    size = os.environ.get(first_view.MIN_CONTACTS_ENV)
    key = hashlib.sha256(repr((rows, settings, size)).encode()).hexdigest()
    built = _BUILT.get(key)
    if built is None:
        _publish(path, *rows, settings=settings)
        built = _cache_dir() / f"{key}.duckdb"
        _copy(path, built)
        _BUILT[key] = built
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        _copy(built, path)
    return path


def _copy(source: Path, target: Path) -> None:
    """The store file and its first-view snapshot, re-keyed to the copy's version."""
    shutil.copyfile(source, target)
    snapshot = first_view.snapshot_path(source)
    if snapshot.exists():
        body = json.loads(snapshot.read_text(encoding="utf-8"))
        body["version"] = list(store.store_version(target))
        first_view.snapshot_path(target).write_text(json.dumps(body), encoding="utf-8")


_BUILT: dict[str, Path] = {}


@functools.cache
def _cache_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cxdash-test-stores-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _publish(
    path: Path,
    contacts: Iterable[Row],
    orders: Iterable[Row],
    reasons: Iterable[Row],
    root_causes: Iterable[Row],
    settings: Settings | None,
) -> None:
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
