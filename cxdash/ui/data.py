"""Store access for the app: one read-only connection per process, results cached per version.

The cache key of every result includes the store's version (inode, mtime, size), so when an
import or `cxdash demo` swaps in a new file, the next rerun opens it and recomputes; sessions
asking for the same view share one computation (Streamlit locks each key). The first page's
reads come from the file the store's writer saved for that very version, when there is one
(`cxdash.first_view`).

With `CXDASH_ENGINE=spark` (and `CXDASH_LAKE`, `CXDASH_SPARK_MASTER`) the same reads go to a
Parquet lake on Spark: the connection is a `cxdash.engines.spark.SparkConnection`, which
answers the query layer's calls with the translated SQL, and the version is the lake's
manifest. The app is then read-only: imports, targets and register or catalog edits are
refused with `read_only()`'s message (they belong to the DuckDB store the lake came from).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast

import duckdb
import polars as pl
import streamlit as st

from cxdash import cause_register, diagnosis, engines, exports, first_view, store, targets
from cxdash import settings as settings_mod
from cxdash.analysis import causes, distribution, drilldown, listings, recovery, speed
from cxdash.analysis import sla as sla_views
from cxdash.charts import partial
from cxdash.engines import source as source_mod
from cxdash.engines.lake import LakeError
from cxdash.metrics import runner
from cxdash.metrics.catalogue import Catalogue, not_in_data
from cxdash.metrics.compiler import CompiledQuery
from cxdash.metrics.dimensions import distinct_values
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.metrics.runner import MetricValue
from cxdash.settings import Settings
from cxdash.uploads import history
from cxdash.views import maturity

Version = source_mod.Version
SPARK = source_mod.SPARK
URI_VERSION = source_mod.URI_VERSION


def current_source() -> source_mod.Source:
    """What the app reads now (the store or a lake on Spark: `cxdash.engines.source`)."""
    return source_mod.current()


def db_path() -> Path:
    """The DuckDB store's path; needs no engine setting, so a bad one cannot hide the store."""
    return store.resolve_db_path().resolve()


def spark_lake() -> engines.EngineChoice | None:
    """The engine choice when the app reads a lake on Spark (CXDASH_ENGINE=spark), else None."""
    return current_source().lake


def read_only() -> str | None:
    """Why nothing can be written here (the app reads a lake on Spark), or None."""
    return current_source().read_only_reason()


def source() -> str:
    """What the app reads, in words: the store's path or the lake on Spark."""
    return current_source().describe()


def current_version() -> Version | None:
    return current_source().version()


@st.cache_resource(max_entries=2)
def _connection(path: str, version: Version) -> duckdb.DuckDBPyConnection:
    """The process's one read-only connection to this version of the store. Never queried
    itself: two sessions' threads on one DuckDB connection do not queue, the second fails
    (ENGINEERING §0.2), so every query goes through its own cursor (`reader`). For a lake,
    a SparkConnection, which takes statements from several threads."""
    connection: duckdb.DuckDBPyConnection = source_mod.connect(path)
    return connection


@contextmanager
def reader(path: str, version: Version) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh cursor on the process's connection, closed after use: reads run side by side."""
    with _connection(path, version).cursor() as cur:
        yield cur


def reading() -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A cursor on the current version of the store (`with data.reading() as con:`)."""
    return reader(*key())


def source_name() -> str:
    """The store's file name, or the lake's folder name, for a report to name its source."""
    return current_source().name()


def key() -> tuple[str, Version]:
    """The cache key of what the app reads now: (the store's path or spark:<lake>, version).
    Modules with their own cached reads (the weekly review) pass it to `reader`."""
    return current_source().key()


@st.cache_data(max_entries=8)
def _info(path: str, version: Version) -> store.StoreInfo:
    with reader(path, version) as con:
        return store.inspect(con)


@st.cache_data(max_entries=8)
def _settings(path: str, version: Version) -> Settings:
    with reader(path, version) as con:
        return settings_mod.load(con)


def info() -> store.StoreInfo:
    return _info(*key())


def settings() -> Settings:
    return _settings(*key())


@st.cache_data(max_entries=8)
def _extent(path: str, version: Version) -> tuple[dt.date, dt.date] | None:
    with reader(path, version) as cur:
        return store.contact_days(cur)


@st.cache_data(max_entries=8)
def _ends_early(path: str, version: Version) -> dt.datetime | None:
    with reader(path, version) as cur:
        return store.last_day_ends_early(cur)


def last_day_ends_early() -> dt.datetime | None:
    """The newest contact's time when the data's last day looks cut short (store.py); a
    lake on Spark is not asked (its exports are whole days)."""
    if spark_lake() is not None:
        return None
    try:
        return _ends_early(*key())
    except (duckdb.Error, store.StoreError, engines.EngineError, LakeError):
        return None


@st.cache_data(max_entries=8)
def _whole(path: str, version: Version) -> bool:
    """The store is as long as DuckDB's count of its blocks says, or the blocks it lost held
    no data; else DuckDB's error (a short read) is raised, and not cached."""
    if not path.startswith(SPARK):
        with reader(path, version) as cur:
            diagnosis.check_length(cur, version[2])  # a store's version: (inode, mtime, size)
    return True


def data_extent() -> tuple[dt.date, dt.date] | None:
    """First and last day with contacts, or None for a missing, empty or unreadable store
    (`cxdash.ui.store_health.show_problem` says which, and the way back) or lake
    (`lake_problem`). A store cut short that lost data is unreadable, though its catalogue
    and its first rows may still read."""
    try:
        if current_version() is None:
            return None
        _whole(*key())
        return _extent(*key())
    except (duckdb.Error, store.StoreError, engines.EngineError, LakeError):
        return None


def lake_problem() -> str | None:
    """For the app on Spark: why the lake shows nothing (None when it reads and has data)."""
    try:
        current = current_source()
        if current.lake is None:
            return None
        lake = str(current.lake.lake)
        current.check_lake()  # a missing folder or a half-written export, in words
        found = _info(*key())
    except (store.StoreError, LakeError, engines.EngineError) as exc:
        return str(exc)
    if found.contacts_rows == 0:
        return (f"the lake {lake} has no contacts: export a store that has some with "
                "`cxdash export-parquet --db STORE --out DIR`")  # fmt: skip
    return None


@st.cache_data(max_entries=8)
def _dimension_values(
    path: str, version: Version, dims: tuple[str, ...]
) -> dict[str, list[str]]:
    if (saved := _saved(path, version, "dims", dims)) is not None:
        return cast(dict[str, list[str]], saved)
    with reader(path, version) as cur:
        return distinct_values(cur, dims)


def dimension_values(dims: tuple[str, ...]) -> dict[str, list[str]]:
    return _dimension_values(*key(), dims)


@st.cache_data(max_entries=8)
def _statuses(path: str, version: Version) -> list[tuple[str, int]]:
    with reader(path, version) as cur:
        if not _info(path, version).has_column("contacts", "status"):
            return []
        return [(str(s), int(n)) for s, n in cur.execute(
            "SELECT lower(trim(status)) AS s, count(*) AS n FROM contacts "
            "WHERE status IS NOT NULL GROUP BY s ORDER BY n DESC, s LIMIT 200").fetchall()]


def statuses() -> list[tuple[str, int]]:
    """The statuses in the contacts (trimmed, lower case) with their counts, most first: what
    the resolved-statuses setting offers."""
    return _statuses(*key())


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
        "updated": current_source().updated(version),
    }


def freshness() -> dict[str, Any]:
    return _freshness(*key())


# ---- cached analyses ---------------------------------------------------------------------
# kind → analysis(con, request, info, settings); "drilldown" takes its paging from `extra`.
_ANALYSES: dict[str, Any] = {
    "compare": runner.compare,
    "compute": runner.compute,
    "compile": runner.compile_for,
    "recovery": recovery.recovery_cohorts,
    "funnel": speed.funnel_and_frictions,
    "bands": distribution.resolution_bands,
    "sla_at_risk": sla_views.at_risk_backlog,
}


def _saved(path: str, version: Version, kind: str, request: Any) -> Any | None:
    """This read's result as the store's writer saved it for this version, or None
    (`cxdash.first_view`: the first page's reads, kept beside the store)."""
    if path.startswith(SPARK):
        return None
    return first_view.saved(Path(path), version, kind, request)


@st.cache_data(ttl="1h", max_entries=512, max_size="256MB")
def _run(
    path: str, version: Version, kind: str, request: MetricRequest, extra: tuple[Any, ...]
) -> Any:
    if not extra and (saved := _saved(path, version, kind, request)) is not None:
        return saved
    with reader(path, version) as con:
        inf, sets = _info(path, version), _settings(path, version)
        if kind == "drilldown":
            days, sort, descending, page, only = extra
            return drilldown.contacts_behind(
                con, request, inf, days=days, sort=sort, descending=descending, page=page,
                only=only,
            )  # fmt: skip
        return _ANALYSES[kind](con, request, inf, sets)


def compare(request: MetricRequest) -> list[MetricValue]:
    """The request's metrics now and in the previous period of the same length, cached in
    the parts `MetricRequest.cache_parts` splits it into."""
    values = {v.metric.id: v for part in request.cache_parts()
              for v in _run(*key(), "compare", part, ())}  # fmt: skip
    return [values[m] for m in request.metrics]


def in_data(metrics: tuple[str, ...], catalogue: Catalogue) -> tuple[tuple[str, ...], str]:
    """The metrics the store can answer, and a caption naming the others with the column to
    import ("" when there are none): charts and tables leave those out rather than show a
    column of dashes or a flat line at 0."""
    kept, lacking = [], []
    for metric_id in metrics:
        missing = not_in_data(catalogue[metric_id], info().provides)
        if missing:
            lacking.append(f"{catalogue[metric_id].label} (import `{'` or `'.join(missing)}`)")
        else:
            kept.append(metric_id)
    return tuple(kept), ("Not in your data: " + "; ".join(lacking) + ".") if lacking else ""


def maturing(values: dict[str, MetricValue], period: Period) -> dict[str, str]:
    """The 'still maturing' note of each tile whose value is not final yet (views.maturity)."""
    now = {m: v.value for m, v in values.items()}
    metrics = {m: v.metric for m, v in values.items()}
    return maturity.notes(metrics, now, period, info().newest_contact_day, settings())


def first_view_read(kind: str, request: Any) -> Any:
    """One of `cxdash.first_view.reads`, through the same caches the pages use."""
    if kind == "dims":
        return dimension_values(request)
    return _run(*key(), kind, request, ())


def compute(request: MetricRequest) -> pl.DataFrame:
    return cast(pl.DataFrame, _run(*key(), "compute", request, ()))


def compute_series(request: MetricRequest) -> pl.DataFrame:
    """`compute` of a request with a time grain, each bucket flagged `partial` when the
    period or the data does not fully cover it (charts.partial draws those apart)."""
    frame = compute(request)
    extent = data_extent()
    if request.grain is None or extent is None:
        return frame
    return partial.mark(frame, request.grain, request.period, *extent)


def compiled(request: MetricRequest) -> CompiledQuery:
    """The statement and parameters the engine runs for `request` (Explore shows them)."""
    return cast(CompiledQuery, _run(*key(), "compile", request, ()))


def recovery_cohorts(request: MetricRequest) -> pl.DataFrame:
    return cast(pl.DataFrame, _run(*key(), "recovery", request, ()))


def funnel(request: MetricRequest) -> tuple[pl.DataFrame, pl.DataFrame]:
    return cast(tuple[pl.DataFrame, pl.DataFrame], _run(*key(), "funnel", request, ()))


def resolution_bands(request: MetricRequest) -> pl.DataFrame:
    return cast(pl.DataFrame, _run(*key(), "bands", request, ()))


def contacts_behind(
    request: MetricRequest,
    days: tuple[dt.date, dt.date] | None,
    sort: str,
    descending: bool,
    page: int,
    only: str | None = None,
) -> tuple[pl.DataFrame, int]:
    return cast(tuple[pl.DataFrame, int],
                _run(*key(), "drilldown", request, (days, sort, descending, page, only)))


def sla_at_risk(request: MetricRequest) -> pl.DataFrame:
    """Open contacts closest to breaching a target (`analysis.sla.at_risk_backlog`)."""
    return cast(pl.DataFrame, _run(*key(), "sla_at_risk", request, ()))


@st.cache_data(max_entries=8)
def _listings(path: str, version: Version) -> tuple[pl.DataFrame, pl.DataFrame]:
    with reader(path, version) as con:
        inf = _info(path, version)
        return listings.root_causes(con, inf), listings.driver_catalog(con, inf)


def root_causes() -> pl.DataFrame:
    return _listings(*key())[0]


def driver_catalog() -> pl.DataFrame:
    return _listings(*key())[1]


@st.cache_data(max_entries=32)
def _cause_effects(
    path: str, version: Version, filters: Filters, last_day: dt.date
) -> pl.DataFrame:
    with reader(path, version) as con:
        return causes.effects(con, _listings(path, version)[0], filters, last_day,
                              _info(path, version), _settings(path, version))  # fmt: skip


def cause_effects(filters: Filters, last_day: dt.date) -> pl.DataFrame:
    """Per eliminated cause: contacts avoided since its fix, band and verdict."""
    return _cause_effects(*key(), filters, last_day)


@st.cache_data(max_entries=8)
def _known_reasons(path: str, version: Version) -> list[str]:
    with reader(path, version) as cur:
        return sorted(cause_register.known_reasons(cur, _info(path, version)))


def known_reasons() -> list[str]:
    """Reasons a cause may name: seen in contacts or in the driver catalog."""
    return _known_reasons(*key())


@st.cache_data(max_entries=64)
def _cause_history(
    path: str, version: Version, cause_id: str
) -> list[cause_register.HistoryRow]:
    with reader(path, version) as cur:
        return cause_register.changes(cur, cause_id)


def cause_history(cause_id: str) -> list[cause_register.HistoryRow]:
    return _cause_history(*key(), cause_id)


@st.cache_data(max_entries=8)
def _export_csv(path: str, version: Version, table: str) -> bytes:
    inf = _info(path, version)
    with reader(path, version) as con:
        if table == "root_causes":
            return exports.register_csv(con, info=inf)
        return exports.catalog_csv(con, info=inf)


def export_csv(table: str) -> bytes:
    """The register ("root_causes") or the catalog ("reasons") as CSV that imports back."""
    return _export_csv(*key(), table)


@st.cache_data(max_entries=8)
def _import_history(path: str, version: Version) -> pl.DataFrame:
    with reader(path, version) as con:
        return history.imports(con, _info(path, version))


def import_history() -> pl.DataFrame:
    """Every import into the store, newest first (a new import is a new version, so it shows)."""
    return _import_history(*key())


def save_settings(new: Settings) -> None:
    """Write targets into the next version of the store; every cached result then refreshes.
    (The pages offer it only when `read_only()` is None.)"""
    if read_only():
        raise store.StoreError(read_only())
    targets.save(db_path(), new)
