"""Small statistics shared by the analyses."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """95 % Wilson score interval for a proportion: honest at small n and near 0 or 1."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)



def _poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean), summed in log space so large counts do not overflow."""
    if mean <= 0:
        return 1.0
    log_mean = math.log(mean)
    return math.fsum(math.exp(-mean + i * log_mean - math.lgamma(i + 1)) for i in range(k + 1))


def _solve(target: float, k: int, lo: float, hi: float) -> float:
    """The mean at which P(X ≤ k) = target (the CDF falls as the mean grows)."""
    for _ in range(200):
        mid = (lo + hi) / 2
        if _poisson_cdf(k, mid) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9 * max(1.0, hi):
            break
    return (lo + hi) / 2


def poisson_interval(count: int, z: float = Z95) -> tuple[float, float]:
    """95 % interval for the mean of a Poisson count: exact (Garwood) up to 1,000, Byar's
    closed form above (the two agree to 4 digits there).

    Used for the baseline of contacts avoided: a pre-fix count of 10 says "somewhere between
    about 4.8 and 18.4", and the band on the estimate should say so.
    """
    if count < 0:
        raise ValueError("a count cannot be negative")
    alpha = math.erfc(z / math.sqrt(2))  # two-sided: 0.05 for z = 1.96
    if count <= 1000:
        top = count + 10 * math.sqrt(count + 1) + 10
        upper = _solve(alpha / 2, count, 0.0, top)
        lower = 0.0 if count == 0 else _solve(1 - alpha / 2, count - 1, 0.0, top)
        return lower, upper
    upper_n = count + 1
    upper = upper_n * (1 - 1 / (9 * upper_n) + z / (3 * math.sqrt(upper_n))) ** 3
    lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    return lower, upper
