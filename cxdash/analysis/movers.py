"""What moved: drivers whose contact counts rose or fell most, with noise filtered out.

Two periods of equal length: a driver's counts n1 (now) and n0 (before) are Poisson; given
n = n0 + n1, n1 is Binomial(n, ½) when the rate did not change. So the test is an exact
two-sided binomial test (a normal approximation with continuity correction above n = 200),
and with many drivers tested at once the p-values are adjusted by Benjamini–Hochberg: a move
is flagged only when its adjusted p-value is below 5 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

ALPHA = 0.05
TEST_NAME = "exact Poisson rate test (conditional binomial), Benjamini–Hochberg at 5 %"


def _binom_two_sided(k: int, n: int) -> float:
    """P(X as or more extreme than k) for X ~ Binomial(n, ½), two-sided."""
    if n == 0:
        return 1.0
    if n > 200:
        z = (abs(k - n / 2) - 0.5) / math.sqrt(n / 4)
        return min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))
    lo = min(k, n - k)
    tail: float = sum(math.comb(n, i) for i in range(lo + 1)) / 2**n
    return min(1.0, 2 * tail)


def _benjamini_hochberg(pvalues: list[float]) -> list[float]:
    m = len(pvalues)
    order = sorted(range(m), key=pvalues.__getitem__)
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class Move:
    driver: str
    now: int
    before: int
    p_value: float  # adjusted

    @property
    def change(self) -> int:
        return self.now - self.before

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


def movers(counts: pl.DataFrame) -> list[Move]:
    """`counts` has columns driver, now, before; returns every driver, biggest change first."""
    rows = counts.fill_null(0).iter_rows(named=True)
    raw = [(r["driver"], int(r["now"]), int(r["before"])) for r in rows]
    pvalues = _benjamini_hochberg([_binom_two_sided(now, now + before) for _, now, before in raw])
    moves = [Move(d, now, before, p) for (d, now, before), p in zip(raw, pvalues, strict=True)]
    return sorted(moves, key=lambda m: (-abs(m.change), m.driver))


def top_moves(moves: list[Move], n: int = 5) -> tuple[list[Move], list[Move]]:
    """The n largest significant rises and falls."""
    rises = [m for m in moves if m.significant and m.change > 0][:n]
    falls = [m for m in moves if m.significant and m.change < 0][:n]
    return rises, falls
