"""The short cuts the app takes for speed at 10M contacts give the numbers of the plain path.

- `cxdash.ui.data.compare` asks for the order-only metrics (the repurchase baseline) on their
  own under the order filters, so a contact filter change finds them cached.
- The compiler reads the repurchase baseline of the preset periods from the rollup the writers
  store (`cxdash.metrics.rollups`) instead of computing it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

from cxdash import store
from cxdash.analysis.recovery import recovery_cohorts
from cxdash.metrics import rollups, runner
from cxdash.metrics.catalogue import METRIC_IDS, METRICS_BY_ID
from cxdash.metrics.compiler import compile_request
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.ui import data

FILTERS = [
    Filters(),
    Filters.of({"channel": ["chat", "email"]}),
    Filters.of({"team": ["Overflow (Nova BPO)"], "priority": ["high"]}),
    Filters.of({"product": ["Apparel"]}),
    Filters.of({"channel": ["phone"], "region": ["DACH", "Nordics"]}),
]



def _pairs(values: list) -> list[float]:
    """Values and previous values, flat (None as NaN, so approx can compare them)."""
    return [float("nan") if x is None else float(x) for v in values for x in (v.value, v.previous)]


def _period(db: Path, days: int) -> Period:
    con = store.open_read(db)
    last = con.sql("SELECT max(created_at)::DATE FROM contacts").fetchall()[0][0]
    return Period(last - dt.timedelta(days=days - 1), last)


def test_only_the_repurchase_baseline_ignores_contact_filters() -> None:
    assert [m for m in METRIC_IDS if METRICS_BY_ID[m].orders_only] == ["repurchase_baseline_90d"]
    both = Filters.of({"channel": ["chat"], "product": ["Apparel"], "region": ["DACH"]})
    assert both.on_orders() == Filters.of({"product": ["Apparel"], "region": ["DACH"]})


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.caption() or "none")
def test_split_compare_equals_one_query(app_store: Path, filters: Filters) -> None:
    period = _period(app_store, 120)  # old enough for the 90-day look-ahead to be complete
    request = MetricRequest(period, filters, metrics=METRIC_IDS)
    split = data.compare(request)
    con = store.open_read(app_store)
    whole = runner.compare(con, request)
    assert [v.metric.id for v in split] == list(METRIC_IDS)
    assert _pairs(split) == pytest.approx(_pairs(whole), rel=1e-12, nan_ok=True)
    baseline = next(v for v in split if v.metric.id == "repurchase_baseline_90d")
    assert 0 < baseline.value < 1 and 0 < baseline.previous < 1


def _live(info: store.StoreInfo) -> store.StoreInfo:
    return dataclasses.replace(info, baseline_periods=frozenset())


def test_the_writers_store_every_preset_period_and_the_one_before(demo_store: Path) -> None:
    con = store.open_read(demo_store)
    info = store.inspect(con)
    first, last = con.sql("SELECT min(created_at)::DATE, max(created_at)::DATE FROM contacts") \
        .fetchall()[0]  # fmt: skip
    presets = rollups.preset_periods(first, last)
    assert len(presets) == 5 and Period(last - dt.timedelta(days=27), last) in presets
    for p in presets:
        before = p.previous()
        # The period as the data stands, the one before like for like (L = 0: as of its end).
        assert {(p.start, p.end, None), (before.start, before.end, before.end)} \
            <= info.baseline_periods  # fmt: skip


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.caption() or "none")
def test_stored_baselines_equal_the_live_query(demo_store: Path, filters: Filters) -> None:
    con = store.open_read(demo_store)
    info = store.inspect(con)
    last = con.sql("SELECT max(created_at)::DATE FROM contacts").fetchall()[0][0]
    first = con.sql("SELECT min(created_at)::DATE FROM contacts").fetchall()[0][0]
    for period in rollups.preset_periods(first, last):
        request = MetricRequest(period, filters, metrics=METRIC_IDS)
        sql = compile_request(dataclasses.replace(request, with_previous=True), info).sql
        # Read from the rollup exactly when no order dimension filters the request.
        assert ("FROM repurchase_baselines" in sql) == (not filters.on_orders())
        fast = runner.compare(con, request, info)
        live = runner.compare(con, request, _live(info))
        # Averages of other metrics may differ in the last bit from run to run (DuckDB adds
        # floats in thread order); the baseline, a share of whole numbers, is exact.
        assert _pairs(fast) == pytest.approx(_pairs(live), rel=1e-12, nan_ok=True)
        one = MetricRequest(period, filters, metrics=("repurchase_baseline_90d",))
        assert runner.totals(con, one, info) == runner.totals(con, one, _live(info))
        assert recovery_cohorts(con, one, info).equals(recovery_cohorts(con, one, _live(info)))
    oldest = rollups.preset_periods(first, last)[0]
    value = runner.totals(con, MetricRequest(oldest, metrics=("repurchase_baseline_90d",)), info)
    assert value["repurchase_baseline_90d"] is not None


def test_other_periods_and_grains_are_computed(demo_store: Path) -> None:
    con = store.open_read(demo_store)
    info = store.inspect(con)
    last = con.sql("SELECT max(created_at)::DATE FROM contacts").fetchall()[0][0]
    odd = Period(last - dt.timedelta(days=40), last - dt.timedelta(days=3))
    for request in (MetricRequest(odd, metrics=("repurchase_baseline_90d",)),
                    MetricRequest(Period(last - dt.timedelta(days=27), last), grain="week",
                                  metrics=("repurchase_baseline_90d",))):  # fmt: skip
        assert "FROM repurchase_baselines" not in compile_request(request, info).sql


def test_an_import_recomputes_them(demo_store: Path, tmp_path: Path) -> None:
    """New contacts change who counts as "no contact": the stored rows must follow."""
    from cxdash.importer.run import import_file

    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_store, db)
    con = store.open_read(db)
    last = con.sql("SELECT max(created_at)::DATE FROM contacts").fetchall()[0][0]
    # Customers who ordered in the last 28 days and never contacted us now contact us.
    quiet = [r[0] for r in con.sql(
        "SELECT DISTINCT customer_id FROM orders WHERE ordered_at >= $s AND customer_id NOT IN "
        "(SELECT customer_id FROM contacts WHERE customer_id IS NOT NULL) ORDER BY 1 LIMIT 300",
        params={"s": last - dt.timedelta(days=27)}).fetchall()]  # fmt: skip
    con.close()
    csv = tmp_path / "more.csv"
    csv.write_text("contact_id,created_at,channel,customer_id\n" + "".join(
        f"NEW-{i},{last} 12:00:00,chat,{c}\n" for i, c in enumerate(quiet)))
    request = MetricRequest(Period(last - dt.timedelta(days=27), last),
                            metrics=("repurchase_baseline_90d",))  # fmt: skip
    before = runner.totals(store.open_read(demo_store), request)
    import_file(csv, db, table="contacts")
    con = store.open_read(db)
    info = store.inspect(con)
    assert "FROM repurchase_baselines" in compile_request(request, info).sql
    after = runner.totals(con, request, info)
    assert after == runner.totals(con, request, _live(info))
    assert after != before
