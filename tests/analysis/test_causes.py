"""What each fix did, worked out by hand: contacts avoided per cause (with and without orders,
fixed before the period, after its end, came back), the Poisson band, the verdicts, and that
the per-cause figures add up to the `contacts_avoided` tile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from cxdash import settings, store
from cxdash.analysis import causes, listings
from cxdash.analysis.stats import poisson_interval
from cxdash.demo import catalog as demo_catalog
from cxdash.metrics.compiler import contacts_avoided_by_cause
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.metrics.runner import compute
from tests.storebuilder import build_bare_store, build_store, ts

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
D = dt.date


def contact(cid: str, created: str, reason: str) -> dict[str, object]:
    return {"contact_id": cid, "created_at": ts(created), "reason": reason}


def spread(reason: str, first: dt.date, last: dt.date, n: int) -> list[dict[str, object]]:
    """n contacts of `reason` spread over first..last (inclusive), at noon."""
    days = (last - first).days
    return [contact(f"{reason}{first:%m%d}-{i}", f"{first + dt.timedelta(days=i * days // max(n - 1, 1))} 12:00", reason)  # noqa: E501
            for i in range(n)]  # fmt: skip


# ---- the Poisson band ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("count", "low", "high"),
    [  # exact (Garwood) 95 % limits, from published tables
        (0, 0.0, 3.689), (1, 0.0253, 5.572), (2, 0.2422, 7.225), (5, 1.624, 11.668),
        (10, 4.795, 18.390), (100, 81.364, 121.627),
    ],
)  # fmt: skip
def test_poisson_interval_matches_the_exact_tables(count: int, low: float, high: float) -> None:
    lo, hi = poisson_interval(count)
    assert lo == pytest.approx(low, abs=0.001)
    assert hi == pytest.approx(high, abs=0.001)


def test_poisson_interval_is_continuous_where_the_closed_form_takes_over() -> None:
    (lo1, hi1), (lo2, hi2) = poisson_interval(1000), poisson_interval(1001)
    # one more count moves each limit by about 1 ∓ z / (2√n) ≈ 0.97 / 1.03, no jump
    assert lo2 - lo1 == pytest.approx(0.969, abs=0.003)
    assert hi2 - hi1 == pytest.approx(1.031, abs=0.003)
    with pytest.raises(ValueError):
        poisson_interval(-1)


# ---- per-cause terms by hand --------------------------------------------------------------
CONTACTS = [
    # Label: 3 in A's baseline (7 Dec – 31 Jan), 1 in March
    contact("b1", "2025-12-10 09:00", "Label"), contact("b2", "2026-01-05 09:00", "Label"),
    contact("b3", "2026-01-31 23:00", "Label"), contact("m1", "2026-03-15 09:00", "Label"),
    # Login: 1 in B's baseline (14 Jan – 10 Mar), 1 before it, 3 after the fix on 11 Mar
    contact("x0", "2026-01-13 23:00", "Login"), contact("l0", "2026-03-10 23:59:59", "Login"),
    contact("l1", "2026-03-11 00:00", "Login"), contact("l2", "2026-03-20 00:00", "Login"),
    contact("l3", "2026-03-31 23:00", "Login"),
    contact("o1", "2026-03-16 09:00", "Other"),
]  # fmt: skip
ORDERS = [{"order_id": f"b{i}", "ordered_at": ts(f"2026-01-{10 + i} 12:00")} for i in range(6)]
ORDERS += [{"order_id": f"m{i}", "ordered_at": ts(f"2026-03-{10 + i} 12:00")} for i in range(4)]
CAUSES = [
    {"cause_id": "A", "reasons": ["Label"], "status": "eliminated", "fixed_on": D(2026, 2, 1)},
    {"cause_id": "B", "reasons": ["Login"], "status": "eliminated", "fixed_on": D(2026, 3, 11)},
    {"cause_id": "C", "reasons": ["Other"], "status": "eliminated", "fixed_on": D(2026, 4, 5)},
    {"cause_id": "D", "reasons": ["Other"], "status": "identified", "fixed_on": D(2026, 3, 2)},
]  # fmt: skip


def by_cause(path: Path, period: Period = MARCH) -> dict[str, dict[str, object]]:
    con = store.open_read(path)
    try:
        sql, params = contacts_avoided_by_cause(
            MetricRequest(period, metrics=("contacts_avoided",)), store.inspect(con))
        frame = con.sql(sql, params=params).pl()  # fmt: skip
        total = compute(con, MetricRequest(period, metrics=("contacts_avoided",)))
    finally:
        con.close()
    rows = {r["cause_id"]: r for r in frame.iter_rows(named=True)}
    assert sum(r["avoided"] for r in rows.values()) == pytest.approx(total["contacts_avoided"][0])
    return rows


@pytest.mark.parametrize("builder", [build_store, build_bare_store])
def test_per_cause_terms_with_orders(tmp_path: Path, builder) -> None:
    rows = by_cause(builder(tmp_path / "s.duckdb", CONTACTS, ORDERS, (), CAUSES))
    # C is fixed after the period's end and D is not eliminated: neither has a row.
    assert set(rows) == {"A", "B"}
    a, b = rows["A"], rows["B"]
    # A, fixed before the period: W = all of March; B = 3; orders W 4 (m0–m3), base 6 (b0–b5)
    assert (a["w_start"], a["w_end"], a["base_n"], a["actual_n"]) == (D(2026, 3, 1),
                                                                      D(2026, 3, 31), 3, 1)
    assert (a["orders_w"], a["orders_base"]) == (4, 6)
    assert a["expected"] == pytest.approx(2.0) and a["avoided"] == pytest.approx(1.0)
    # B, fixed 11 Mar: W = 11–31 Mar; base 14 Jan – 10 Mar holds l0 only; orders there b4, b5
    # and m0 = 3, in W m1–m3 = 3 → expected 1; three Login contacts after: came back, −2.
    assert (b["w_start"], b["base_n"], b["actual_n"]) == (D(2026, 3, 11), 1, 3)
    assert (b["orders_w"], b["orders_base"]) == (3, 3)
    assert b["avoided"] == pytest.approx(-2.0)


def test_per_cause_terms_without_orders(tmp_path: Path) -> None:
    rows = by_cause(build_store(tmp_path / "s.duckdb", CONTACTS, (), (), CAUSES))
    # No orders: expected = B × days(W) / 56 → A 3 × 31/56, B 1 × 21/56
    assert rows["A"]["scale"] == pytest.approx(31 / 56)
    assert rows["A"]["avoided"] == pytest.approx(3 * 31 / 56 - 1)
    assert rows["B"]["avoided"] == pytest.approx(21 / 56 - 3)
    assert rows["A"]["orders_w"] == 0 and rows["A"]["orders_base"] == 0


def test_per_cause_terms_follow_the_filters(tmp_path: Path) -> None:
    contacts = [dict(c, channel="chat" if c["contact_id"] in ("l1", "l2") else "email")
                for c in CONTACTS]  # fmt: skip
    path = build_store(tmp_path / "s.duckdb", contacts, (), (), CAUSES)
    con = store.open_read(path)
    sql, params = contacts_avoided_by_cause(
        MetricRequest(MARCH, Filters.of({"channel": ["chat"]}), metrics=("contacts_avoided",)),
        store.inspect(con))  # fmt: skip
    rows = {r[0]: r for r in con.execute(sql, params).fetchall()}
    con.close()
    # Only chat: B's baseline (l0, email) is 0 and two chat contacts came after → −2; A has
    # no chat contact at all, so it has no row.
    assert set(rows) == {"B"} and rows["B"][3:5] == (0, 2)


# ---- verdicts -----------------------------------------------------------------------------
LAST = D(2026, 6, 30)
FIX = D(2026, 4, 1)  # baseline 4 Feb – 31 Mar; to date 1 Apr – 30 Jun = 91 days
VERDICT_CONTACTS = [
    *spread("Hold", D(2026, 2, 4), D(2026, 3, 31), 40),  # 40 before, none after
    *spread("Near", D(2026, 2, 4), D(2026, 3, 31), 40),
    *spread("Near", D(2026, 6, 3), D(2026, 6, 30), 18),  # back in the last 28 days
    *spread("Back", D(2026, 2, 4), D(2026, 3, 31), 8),
    *spread("Back", D(2026, 4, 1), D(2026, 4, 30), 20),  # more than before the fix
    *spread("Early", D(2026, 4, 25), D(2026, 6, 19), 10),
]
VERDICT_CAUSES = [
    {"cause_id": "H", "reasons": ["Hold"], "status": "eliminated", "fixed_on": FIX},
    {"cause_id": "N", "reasons": ["Near"], "status": "eliminated", "fixed_on": FIX},
    {"cause_id": "K", "reasons": ["Back"], "status": "eliminated", "fixed_on": FIX},
    {"cause_id": "T", "reasons": ["Early"], "status": "eliminated", "fixed_on": D(2026, 6, 20)},
    {"cause_id": "F", "reasons": ["Hold"], "status": "eliminated", "fixed_on": D(2026, 7, 15)},
    {"cause_id": "Z", "reasons": ["Nothing"], "status": "eliminated", "fixed_on": FIX},
    {"cause_id": "O", "reasons": ["Hold"], "status": "in_progress", "fixed_on": None},
]  # fmt: skip


@pytest.fixture(scope="module")
def verdict_effects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    path = build_store(tmp_path_factory.mktemp("v") / "s.duckdb", VERDICT_CONTACTS, (), (),
                       VERDICT_CAUSES)  # fmt: skip
    con = store.open_read(path)
    info = store.inspect(con)
    frame = causes.effects(con, listings.root_causes(con, info), Filters(), LAST, info,
                           settings.load(con))  # fmt: skip
    con.close()
    return {r["cause_id"]: r for r in frame.iter_rows(named=True)}


def test_verdicts(verdict_effects) -> None:
    verdicts = {k: v["verdict"] for k, v in verdict_effects.items()}
    assert verdicts == {"H": "holding", "N": "near_baseline", "K": "came_back", "T": "too_early",
                        "F": "after_data", "Z": "no_baseline"}  # fmt: skip


def test_holding_cause_figures_and_band(verdict_effects) -> None:
    h = verdict_effects["H"]
    # B = 40; to date 91 days without orders → expected 40 × 91/56 = 65, none since the fix
    assert (h["baseline"], h["actual"]) == (40, 0)
    assert h["expected"] == pytest.approx(65.0) and h["avoided"] == pytest.approx(65.0)
    low, high = poisson_interval(40)
    assert h["avoided_low"] == pytest.approx(low * 91 / 56)
    assert h["avoided_high"] == pytest.approx(high * 91 / 56)
    # last 28 days: expected 40 × 28/56 = 20, its band starts at low/2 ≈ 14.3; actual 0
    assert h["recent_expected"] == pytest.approx(20.0)
    assert h["recent_low"] == pytest.approx(low / 2)
    assert h["recent_actual"] == 0


def test_a_driver_back_near_its_level_and_one_that_came_back(verdict_effects) -> None:
    n, k = verdict_effects["N"], verdict_effects["K"]
    # N: 18 contacts in the last 28 days ≥ 14.3 (the band's start): warned, although it has
    # still avoided 65 − 18 = 47 contacts since the fix.
    assert n["avoided"] == pytest.approx(47.0) and n["recent_actual"] == 18
    # K: 8 × 91/56 = 13 expected, 20 actual → −7
    assert k["avoided"] == pytest.approx(13 - 20)


def test_effects_add_up_to_the_tile_on_the_demo_store(demo_store: Path) -> None:
    con = store.open_read(demo_store)
    info = store.inspect(con)
    last = con.sql("SELECT max(created_at)::DATE FROM contacts").fetchall()[0][0]
    register_frame = listings.root_causes(con, info)
    effects = causes.effects(con, register_frame, Filters(), last, info, settings.load(con))
    first_fix = register_frame.filter(pl.col("status") == "eliminated")["fixed_on"].min()
    tile = compute(con, MetricRequest(Period(first_fix, last), metrics=("contacts_avoided",)))
    con.close()
    assert effects["avoided"].sum() == pytest.approx(tile["contacts_avoided"][0])
    verdict = dict(effects.select("cause_id", "verdict").iter_rows())
    # The demo's story: the main fix holds; the packing-station fix never moved its driver.
    main = next(c.cause_id for c in demo_catalog.ROOT_CAUSES if c.fixed == "fix")
    failed = next(c.cause_id for c in demo_catalog.ROOT_CAUSES if c.fixed == "failed_fix")
    assert verdict[main] == "holding"
    assert verdict[failed] in ("near_baseline", "came_back")


# ---- chart helpers ------------------------------------------------------------------------
def test_cause_filters_intersect_the_reason_filter() -> None:
    assert causes.cause_filters(Filters(), ["A", "B"]) == Filters.of({"reason": ["A", "B"]})
    view = Filters.of({"reason": ["B", "C"], "channel": ["chat"]})
    assert causes.cause_filters(view, ["A", "B"]) == Filters.of({"reason": ["B"],
                                                                 "channel": ["chat"]})
    assert causes.cause_filters(Filters.of({"reason": ["C"]}), ["A"]) is None


def test_weekly_window_starts_on_a_monday_twelve_weeks_before_the_fix() -> None:
    first, last = D(2025, 11, 23), D(2026, 11, 21)  # a Sunday, then a Saturday
    window = causes.weekly_window(D(2026, 5, 18), None, last, first)
    assert window == Period(D(2026, 2, 23), last) and window.start.weekday() == 0
    # early fix: clipped to the data's first whole week (Monday 24 Nov), not the clipped one
    assert causes.weekly_window(D(2025, 12, 1), None, last, first).start == D(2025, 11, 24)
    # no fix: 12 weeks before identified_on; neither: the last 24 + 12 weeks (14 Mar → 9 Mar)
    assert causes.weekly_window(None, D(2026, 10, 5), last, first).start == D(2026, 7, 13)
    assert causes.weekly_window(None, None, last, first).start == D(2026, 3, 9)


def test_baseline_level_per_orders_and_per_week() -> None:
    low, high = poisson_interval(56)
    assert causes.baseline_level(56, 0, per_orders=False) == pytest.approx((7.0, low / 8,
                                                                            high / 8))
    assert causes.baseline_level(56, 2000, per_orders=True)[0] == pytest.approx(28.0)


def test_suggest_id_follows_the_register_style() -> None:
    assert listings.suggest_id(["RC-101", "RC-087", "RC-121"]) == "RC-122"
    assert listings.suggest_id(["C007", "notes"]) == "C008"
    assert listings.suggest_id([]) == "RC-1"
