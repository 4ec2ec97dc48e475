"""Top N plus "Other (k more)", with the Other row's numbers worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cxdash.analysis.topn import SUM, Weighted, is_other, other_label, short, top_metrics, top_n

# Five drivers; the null one is contacts without a reason. contact_rate is per 1,000 orders of
# the period, the same orders under every driver, so it adds up; a median does not.
FIVE = pl.DataFrame({
    "reason": ["A", None, "C", "D", "E"],
    "contacts": [50, 30, 10, 6, 4],
    "resolution_rate": [0.8, 0.5, 0.3, 0.5, 1.0],
    "contact_rate": [5.0, 3.0, 1.0, 0.6, 0.4],
    "resolution_hours_median": [1.0, 2.0, 3.0, 4.0, 5.0],
})  # fmt: skip


def test_top_three_and_one_other_row_by_hand() -> None:
    got = top_n(FIVE, "reason", "contacts", 3,
                {"resolution_rate": Weighted("contacts"), "contact_rate": SUM})  # fmt: skip
    assert got["reason"].to_list() == ["A", "—", "C", "Other (2 more)"]
    other = got.row(3, named=True)
    assert other["contacts"] == 6 + 4
    # D resolved 6 × 0.5 = 3, E 4 × 1.0 = 4: 7 of 10. Not the mean 0.75, not the sum 1.5.
    assert other["resolution_rate"] == pytest.approx(0.7)
    assert other["contact_rate"] == pytest.approx(0.6 + 0.4)
    assert other["resolution_hours_median"] is None  # not made from medians
    assert got.columns == FIVE.columns


def test_n_plus_one_values_are_all_shown() -> None:
    got = top_n(FIVE, "reason", "contacts", 4)
    assert got["reason"].to_list() == ["A", "—", "C", "D", "E"]  # no "Other (1 more)"
    assert not any(is_other(r) for r in got["reason"])


def test_rates_weigh_by_their_own_base_and_skip_missing_ones() -> None:
    # Of resolved contacts (FCR, reopen), of CSAT answers (CSAT): top_metrics finds the bases.
    frame = pl.DataFrame({
        "team": ["big", "mid", "D", "E", "F"],
        "contacts": [100, 50, 6, 4, 2],
        "resolution_rate": [0.9, 0.9, 0.5, 1.0, 0.0],  # D 3 resolved, E 4, F 0
        "fcr_rate": [0.5, 0.5, 1 / 3, 0.75, None],  # D 1 of 3, E 3 of 4, F none resolved
        "csat_response_rate": [0.5, 0.5, 2 / 3, 0.5, None],  # D 2 answers, E 2
        "csat": [0.9, 0.9, 0.5, 1.0, None],  # D 1 of 2 happy, E 2 of 2
        "resolution_hours_median": [2.0, 3.0, 4.0, 5.0, None],
    })  # fmt: skip
    got = top_metrics(frame, "team", 2, frame.columns).row(-1, named=True)
    assert got["team"] == "Other (3 more)"
    assert got["contacts"] == 12
    assert got["resolution_rate"] == pytest.approx(7 / 12)
    assert got["fcr_rate"] == pytest.approx((1 + 3) / (3 + 4))
    assert got["csat"] == pytest.approx((1 + 2) / (2 + 2))
    assert got["csat_response_rate"] == pytest.approx(4 / 7)
    assert got["resolution_hours_median"] is None


def test_an_other_row_per_week() -> None:
    weeks = [dt.date(2026, 5, 4), dt.date(2026, 5, 11)]
    frame = pl.DataFrame({
        "reason": ["A", "A", "B", "B", "C", "C", None],
        "bucket": [*weeks, *weeks, *weeks, weeks[1]],
        "contacts": [5, 1, 2, 2, 1, 0, 3],
    })  # fmt: skip
    # totals: A 6, B 4, — 3, C 1: A kept, the other three are Other in each week.
    got = top_n(frame, "reason", "contacts", 1, within=["bucket"])
    assert got.rows() == [
        ("A", weeks[0], 5), ("A", weeks[1], 1),
        ("Other (3 more)", weeks[0], 2 + 1), ("Other (3 more)", weeks[1], 2 + 0 + 3),
    ]  # fmt: skip


def test_nothing_to_group() -> None:
    assert top_n(FIVE.head(0), "reason", "contacts", 3).is_empty()
    all_missing = pl.DataFrame({"k": ["a", "b", "c"], "n": [3, 2, 1], "rate": [None, None, None]},
                               schema_overrides={"rate": pl.Float64})  # fmt: skip
    got = top_n(all_missing, "k", "n", 1, {"rate": Weighted("n")}).row(-1, named=True)
    assert got == {"k": "Other (2 more)", "n": 3, "rate": None}


def test_labels() -> None:
    assert other_label(1986) == "Other (1,986 more)" and is_other("Other (1,986 more)")
    assert not is_other("Other (billing)") and not is_other(None)
    assert short("x" * 50, 10) == "x" * 9 + "…" and short("fine") == "fine"
    assert short(None) == "—"
