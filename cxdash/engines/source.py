"""What the app reads: the DuckDB store, or a Parquet lake on Spark (`CXDASH_ENGINE=spark`,
with `CXDASH_LAKE` and `CXDASH_SPARK_MASTER`), and how each is versioned, named and opened.

Core logic without Streamlit: `cxdash.ui.data` keys its caches on `Source.key()` and opens
through `Source.connect()`. A lake read by Spark is read-only: imports, targets and register
or catalog edits belong to the DuckDB store it came from (`read_only_reason`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cxdash import engines, store
from cxdash.engines.lake import is_local, lake_version, read_manifest

Version = tuple[int, int, int]
SPARK = "spark:"  # a cache key's path for a lake read by Spark: spark:<lake>
# A lake that is not a local folder (hdfs://, s3a://…) has no version to watch.
URI_VERSION: Version = (0, 0, 0)


@dataclass(frozen=True)
class Source:
    db: Path  # the DuckDB store (the app's, even when it reads a lake)
    lake: engines.EngineChoice | None = None  # set when the app reads a lake on Spark

    @property
    def spark(self) -> bool:
        return self.lake is not None

    def read_only_reason(self) -> str | None:
        """Why nothing can be written here (the app reads a lake on Spark), or None."""
        if self.lake is None:
            return None
        return (f"This dashboard reads the Parquet lake {self.lake.lake} on Spark and is "
                "read-only: import, edit the register or the catalog and set targets on the "
                "DuckDB store, then write the lake again with `cxdash export-parquet`.")

    def describe(self) -> str:
        """What the app reads, in words: the store's path or the lake on Spark."""
        if self.lake is not None:
            return f"{self.lake.lake} (Parquet on Spark, {self.lake.master})"
        return str(self.db)

    def name(self) -> str:
        """The store's file name, or the lake's folder name, for a report to name its source."""
        if self.lake is not None:
            return Path(str(self.lake.lake).rstrip("/")).name
        return self.db.name

    def version(self) -> Version | None:
        """Changes whenever a new version lands; None when there is nothing to read."""
        if self.lake is not None:
            lake = str(self.lake.lake)
            return lake_version(lake) if is_local(lake) else URI_VERSION
        return store.store_version(self.db) if self.db.exists() else None

    def key(self) -> tuple[str, Version]:
        """The cache key of what is read now: (the store's path or spark:<lake>, version)."""
        version = self.version()
        if version is None:
            if self.lake is not None:
                raise store.StoreError(f"no lake at {self.lake.lake}")
            raise store.StoreError(f"no store at {self.db}")
        return (f"{SPARK}{self.lake.lake}" if self.lake else str(self.db)), version

    def updated(self, version: Version) -> dt.datetime | None:
        """When the store (or the lake's manifest) was written; unknown for a lake at a URI."""
        return None if version == URI_VERSION else dt.datetime.fromtimestamp(version[1] / 1e9)

    def check_lake(self) -> None:
        """Raise LakeError for a local lake that is missing or half-written (in words)."""
        if self.lake is not None and is_local(str(self.lake.lake)):
            read_manifest(str(self.lake.lake))


def current() -> Source:
    """The source the environment names: the store (`CXDASH_DB`, else data/cxdash.duckdb,
    resolved) and, with `CXDASH_ENGINE=spark`, the lake on Spark."""
    choice = engines.resolve()
    return Source(store.resolve_db_path().resolve(), choice if choice.spark else None)


def connect(path: str) -> Any:
    """Open what a cache key's path names: the store read-only, or the lake on Spark (a
    SparkConnection, which takes statements from several threads)."""
    if path.startswith(SPARK):
        from cxdash.engines.spark import open_lake  # PySpark, an optional extra

        choice = current().lake
        return open_lake(path.removeprefix(SPARK), choice.master if choice else "local[*]")
    connection: duckdb.DuckDBPyConnection = store.open_read(Path(path))
    return connection
