"""SPEC §3 worked example: every value must match, on both query paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxdash import store
from cxdash.metrics.catalogue import METRIC_IDS
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.runner import compute
from tests import worked_example as we


@pytest.mark.parametrize("fixture", ["worked_store", "worked_bare_store"])
def test_worked_example_every_value(fixture: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    con = store.open_read(path)
    row = compute(con, MetricRequest(Period(we.START, we.END))).row(0, named=True)
    assert set(we.EXPECTED) == set(METRIC_IDS)
    for metric_id, expected in we.EXPECTED.items():
        assert row[metric_id] == pytest.approx(expected, abs=5e-7), metric_id


def test_cxdash_store_reads_stored_derived_columns(worked_store: Path) -> None:
    """The fast path is really taken for stores cxdash wrote (no per-query windows)."""
    con = store.open_read(worked_store)
    info = store.inspect(con)
    assert info.derived_fresh
    from cxdash.metrics.runner import compile_for

    sql = compile_for(con, MetricRequest(Period(we.START, we.END)), info).sql
    assert "OVER (" not in sql and "FROM contacts c" in sql


def test_bare_store_computes_derived_columns_per_query(worked_bare_store: Path) -> None:
    con = store.open_read(worked_bare_store)
    info = store.inspect(con)
    assert not info.derived_fresh
    from cxdash.metrics.runner import compile_for

    sql = compile_for(con, MetricRequest(Period(we.START, we.END)), info).sql
    assert "contacts_src AS MATERIALIZED" in sql
