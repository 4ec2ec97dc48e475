"""Recovery cohorts by hand, and the Wilson interval."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import store
from cxdash.analysis.recovery import recovery_cohorts
from cxdash.analysis.stats import wilson_interval
from cxdash.metrics.request import MetricRequest, Period
from tests.storebuilder import build_store, ts


def test_wilson_interval_by_hand() -> None:
    # k = 5, n = 10, z = 1.96: centre 0.5, half = 1.96·sqrt(0.025 + 0.0096)/1.384 = 0.2366
    low, high = wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 5)[0] == 0.0


def test_cohorts_by_hand(tmp_path: Path) -> None:
    # March. h: first contact resolved 2 Mar, csat 5, orders 10 Apr → happy, repurchased.
    #        (its second contact, csat 1, does not change the cohort: the first decides)
    # u: resolved 3 Mar csat 2, next order 15 Jul (>90 d) → unhappy, not repurchased.
    # x: unresolved, created 4 Mar, order 1 May (58 d after the contact) → unresolved, yes.
    # r: resolved, not rated, no orders → resolved_unrated, no.
    # n1, n2: ordered in March without contacting; n1 again within 90 d, n2 not → 1 of 2.
    contacts = [
        {"contact_id": "h1", "created_at": ts("2026-03-02 09:00"), "customer_id": "h",
         "resolved_at": ts("2026-03-02 10:00"), "csat": 5},
        {"contact_id": "h2", "created_at": ts("2026-03-20 09:00"), "customer_id": "h",
         "resolved_at": ts("2026-03-20 10:00"), "csat": 1},
        {"contact_id": "u1", "created_at": ts("2026-03-03 09:00"), "customer_id": "u",
         "resolved_at": ts("2026-03-03 10:00"), "csat": 2},
        {"contact_id": "x1", "created_at": ts("2026-03-04 09:00"), "customer_id": "x"},
        {"contact_id": "r1", "created_at": ts("2026-03-05 09:00"), "customer_id": "r",
         "resolved_at": ts("2026-03-05 10:00")},
    ]  # fmt: skip
    orders = [
        {"order_id": "o1", "customer_id": "h", "ordered_at": ts("2026-04-10 12:00")},
        {"order_id": "o2", "customer_id": "u", "ordered_at": ts("2026-07-15 12:00")},
        {"order_id": "o3", "customer_id": "x", "ordered_at": ts("2026-05-01 12:00")},
        {"order_id": "o4", "customer_id": "n1", "ordered_at": ts("2026-03-10 12:00")},
        {"order_id": "o5", "customer_id": "n1", "ordered_at": ts("2026-04-10 12:00")},
        {"order_id": "o6", "customer_id": "n2", "ordered_at": ts("2026-03-11 12:00")},
    ]
    path = build_store(tmp_path / "s.duckdb", contacts, orders)
    con = store.open_read(path)
    request = MetricRequest(Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    frame = recovery_cohorts(con, request, store.inspect(con))
    got = {r["cohort"]: (r["customers"], r["repurchased"]) for r in frame.to_dicts()}
    assert got == {
        "no_contact": (2, 1),
        "resolved_happy": (1, 1),
        "resolved_unhappy": (1, 0),
        "unresolved": (1, 1),
        "resolved_unrated": (1, 0),
    }
