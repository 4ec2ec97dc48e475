"""Time a filter change in a real browser: Debian's Chromium against `streamlit run`.

    python benchmarks/bench_ui.py --db /tmp/cxdash-bench/demo-1000000.duckdb [--runs 5]

For every page: open it (first load, then a warm reload), then toggle the channel filter
between nothing and one channel `--runs` times, timing each from the click until the page has
re-rendered (Streamlit's script finished, no stale or skeleton elements). Each toggle state is
new to the cache the first time and cached after, so both costs are reported.
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
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    page.evaluate(WATCH)
    start = time.perf_counter()
    if on:
        box.click()
        page.get_by_role("option", name=channel, exact=True).click()
        page.keyboard.press("Escape")
    else:
        box.get_by_label(f"Remove {channel}").click()
    page.wait_for_function(f"() => window.__sawRun && ({SETTLED})()", timeout=120_000,
                           polling=20)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--channel", default="chat")
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
                for run in range(args.runs):
                    on = toggle_channel(page, args.channel, True)
                    off = toggle_channel(page, args.channel, False)
                    (cold if run == 0 else warm).extend([on] if run == 0 else [on, off])
                    if run == 0:
                        warm.append(off)
                rows.append((name, first, reload, cold[0], statistics.median(warm), max(warm)))
                page.close()
            browser.close()
    finally:
        server.stop()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"{os.cpu_count()} cores, {mem:.0f} GB, {platform.platform()}; "
          f"{dt.date.today()}; store {args.db.name}; viewport 1920×1080\n")  # fmt: skip
    print("| page | first load | reload | filter change, first time | filter change, "
          "median | filter change, max |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, first, reload, cold_s, med, worst in rows:
        print(f"| {name} | {first:.2f} s | {reload:.2f} s | {cold_s:.2f} s | {med:.2f} s | "
              f"{worst:.2f} s |")


if __name__ == "__main__":
    main()
