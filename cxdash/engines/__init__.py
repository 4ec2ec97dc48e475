"""Where the metric SQL runs: DuckDB on one machine (the default) or Apache Spark.

The query layer writes DuckDB SQL once (`cxdash.metrics.compiler`). For Spark, a store is first
written as Parquet (`lake.export_parquet`: the layout Spark reads), and every statement is
translated by `dialect.to_spark` (SQLGlot plus a few named rewrite rules) and run by
`spark.SparkConnection`, which answers the same calls the query layer makes on a DuckDB cursor.
No metric is written twice.

The choice: `--engine` (CLI) or `CXDASH_ENGINE` (`duckdb` or `spark`); for Spark the Parquet
folder is `--lake` or `CXDASH_LAKE` and the master URL `--spark-master` or
`CXDASH_SPARK_MASTER` (default `local[*]`; a cluster URL such as `spark://host:7077` in
production).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENGINES = ("duckdb", "spark")
ENV_ENGINE = "CXDASH_ENGINE"
ENV_LAKE = "CXDASH_LAKE"
ENV_MASTER = "CXDASH_SPARK_MASTER"
DEFAULT_MASTER = "local[*]"


class EngineError(Exception):
    """A bad engine choice or an engine that cannot start; the message says what to do."""


@dataclass(frozen=True)
class EngineChoice:
    engine: str  # "duckdb" | "spark"
    lake: str | None = None  # the Parquet folder (or URI) Spark reads
    master: str = DEFAULT_MASTER

    @property
    def spark(self) -> bool:
        return self.engine == "spark"


def resolve(
    engine: str | None = None, lake: str | None = None, master: str | None = None
) -> EngineChoice:
    """Options win over the environment, which wins over the defaults (DuckDB, `local[*]`)."""
    name = (engine or os.environ.get(ENV_ENGINE) or "duckdb").strip().lower()
    if name not in ENGINES:
        raise EngineError(f"unknown engine {name!r}; use duckdb or spark "
                          f"(--engine or {ENV_ENGINE})")  # fmt: skip
    lake = lake or os.environ.get(ENV_LAKE) or None
    master = master or os.environ.get(ENV_MASTER) or DEFAULT_MASTER
    if name == "spark" and not lake:
        raise EngineError(f"the spark engine reads a Parquet folder: give --lake DIR or set "
                          f"{ENV_LAKE} (write one with `cxdash export-parquet --db STORE "
                          "--out DIR`)")  # fmt: skip
    return EngineChoice(name, lake if name == "spark" else None, master)
