"""Time `cxdash demo` at the sizes the issue promises (target: 10M contacts < 300 s, < 4 GB).

Each size runs in its own child process, so the peak RSS is that run's alone (os.wait4 gives
the child's own rusage). Prints a Markdown table with the machine it ran on. The CPU column
and the load average matter on a shared machine: wall time there depends on the neighbours.

    python benchmarks/bench_demo.py                      # 1M and 10M contacts
    python benchmarks/bench_demo.py --contacts 200000 --keep
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(contacts: int, path: str, seed: int, end: str) -> None:
    sys.path.insert(0, str(ROOT))
    from cxdash.demo.generator import generate

    summary = generate(Path(path), contacts=contacts, seed=seed, end=dt.date.fromisoformat(end))
    print(json.dumps({"orders": summary.orders, "customers": summary.customers,
                      "contacts": summary.contacts}))  # fmt: skip


def _run(contacts: int, directory: Path, seed: int, end: str, keep: bool) -> dict:
    path = directory / f"bench-demo-{contacts}.duckdb"
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(contacts), str(path), str(seed), end],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"generate({contacts}) failed with exit code {proc.returncode}")
    row = json.loads(out.strip().splitlines()[-1])
    row.update(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_gb=usage.ru_maxrss / 1024**2,  # ru_maxrss is in KiB on Linux
        size_gb=path.stat().st_size / 1e9,
        load=(load_before + os.getloadavg()[0]) / 2,
    )
    if not keep:
        path.unlink()
    return row


def _machine() -> str:
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    import duckdb

    return (
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"{mem_kb / 1024**2:.1f} GiB RAM, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(int(argv[1]), argv[2], int(argv[3]), argv[4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default="2026-06-30", help="last day of the data")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the generated stores")
    args = parser.parse_args(argv)

    print(f"`cxdash demo` benchmark — {_machine()}\n")
    print("| contacts | orders | customers | wall s | CPU s | peak RSS GB | file GB | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for contacts in args.contacts:
        r = _run(contacts, args.dir, args.seed, args.end, args.keep)
        print(
            f"| {r['contacts']:,} | {r['orders']:,} | {r['customers']:,} | {r['wall']:.1f} "
            f"| {r['cpu']:.1f} | {r['rss_gb']:.2f} | {r['size_gb']:.2f} | {r['load']:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
