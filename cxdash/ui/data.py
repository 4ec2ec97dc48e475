"""Store access for the app: one read-only connection per process, results cached per version.

The cache key of every result includes the store's version (inode, mtime, size), so when an
import or `cxdash demo` swaps in a new file, the next rerun opens it and recomputes; sessions
asking for the same view share one computation (Streamlit locks each key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from cxdash import exports, import_review, register, store
from cxdash import settings as settings_mod
from cxdash.analysis import causes, distribution, drilldown, recovery, registry, speed
from cxdash.metrics import engine
from cxdash.metrics.dimensions import DIMENSIONS_BY_ID
from cxdash.metrics.engine import MetricValue
from cxdash.metrics.request import Filters, MetricRequest
from cxdash.schema import SETTINGS, create_table_sql
from cxdash.settings import Settings

Version = tuple[int, int, int]


def db_path() -> Path:
    return store.resolve_db_path().resolve()


def current_version() -> Version | None:
    path = db_path()
    return store.store_version(path) if path.exists() else None


@st.cache_resource(max_entries=2)
def _connection(path: str, version: Version) -> duckdb.DuckDBPyConnection:
    """The process's one read-only connection to this version of the store. Never queried
    itself: two sessions' threads on one DuckDB connection do not queue, the second fails
    (ENGINEERING §0.2), so every query goes through its own cursor (`reader`)."""
    return store.open_read(Path(path))


@contextmanager
def reader(path: str, version: Version) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh cursor on the process's connection, closed after use: reads run side by side."""
    with _connection(path, version).cursor() as cur:
        yield cur


def reading() -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A cursor on the current version of the store (`with data.reading() as con:`)."""
    return reader(*_key())


def _key() -> tuple[str, Version]:
    version = current_version()
    if version is None:
        raise store.StoreError(f"no store at {db_path()}")
    return str(db_path()), version


@st.cache_data(max_entries=8)
def _info(path: str, version: Version) -> store.StoreInfo:
    with reader(path, version) as con:
        return store.inspect(con)


@st.cache_data(max_entries=8)
def _settings(path: str, version: Version) -> Settings:
    with reader(path, version) as con:
        return settings_mod.load(con)


def info() -> store.StoreInfo:
    return _info(*_key())


def settings() -> Settings:
    return _settings(*_key())


@st.cache_data(max_entries=8)
def _extent(path: str, version: Version) -> tuple[dt.date, dt.date] | None:
    with reader(path, version) as cur:
        row = cur.sql(
            "SELECT CAST(min(created_at) AS DATE), CAST(max(created_at) AS DATE) FROM contacts"
        ).fetchall()[0]
    return None if row[0] is None else (row[0], row[1])


def data_extent() -> tuple[dt.date, dt.date] | None:
    """First and last day with contacts, or None for a missing, empty or unreadable store
    (`cxdash.ui.store_health.show_problem` says which, and the way back)."""
    version = current_version()
    if version is None:
        return None
    try:
        return _extent(str(db_path()), version)
    except (duckdb.Error, store.StoreError):
        return None


@st.cache_data(max_entries=8)
def _dimension_values(path: str, version: Version, dims: tuple[str, ...]) -> dict[str, list]:
    out: dict[str, list[str]] = {}
    with reader(path, version) as cur:
        for dim in dims:
            expr = DIMENSIONS_BY_ID[dim].contact_sql
            rows = cur.sql(
                f"SELECT DISTINCT {expr} AS v FROM contacts c WHERE v IS NOT NULL ORDER BY v"
            ).fetchall()
            out[dim] = [str(r[0]) for r in rows]
    return out


def dimension_values(dims: tuple[str, ...]) -> dict[str, list[str]]:
    return _dimension_values(*_key(), dims)


@st.cache_data(max_entries=8)
def _freshness(path: str, version: Version) -> dict[str, Any]:
    inf = _info(path, version)
    with reader(path, version) as cur:
        newest = cur.sql("SELECT max(created_at) FROM contacts").fetchall()[0][0]
    return {
        "newest_contact": newest,
        "contacts": inf.contacts_rows,
        "orders": inf.orders_rows,
        "drivers": inf.reasons_rows,
        "updated": dt.datetime.fromtimestamp(version[1] / 1e9),
    }


def freshness() -> dict[str, Any]:
    return _freshness(*_key())


# ---- cached analyses ---------------------------------------------------------------------
@st.cache_data(ttl="1h", max_entries=512, max_size="256MB")
def _run(path: str, version: Version, kind: str, request: MetricRequest, extra: tuple) -> Any:
    with reader(path, version) as con:
        inf, sets = _info(path, version), _settings(path, version)
        if kind == "compare":
            return engine.compare(con, request, inf, sets)
        if kind == "compute":
            return engine.compute(con, request, inf, sets)
        if kind == "compile":
            return engine.compile_for(con, request, inf, sets)
        if kind == "recovery":
            return recovery.recovery_cohorts(con, request, inf, sets)
        if kind == "funnel":
            return speed.funnel_and_frictions(con, request, inf, sets)
        if kind == "bands":
            return distribution.resolution_bands(con, request, inf, sets)
        if kind == "drilldown":
            days, sort, descending, page = extra
            return drilldown.contacts_behind(
                con, request, inf, days=days, sort=sort, descending=descending, page=page
            )
        raise ValueError(kind)


def compare(request: MetricRequest) -> list[MetricValue]:
    """The request's metrics now and in the previous period of the same length."""
    return _run(*_key(), "compare", request, ())


def compute(request: MetricRequest) -> pl.DataFrame:
    return _run(*_key(), "compute", request, ())


def compiled(request: MetricRequest) -> engine.CompiledQuery:
    """The statement and parameters the engine runs for `request` (Explore shows them)."""
    return _run(*_key(), "compile", request, ())


def recovery_cohorts(request: MetricRequest) -> pl.DataFrame:
    return _run(*_key(), "recovery", request, ())


def funnel(request: MetricRequest) -> tuple[pl.DataFrame, pl.DataFrame]:
    return _run(*_key(), "funnel", request, ())


def resolution_bands(request: MetricRequest) -> pl.DataFrame:
    return _run(*_key(), "bands", request, ())


def contacts_behind(
    request: MetricRequest,
    days: tuple[dt.date, dt.date] | None,
    sort: str,
    descending: bool,
    page: int,
) -> tuple[pl.DataFrame, int]:
    return _run(*_key(), "drilldown", request, (days, sort, descending, page))


@st.cache_data(max_entries=8)
def _registry(path: str, version: Version) -> tuple[pl.DataFrame, pl.DataFrame]:
    with reader(path, version) as con:
        inf = _info(path, version)
        return registry.root_causes(con, inf), registry.driver_catalog(con, inf)


def root_causes() -> pl.DataFrame:
    return _registry(*_key())[0]


def driver_catalog() -> pl.DataFrame:
    return _registry(*_key())[1]


@st.cache_data(max_entries=32)
def _cause_effects(
    path: str, version: Version, filters: Filters, last_day: dt.date
) -> pl.DataFrame:
    with reader(path, version) as con:
        return causes.effects(con, _registry(path, version)[0], filters, last_day,
                              _info(path, version), _settings(path, version))  # fmt: skip


def cause_effects(filters: Filters, last_day: dt.date) -> pl.DataFrame:
    """Per eliminated cause: contacts avoided since its fix, band and verdict."""
    return _cause_effects(*_key(), filters, last_day)


@st.cache_data(max_entries=8)
def _known_reasons(path: str, version: Version) -> list[str]:
    with reader(path, version) as cur:
        return sorted(register.known_reasons(cur))


def known_reasons() -> list[str]:
    """Reasons a cause may name: seen in contacts or in the driver catalog."""
    return _known_reasons(*_key())


@st.cache_data(max_entries=64)
def _cause_history(path: str, version: Version, cause_id: str) -> list[tuple]:
    with reader(path, version) as cur:
        return register.changes(cur, cause_id)


def cause_history(cause_id: str) -> list[tuple]:
    return _cause_history(*_key(), cause_id)


@st.cache_data(max_entries=8)
def _export_csv(path: str, version: Version, table: str) -> bytes:
    with reader(path, version) as con:
        return exports.register_csv(con) if table == "root_causes" else exports.catalog_csv(con)


def export_csv(table: str) -> bytes:
    """The register ("root_causes") or the catalog ("reasons") as CSV that imports back."""
    return _export_csv(*_key(), table)


@st.cache_data(max_entries=8)
def _import_history(path: str, version: Version) -> pl.DataFrame:
    with reader(path, version) as con:
        return import_review.history(con)


def import_history() -> pl.DataFrame:
    """Every import into the store, newest first (a new import is a new version, so it shows)."""
    return _import_history(*_key())


def save_settings(new: Settings) -> None:
    """Write targets into the next version of the store; every cached result then refreshes."""
    with store.new_version(db_path(), from_existing=True) as con:
        con.execute(create_table_sql(SETTINGS))
        settings_mod.save(con, new)
