"""Closed-form orders: order i's time and customer are arithmetic on i, never a lookup.

At 10M contacts the demo has ~75M orders. A window over them (each customer's next order)
or a sort of them costs minutes, so every fact about an order is a formula instead:

* time: week w = i // q and position r = i % q within the week; the weekday d whose
  cumulative count covers r; spread evenly over that day. Strictly increasing in i, and its
  inverse ("how many orders up to time x") is closed form too, so "the first order after x"
  is exact integer arithmetic.
* customer: position r has a buyer class g (order every g weeks) shared by g customers; the
  customer c = w mod g orders in weeks c, c + g, c + 2g, … always at position r. So the
  customer key is a = r + q·c, the same customer's next order is i + g·q, at exactly g weeks
  later, and the previous one g weeks earlier: no window, no join.

The arithmetic exists twice: in Python (for planning and tests) and as DuckDB macros.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cxdash.demo import catalog

US = 1_000_000
DAY_US = 86_400 * US
WEEK_US = 7 * DAY_US
EPOCH = dt.datetime(1970, 1, 1)
BUCKETS = 1000  # weighted choices resolve a hash to one of this many buckets

# Every random quantity hashes (key · 256 + stream). Keys of different kinds (order, week
# position, customer, contact) share number ranges, so their streams never overlap:
# 1 buyer class (week position), 2 region (customer), 3 product and amount (order); the
# contact streams (contact key) are 6 and up, see contact_sql.


def to_us(moment: dt.datetime | dt.date) -> int:
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def seed_offset(seed: int) -> int:
    """Fold any int seed into bits 40..59 so (key · 256 + stream + offset) fits a BIGINT."""
    mixed = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (1 << 64)
    mixed ^= mixed >> 29
    return (mixed % (1 << 20)) << 40


def weighted_buckets(values: tuple[int, ...] | range, weights: tuple[float, ...]) -> list[int]:
    """BUCKETS entries, value v appearing in proportion to its weight (largest remainder)."""
    total = sum(weights)
    exact = [w / total * BUCKETS for w in weights]
    counts = [int(x) for x in exact]
    by_rest = sorted(range(len(exact)), key=lambda j: counts[j] - exact[j])
    for j in by_rest[: BUCKETS - sum(counts)]:
        counts[j] += 1
    out: list[int] = []
    for value, count in zip(values, counts, strict=True):
        out.extend([value] * count)
    return out


@dataclass(frozen=True)
class OrderClock:
    """Orders 0..n-1 over `weeks` weeks from t0; q per week split by weekday."""

    t0_us: int
    q: int
    per_day: tuple[int, ...]  # orders on day d of each week (d = 0 is t0's weekday)
    weeks: int

    @classmethod
    def plan(cls, first_day: dt.date, weeks: int, per_week: int) -> OrderClock:
        weights = [catalog.WEEKDAY_ORDERS[(first_day.weekday() + d) % 7] for d in range(7)]
        total = sum(weights)
        per_day = [max(1, int(per_week * w / total)) for w in weights]
        per_day[6] += per_week - sum(per_day)
        if min(per_day) < 1 or max(per_day) * DAY_US >= 1 << 62:
            raise ValueError(f"cannot place {per_week} orders a week")
        return cls(to_us(first_day), per_week, tuple(per_day), weeks)

    @property
    def n(self) -> int:
        return self.q * self.weeks

    @property
    def cum(self) -> tuple[int, ...]:
        out, acc = [], 0
        for count in self.per_day:
            out.append(acc)
            acc += count
        return tuple(out)

    def ts(self, i: int) -> int:
        """Microseconds since the epoch of order i (strictly increasing)."""
        week, r = divmod(i, self.q)
        d = sum(1 for c in self.cum[1:] if r >= c)
        return (
            self.t0_us + week * WEEK_US + d * DAY_US
            + (r - self.cum[d]) * DAY_US // self.per_day[d]
        )  # fmt: skip

    def count_le(self, x_us: int) -> int:
        """How many orders have ts ≤ x: the index of the first order after x."""
        if x_us < self.t0_us:
            return 0
        week, offset = divmod(x_us - self.t0_us, WEEK_US)
        d, z = divmod(offset, DAY_US)
        n_d = self.per_day[d]
        within = min(n_d, ((z + 1) * n_d + DAY_US - 1) // DAY_US)
        return min(self.n, week * self.q + self.cum[d] + within)


def _list(values: Sequence[float]) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"


def class_buckets() -> list[int]:
    return weighted_buckets(
        range(len(catalog.BUYER_CLASSES)), tuple(c[1] for c in catalog.BUYER_CLASSES)
    )


def macros_sql(clock: OrderClock, seed: int) -> list[str]:
    """TEMP macros (never stored in the file) for randomness, order time and order customer."""
    classes = catalog.BUYER_CLASSES
    cum, q, offset = clock.cum, clock.q, seed_offset(seed)
    day_of = " + ".join(f"(r >= {c})::BIGINT" for c in cum[1:])
    return [
        # uniform in [0, 1) from 53 hash bits, one hashed integer per draw: DuckDB combines
        # the hashes of several arguments by XOR, which would correlate the streams.
        f"CREATE OR REPLACE TEMP MACRO uni(x, s) AS "
        f"(hash(x::BIGINT * 256 + s + {offset}) >> 11)::DOUBLE * 1.1102230246251565e-16",
        f"CREATE OR REPLACE TEMP MACRO dice(x, s, n) AS "
        f"(hash(x::BIGINT * 256 + s + {offset}) % n)::BIGINT",
        f"CREATE OR REPLACE TEMP MACRO bucket(x, s) AS 1 + dice(x, s, {BUCKETS})",
        "CREATE OR REPLACE TEMP MACRO nrm(x, s) AS "
        "sqrt(-2 * ln(1 - uni(x, s))) * cos(2 * pi() * uni(x, s + 1))",
        # three draws per hash: slice k (0..2) of 21 bits, as uniform in (0, 1), as a
        # logistic variate scaled to unit variance (long-tailed like real durations), or
        # as a pick in 0..n-1
        f"CREATE OR REPLACE TEMP MACRO hk(x, s) AS hash(x::BIGINT * 256 + s + {offset})",
        "CREATE OR REPLACE TEMP MACRO u21(h, k) AS "
        "(((h >> (43 - 21 * k)) & 2097151)::DOUBLE + 0.5) / 2097152",
        "CREATE OR REPLACE TEMP MACRO z21(h, k) AS 0.5513 * ln(u21(h, k) / (1 - u21(h, k)))",
        "CREATE OR REPLACE TEMP MACRO p21(h, k, n) AS "
        "(((h >> (43 - 21 * k)) & 2097151) % n)::BIGINT",
        f"CREATE OR REPLACE TEMP MACRO day_of(r) AS ({day_of})",
        f"CREATE OR REPLACE TEMP MACRO ord_at3(w, r, d) AS {clock.t0_us} + w * {WEEK_US} "
        f"+ d * {DAY_US} + (r - {_list(cum)}[d + 1]) * {DAY_US} "
        f"// {_list(clock.per_day)}[d + 1]",
        f"CREATE OR REPLACE TEMP MACRO ord_at(i) AS ord_at3(i // {q}, i % {q}, day_of(i % {q}))",
        f"CREATE OR REPLACE TEMP MACRO ord_le3(w, d, z) AS least({clock.n}, w * {q} "
        f"+ {_list(cum)}[d + 1] + least({_list(clock.per_day)}[d + 1], "
        f"((z + 1) * {_list(clock.per_day)}[d + 1] + {DAY_US - 1}) // {DAY_US}))",
        f"CREATE OR REPLACE TEMP MACRO ord_le(x) AS CASE WHEN x < {clock.t0_us} THEN 0 ELSE "
        f"ord_le3((x - {clock.t0_us}) // {WEEK_US}, ((x - {clock.t0_us}) % {WEEK_US}) "
        f"// {DAY_US}, (x - {clock.t0_us}) % {DAY_US}) END",
        # buyer class of week position r; customer key and cycle (weeks) of order i
        f"CREATE OR REPLACE TEMP MACRO cls(r) AS {_list(class_buckets())}[bucket(r, 1)]",
        f"CREATE OR REPLACE TEMP MACRO cls_g(c) AS {_list([g for g, _, _ in classes])}[c + 1]",
        f"CREATE OR REPLACE TEMP MACRO cls_boost(c) AS {_list([b for _, _, b in classes])}[c + 1]",
        f"CREATE OR REPLACE TEMP MACRO cust3(i, g) AS i % {q} + {q} * ((i // {q}) % g)",
        f"CREATE OR REPLACE TEMP MACRO cycle_of(a) AS cls_g(cls(a % {q}))",
        # first order index ≥ n in the customer's progression a, a + step, …
        "CREATE OR REPLACE TEMP MACRO next_in(a, step, n) AS "
        "a + step * greatest(0, (n - a + step - 1) // step)",
    ]
