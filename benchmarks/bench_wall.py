"""Soak the wall view: a real server and Debian's Chromium on `/wall?refresh=10` for N minutes
while imports land in the store it serves.

    python benchmarks/bench_wall.py --db /tmp/p/demo.duckdb [--minutes 30] [--refresh 10]
                                    [--import-every 3] [--rows 50] [--json out.json]

The store is copied first (the original is never written). Every `--import-every` minutes,
`cxdash import` adds `--rows` contacts a minute apart after the newest one, as a live export
would; the script then times how long the open wall takes to show the new "data up to" time
by itself (no reload: a marker set in the page must survive). Every minute it samples the
server's resident memory (VmRSS of its process) and the page's JavaScript heap
(`performance.memory.usedJSHeapSize`, precise in Chromium with --enable-precise-memory-info);
at the start (after the first draw) and at the end both are also taken after a garbage
collection (the heap through the DevTools protocol), which is what to compare. Errors counted:
page errors, console errors, exceptions drawn on the wall, failed imports, imports the wall did
not show within three refreshes, and reloads.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).parents[1]))
from cxdash import store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server, wait_for_app

ROOT = Path(__file__).parents[1]
# Streamlit's frontend first asks for these under the page's own path (/wall/_stcore/health),
# gets 404, then asks at the root: on every deep link, not an error of the wall.
PROBES = ("/_stcore/health", "/_stcore/host-config")
FRESH = "() => (document.querySelector('.st-key-wall') || {innerText: ''}).innerText" \
        ".match(/data up to [^,]*/)?.[0] ?? ''"  # fmt: skip


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def heap_mb(page: Page) -> float:
    return float(page.evaluate("performance.memory.usedJSHeapSize")) / 2**20


def heap_after_gc_mb(page: Page) -> float:
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.enable")
    cdp.send("HeapProfiler.collectGarbage")
    cdp.detach()
    return heap_mb(page)


def newest(db: Path) -> dt.datetime:
    con = store.open_read(db)
    try:
        value = con.sql("SELECT max(created_at) FROM contacts").fetchall()[0][0]
    finally:
        con.close()
    return value  # type: ignore[no-any-return]


def land_import(db: Path, tmp: Path, batch: int, rows: int) -> float:
    """`cxdash import` of `rows` new contacts a minute apart after the newest; seconds taken."""
    start = newest(db)
    path = tmp / f"batch-{batch}.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["contact_id", "created_at", "channel", "reason", "team", "customer_id"])
        for i in range(rows):
            at = start + dt.timedelta(minutes=i + 1)
            writer.writerow([f"SOAK-{batch}-{i}", f"{at:%Y-%m-%d %H:%M:%S}",
                             ("chat", "email", "phone")[i % 3], "Where is my order",
                             "Chat desk", f"SOAK-C{batch}-{i}"])  # fmt: skip
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "cxdash", "import", str(path), "--db", str(db),
                    "--quiet"], cwd=ROOT, check=True, timeout=600, stdout=subprocess.DEVNULL)
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--refresh", type=int, default=10)
    parser.add_argument("--import-every", type=float, default=3, help="minutes")
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cxdash-soak-"))
    db = tmp / "soak.duckdb"
    shutil.copy(args.db, db)
    errors: dict[str, int] = {"page": 0, "console": 0, "http": 0, "drawn": 0, "import": 0,
                              "unseen": 0, "reload": 0}  # fmt: skip
    messages: list[str] = []
    samples: list[dict[str, float]] = []
    pickups: list[float] = []
    imports: list[float] = []
    server = Server(db, tmp / "streamlit.log")
    pid = server.proc.pid
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=[*CHROMIUM_ARGS, "--enable-precise-memory-info"])
            page = browser.new_page(viewport={"width": args.width, "height": args.height})

            def on_error(kind: str, text: str) -> None:
                errors[kind] += 1
                messages.append(f"{kind}: {text[:300]}")

            page.on("pageerror", lambda e: on_error("page", str(e)))
            # A failed request is counted once, by its response (below), not again as the
            # console's "Failed to load resource".
            page.on("console", lambda m: on_error("console", m.text) if m.type == "error"
                    and not m.text.startswith("Failed to load resource") else None)
            page.on("response", lambda r: on_error("http", f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith(PROBES) else None)
            page.goto(f"{server.url}/wall?refresh={args.refresh}")
            wait_for_app(page)
            page.wait_for_selector(".st-key-wall_today", timeout=120_000)
            wait_for_app(page)
            page.evaluate("window.__soak = 'same page'")
            began = time.monotonic()
            start = {"rss_mb": rss_mb(pid), "heap_mb": heap_mb(page),
                     "heap_gc_mb": heap_after_gc_mb(page)}  # fmt: skip
            print(f"start: server RSS {start['rss_mb']:.0f} MB, JS heap {start['heap_mb']:.1f} "
                  f"MB ({start['heap_gc_mb']:.1f} MB after GC)", flush=True)  # fmt: skip
            end_at = began + args.minutes * 60
            next_import = began + args.import_every * 60
            next_sample = began + 60
            batch = 0
            while time.monotonic() < end_at:
                now = time.monotonic()
                if now >= next_import:
                    batch += 1
                    shown = page.evaluate(FRESH)
                    try:
                        imports.append(land_import(db, tmp, batch, args.rows))
                    except subprocess.SubprocessError as exc:
                        on_error("import", str(exc))
                    else:
                        landed = time.monotonic()
                        try:
                            page.wait_for_function(f"() => ({FRESH})() !== {json.dumps(shown)}",
                                                   timeout=3 * args.refresh * 1000)  # fmt: skip
                            pickups.append(time.monotonic() - landed)
                        except Exception as exc:
                            on_error("unseen", f"batch {batch}: {exc}")
                    print(f"{(time.monotonic() - began) / 60:5.1f} min: import {batch} took "
                          f"{imports[-1] if imports else float('nan'):.1f} s, on the wall "
                          f"after {pickups[-1] if pickups else float('nan'):.1f} s",
                          flush=True)  # fmt: skip
                    next_import += args.import_every * 60
                if now >= next_sample:
                    drawn = page.get_by_test_id("stException").count()
                    errors["drawn"] += drawn
                    sample = {"minute": round((now - began) / 60, 1), "rss_mb": rss_mb(pid),
                              "heap_mb": heap_mb(page)}  # fmt: skip
                    samples.append(sample)
                    print(f"{sample['minute']:5.1f} min: server RSS {sample['rss_mb']:.0f} MB, "
                          f"JS heap {sample['heap_mb']:.1f} MB", flush=True)  # fmt: skip
                    next_sample += 60
                page.wait_for_timeout(1000)
            if page.evaluate("window.__soak") != "same page":
                errors["reload"] += 1
            end = {"rss_mb": rss_mb(pid), "heap_mb": heap_mb(page),
                   "heap_gc_mb": heap_after_gc_mb(page)}  # fmt: skip
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    result: dict[str, Any] = {
        "date": dt.date.today().isoformat(), "machine": f"{os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "store": str(args.db), "minutes": args.minutes, "refresh_s": args.refresh,
        "imports": len(imports), "rows_per_import": args.rows,
        "import_s_median": sorted(imports)[len(imports) // 2] if imports else None,
        "pickup_s_max": max(pickups) if pickups else None,
        "pickup_s_median": sorted(pickups)[len(pickups) // 2] if pickups else None,
        "start": start, "end": end, "errors": errors, "samples": samples,
        "messages": messages[:20],
    }  # fmt: skip
    print(f"end: server RSS {end['rss_mb']:.0f} MB (start {start['rss_mb']:.0f}), JS heap "
          f"{end['heap_gc_mb']:.1f} MB after GC (start {start['heap_gc_mb']:.1f}); "
          f"{len(imports)} imports, on the wall after median {result['pickup_s_median']} s, "
          f"max {result['pickup_s_max']} s; errors {errors}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
