"""Time a filter change in a real browser: Debian's Chromium against `streamlit run`.

    python benchmarks/bench_ui.py --db /tmp/cxdash-bench/demo-1000000.duckdb [--runs 5]

For every page: open it (first load, then a warm reload), then add one channel to the filter
and remove it again, for each of `--channels`: adding a channel no page has been filtered by
yet is uncached (every query runs), removing it returns to a cached view; then toggles the
first channel `--runs` more times (cached both ways). Each is timed from the click until the
page has re-rendered (Streamlit's script finished, no stale or skeleton elements).
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
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server, wait_for_app

PAGES = {"Scoreboard": "", "Playing to win": "playing_to_win", "Defense": "defense",
         "Speed to happiness": "speed_to_happiness", "Data": "data"}  # fmt: skip


SETTLED = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app && app.dataset.testScriptState === 'notRunning'
      && !document.querySelector("[data-stale='true']")
      && !document.querySelector("[data-testid='stSkeleton']");
}"""

# Remembers that a rerun started, so a rerun that ends before we poll is not missed.
WATCH = """() => {
    window.__sawRun = false;
    const app = document.querySelector("[data-testid='stApp']");
    new MutationObserver(() => {
        if (app.dataset.testScriptState === 'running') window.__sawRun = true;
    }).observe(app, {attributes: true});
}"""


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
    page.wait_for_function(f"() => window.__sawRun && ({SETTLED})()", timeout=120_000,
                           polling=20)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--channels", nargs="+", default=["chat", "email", "phone"])
    args = parser.parse_args()
    server = Server(args.db, Path("/tmp/bench_ui_streamlit.log"))
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, path in PAGES.items():
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
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
            browser.close()
    finally:
        server.stop()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"{os.cpu_count()} cores, {mem:.0f} GB, {platform.platform()}; "
          f"{dt.date.today()}; store {args.db.name}; viewport 1920×1080\n")  # fmt: skip
    print("| page | first load | reload | new filter: median | new filter: max | "
          "cached filter: median | cached filter: max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, first, reload, cold_med, cold_max, med, worst in rows:
        print(f"| {name} | {first:.2f} s | {reload:.2f} s | {cold_med:.2f} s | {cold_max:.2f} s"
              f" | {med:.2f} s | {worst:.2f} s |")


if __name__ == "__main__":
    main()
