"""The metric SQL on Apache Spark: a session, a lake's tables as views, and a connection that
answers the calls the query layer makes on a DuckDB cursor.

`SparkConnection` has the part of DuckDB's connection API that `cxdash.metrics.runner` and the
analyses use — `cursor()` (itself, as a context manager), `sql(sql, params=…)` and
`execute(sql, params)` returning something with `.pl()` and `.fetchall()` — and runs every
statement through `dialect.to_spark`. So the metrics are compiled exactly as for DuckDB and
translated, never written twice. It is read-only: the views are the lake's Parquet files.

Session settings (ENGINEERING §5): `spark.sql.session.timeZone` is UTC, so the lake's
TIMESTAMP_NTZ columns (wall-clock time in the reporting zone, as in the store) compare with
the translated literals and parameters without any shift; for a local master the driver
binds to 127.0.0.1, the web UI is off and Spark logs errors only (`log4j2.properties`).
A cluster master (`spark://…`, `yarn`, `k8s://…`) keeps its own network and logging
settings (spark-defaults.conf, `SPARK_CONF_DIR`).

PySpark is optional (`pip install -e '.[spark]'`); without it, or without Java, opening a lake
raises EngineError saying what to install.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import polars as pl

from cxdash import settings as settings_mod
from cxdash.derived import contact_fields
from cxdash.engines import EngineError
from cxdash.engines.dialect import DialectError, to_spark
from cxdash.engines.lake import PARTITION_COLUMN, PARTITIONED, LakeError, is_local, read_manifest
from cxdash.schema import CONTACTS, ORDERS, TABLES
from cxdash.settings import Settings
from cxdash.store import StoreInfo

if TYPE_CHECKING:
    import duckdb

INSTALL = "pip install -e '.[spark]'  (or: pip install 'pyspark==4.3.*')"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
# Spark type names (simpleString) → the DuckDB names cxdash.schema declares.
_TYPES = {
    "string": "VARCHAR", "timestamp_ntz": "TIMESTAMP", "timestamp": "TIMESTAMP WITH TIME ZONE",
    "int": "INTEGER", "bigint": "BIGINT", "boolean": "BOOLEAN", "double": "DOUBLE",
    "date": "DATE", "array<string>": "VARCHAR[]", "float": "FLOAT", "smallint": "SMALLINT",
}  # fmt: skip

# Tables some statement orders by DuckDB's implicit `rowid` (the order rows were inserted):
# the newest schedules and SLA policies are `ORDER BY changed_at DESC, rowid DESC LIMIT 1`
# (cxdash.sla.derive.current, read by the Defense page and the Data page). Spark has no such
# column, so on Spark their view gets one: the rows numbered in the order of their one file,
# which the export writes in the store's rowid order. The frame the lake is inspected through
# stays without it (same columns as the store), and a `SELECT *` of these tables would show
# it: none is read that way.
ROWID_TABLES = frozenset({"sla_config"})

_lock = threading.Lock()
_root: Any = None  # the process's SparkSession; lakes get sessions of their own from it


class SparkQueryError(EngineError):
    """Spark refused or failed a statement; the message has Spark's first line."""


def _pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(f"the spark engine needs PySpark, which is not installed: {INSTALL}; "
                          "it also needs Java 17 or newer") from exc  # fmt: skip
    return SparkSession


def is_local_master(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def _local_cores(master: str) -> int:
    inside = master.removeprefix("local").strip("[]").split(",")[0]
    if inside in ("", "*"):
        return 1 if not inside else os.cpu_count() or 1
    return int(inside) if inside.isdigit() else 1


def root_session(master: str) -> Any:
    """The process's SparkSession for `master`, started on first use (about 5–10 s)."""
    global _root
    session_cls = _pyspark()
    with _lock:
        if _root is not None and _root.sparkContext._jsc is not None:
            running = _root.sparkContext.master
            if running != master:
                raise EngineError(f"Spark already runs with master {running} in this process; "
                                  f"it cannot switch to {master}")  # fmt: skip
            return _root
        builder = (session_cls.builder.master(master).appName("cxdash")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.showConsoleProgress", "false"))  # fmt: skip
        if is_local_master(master):
            builder = (builder.config("spark.driver.bindAddress", "127.0.0.1")
                       .config("spark.driver.host", "127.0.0.1")
                       .config("spark.ui.enabled", "false")
                       # Small shuffles on one machine: a partition per core, not 200.
                       .config("spark.sql.shuffle.partitions", str(_local_cores(master)))
                       .config("spark.driver.extraJavaOptions",
                               f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}"))  # fmt: skip
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # PySpark on pandas 3
                _root = builder.getOrCreate()
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineError(f"Spark did not start with master {master} ({first}); it needs "
                              "Java 17 or newer (`java` on PATH or JAVA_HOME)") from exc
        return _root


class SparkResult:
    """A Spark DataFrame with the two ways the query layer reads a DuckDB result."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def pl(self) -> pl.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            table = _guard(self.frame.toArrow)
        return cast(pl.DataFrame, pl.from_arrow(table))  # an Arrow table gives a frame

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in _guard(self.frame.collect)]


def _guard(call: Any) -> Any:
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        return call()
    except (PySparkException, Py4JError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SparkQueryError(f"Spark could not answer ({first})") from exc


class SparkConnection:
    """A lake's tables as views in a Spark session of their own; read-only."""

    def __init__(self, lake: str, master: str) -> None:
        self.lake = lake.rstrip("/")
        self.master = master
        self.manifest = read_manifest(self.lake) if is_local(self.lake) else None
        self.spark = root_session(master).newSession()
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        self.frames: dict[str, Any] = {}
        for table in TABLES:
            path = f"{self.lake}/{table.name}"
            try:
                frame = _guard(lambda p=path: self.spark.read.parquet(p))
            except SparkQueryError as exc:
                raise LakeError(f"the lake {self.lake} has no readable {table.name} table "
                                f"({exc}); export the store again with `cxdash export-parquet`")\
                    from exc  # fmt: skip
            if table.name in PARTITIONED and PARTITION_COLUMN in frame.columns:
                frame = frame.drop(PARTITION_COLUMN)  # the folder name, not a contract column
            view = frame
            if table.name in ROWID_TABLES and "rowid" not in frame.columns:
                from pyspark.sql.functions import monotonically_increasing_id

                # one small file is one partition: ids increase in the file's row order
                view = frame.coalesce(1).withColumn("rowid", monotonically_increasing_id())
            view.createOrReplaceTempView(table.name)
            self.frames[table.name] = frame
        self._info: StoreInfo | None = None

    # ---- DuckDB-like calls -----------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[SparkConnection]:
        yield self  # a Spark session takes statements from several threads

    def sql(self, sql: str, params: Mapping[str, object] | None = None) -> SparkResult:
        try:
            statement = to_spark(sql, params)
        except DialectError as exc:
            raise SparkQueryError(f"not run on Spark: {exc}") from exc
        frame = _guard(lambda: self.spark.sql(statement.sql, args=statement.args or None))
        return SparkResult(frame)

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> SparkResult:
        return self.sql(sql, params)

    def close(self) -> None:
        """Nothing to release: the session lives as long as the process."""

    # ---- what the lake holds -----------------------------------------------------------------
    def inspect(self) -> StoreInfo:
        """StoreInfo from the Parquet schemas and row counts; LakeError when the derived
        columns are missing or were computed for other rows (not written by export-parquet,
        or changed since)."""
        if self._info is not None:
            return self._info
        columns = {
            name: {f.name: _TYPES.get(f.dataType.simpleString(), f.dataType.simpleString()
                                      .upper()) for f in frame.schema.fields}
            for name, frame in self.frames.items()
        }  # fmt: skip
        counts = {name: int(_guard(self.frames[name].count))
                  for name in ("contacts", "orders", "reasons")}  # fmt: skip
        stamp = self.sql("SELECT value FROM cxdash_meta WHERE key = 'derived_for'").fetchall()
        want = f"{counts['contacts']}:{counts['orders']}"
        missing = [f"{t.name}.{c.name}" for t in (CONTACTS, ORDERS) for c in t.columns
                   if columns[t.name].get(c.name) != c.sql_type]  # fmt: skip
        if missing or not stamp or stamp[0][0] != want:
            why = (f"columns missing or of another type: {', '.join(missing)}" if missing else
                   f"its derived columns were computed for {stamp[0][0] if stamp else 'no'} "
                   f"rows (contacts:orders), it holds {want}")  # fmt: skip
            raise LakeError(f"the lake {self.lake} is not as `cxdash export-parquet` writes it "
                            f"({why}); export the store again")  # fmt: skip
        # The stored repurchase baselines (cxdash.metrics.rollups), exported with the rows
        # they were computed for: the compiler reads them as it does on the store.
        baselines = frozenset(tuple(r) for r in self.sql(
            "SELECT period_start, period_end, as_of FROM repurchase_baselines").fetchall()
        ) if "as_of" in columns.get("repurchase_baselines", {}) else frozenset()  # fmt: skip
        fields, newest = contact_fields(self, columns["contacts"])
        self._info = StoreInfo(columns=columns, derived_fresh=True, orders_rows=counts["orders"],
                               reasons_rows=counts["reasons"], contacts_rows=counts["contacts"],
                               baseline_periods=baselines, field_contacts=fields,
                               newest_contact_day=newest)  # fmt: skip
        return self._info

    def settings(self) -> Settings:
        # It answers the one call settings.load makes: execute(…).fetchall().
        return settings_mod.load(cast("duckdb.DuckDBPyConnection", self))


def open_lake(lake: str, master: str) -> SparkConnection:
    """The lake at `lake` (a folder, or a URI Spark reads) on a Spark session for `master`."""
    if is_local(lake):
        read_manifest(lake)  # a missing folder or a half-written export: say so before Spark
    return SparkConnection(lake, master)
