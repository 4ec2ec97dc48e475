"""Import speed and memory: a contacts CSV of N rows into a fresh store, in a child process.

    python benchmarks/bench_import.py --contacts 10000000          # target: < 90 s, < 4 GB
    python benchmarks/bench_import.py --csv /tmp/contacts10m.csv   # an existing file

The CSV is written once from a demo store of the same size (cached under --work) with every
contract column, so the import parses 23 columns, 3 timestamps, numbers and flags. Reports the
wall time per phase (from the importer's progress lines), the total and the peak memory of
the importing process (ru_maxrss of the child).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from cxdash.schema import CONTACTS


def make_csv(contacts: int, work: Path) -> Path:
    csv = work / f"contacts-{contacts}.csv"
    if csv.exists():
        return csv
    demo = work / f"demo-{contacts}.duckdb"
    if not demo.exists():
        args = ["demo", "--db", str(demo), "--contacts", str(contacts), "--end", "2026-11-21"]
        subprocess.run([sys.executable, "-m", "cxdash", *args], check=True)
    cols = ", ".join(c.name for c in CONTACTS.contract_columns)
    con = duckdb.connect(str(demo), read_only=True)
    try:
        con.execute(f"COPY (SELECT {cols} FROM contacts) TO '{csv}' (HEADER)")
    finally:
        con.close()
    return csv


def run(csv: Path, work: Path) -> None:
    db = work / "imported.duckdb"
    db.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cxdash", "import", str(csv), "--db", str(db)],
                          capture_output=True, text=True)  # fmt: skip
    total = time.monotonic() - started
    if proc.returncode:
        sys.exit(proc.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    phases = [(float(t), msg) for t, msg in re.findall(r"\[\s*([\d.]+)s\] (.*)", proc.stderr)
              if not msg.endswith("%")]  # fmt: skip
    print(f"file: {csv} ({csv.stat().st_size / 1e9:.2f} GB)")
    print(proc.stdout.strip().splitlines()[-1])
    for (t, msg), (t_next, _) in zip(phases, [*phases[1:], (total, "")], strict=True):
        print(f"  {msg:<40} {t_next - t:6.1f} s")
    print(f"total {total:.1f} s, peak memory of the import process {peak_mb:,.0f} MB")
    db.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--csv", help="import this file instead of a generated one")
    parser.add_argument("--work", default=os.environ.get("CXDASH_BENCH", "/tmp/cxdash-bench"))
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    run(Path(args.csv) if args.csv else make_csv(args.contacts, work), work)


if __name__ == "__main__":
    main()
