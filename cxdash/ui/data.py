"""Store access for the app: one read-only connection per process, results cached per version.

The cache key of every result includes the store's version (inode, mtime, size), so when an
import or `cxdash demo` swaps in a new file, the next rerun opens it and recomputes; sessions
asking for the same view share one computation (Streamlit locks each key).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import streamlit as st

from cxdash import store
from cxdash.metrics import engine
from cxdash.metrics.engine import MetricValue
from cxdash.metrics.request import MetricRequest

Version = tuple[int, int, int]


def db_path() -> Path:
    return store.resolve_db_path().resolve()


def current_version() -> Version | None:
    path = db_path()
    return store.store_version(path) if path.exists() else None


@st.cache_resource(max_entries=2)
def _connection(path: str, version: Version) -> duckdb.DuckDBPyConnection:
    return store.open_read(Path(path))


def connection() -> tuple[duckdb.DuckDBPyConnection, Version]:
    version = current_version()
    if version is None:
        raise store.StoreError(f"no store at {db_path()}")
    return _connection(str(db_path()), version), version


@st.cache_data(max_entries=8)
def store_info(path: str, version: Version) -> store.StoreInfo:
    return store.inspect(_connection(path, version))


@st.cache_data(max_entries=8)
def data_range(path: str, version: Version) -> tuple[dt.date, dt.date] | None:
    """First and last day with contacts: presets count back from the newest data, not today."""
    with _connection(path, version).cursor() as cur:
        row = cur.sql(
            "SELECT CAST(min(created_at) AS DATE), CAST(max(created_at) AS DATE) FROM contacts"
        ).fetchall()[0]
    return None if row[0] is None else (row[0], row[1])


@st.cache_data(ttl="1h", max_entries=512, max_size="256MB")
def _compare(path: str, version: Version, request: MetricRequest) -> list[MetricValue]:
    con = _connection(path, version)
    return engine.compare(con, request, store_info(path, version))


def compare(request: MetricRequest) -> list[MetricValue]:
    """The request's metrics now and in the previous period, cached per store version."""
    _, version = connection()
    return _compare(str(db_path()), version, request)
