"""What business hours and SLAs (issue 20) cost at 10M contacts: deriving every contact's SLA
facts when a version is published, and the metric queries that read them.

    python benchmarks/bench_sla.py [--sizes 10000000] [--dir /tmp/cxdash-bench] [--runs 7]
                                   [--skip derive import metrics]

Targets (issue 20): 10M contacts derive within 60 s and 4 GB; every metric query stays within
today's speed at 10M. On the demo store of each size (`cxdash demo` writes its schedules and
four policies; written once, reused on later runs), each measurement runs in a fresh child
process, and its wall time, CPU and peak RSS come from os.wait4 (the child's own rusage):

1. derive — `cxdash.sla.derive.refresh` alone, inside a writer's draft of the store (a copy,
   thrown away afterwards: the store is unchanged), timed around the call: once with the
   schedules in force (every contact derived, no row changes, so nothing is written), and
   once after a newer configuration with every target doubled (every contact with a target
   rewritten). Split into the facts table (`derive`, the calendar and its ASOF joins) and
   the UPDATE of the contacts that changed.
2. import — `cxdash import FILE.toml --table schedules` as the CLI runs it (in the child,
   with the publish steps timed by wrapping them): the doubled targets, then the demo's own
   file back (both rewrite every contact with a target), then the same file again (nothing
   changes). The last import leaves the store with the demo's schedules, as it was.
3. metrics — the Scoreboard's request (every metric, 28 days ending on the newest contact,
   with the previous period like for like), the same by team, and every metric without the
   previous period (bench_metrics.py's "all metrics"), each with and without the eight SLA
   metrics in the request: the median of --runs warm runs of both, alternating in one child,
   and the cold run of each in a child of its own.

Prints the machine line and three Markdown tables.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_metrics import ensure_store

ROOT = Path(__file__).resolve().parents[1]
SLA_METRICS = (
    "first_response_business_hours_median", "first_response_business_hours_p90",
    "resolution_business_hours_median", "resolution_business_hours_p90",
    "sla_first_response_rate", "sla_resolution_rate", "sla_breaches", "sla_at_risk",
)  # fmt: skip
CASES = ("28 days, with previous (Scoreboard)", "28 days by team, with previous",
         "28 days, no previous (bench_metrics)")  # fmt: skip


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def doubled(toml: str) -> str:
    """The same schedules and policies with every target twice as long."""
    return re.sub(r'^((?:first_response|resolution)\s*=\s*")(\d+(?:\.\d+)?)([mhd]")',
                  lambda m: f"{m[1]}{float(m[2]) * 2:g}{m[3]}", toml, flags=re.M)  # fmt: skip


class _Timers:
    """Seconds spent in wrapped functions, by name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        inner: Callable[..., Any] = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

        setattr(owner, attr, timed)


class _Discard(Exception):
    """Raised to leave a writer's draft without swapping it in."""


@contextlib.contextmanager
def _draft(db: Path) -> Iterator[Any]:
    """A writable copy of the store, thrown away at the end (the store is unchanged)."""
    from cxdash import store

    with contextlib.suppress(_Discard), store.new_version(db, from_existing=True) as con:
        yield con
        raise _Discard


# ---- children -------------------------------------------------------------------------------
def child_derive(db: Path, changed: bool) -> dict[str, object]:
    from cxdash import settings as settings_mod
    from cxdash.sla import derive as sla_derive

    timers = _Timers()
    timers.wrap(sla_derive, "derive", "facts")
    out: dict[str, object] = {}
    with _draft(db) as con:
        tz = settings_mod.load(con).timezone
        if changed:
            toml = con.execute("SELECT toml FROM sla_config ORDER BY changed_at DESC, rowid DESC "
                               "LIMIT 1").fetchall()[0][0]  # fmt: skip
            con.execute("INSERT INTO sla_config VALUES ($t, $at, 'bench')",
                        {"t": doubled(toml), "at": dt.datetime.now()})  # fmt: skip
        out["peak_before_mb"] = _peak_mb()
        start, cpu = time.perf_counter(), time.process_time()
        measured = sla_derive.refresh(con, tz)
        out["refresh"] = time.perf_counter() - start
        out["refresh_cpu"] = time.process_time() - cpu  # every thread of the process
        out["facts"] = timers.seconds["facts"]
        out["measured"] = measured
        out["contacts"] = con.execute("SELECT count(*) FROM contacts").fetchall()[0][0]
        out["with_target"] = con.execute(
            "SELECT count(*) FROM contacts WHERE first_response_target_seconds IS NOT NULL "
            "OR resolution_target_seconds IS NOT NULL").fetchall()[0][0]  # fmt: skip
        out["calendar_rows"] = con.execute("SELECT count(*) FROM business_calendar")\
            .fetchall()[0][0]  # fmt: skip
        out["peak_after_mb"] = _peak_mb()
    return out


def child_import(db: Path, toml: Path) -> dict[str, object]:
    import shutil

    from cxdash import cli, first_view, publish, store
    from cxdash.importer import schedules

    timers = _Timers()
    timers.wrap(shutil, "copyfile", "copy")  # the draft is a copy of the store
    timers.wrap(publish.sla_derive, "refresh", "sla")
    timers.wrap(publish.sla_derive, "derive", "facts")
    timers.wrap(publish.derived, "refresh_drivers", "drivers")
    timers.wrap(publish.rollups, "rebuild", "rollups")
    timers.wrap(first_view, "prepare", "first view")
    timers.wrap(store, "swap_in", "save")  # first view, fsync, rename
    timers.wrap(schedules, "_report", "report")  # the CLI's summary: outcomes counted
    start = time.perf_counter()
    code = cli.main(["import", str(toml), "--table", "schedules", "--db", str(db)])
    total = time.perf_counter() - start
    assert code == 0, code
    return {"total": total, **timers.seconds}


def child_metrics(db: Path, case: str, variants: list[str], runs: int) -> dict[str, object]:
    """The first run of each variant in `variants` ("sla", "no"), in that order, then `runs`
    warm runs of each, alternating."""
    import statistics

    from cxdash import settings as settings_mod
    from cxdash import store
    from cxdash.metrics.catalogue import METRIC_IDS
    from cxdash.metrics.request import MetricRequest, Period
    from cxdash.metrics.runner import compute

    con = store.open_read(db)
    info = store.inspect(con)
    settings = settings_mod.load(con)
    end = info.newest_contact_day
    assert end is not None
    requests = {}
    for variant in variants:
        metrics = METRIC_IDS if variant == "sla" else tuple(m for m in METRIC_IDS
                                                            if m not in SLA_METRICS)  # fmt: skip
        request = MetricRequest(Period(end - dt.timedelta(days=27), end), metrics=metrics)
        if "by team" in case:
            request = replace(request, by=("team",))
        if "with previous" in case:
            request = replace(request, with_previous=True)
        requests[variant] = request

    def run(variant: str) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        compute(con, requests[variant], info, settings)
        return time.perf_counter() - start, time.process_time() - cpu

    cold = {variant: run(variant)[0] for variant in variants}
    warm: dict[str, list[tuple[float, float]]] = {variant: [] for variant in variants}
    for _ in range(runs):
        for variant in variants:
            warm[variant].append(run(variant))
    return {"contacts": info.contacts_rows, **{v: {
        "cold": cold[v],
        "median": statistics.median(w for w, _ in warm[v]) if warm[v] else None,
        "cpu": statistics.median(c for _, c in warm[v]) if warm[v] else None,
    } for v in variants}}  # fmt: skip


# ---- the parent -----------------------------------------------------------------------------
def run_child(*argv: str) -> dict[str, Any]:
    """A fresh process; its result with its own wall time, CPU, peak RSS and the load."""
    load = os.getloadavg()[0]
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", *argv],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {argv} failed")
    row: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    row.update(wall=time.perf_counter() - began, cpu=usage.ru_utime + usage.ru_stime,
               rss_gb=usage.ru_maxrss / 1024**2,
               load=(load + os.getloadavg()[0]) / 2)  # fmt: skip
    return row


def child_main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    what, db = argv[0], Path(argv[1])
    if what == "derive":
        result = child_derive(db, changed=argv[2] == "changed")
    elif what == "import":
        result = child_import(db, Path(argv[2]))
    else:
        result = child_metrics(db, argv[2], argv[3].split(","), int(argv[4]))
    print(json.dumps(result, default=str))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cxdash-bench"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip", nargs="*", default=[], choices=("derive", "import", "metrics"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"Machine: {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, {platform.platform()}, "
          f"Python {platform.python_version()}; {dt.date.today().isoformat()}; wall time, "
          "CPU and peak RSS of a fresh process per measurement; load = 1-minute load average "
          "around it.\n", flush=True)  # fmt: skip
    for size in args.sizes:
        db = args.dir / f"demo-{size}.duckdb"
        ensure_store(db, size)
        if "derive" not in args.skip:
            derive_table(db)
        if "import" not in args.skip:
            import_table(db, args.dir)
        if "metrics" not in args.skip:
            metrics_table(db, args.runs)


def derive_table(db: Path) -> None:
    print("| contacts | `refresh` | contacts written | time | facts table | UPDATE | "
          "CPU | peak memory | load |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for changed in (False, True):
        r = run_child("derive", str(db), "changed" if changed else "same")
        what = "every target doubled" if changed else "schedules in force, unchanged"
        written = f"{r['with_target']:,}" if changed else "0"
        print(f"| {r['contacts']:,} | {what} | {written} | {r['refresh']:.1f} s | "
              f"{r['facts']:.1f} s | {r['refresh'] - r['facts']:.1f} s | "
              f"{r['refresh_cpu']:.0f} s | {r['rss_gb']:.2f} GB | {r['load']:.1f} |", flush=True)
    print()


def import_table(db: Path, folder: Path) -> None:
    from cxdash.importer.schedules import export_schedules

    original = export_schedules(db)
    if original is None:
        raise SystemExit(f"{db} has no schedules: write it again with a cxdash demo that has them")
    demo, twice = folder / "demo-sla.toml", folder / "demo-sla-doubled.toml"
    demo.write_text(original, encoding="utf-8")
    twice.write_text(doubled(original), encoding="utf-8")
    print("| `cxdash import … --table schedules` | total | SLA derivation (of it: facts) | "
          "copy | drivers | rollups | save (of it: first view) | summary | peak memory | "
          "CPU | load |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for name, toml in (("every target doubled", twice), ("the demo's file back", demo),
                       ("the same file again (nothing changes)", demo)):  # fmt: skip
        r = run_child("import", str(db), str(toml))
        print(f"| {name} | {r['total']:.1f} s | {r['sla']:.1f} s ({r['facts']:.1f} s) | "
              f"{r.get('copy', 0):.1f} s | {r.get('drivers', 0):.1f} s | "
              f"{r.get('rollups', 0):.1f} s | {r.get('save', 0):.1f} s "
              f"({r.get('first view', 0):.1f} s) | {r.get('report', 0):.1f} s | "
              f"{r['rss_gb']:.2f} GB | {r['cpu']:.0f} s | {r['load']:.1f} |", flush=True)
    print()


def metrics_table(db: Path, runs: int) -> None:
    print(f"Median of {runs} warm runs, with and without alternating in one process; the cold "
          "run (in brackets) is the first run of a fresh process of its own; CPU: the median "
          "warm run's CPU seconds (both threads), less sensitive to a busy machine.\n")
    print("| contacts | request | without the SLA metrics | with them | extra | CPU without "
          "→ with | peak memory | load |\n|---:|---|---:|---:|---:|---:|---:|---:|", flush=True)
    for case in CASES:
        cold = {v: run_child("metrics", str(db), case, v, "0")[v]["cold"] for v in ("no", "sla")}
        r = run_child("metrics", str(db), case, "no,sla", str(runs))
        without, with_ = r["no"]["median"], r["sla"]["median"]
        print(f"| {r['contacts']:,} | {case} | {without:.3f} s ({cold['no']:.2f} s) | "
              f"{with_:.3f} s ({cold['sla']:.2f} s) | {with_ / without - 1:+.0%} | "
              f"{r['no']['cpu']:.2f} → {r['sla']['cpu']:.2f} s "
              f"({r['sla']['cpu'] / r['no']['cpu'] - 1:+.0%}) | "
              f"{r['rss_gb']:.2f} GB | {r['load']:.1f} |", flush=True)
    print()


if __name__ == "__main__":
    main()
