"""Run metric requests: compile, execute on a fresh cursor, hand back Polars frames.

A cursor per query because DuckDB 2.0 refuses (rather than queues) a second call on a busy
connection, and Streamlit runs every session in its own thread (ENGINEERING §2.1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import polars as pl

from cxdash import settings as settings_mod
from cxdash import store
from cxdash.metrics.catalogue import Metric
from cxdash.metrics.compiler import BUCKET, CompiledQuery, compile_request
from cxdash.metrics.request import MetricRequest
from cxdash.settings import Settings
from cxdash.store import StoreInfo


def compile_for(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo | None = None,
    settings: Settings | None = None,
) -> CompiledQuery:
    info = info if info is not None else store.inspect(con)
    settings = settings if settings is not None else settings_mod.load(con)
    return compile_request(request, info, settings)


def compute(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo | None = None,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """One row per (bucket, dimension values); a `bucket` column only when a grain is asked."""
    query = compile_for(con, request, info, settings)
    with con.cursor() as cur:
        frame: pl.DataFrame = cur.sql(query.sql, params=query.params).pl()
    frame = finite(frame)
    if request.grain is None and not request.with_previous:
        frame = frame.drop(BUCKET)
    return frame


def finite(frame: pl.DataFrame) -> pl.DataFrame:
    """Infinities and NaN as no value: a team's own metric can divide by zero or overflow
    (`sum(x) / 0.0`), and "inf ±nan" on a tile, or a JSON that cannot be written, helps no
    one — the value is not a number, shown as "—" like any metric without one."""
    floats = [n for n, t in frame.schema.items() if t in (pl.Float32, pl.Float64)]
    if not floats:
        return frame
    return frame.with_columns(
        pl.when(pl.col(n).is_finite()).then(pl.col(n)).otherwise(None).alias(n) for n in floats)


@dataclass(frozen=True)
class MetricValue:
    """A metric's value in a period and in the period of the same length just before it."""

    metric: Metric
    value: float | int | None
    previous: float | int | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return float(self.value) - float(self.previous)

    @property
    def relative_change(self) -> float | None:
        if self.change is None or not self.previous:
            return None
        return self.change / abs(float(self.previous))

    @property
    def improved(self) -> bool | None:
        """True when the change went the metric's better way; None when flat or unknown."""
        if self.change is None or self.change == 0:
            return None
        return (self.change > 0) == (self.metric.direction == "up")


def totals(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo | None = None,
    settings: Settings | None = None,
) -> dict[str, float | int | None]:
    """The request's metrics for its whole period, as {id: value} (ignores `by` and grain)."""
    flat = replace(request, by=(), grain=None, with_previous=False)
    row = compute(con, flat, info, settings).row(0, named=True)
    return {m: row[m] for m in request.metrics}


def compare(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo | None = None,
    settings: Settings | None = None,
) -> list[MetricValue]:
    """Every requested metric for the period and for the previous period of the same length."""
    info = info if info is not None else store.inspect(con)
    settings = settings if settings is not None else settings_mod.load(con)
    both = replace(request, by=(), grain=None, with_previous=True)
    rows = {r[BUCKET]: r for r in compute(con, both, info, settings).iter_rows(named=True)}
    now = rows[request.period.start]
    before = rows[request.period.previous().start]
    # a metric of "now" (open contacts at the newest data time) has no previous value
    return [MetricValue(request.catalogue[m], now[m],
                        None if request.catalogue[m].now_only else before[m])
            for m in request.metrics]  # fmt: skip
