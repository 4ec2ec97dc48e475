"""Where one machine's DuckDB stops being interactive: every SPEC metric for one period as the
store grows past the demo's 10M contacts (docs/SCALE.md).

    python benchmarks/bench_scale.py --base /tmp/cxdash-bench/demo-10000000.duckdb \
        [--factors 1 2 4] [--dir /tmp/cxdash-bench]

A store k times the base is the base's year of contacts and orders k times over, each copy
with its own contact, order and customer ids (suffix `~r`), so every derived column (next
contact, next order …) stays right and the period holds k times the contacts and orders —
the denser contact centre, not a longer history (DuckDB's zone maps skip the days outside a
period, so density is what costs). Each store is measured in a fresh process: one cold run
and the median of 3 warm runs of
- a preset period (28 days ending on the newest contact; the repurchase baseline stored),
- any other 28 days (every metric computed, the stored baseline not used),
- the same with the previous period beside it (what the Scoreboard asks),
- any other 90 days,
and the peak memory of that process. The scaled stores hold no stored baselines, so the
preset column is only measured on the base.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RUNS = 3


def build(base: Path, factor: int, out: Path) -> None:
    import duckdb

    from cxdash.schema import REPURCHASE_BASELINES, create_table_sql

    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"ATTACH '{base}' AS b (READ_ONLY)")
    copies = f"range({factor}) t(r)"
    con.execute(f"""CREATE TABLE contacts AS
        SELECT * REPLACE (contact_id || '~' || r AS contact_id,
                          customer_id || '~' || r AS customer_id)
        FROM b.contacts, {copies} ORDER BY created_at""")
    con.execute(f"""CREATE TABLE orders AS
        SELECT * REPLACE (order_id || '~' || r AS order_id, customer_id || '~' || r AS customer_id)
        FROM b.orders, {copies} ORDER BY ordered_at""")
    con.execute(f"CREATE TABLE orders_daily AS SELECT * REPLACE (orders * {factor} AS orders) "
                "FROM b.orders_daily ORDER BY day")  # fmt: skip
    for table in ("reasons", "root_causes", "settings", "cxdash_meta"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM b.{table}")
    con.execute(create_table_sql(REPURCHASE_BASELINES))
    contacts, orders = (con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                        for t in ("contacts", "orders"))  # fmt: skip
    con.execute("UPDATE cxdash_meta SET value = $v WHERE key = 'derived_for'",
                {"v": f"{contacts}:{orders}"})  # fmt: skip
    con.close()
    tmp.rename(out)


def measure(db: Path) -> dict[str, object]:
    """Runs inside the child process."""
    from benchmarks.bench_metrics import cold_and_warm
    from cxdash import store
    from cxdash.metrics.request import MetricRequest, Period
    from cxdash.metrics.runner import compute

    con = store.open_read(db)
    info = store.inspect(con)
    end = con.execute("SELECT CAST(max(created_at) AS DATE) FROM contacts").fetchall()[0][0]
    other = end - dt.timedelta(days=7)  # a period no rollup holds
    cases = {
        "preset 28 days": MetricRequest(Period(end - dt.timedelta(days=27), end)),
        "any 28 days": MetricRequest(Period(other - dt.timedelta(days=27), other)),
        "any 28 days and the 28 before": MetricRequest(
            Period(other - dt.timedelta(days=27), other), with_previous=True),
        "any 90 days": MetricRequest(Period(other - dt.timedelta(days=89), other)),
    }  # fmt: skip
    results: dict[str, object] = {"contacts": info.contacts_rows, "orders": info.orders_rows,
                                  "stored": bool(info.baseline_periods)}  # fmt: skip
    for name, request in cases.items():
        results[name] = cold_and_warm(lambda r=request: compute(con, r, info), RUNS)
    # VmHWM, not ru_maxrss: Linux carries a parent's peak across fork and exec into the child's
    # ru_maxrss, and the parent may just have written a store of many GB.
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmHWM:"))  # fmt: skip
    results["peak_rss_mb"] = int(hwm.split()[1]) / 1024
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=Path("/tmp/cxdash-bench/demo-10000000.duckdb"))
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cxdash-bench"))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parents[1]))
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    rows = []
    for factor in args.factors:
        db = args.base if factor == 1 else args.dir / f"{args.base.stem}-x{factor}.duckdb"
        if not db.exists():
            print(f"writing {db} ({factor} × {args.base.name}) …", file=sys.stderr)
            start = time.perf_counter()
            build(args.base, factor, db)
            print(f"  {time.perf_counter() - start:.0f} s", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--child", str(db)],
                             check=True, capture_output=True, text=True)  # fmt: skip
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"Machine: {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, {platform.platform()}, "
          f"Python {platform.python_version()}; {dt.date.today().isoformat()}; every SPEC metric; "
          f"median of {RUNS} warm runs (cold run).\n")  # fmt: skip
    cases = ["preset 28 days", "any 28 days", "any 28 days and the 28 before", "any 90 days"]
    print("| contacts | orders | " + " | ".join(cases) + " | peak memory |")
    print("|---:|---:|" + "---:|" * len(cases) + "---:|")
    for row in rows:
        cells = [f"{row[c]['median']:.2f} s ({row[c]['cold']:.2f} s)"
                 if c != "preset 28 days" or row["stored"] else "–" for c in cases]  # fmt: skip
        print(f"| {row['contacts']:,} | {row['orders']:,} | " + " | ".join(cells)
              + f" | {row['peak_rss_mb']:,.0f} MB |")  # fmt: skip


if __name__ == "__main__":
    main()
