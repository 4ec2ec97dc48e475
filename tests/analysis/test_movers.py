"""What moved: the significance test by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from cxdash.analysis.movers import _benjamini_hochberg, _binom_two_sided, movers, top_moves


def test_exact_binomial_by_hand() -> None:
    # n = 4, k = 0: P(X ≤ 0) = 1/16, two-sided 2/16 = 0.125
    assert _binom_two_sided(0, 4) == pytest.approx(0.125)
    # k = n/2 is no evidence at all
    assert _binom_two_sided(2, 4) == 1.0
    # 10 vs 0: P = 2 / 2^10
    assert _binom_two_sided(10, 10) == pytest.approx(2 / 1024)


def test_normal_approximation_matches_for_large_n() -> None:
    # 600 vs 400 (n = 1000): z = (100 − 0.5) / sqrt(250) = 6.29 → p ≈ 3.1e-10
    z = 99.5 / math.sqrt(250)
    assert _binom_two_sided(600, 1000) == pytest.approx(math.erfc(z / math.sqrt(2)))


def test_benjamini_hochberg_by_hand() -> None:
    # p = 0.01, 0.04, 0.03 (m = 3): sorted 0.01, 0.03, 0.04 → 0.03, 0.045, 0.04 → monotone
    # from the top: 0.04, min(0.045, 0.04) = 0.04, min(0.03, 0.04) = 0.03
    assert _benjamini_hochberg([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.04, 0.04])


def test_noise_is_not_flagged_but_a_real_rise_is() -> None:
    counts = pl.DataFrame({
        "driver": ["Late delivery", "Refund", "Invoice copy"],
        "now": [900, 52, 3],
        "before": [300, 48, 9],
    })  # fmt: skip
    moves = movers(counts)
    assert [m.driver for m in moves] == ["Late delivery", "Invoice copy", "Refund"]
    by_name = {m.driver: m for m in moves}
    assert by_name["Late delivery"].significant  # +600 on 1,200
    assert not by_name["Refund"].significant  # 52 vs 48 is noise
    assert not by_name["Invoice copy"].significant  # 3 vs 9: p = 0.146 before adjustment
    rises, falls = top_moves(moves)
    assert [m.driver for m in rises] == ["Late delivery"] and falls == []
