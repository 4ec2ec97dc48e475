"""Time a filter change in a real browser: Debian's Chromium against `streamlit run`.

    python benchmarks/bench_ui.py --db /tmp/cxdash-bench/demo-1000000.duckdb [--runs 5]

For every page: open it (first load, then a warm reload), then add one channel to the filter
and remove it again, for each of `--channels`: adding a channel no page has been filtered by
yet is uncached (every query runs), removing it returns to a cached view; then toggles the
first channel `--runs` more times (cached both ways). Each is timed from the click until the
page has re-rendered (Streamlit's script finished, no stale or skeleton elements).

Before that, the server is started `--starts` times, each timed from launching it until the
Scoreboard has settled in the browser. A store written by this cxdash carries its first page's
reads (`cxdash.first_view`); the script saves them first if they are missing (a store written by
an older cxdash), as a writer would. `--starts-without-first-view N` adds N starts with that file
removed, the server computing the first page itself (it then saves it again).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).parents[1]))
from cxdash import first_view, store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server, wait_for_app

PAGES = {"Scoreboard": "", "Playing to win": "playing_to_win", "Root causes": "root_causes",
         "Driver catalog": "driver_catalog", "Defense": "defense",
         "Speed to happiness": "speed_to_happiness", "Explore": "explore",
         "Weekly review": "weekly_review", "Data": "data"}  # fmt: skip


SETTLED = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app && app.dataset.testScriptState === 'notRunning'
      && !document.querySelector("[data-stale='true']")
      && !document.querySelector("[data-testid='stSkeleton']");
}"""

# Counts the server's messages: every rerun sends some, and nothing else does. Installed in
# every page before Streamlit's own script runs.
COUNT_MESSAGES = """(() => {
    const Native = window.WebSocket;
    window.__messages = 0;
    window.__lastMessage = 0;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', () => {
                window.__messages++;
                window.__lastMessage = performance.now();
            });
        }
    };
})()"""

# Notes that a rerun happened after the click. When the browser is busy it can take a whole
# fast rerun's messages in one task, and React then never writes 'running' into the DOM; so a
# rerun also counts as seen once the server has answered and been quiet for 300 ms (the end of
# a run is its last message).
WATCH = """() => {
    window.__sawRun = false;
    window.__from = window.__messages;
    const app = document.querySelector("[data-testid='stApp']");
    new MutationObserver(() => {
        if (app.dataset.testScriptState !== 'notRunning') window.__sawRun = true;
    }).observe(app, {attributes: true});
}"""
RAN = """() => window.__sawRun || (window.__messages > window.__from
                                 && performance.now() - window.__lastMessage > 300)"""
RERUN_SETTLED = f"() => ({RAN})() && ({SETTLED})()"


def settled(page: Page) -> None:
    page.wait_for_function(SETTLED, timeout=120_000, polling=20)


def toggle_channel(page: Page, channel: str, on: bool) -> float:
    """Seconds from the click that changes the filter until the page has re-rendered.

    Opening the dropdown happens before the clock starts: it is not part of the change.
    """
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    if on:
        box.click()
        target = page.get_by_role("option", name=channel, exact=True)
    else:
        target = box.get_by_label(f"Remove {channel}")
    target.wait_for()
    page.evaluate(WATCH)
    start = time.perf_counter()
    target.click()
    if on:  # the multiselect commits its value when the dropdown closes
        page.keyboard.press("Escape")
    page.wait_for_function(RERUN_SETTLED, timeout=120_000, polling=20)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--starts", type=int, default=5, help="server starts to time")
    parser.add_argument("--starts-without-first-view", type=int, default=0, metavar="N",
                        help="server starts timed with the saved first view removed")
    parser.add_argument("--channels", nargs="+", default=["chat", "email", "phone"])
    args = parser.parse_args()
    ensure_first_view(args.db)
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_init_script(COUNT_MESSAGES)
        # Ready after start: from launching the server (nothing cached, the store not yet
        # opened) until the first page has settled in the browser; --starts times, the last
        # server then serves the rest.
        readies, bare = [], []
        total = args.starts_without_first_view + args.starts
        for attempt in range(total):
            without = attempt < args.starts_without_first_view
            if without:
                first_view.snapshot_path(args.db).unlink(missing_ok=True)
            started = time.perf_counter()
            server = Server(args.db, Path("/tmp/bench_ui_streamlit.log"))
            page = context.new_page()
            page.goto(server.url)
            wait_for_app(page)
            settled(page)
            (bare if without else readies).append(time.perf_counter() - started)
            page.close()
            if without:  # the server saves it again once it has computed it
                wait_for_file(first_view.snapshot_path(args.db))
            if attempt < total - 1:
                server.stop()
                time.sleep(2)
        try:
            for name, path in PAGES.items():
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{server.url}/{path}")
                wait_for_app(page)
                settled(page)
                first = time.perf_counter() - start
                start = time.perf_counter()
                page.reload()
                wait_for_app(page)
                settled(page)
                reload = time.perf_counter() - start
                cold, warm = [], []
                for channel in args.channels:
                    cold.append(toggle_channel(page, channel, True))
                    warm.append(toggle_channel(page, channel, False))
                for _ in range(args.runs):
                    warm.append(toggle_channel(page, args.channels[0], True))
                    warm.append(toggle_channel(page, args.channels[0], False))
                rows.append((name, first, reload, statistics.median(cold), max(cold),
                             statistics.median(warm), max(warm)))
                page.close()
            peak = peak_rss(server.proc.pid)
        finally:
            server.stop()
        browser.close()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"{os.cpu_count()} cores, {mem:.0f} GB, {platform.platform()}; "
          f"{dt.date.today()}; store {args.db.name}; viewport 1920×1080\n")  # fmt: skip
    each = ", ".join(f"{r:.2f}" for r in readies)
    print(f"first page ready after the server was started: median "
          f"{statistics.median(readies):.2f} s of {len(readies)} starts (each: {each} s); "
          f"server peak memory (RSS) {peak / 2**30:.2f} GB\n")
    if bare:
        each = ", ".join(f"{r:.2f}" for r in bare)
        print(f"without the saved first view (the server computes it): median "
              f"{statistics.median(bare):.2f} s of {len(bare)} starts (each: {each} s)\n")
    print("| page | first load | reload | new filter: median | new filter: max | "
          "cached filter: median | cached filter: max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, first, reload, cold_med, cold_max, med, worst in rows:
        print(f"| {name} | {first:.2f} s | {reload:.2f} s | {cold_med:.2f} s | {cold_max:.2f} s"
              f" | {med:.2f} s | {worst:.2f} s |")


def ensure_first_view(db: Path) -> None:
    """Save the store's first view if this cxdash has none for it, as its writers do."""
    path = db.resolve()
    if not first_view.has(path, store.store_version(path)):
        first_view.prepare(path, path)


def wait_for_file(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear in {seconds:.0f} s")
        time.sleep(0.2)


def peak_rss(pid: int) -> int:
    """The process's high-water mark of resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


if __name__ == "__main__":
    main()
