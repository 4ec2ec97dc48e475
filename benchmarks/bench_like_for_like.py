"""What measuring the previous period like for like (SPEC §3) costs at 10M contacts.

    python benchmarks/bench_like_for_like.py [--sizes 10000000] [--dir /tmp/cxdash-bench]

The Scoreboard, Explore and `cxdash metrics --json` compare a period with the one before it in
one statement (`with_previous`). Like for like reads the previous period's contacts as the
data stood at previous end + L: one more projection that blanks later resolutions, answers,
repeat contacts and orders. The target: at most 25 % more than the same comparison read as
the data stands. For each request this times both in one fresh process per store — the
like-for-like statement the product runs, and the statement without the cut (the compiler
with `_Compiler._cut` returning None: exactly the SQL before like for like) — as 1 cold run
plus the median of 7 warm runs, alternating, and prints a Markdown table.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_metrics import per_store

RUNS = 7


def measure(db: Path) -> dict[str, object]:
    """Runs inside the child process."""
    from cxdash import settings as settings_mod
    from cxdash import store
    from cxdash.metrics import compiler
    from cxdash.metrics.request import Filters, MetricRequest, Period
    from cxdash.metrics.runner import compute

    con = store.open_read(db)
    info = store.inspect(con)
    settings = settings_mod.load(con)
    end = info.newest_contact_day
    assert end is not None
    cases = {
        "28 days, all metrics": MetricRequest(Period(end - dt.timedelta(days=27), end)),
        "28 days, channel = chat": MetricRequest(Period(end - dt.timedelta(days=27), end),
                                                 Filters.of({"channel": ["chat"]})),
        "90 days, all metrics": MetricRequest(Period(end - dt.timedelta(days=89), end)),
        # An older period: L = 30 days, the previous one read a month after its end.
        "28 days a month back": MetricRequest(Period(end - dt.timedelta(days=57),
                                                     end - dt.timedelta(days=30))),
    }  # fmt: skip
    real_cut = compiler._Compiler._cut

    def run(request: MetricRequest, like_for_like: bool) -> float:
        compiler._Compiler._cut = real_cut if like_for_like else (lambda self, ts: None)  # type: ignore[method-assign]
        start = time.perf_counter()
        compute(con, replace(request, with_previous=True), info, settings)
        return time.perf_counter() - start

    results: dict[str, object] = {"contacts": info.contacts_rows}
    for name, request in cases.items():
        cold = {flag: run(request, flag) for flag in (False, True)}
        warm: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(RUNS):
            for flag in (False, True):
                warm[flag].append(run(request, flag))
        results[name] = {
            "as it stands": {"cold": cold[False], "median": statistics.median(warm[False])},
            "like for like": {"cold": cold[True], "median": statistics.median(warm[True])},
        }
    compiler._Compiler._cut = real_cut  # type: ignore[method-assign]
    return results


def main() -> None:
    rows = per_store(__file__, measure, [10_000_000],
                     "period and the previous one in one statement; "
                     f"median of {RUNS} warm runs (cold run).")  # fmt: skip
    if rows is None:
        return
    print("| contacts | request | as the data stands | like for like | extra |")
    print("|---:|---|---:|---:|---:|")
    for row in rows:
        for name, value in row.items():
            if name == "contacts":
                continue
            old, new = value["as it stands"], value["like for like"]  # type: ignore[index]
            extra = new["median"] / old["median"] - 1
            print(f"| {row['contacts']:,} | {name} | {old['median']:.3f} s ({old['cold']:.2f} s)"
                  f" | {new['median']:.3f} s ({new['cold']:.2f} s) | {extra:+.0%} |")


if __name__ == "__main__":
    main()
