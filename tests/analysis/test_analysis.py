"""Distribution bands, drill-down paging and the register on SPEC's worked example."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import store
from cxdash.analysis.distribution import resolution_bands
from cxdash.analysis.drilldown import contacts_behind
from cxdash.analysis.listings import driver_catalog, root_causes
from cxdash.metrics.request import Filters, MetricRequest, Period
from tests import worked_example as we

MAY = MetricRequest(Period(we.START, we.END))


@pytest.fixture
def con(worked_store: Path):
    connection = store.open_read(worked_store)
    yield connection
    connection.close()


def test_resolution_bands_by_hand(con) -> None:
    # May resolution hours: B5 9, A1 6, A2 48, A4 1/60, A5 36, A6 1 →
    # <1 h: A4; 1–2 h: A6; 4–8 h: A1; 8–24 h: B5; 1–2 d: A5 (36 h) and A2 (48 h is 2–4 d).
    bands = resolution_bands(con, MAY, store.inspect(con))
    got = dict(zip(bands["band"], bands["contacts"], strict=True))
    assert got == {"< 1 h": 1, "1–2 h": 1, "2–4 h": 0, "4–8 h": 1, "8–24 h": 1, "1–2 d": 1,
                   "2–4 d": 1, "4–7 d": 0, "1–2 wk": 0, "≥ 2 wk": 0}  # fmt: skip


def test_drilldown_pages_sorts_and_filters(con) -> None:
    info = store.inspect(con)
    rows, total = contacts_behind(con, MAY, info, sort="created_at", descending=False,
                                  page_size=3)  # fmt: skip
    assert total == 7
    assert rows["contact_id"].to_list() == ["A1", "A2", "B5"]
    rows, _ = contacts_behind(con, MAY, info, sort="created_at", descending=False,
                              page=2, page_size=3)  # fmt: skip
    assert rows["contact_id"].to_list() == ["A6"]
    chat = MetricRequest(MAY.period, Filters.of({"channel": ["chat"]}))
    rows, total = contacts_behind(con, chat, info)
    assert total == 2 and rows["contact_id"].to_list() == ["A6", "A1"]  # newest first
    week = (dt.date(2026, 5, 11), dt.date(2026, 5, 17))
    rows, total = contacts_behind(con, MAY, info, days=week)
    assert total == 2 and set(rows["contact_id"]) == {"A3", "A4"}
    with pytest.raises(ValueError):
        contacts_behind(con, MAY, info, sort="created_at; DROP TABLE contacts")


def test_register_and_catalog(con) -> None:
    info = store.inspect(con)
    causes = root_causes(con, info)
    assert causes["cause_id"].to_list() == ["C1"]
    assert causes["fixed_on"].to_list() == [dt.date(2026, 5, 10)]
    catalog = driver_catalog(con, info)
    quadrants = dict(zip(catalog["reason"], catalog["quadrant"], strict=True))
    assert quadrants == {"Invoice copy": "Automate", "Late delivery": "Eliminate",
                         "Refund": "Leverage"}  # fmt: skip
