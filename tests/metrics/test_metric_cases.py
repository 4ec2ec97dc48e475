"""Every SPEC §3 edge case on a tiny store, with the expected value worked out by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from cxdash import store
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.metrics.runner import compute
from tests.polars_reference import SLA_METRICS
from tests.storebuilder import build_bare_store, build_store, ts

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def contact(cid: str, created: str, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {"contact_id": cid, "created_at": ts(created)}
    for key, value in kw.items():
        row[key] = ts(value) if key.endswith("_at") and isinstance(value, str) else value
    return row


def order(oid: str, when: str, customer: str | None = None, **kw: object) -> dict[str, object]:
    return {"order_id": oid, "ordered_at": ts(when), "customer_id": customer, **kw}


def metrics(
    path: Path, period: Period = MARCH, by: tuple[str, ...] = (), **filters: list[str]
) -> dict[str, object]:
    con = store.open_read(path)
    try:
        frame = compute(con, MetricRequest(period, Filters.of(filters), by))
    finally:
        con.close()
    if by:
        return {tuple(r[d] for d in by): r for r in frame.iter_rows(named=True)}  # type: ignore[misc]
    return frame.row(0, named=True)


@pytest.fixture(params=["cxdash", "bare"])
def make(request: pytest.FixtureRequest, tmp_path: Path):
    """Build with cxdash's writer and, separately, as a contract-only store: same numbers."""
    builder = build_store if request.param == "cxdash" else build_bare_store

    def _make(contacts, orders=(), reasons=(), root_causes=()):
        return builder(tmp_path / "s.duckdb", contacts, orders, reasons, root_causes)

    return _make


def test_no_orders_gives_null_contact_rate_and_repurchase(make) -> None:
    path = make([contact("c1", "2026-03-02 10:00", customer_id="k1",
                         resolved_at="2026-03-02 12:00")])  # fmt: skip
    m = metrics(path)
    assert m["contacts"] == 1
    assert m["contact_rate"] is None  # no orders table rows: no base, not 0
    assert m["repurchase_after_contact_90d"] is None
    assert m["repurchase_baseline_90d"] is None


def test_orders_but_none_in_period_gives_null_contact_rate(make) -> None:
    path = make([contact("c1", "2026-03-02 10:00")], [order("o1", "2026-02-27 10:00", "k1")])
    assert metrics(path)["contact_rate"] is None  # 1000 × 1 / 0 orders in March → no base


def test_no_csat_answers(make) -> None:
    path = make([
        contact("c1", "2026-03-02 10:00", resolved_at="2026-03-02 11:00"),
        contact("c2", "2026-03-03 10:00"),
    ])  # fmt: skip
    m = metrics(path)
    assert m["csat"] is None  # no answers → no base
    # No contact in the store has a CSAT: no survey came with the data, not a 0 % response.
    assert m["csat_response_rate"] is None
    assert m["ces_avg"] is None


def test_no_csat_answers_in_a_period_of_a_store_that_has_them(make) -> None:
    path = make([
        contact("c0", "2026-01-05 10:00", resolved_at="2026-01-05 11:00", csat=5),
        contact("c1", "2026-03-02 10:00", resolved_at="2026-03-02 11:00"),
        contact("c2", "2026-03-03 10:00"),
    ])  # fmt: skip
    m = metrics(path)
    assert m["csat"] is None  # no answers in March → no base
    assert m["csat_response_rate"] == 0.0  # 0 answers ÷ 1 resolved contact


def test_contacts_without_customer_id(make) -> None:
    # c1, c2 have no customer: they can be neither repeats nor repurchasers.
    # c1 is resolved with no reopen/transfer → derived FCR (no customer means no repeat).
    path = make([
        contact("c1", "2026-03-02 10:00", resolved_at="2026-03-02 11:00"),
        contact("c2", "2026-03-02 11:00", resolved_at="2026-03-02 12:00", transfers=1),
    ])  # fmt: skip
    m = metrics(path)
    assert m["repeat_contact_rate"] is None  # no contact has a customer_id
    assert m["fcr_rate"] == pytest.approx(0.5)  # c1 yes, c2 transferred: 1 / 2 resolved


def test_repeat_contact_after_the_period_end_counts(make) -> None:
    # k1 on 31 Mar 20:00 contacts again on 2 Apr 10:00 (38 h later, after the period) → repeat.
    # k2 on 10 Mar 12:00 contacts again exactly 168 h later (17 Mar 12:00) → repeat (closed).
    # k3 on 20 Mar 12:00 contacts again 168 h + 1 s later → not a repeat.
    # March contacts with a customer: p1, k2a, k2b, k3a, k3b = 5; repeats: p1, k2a → 2/5.
    path = make([
        contact("p1", "2026-03-31 20:00", customer_id="k1", channel="chat"),
        contact("p2", "2026-04-02 10:00", customer_id="k1", channel="email"),
        contact("k2a", "2026-03-10 12:00", customer_id="k2", channel="chat"),
        contact("k2b", "2026-03-17 12:00", customer_id="k2", channel="chat"),
        contact("k3a", "2026-03-20 12:00", customer_id="k3", channel="chat"),
        contact("k3b", "2026-03-27 12:00:01", customer_id="k3", channel="chat"),
    ])  # fmt: skip
    m = metrics(path)
    assert m["contacts"] == 5  # p2 is in April
    assert m["repeat_contact_rate"] == pytest.approx(2 / 5)
    # Filters do not apply to the later contact: p2 is email, p1 still counts under chat.
    assert metrics(path, channel=["chat"])["repeat_contact_rate"] == pytest.approx(2 / 5)


def test_period_edges_are_whole_days(make) -> None:
    # In: 1 Mar 00:00:00 and 31 Mar 23:59:59. Out: 28 Feb 23:59:59 and 1 Apr 00:00:00.
    path = make([
        contact("in1", "2026-03-01 00:00:00"),
        contact("in2", "2026-03-31 23:59:59"),
        contact("out1", "2026-02-28 23:59:59"),
        contact("out2", "2026-04-01 00:00:00"),
    ])  # fmt: skip
    assert metrics(path)["contacts"] == 2
    one_day = Period(dt.date(2026, 3, 31), dt.date(2026, 3, 31))
    assert metrics(path, one_day)["contacts"] == 1


def test_first_contact_resolved_given_wins_over_derived(make) -> None:
    # g1 given True despite 2 transfers → FCR; g2 given False despite a clean record → not;
    # d1 derived (clean) → FCR; d2 derived with a transfer → not; u1 unresolved → excluded.
    # fcr = (g1 + d1) / 4 resolved = 0.5
    r = "2026-03-05 12:00"
    path = make([
        contact("g1", "2026-03-05 10:00", resolved_at=r, first_contact_resolved=True, transfers=2),
        contact("g2", "2026-03-05 10:00", resolved_at=r, first_contact_resolved=False),
        contact("d1", "2026-03-05 10:00", resolved_at=r),
        contact("d2", "2026-03-05 10:00", resolved_at=r, transfers=1),
        contact("u1", "2026-03-05 10:00", first_contact_resolved=True),
    ])  # fmt: skip
    m = metrics(path)
    assert m["fcr_rate"] == pytest.approx(0.5)
    assert m["resolution_rate"] == pytest.approx(4 / 5)
    assert m["transfer_rate"] == pytest.approx(2 / 5)


def test_root_cause_fixed_before_the_period(make) -> None:
    # C-old fixed 1 Feb: not eliminated *in* March, but it still avoids contacts in March.
    # Baseline window 7 Dec – 31 Jan: 3 'Label' contacts; orders there: 6; March orders: 4.
    # expected = 3 × 4 / 6 = 2; actual March 'Label' contacts = 1 → avoided 1.
    # C-late (fixed 5 Apr, after the period's end) and C-open (identified) are excluded.
    contacts = [
        contact("b1", "2025-12-10 09:00", reason="Label"),
        contact("b2", "2026-01-05 09:00", reason="Label"),
        contact("b3", "2026-01-31 23:00", reason="Label"),
        contact("m1", "2026-03-15 09:00", reason="Label"),
        contact("m2", "2026-03-16 09:00", reason="Other"),
    ]
    orders = [order(f"b{i}", f"2026-01-{10 + i:02d} 12:00") for i in range(6)]
    orders += [order(f"m{i}", f"2026-03-{10 + i:02d} 12:00") for i in range(4)]
    causes = [
        {"cause_id": "C-old", "reasons": ["Label"], "status": "eliminated",
         "fixed_on": dt.date(2026, 2, 1)},
        {"cause_id": "C-late", "reasons": ["Other"], "status": "eliminated",
         "fixed_on": dt.date(2026, 4, 5)},
        {"cause_id": "C-open", "reasons": ["Other"], "status": "identified",
         "fixed_on": dt.date(2026, 3, 10)},
    ]  # fmt: skip
    m = metrics(make(contacts, orders, root_causes=causes))
    assert m["causes_eliminated"] == 0
    assert m["contacts_avoided"] == pytest.approx(1.0)


def test_contacts_avoided_without_orders_and_a_cause_that_came_back(make) -> None:
    # No orders → expected = B × days(W) / 56. Fixed 11 Mar: W = 11–31 Mar = 21 days.
    # Baseline 14 Jan – 10 Mar holds one 'Login' contact → expected 1 × 21/56 = 0.375.
    # Three 'Login' contacts in W → avoided 0.375 − 3 = −2.625 (the problem came back).
    contacts = [
        contact("b1", "2026-03-10 23:59:59", reason="Login"),
        contact("x0", "2026-01-13 23:00", reason="Login"),  # before the baseline window
        contact("a1", "2026-03-11 00:00", reason="Login"),
        contact("a2", "2026-03-20 00:00", reason="Login"),
        contact("a3", "2026-03-31 23:00", reason="Login"),
    ]
    causes = [{"cause_id": "C1", "reasons": ["Login"], "status": "eliminated",
               "fixed_on": dt.date(2026, 3, 11)}]  # fmt: skip
    m = metrics(make(contacts, root_causes=causes))
    assert m["causes_eliminated"] == 1
    assert m["contacts_avoided"] == pytest.approx(0.375 - 3)


def test_no_qualifying_cause_gives_null_contacts_avoided(make) -> None:
    path = make([contact("c1", "2026-03-02 10:00")])
    assert metrics(path)["contacts_avoided"] is None
    assert metrics(path)["causes_eliminated"] == 0


def test_product_filter_narrows_orders_channel_filter_does_not(make) -> None:
    # contacts: c1 chat/A, c2 email/A, c3 chat/B; orders: 4 of A, 6 of B, all in March.
    contacts = [
        contact("c1", "2026-03-02 10:00", channel="chat", product="A"),
        contact("c2", "2026-03-03 10:00", channel="email", product="A"),
        contact("c3", "2026-03-04 10:00", channel="chat", product="B"),
    ]
    orders = [order(f"a{i}", f"2026-03-{i + 1:02d} 08:00", product="A") for i in range(4)]
    orders += [order(f"b{i}", f"2026-03-{i + 1:02d} 09:00", product="B") for i in range(6)]
    path = make(contacts, orders)
    assert metrics(path)["contact_rate"] == pytest.approx(1000 * 3 / 10)
    assert metrics(path, product=["A"])["contact_rate"] == pytest.approx(1000 * 2 / 4)
    assert metrics(path, channel=["chat"])["contact_rate"] == pytest.approx(1000 * 2 / 10)
    # Two values of one filter mean either of them.
    assert metrics(path, product=["A", "B"])["contact_rate"] == pytest.approx(300)
    assert metrics(path, channel=["chat", "email"])["contacts"] == 3
    assert metrics(path, channel=["chat"], product=["B"])["contacts"] == 1
    by_product = metrics(path, by=("product",))
    assert by_product[("A",)]["contact_rate"] == pytest.approx(500)
    assert by_product[("B",)]["contact_rate"] == pytest.approx(1000 / 6)
    by_channel = metrics(path, by=("channel",))
    assert by_channel[("chat",)]["contact_rate"] == pytest.approx(200)  # all 10 orders


def test_backlog_ignores_start_and_counts_unresolved_at_end_of_day(make) -> None:
    # old: created Feb, never resolved → in backlog. late: resolved 1 Apr 00:00 → still open at
    # the end of 31 Mar. done: resolved 31 Mar 23:59 → not. future: created in April → not.
    path = make([
        contact("old", "2026-02-01 10:00"),
        contact("late", "2026-03-31 10:00", resolved_at="2026-04-01 00:00"),
        contact("done", "2026-03-31 10:00", resolved_at="2026-03-31 23:59"),
        contact("future", "2026-04-01 10:00"),
    ])  # fmt: skip
    assert metrics(path)["backlog"] == 2


def test_quantiles_interpolate_and_happy_target_is_inclusive(make) -> None:
    # Resolution hours 1, 3 and 24 → median 3, p90 = 3 + 0.8 × (24 − 3) = 19.8.
    # happy: all resolved ≤ 24 h (24 h exactly counts), one has csat 3 → 2 of 3.
    path = make([
        contact("h1", "2026-03-02 10:00", resolved_at="2026-03-02 11:00"),
        contact("h2", "2026-03-02 10:00", resolved_at="2026-03-02 13:00", csat=3),
        contact("h3", "2026-03-02 10:00", resolved_at="2026-03-03 10:00", csat=4),
    ])  # fmt: skip
    m = metrics(path)
    assert m["resolution_hours_median"] == pytest.approx(3.0)
    assert m["resolution_hours_p90"] == pytest.approx(19.8)
    assert m["happy_rate"] == pytest.approx(2 / 3)
    assert m["csat"] == pytest.approx(0.5)  # 4 of (3, 4)


def test_repurchase_cohorts(make) -> None:
    # After contact: k1 resolved 2 Mar 12:00 (earliest of two), next order 31 May 00:00 = 89.5 d
    # later → yes (the 1 Mar order came before); k2 resolved 3 Mar 12:00, next order 2 Jun
    # 00:00 = 90.5 d → no. → 1/2.
    # Baseline: customers ordering in March without a March contact: k3 (first March order
    # 5 Mar, again 20 Mar → yes), k4 (10 Mar, nothing after → no). k1 ordered in March too but
    # contacted us in March → excluded. → 1/2.
    contacts = [
        contact("c1", "2026-03-02 10:00", customer_id="k1", resolved_at="2026-03-02 12:00"),
        contact("c2", "2026-03-20 10:00", customer_id="k1", resolved_at="2026-03-21 12:00"),
        contact("c3", "2026-03-03 10:00", customer_id="k2", resolved_at="2026-03-03 12:00"),
    ]
    orders = [
        order("o1", "2026-05-31 00:00", "k1"),
        order("o2", "2026-06-02 00:00", "k2"),
        order("o3", "2026-03-05 00:00", "k3"),
        order("o4", "2026-03-20 00:00", "k3"),
        order("o5", "2026-06-01 00:00", "k3"),
        order("o6", "2026-03-10 00:00", "k4"),
        order("o7", "2026-03-01 00:00", "k1"),
    ]
    m = metrics(make(contacts, orders))
    assert m["repurchase_after_contact_90d"] == pytest.approx(0.5)
    assert m["repurchase_baseline_90d"] == pytest.approx(0.5)


def test_every_metric_by_hand(make) -> None:
    """A second full fixture besides SPEC's worked example; arithmetic beside each value."""
    week = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    contacts = [
        contact("c1", "2026-03-02 09:00", customer_id="a", channel="chat", reason="Damaged",
                first_response_at="2026-03-02 09:06", resolved_at="2026-03-02 11:00",
                csat=5, ces=2),
        contact("c2", "2026-03-03 10:00", customer_id="a", channel="email", reason="Damaged",
                first_response_at="2026-03-03 14:00", resolved_at="2026-03-04 10:00",
                reopens=1, csat=2, ces=6),
        contact("c3", "2026-03-04 12:00", customer_id="b", channel="phone", reason="Billing",
                first_response_at="2026-03-04 12:00", resolved_at="2026-03-04 12:30",
                transfers=2, escalated=True),
        contact("c4", "2026-03-05 08:00", channel="web", reason="Password", self_served=True,
                resolved_at="2026-03-05 08:05"),
        contact("c5", "2026-03-08 23:00", customer_id="c", channel="email", reason="Billing"),
        # outside the week: c3's repeat, and baseline contacts for the root causes
        contact("c6", "2026-03-09 09:00", customer_id="b", reason="Billing",
                resolved_at="2026-03-09 10:00"),
        contact("b1", "2026-02-10 09:00", reason="Password", resolved_at="2026-02-10 10:00"),
        contact("b2", "2026-02-20 09:00", reason="Password", resolved_at="2026-02-20 10:00"),
        contact("b3", "2025-12-15 09:00", reason="Damaged", resolved_at="2025-12-15 10:00"),
    ]  # fmt: skip
    orders = [
        order("o1", "2026-03-01 10:00", "a"), order("o2", "2026-03-20 10:00", "a"),
        order("o3", "2026-03-02 10:00", "b"), order("o4", "2026-03-03 10:00", "d"),
        order("o5", "2026-04-10 10:00", "d"), order("o6", "2026-03-07 10:00", "e"),
        order("o7", "2026-03-06 10:00", "c"),
    ]  # fmt: skip
    reasons = [
        {"reason": "Damaged", "value_to_customer": "low", "value_to_business": "low",
         "preventable": True, "external": True},
        {"reason": "Billing", "value_to_customer": "low", "value_to_business": "high",
         "preventable": False, "external": False},
        {"reason": "Password", "value_to_customer": "high", "value_to_business": "low",
         "preventable": True, "external": False},
    ]  # fmt: skip
    causes = [
        {"cause_id": "RC1", "reasons": ["Password"], "status": "eliminated",
         "fixed_on": dt.date(2026, 3, 5)},
        {"cause_id": "RC2", "reasons": ["Damaged"], "status": "eliminated",
         "fixed_on": dt.date(2026, 1, 1)},
    ]  # fmt: skip
    m = metrics(make(contacts, orders, reasons, causes), week)
    expected = {
        "contacts": 5,  # c1–c5
        "contact_rate": 1000 * 5 / 4,  # orders in the week: o3, o4, o7, o6
        "repeat_contact_rate": 2 / 4,  # with a customer: c1, c2, c3, c5; c1 (c2), c3 (c6)
        "self_service_rate": 1 / 5,  # c4
        "preventable_share": 3 / 5,  # Damaged ×2, Password
        "external_share": 2 / 5,  # Damaged ×2
        "causes_eliminated": 1,  # RC1 fixed 5 Mar; RC2 before the week
        # RC1: W 5–8 Mar, actual 1 (c4); B = 2 (b1, b2 in 8 Jan – 4 Mar); orders W 2 (o7, o6),
        #      baseline orders 3 (o1, o3, o4) → 2 × 2/3 − 1 = 0.3333
        # RC2: W 2–8 Mar, actual 2 (c1, c2); B = 1 (b3); no orders in its baseline → days:
        #      1 × 7/56 − 2 = −1.875
        "contacts_avoided": 2 * 2 / 3 - 1 + (1 * 7 / 56 - 2),
        "resolution_rate": 4 / 5,  # c1–c4
        "fcr_rate": 1 / 4,  # only c4 (c1 repeat, c2 reopened, c3 transferred)
        "reopen_rate": 1 / 4,  # c2
        "csat": 1 / 2,  # 5 and 2
        "csat_response_rate": 2 / 4,  # 2 answers, 4 resolved
        "ces_avg": (2 + 6) / 2,
        "first_response_hours_median": 0.1,  # 0, 0.1, 4
        "first_response_hours_p90": 0.1 + 0.8 * (4 - 0.1),  # position 1.8
        "resolution_hours_median": (0.5 + 2) / 2,  # 1/12, 0.5, 2, 24
        "resolution_hours_p90": 2 + 0.7 * (24 - 2),  # position 2.7
        "transfer_rate": 1 / 5,
        "escalation_rate": 1 / 5,
        "backlog": 1,  # c5
        "repurchase_after_contact_90d": 1 / 2,  # a: o2 18 days after 2 Mar; b: none after
        "repurchase_baseline_90d": 1 / 2,  # d (o5 38 days later) yes, e no; b and c contacted
        "happy_rate": 2 / 5,  # c1, c4
        # no schedules or SLA policies in this store: not in the data (worked by hand with
        # schedules in tests/sla/test_import_cli.py::test_the_sla_metrics_worked_by_hand)
        **dict.fromkeys(SLA_METRICS),
    }
    assert set(expected) == set(m)
    for metric_id, value in expected.items():
        assert m[metric_id] == (pytest.approx(value) if value is not None else None), metric_id


def test_previous_period_in_one_statement_equals_two_statements(worked_store: Path) -> None:
    """compare() computes both periods at once; each must equal its own standalone run, the
    previous one read as of its like-for-like day."""
    from cxdash.metrics.runner import compare, totals

    con = store.open_read(worked_store)
    newest = store.inspect(con).newest_contact_day
    try:
        for period in (Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
                       Period(dt.date(2026, 5, 10), dt.date(2026, 5, 16))):  # fmt: skip
            for filters in (Filters(), Filters.of({"channel": ["chat", "email"]})):
                request = MetricRequest(period, filters)
                both = {v.metric.id: v for v in compare(con, request)}
                now = totals(con, request)
                before = totals(con, dataclasses.replace(
                    request.for_period(period.previous()), as_of=request.previous_as_of(newest)))
                for metric_id, value in both.items():
                    assert value.value == pytest.approx(now[metric_id]), metric_id
                    assert value.previous == pytest.approx(before[metric_id]), metric_id
    finally:
        con.close()


# ---- SPEC §3 "Resolved" and "Not in your data" ---------------------------------------------------


def test_a_status_only_store_is_resolved_by_status_and_says_what_it_lacks(make) -> None:
    # A complaints export: an id, a date, a status, nothing else (Comcast, CFPB).
    path = make([
        contact("c1", "2026-03-02 10:00", status="Closed"),
        contact("c2", "2026-03-03 10:00", status=" solved "),  # trimmed, any case
        contact("c3", "2026-03-04 10:00", status="Open"),
        contact("c4", "2026-03-05 10:00", status="Pending"),
        contact("c5", "2026-03-06 10:00"),  # no status: not known to be resolved
    ])  # fmt: skip
    m = metrics(path)
    assert m["contacts"] == 5
    assert m["resolution_rate"] == pytest.approx(2 / 5)  # c1, c2
    assert m["backlog"] == 3  # c3, c4, c5 are open at the end of 03-31
    # Fields no contact holds: null, never 0 % made of defaults.
    for missing in ("transfer_rate", "escalation_rate", "self_service_rate", "reopen_rate",
                    "fcr_rate", "happy_rate", "resolution_hours_median"):  # fmt: skip
        assert m[missing] is None, missing


def test_a_resolved_status_with_a_later_resolved_at_is_open_until_then(make) -> None:
    path = make([
        contact("c1", "2026-03-30 10:00", status="closed", resolved_at="2026-04-02 10:00"),
        contact("c2", "2026-03-30 11:00", status="closed"),
    ])  # fmt: skip
    m = metrics(path)
    assert m["resolution_rate"] == 1.0
    assert m["backlog"] == 1  # c1 was still open at the end of 03-31; c2 has no time: resolved
    assert m["resolution_hours_median"] == pytest.approx(72.0)  # c1 only: c2 has no time


def test_a_period_without_transfers_in_a_store_that_has_them_is_zero(make) -> None:
    path = make([
        contact("c0", "2026-01-10 10:00", transfers=2, escalated=True, self_served=False),
        contact("c1", "2026-03-02 10:00", resolved_at="2026-03-02 11:00"),
        contact("c2", "2026-03-03 10:00"),
    ])  # fmt: skip
    m = metrics(path)
    assert m["transfer_rate"] == 0.0  # the store holds transfers: March had none
    assert m["escalation_rate"] == 0.0
    assert m["self_service_rate"] == 0.0
    assert m["reopen_rate"] is None  # no contact has reopens at all
    assert m["fcr_rate"] == 1.0  # transfers given: c1 resolved with none (missing reopens → 0)


# ---- SPEC §3 "Like for like" ------------------------------------------------------------------
def test_the_previous_period_is_read_as_of_the_same_age(make) -> None:
    from cxdash.metrics.runner import compare

    # This week 06-08..06-14 ends on the newest contact's day: L = 0, so the week before
    # (06-01..06-07) is read as the data stood at the end of 06-07 (cut at 06-08 00:00).
    path = make([
        contact("p1", "2026-06-02 10:00", first_response_at="2026-06-02 11:00",
                resolved_at="2026-06-03 10:00", csat=5),
        # Answered, resolved and scored only after the cut: open and unanswered as of 06-07,
        # its status 'solved' (given on resolving) and its CSAT 2 not there yet.
        contact("p2", "2026-06-05 10:00", first_response_at="2026-06-09 10:00",
                resolved_at="2026-06-10 10:00", status="solved", csat=2),
        contact("p3", "2026-06-06 10:00", status="closed"),  # by status, no time: resolved
        # k1 comes back on 06-09: within 7 days, but after the cut, so not a repeat yet.
        contact("p4", "2026-06-07 10:00", customer_id="k1", resolved_at="2026-06-07 12:00"),
        contact("c1", "2026-06-09 10:00", customer_id="k1", resolved_at="2026-06-09 12:00"),
        contact("c2", "2026-06-14 10:00"),
    ])  # fmt: skip
    week = Period(dt.date(2026, 6, 8), dt.date(2026, 6, 14))
    ids = ("contacts", "resolution_rate", "first_response_hours_median", "csat",
           "csat_response_rate", "repeat_contact_rate", "backlog")  # fmt: skip
    con = store.open_read(path)
    try:
        before = {v.metric.id: v.previous for v in compare(con, MetricRequest(week, metrics=ids))}
        today = compute(con, MetricRequest(week.previous(), metrics=ids)).row(0, named=True)
    finally:
        con.close()
    assert before == pytest.approx({
        "contacts": 4,
        "resolution_rate": 3 / 4,  # p1, p3, p4
        "first_response_hours_median": 1.0,  # p1's hour; p2's answer came later
        "csat": 1.0,  # p1's 5 only
        "csat_response_rate": 1 / 3,  # 1 answer of 3 resolved
        "repeat_contact_rate": 0.0,  # p4: its repeat is not there yet
        "backlog": 1,  # p2, open at the end of 06-07 (as always: the backlog is end-of-period)
    })
    # The same week read as the data stands today: the bias like for like removes.
    assert today == pytest.approx({
        "contacts": 4, "resolution_rate": 1.0, "first_response_hours_median": (1 + 96) / 2,
        "csat": 1 / 2, "csat_response_rate": 2 / 4, "repeat_contact_rate": 1.0, "backlog": 1,
    })  # fmt: skip


def test_an_older_period_has_its_previous_one_read_at_the_same_lag(make) -> None:
    from cxdash.metrics.runner import compare

    # The newest contact is on 03-20; March 1–10 ends 10 days before it (L = 10), so the
    # previous 10 days (02-19..02-28) are read as of 02-28 + 10 = 03-10.
    path = make([
        contact("p1", "2026-02-27 10:00", resolved_at="2026-03-09 10:00"),  # before 03-11: in
        contact("p2", "2026-02-27 11:00", resolved_at="2026-03-12 10:00"),  # after: not yet
        contact("c1", "2026-03-05 10:00", resolved_at="2026-03-06 10:00"),
        contact("c2", "2026-03-20 10:00"),
    ])  # fmt: skip
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    request = MetricRequest(period, metrics=("resolution_rate",))
    assert request.previous_as_of(dt.date(2026, 3, 20)) == dt.date(2026, 3, 10)
    con = store.open_read(path)
    try:
        (value,) = compare(con, request)
    finally:
        con.close()
    assert (value.value, value.previous) == (1.0, 0.5)
