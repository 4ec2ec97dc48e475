"""Driver discovery and placing at scale: N contact texts discovered, then N new contacts placed
among the accepted drivers, each in a child process (wall time and peak memory, ru_maxrss).

    python benchmarks/bench_drivers.py --texts 1000000   # targets: discover <= 90 s and 4 GB,
                                                         # place 1M new contacts <= 15 s

The texts are complaint-like and nearly all distinct: a real Comcast title or customer tweet
(../shared/realdata, else a built-in list) with two to six words of other texts mixed in, so
normalising, embedding and k-means see a million different texts, not a few repeated ones.
Stores are written under --work with plain DuckDB (the import is measured elsewhere); placing
is timed on the step the importer runs (`cxdash.drivers.assign.assign_new`) inside a copy.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"
FALLBACK = ["data cap overage charges", "internet speed too slow", "billing error on my bill",
            "service outage again", "cancel my contract", "modem keeps dropping",
            "technician never showed up", "refund not received", "price went up"]  # fmt: skip


def base_texts() -> list[str]:
    import duckdb

    texts: list[str] = []
    comcast = REAL / "comcast_complaints" / "Comcast_telecom_complaints_data.csv"
    twcs = REAL / "twcs" / "twcs_first5000.csv"
    con = duckdb.connect()
    if comcast.exists():
        texts += [r for (r,) in con.execute(
            "SELECT \"Customer Complaint\" FROM read_csv(?, all_varchar=true, ignore_errors=true)",
            [str(comcast)]).fetchall() if r]  # fmt: skip
    if twcs.exists():
        with twcs.open(newline="", encoding="utf-8") as f:
            texts += [r["text"] for r in csv.DictReader(f) if r["inbound"] == "True"]
    return texts or FALLBACK


def write_store(path: Path, n: int, seed: int, prefix: str) -> None:
    import duckdb
    import numpy as np
    import polars as pl

    from cxdash.schema import create_schema

    base = base_texts()
    rng = np.random.default_rng(seed)
    vocab = sorted({w for t in base for w in t.split() if w.isalpha()})
    pick = rng.integers(0, len(base), n)
    extra = rng.integers(0, len(vocab), (n, 6))
    size = rng.integers(2, 7, n)
    texts = [base[p] + " " + " ".join(vocab[e] for e in extra[i, :size[i]])
             for i, p in enumerate(pick)]  # fmt: skip
    frame = pl.DataFrame({
        "contact_id": [f"{prefix}{i}" for i in range(n)],
        "created_at": pl.datetime_range(pl.datetime(2026, 1, 1), pl.datetime(2026, 6, 30),
                                        interval="15s", eager=True).head(n),
        "comment": texts,
    })  # fmt: skip
    con = duckdb.connect(str(path))
    create_schema(con)
    con.register("f", frame.to_arrow())
    con.execute("INSERT INTO contacts (contact_id, created_at, comment) "
                "SELECT contact_id, created_at, comment FROM f")  # fmt: skip
    con.close()


def child_discover(db: str) -> dict[str, float]:
    import contextlib

    import duckdb

    from cxdash.drivers import discover

    t = time.perf_counter()
    with contextlib.closing(duckdb.connect(db, read_only=True)) as con:
        proposal = discover.discover(con, ("comment",))
    took = time.perf_counter() - t
    return {"seconds": took, "drivers": len(proposal.drivers), "contacts": proposal.contacts}


def child_place(db: str, new_db: str) -> dict[str, float]:
    import contextlib

    import duckdb

    from cxdash.drivers import assign

    with contextlib.closing(duckdb.connect(db)) as con:
        con.execute("ATTACH ? AS later (READ_ONLY)", [new_db])
        con.execute("INSERT INTO contacts (contact_id, created_at, comment) "
                    "SELECT contact_id, created_at, comment FROM later.contacts")  # fmt: skip
        t = time.perf_counter()
        placed = assign.assign_new(con)
        took = time.perf_counter() - t
    assert placed is not None
    return {"seconds": took, "assigned": placed.assigned, "new": placed.new}


def apply(db: Path) -> float:
    """Accept discovery's drivers (the CLI's --apply): the map's centres are worked out here."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cxdash", "drivers", "discover", "--db", str(db),
                    "--text", "comment", "--apply"], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - t


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--texts", type=int, default=1_000_000)
    p.add_argument("--work", type=Path, default=Path("/tmp/cxdash-bench-drivers"))
    p.add_argument("--child", nargs="+")
    args = p.parse_args()
    if args.child:
        kind, *rest = args.child
        got = child_discover(*rest) if kind == "discover" else child_place(*rest)
        got["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(got))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    n = args.texts
    db, later = args.work / f"texts{n}.duckdb", args.work / f"later{n}.duckdb"
    for path, seed, prefix in ((db, 1, "c"), (later, 2, "n")):
        if not path.exists():
            print(f"writing {path} ({n:,} contacts with a comment)", flush=True)
            write_store(path, n, seed, prefix)
    found = run_child("discover", str(db))
    print(f"discover {n:,} texts: {found['seconds']:.1f} s, peak {found['peak_mb']:,.0f} MB, "
          f"{found['drivers']:.0f} drivers (target <= 90 s, 4 GB)", flush=True)  # fmt: skip
    accepted = args.work / "accepted.duckdb"
    shutil.copy(db, accepted)
    print(f"--apply (map, assignments and centres as a new version): {apply(accepted):.1f} s",
          flush=True)  # fmt: skip
    placed = run_child("place", str(accepted), str(later))
    print(f"place {n:,} new contacts: {placed['seconds']:.1f} s, peak {placed['peak_mb']:,.0f} "
          f"MB ({placed['assigned']:,.0f} in a driver, {placed['new']:,.0f} new, not yet seen; "
          "target <= 15 s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
