"""The short cuts the app takes for speed at 10M contacts give the numbers of the plain path.

- `cxdash.ui.data.compare` asks for the order-only metrics (the repurchase baseline) on their
  own under the order filters, so a contact filter change finds them cached.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st

from cxdash import store
from cxdash.metrics import engine
from cxdash.metrics.catalogue import METRIC_IDS, METRICS_BY_ID
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.ui import data

FILTERS = [
    Filters(),
    Filters.of({"channel": ["chat", "email"]}),
    Filters.of({"team": ["Overflow (Nova BPO)"], "priority": ["high"]}),
    Filters.of({"product": ["Apparel"]}),
    Filters.of({"channel": ["phone"], "region": ["DACH", "Nordics"]}),
]


@pytest.fixture()
def app_store(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CXDASH_DB", str(demo_store))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_store
    st.cache_data.clear()
    st.cache_resource.clear()


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
    whole = engine.compare(con, request)
    assert [v.metric.id for v in split] == list(METRIC_IDS)
    assert [(v.value, v.previous) for v in split] == [(v.value, v.previous) for v in whole]
    baseline = next(v for v in split if v.metric.id == "repurchase_baseline_90d")
    assert 0 < baseline.value < 1 and 0 < baseline.previous < 1
