"""Time every SPEC metric for one 28-day period on demo stores of 1M and 10M contacts.

    python benchmarks/bench_metrics.py [--sizes 1000000 10000000] [--dir /tmp/cxdash-bench]

For each size it writes a demo store once (reused on later runs), then, in a fresh process per
store so peak memory is that store's alone, times three requests — all metrics, all metrics
with a filter (channel = chat), and all metrics by reason — as 1 cold run plus the median of 5
warm runs, and prints a Markdown table with the machine and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 5


def cold_and_warm(run, runs: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Seconds of the first call, and the median of `runs` calls after it."""
    start = time.perf_counter()
    run()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        warm.append(time.perf_counter() - start)
    return {"cold": cold, "median": statistics.median(warm)}


def measure(db: Path) -> dict[str, object]:
    """Runs inside the child process."""
    from cxdash import store
    from cxdash.metrics.request import Filters, MetricRequest, Period
    from cxdash.metrics.runner import compute

    con = store.open_read(db)
    info = store.inspect(con)
    end = con.execute("SELECT CAST(max(created_at) AS DATE) FROM contacts").fetchall()[0][0]
    period = Period(end - dt.timedelta(days=27), end)
    cases = {
        "all metrics": MetricRequest(period),
        "with a filter (channel = chat)": MetricRequest(period, Filters.of({"channel": ["chat"]})),
        "by reason": MetricRequest(period, by=("reason",)),
    }
    results: dict[str, object] = {"contacts": info.contacts_rows, "orders": info.orders_rows}
    for name, request in cases.items():
        results[name] = cold_and_warm(lambda r=request: compute(con, r, info), RUNS)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def ensure_store(path: Path, contacts: int) -> None:
    if path.exists():
        return
    print(f"writing a {contacts:,}-contact demo store to {path} …", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-m", "cxdash", "demo", "--db", str(path), "--contacts", str(contacts)],
        check=True,
    )


def per_store(
    script: str, measure: Callable[[Path], dict[str, object]], sizes: list[int], what: str
) -> list[dict[str, object]] | None:
    """The command line every per-store benchmark shares: --sizes, --dir, and `measure` run
    for each demo store in a fresh process (`--child`), so peak memory is that store's alone.
    Returns the children's results, after printing the machine line that ends with `what`;
    None in a child (it printed its own result)."""
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=sizes)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cxdash-bench"))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return None
    args.dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        db = args.dir / f"demo-{size}.duckdb"
        ensure_store(db, size)
        out = subprocess.run([sys.executable, script, "--child", str(db)], check=True,
                             capture_output=True, text=True)  # fmt: skip
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"Machine: {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, {platform.platform()}, "
          f"Python {platform.python_version()}; {dt.date.today().isoformat()}; {what}\n")
    return rows


def main() -> None:
    rows = per_store(__file__, measure, [1_000_000, 10_000_000],
                     "28-day period ending on the newest contact; "
                     f"median of {RUNS} warm runs (cold run).")  # fmt: skip
    if rows is None:
        return
    cases = ["all metrics", "with a filter (channel = chat)", "by reason"]
    print("| contacts | orders | " + " | ".join(cases) + " | peak memory |")
    print("|---:|---:|" + "---:|" * len(cases) + "---:|")
    for row in rows:
        cells = [f"{row[c]['median']:.3f} s ({row[c]['cold']:.2f} s)" for c in cases]
        print(f"| {row['contacts']:,} | {row['orders']:,} | " + " | ".join(cells)
              + f" | {row['peak_rss_mb']:,.0f} MB |")  # fmt: skip


if __name__ == "__main__":
    main()
