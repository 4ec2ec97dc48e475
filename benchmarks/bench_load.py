"""Many viewers on one server: concurrent browser sessions click through every page and change
filters for a fixed time against one `streamlit run`; every error counts.

    python benchmarks/bench_load.py --db /tmp/cxdash-bench/demo-1000000.duckdb \
        [--sessions 20] [--seconds 120]

Each session is its own browser context (its own Streamlit session and websocket) in one
Debian Chromium. A session starts on a different page, then repeats: open the next page from
the sidebar navigation, wait until it has settled, change a sidebar filter (add or remove a
channel, or switch the period preset), wait until it has settled. "Settled" is Streamlit's
script finished with no stale element or skeleton left, as in bench_ui.py; the time is from
the click to then. An error is any of: a Python exception shown on the page, an error box, an
uncaught JavaScript error or console error, a lost websocket, an HTTP status >= 400, a wait
longer than --timeout, or a traceback in the server's log. The exit status is 1 when there
was any error.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page, async_playwright

sys.path.insert(0, str(Path(__file__).parents[1]))
from benchmarks.bench_ui import COUNT_MESSAGES, RERUN_SETTLED, SETTLED, WATCH, peak_rss
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server

PAGES = ["Scoreboard", "Playing to win", "Root causes", "Driver catalog", "Defense",
         "Speed to happiness", "Explore", "Weekly review", "Data and settings"]  # fmt: skip
CHANNELS = ["chat", "email", "phone"]
PERIODS = ["Last 28 days", "Last 90 days", "Last 7 days"]
STATE = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return `script ${app?.dataset.testScriptState}, saw run ${window.__sawRun}, `
      + `messages ${window.__from} → ${window.__messages}, stale `
      + `${document.querySelectorAll("[data-stale='true']").length}, skeletons `
      + `${document.querySelectorAll("[data-testid='stSkeleton']").length}`;
}"""
LOG = Path("/tmp/bench_load_streamlit.log")


@dataclass
class Session:
    number: int
    settles: list[tuple[str, str, float]] = field(default_factory=list)  # (page, action, s)
    errors: list[str] = field(default_factory=list)
    period: str = PERIODS[0]  # the app's default preset


async def _settle(page: Page, timeout_ms: int) -> None:
    await page.wait_for_function(RERUN_SETTLED, timeout=timeout_ms, polling=50)


async def _timed(page: Page, click, timeout_ms: int) -> float:  # type: ignore[no-untyped-def]
    await page.evaluate(WATCH)
    start = time.perf_counter()
    await click()
    await _settle(page, timeout_ms)
    return time.perf_counter() - start


async def _page_errors(page: Page) -> list[str]:
    out = []
    for test_id in ("stException", "stAlertContentError"):
        boxes = page.get_by_test_id(test_id)
        for i in range(await boxes.count()):
            out.append(f"{test_id}: {(await boxes.nth(i).inner_text())[:200]}")
    state = await page.evaluate("() => document.querySelector(\"[data-testid='stApp']\")"
                                "?.dataset.testConnectionState")  # fmt: skip
    if state != "CONNECTED":
        out.append(f"websocket {state}")
    return out


async def _pick(page: Page, box, name: str) -> None:  # type: ignore[no-untyped-def]
    """Open a select box and wait for one of its options. A click that lands while the
    sidebar is being redrawn can leave the menu shut: then close and click again."""
    option = page.get_by_role("option", name=name, exact=True)
    for attempt in range(3):
        await box.click()
        try:
            await option.wait_for(timeout=10_000)
            return option
        except Exception:
            if attempt == 2:
                raise
            await page.keyboard.press("Escape")
    raise AssertionError("unreachable")


async def _change_filter(page: Page, s: Session, rng: random.Random,
                         timeout_ms: int) -> tuple[str, float]:  # fmt: skip
    sidebar = page.get_by_test_id("stSidebar")
    if rng.random() < 0.25:  # the period preset, to one it is not on
        box = sidebar.get_by_test_id("stSelectbox").first
        label = rng.choice([p for p in PERIODS if p != s.period])
        option = await _pick(page, box, label)
        took = await _timed(page, option.click, timeout_ms)
        s.period = label
        return f"period {label}", took
    channels = sidebar.get_by_test_id("stMultiSelect").first
    chosen = [c for c in CHANNELS if await channels.get_by_label(f"Remove {c}").count()]
    if chosen and (len(chosen) == len(CHANNELS) or rng.random() < 0.5):
        name = rng.choice(chosen)
        target = channels.get_by_label(f"Remove {name}")
        return f"channel −{name}", await _timed(page, target.click, timeout_ms)
    name = rng.choice([c for c in CHANNELS if c not in chosen])
    option = await _pick(page, channels, name)

    async def add() -> None:
        await option.click()
        await page.keyboard.press("Escape")  # the multiselect commits when it closes

    return f"channel +{name}", await _timed(page, add, timeout_ms)


async def run_session(browser, url: str, s: Session, until: float, timeout_ms: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(s.number)
    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    await context.add_init_script(COUNT_MESSAGES)
    page = await context.new_page()
    page.on("pageerror", lambda exc: s.errors.append(f"javascript: {exc}"))
    page.on("console", lambda msg: s.errors.append(f"console: {msg.text[:200]}")
            if msg.type == "error" else None)  # fmt: skip
    page.on("response", lambda r: s.errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 else None)  # fmt: skip
    where = s.number % len(PAGES)
    doing = "open"
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/", timeout=timeout_ms)
        await page.wait_for_function(SETTLED, timeout=timeout_ms, polling=50)
        s.settles.append(("Scoreboard", "open", time.perf_counter() - start))
        while time.monotonic() < until:
            where = (where + 1) % len(PAGES)
            name = PAGES[where]
            link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=name)
            doing = "navigate"
            s.settles.append((name, "navigate", await _timed(page, link.click, timeout_ms)))
            s.errors += [f"{name}: {e}" for e in await _page_errors(page)]
            if time.monotonic() >= until:
                break
            doing = "filter change"
            action, took = await _change_filter(page, s, rng, timeout_ms)
            s.settles.append((name, action, took))
            s.errors += [f"{name} after {action}: {e}" for e in await _page_errors(page)]
    except Exception as exc:  # a timeout or a vanished element: an error, and the session ends
        s.errors.append(f"{PAGES[where]}, {doing}: {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0]}")
        state = await page.evaluate(STATE)
        s.errors[-1] += f" [{state}]"
        await page.screenshot(path=f"/tmp/bench_load_error_{s.number}.png")
    finally:
        await context.close()


def _cpu_seconds(pid: int | None = None) -> float:
    """CPU time of one process (user + system), or of the whole machine when pid is None."""
    tick = os.sysconf("SC_CLK_TCK")
    if pid is None:
        fields = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
        return (user + nice + system + irq + softirq) / tick
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


async def main_async(args: argparse.Namespace) -> int:
    server = Server(args.db, LOG)
    sessions = [Session(i) for i in range(args.sessions)]
    machine_before, server_before = _cpu_seconds(), _cpu_seconds(server.proc.pid)
    wall = time.monotonic()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            until = time.monotonic() + args.seconds
            await asyncio.gather(*(run_session(browser, server.url, s, until, args.timeout * 1000)
                                   for s in sessions))  # fmt: skip
            await browser.close()
        peak = peak_rss(server.proc.pid)
        cpu = {"wall": time.monotonic() - wall,
               "server": _cpu_seconds(server.proc.pid) - server_before,
               "machine": _cpu_seconds() - machine_before}  # fmt: skip
    finally:
        server.stop()
    log = LOG.read_text()
    server_errors = [line for line in log.splitlines() if "Traceback" in line or "Error" in line]
    report(args, sessions, server_errors, peak, cpu)
    return 1 if server_errors or any(s.errors for s in sessions) else 0


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(args: argparse.Namespace, sessions: list[Session], server_errors: list[str],
           peak: int, cpu: dict[str, float]) -> None:  # fmt: skip
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"{os.cpu_count()} cores, {mem:.0f} GB, {platform.platform()}; {dt.date.today()}; "
          f"store {args.db.name}; {args.sessions} sessions for {args.seconds} s\n")
    every = [t for s in sessions for _, _, t in s.settles]
    cores = os.cpu_count() or 1
    print(f"settles: {len(every)}; server peak RSS {peak / 2**30:.2f} GB; CPU over "
          f"{cpu['wall']:.0f} s on {cores} cores: machine busy "
          f"{cpu['machine'] / (cpu['wall'] * cores):.0%}, of which the server "
          f"{cpu['server'] / cpu['machine']:.0%} (the rest: the browsers)\n")
    print("| page | navigate: n | p50 | p95 | filter change: n | p50 | p95 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = [("all pages", None), *((p, p) for p in PAGES)]
    for label, name in rows:
        cells = []
        for kind in ("navigate", "filter"):
            times = [t for s in sessions for p, a, t in s.settles
                     if (name is None or p == name) and a != "open"
                     and (a == "navigate") == (kind == "navigate")]  # fmt: skip
            if len(times) >= 2:
                cells.append(f"{len(times)} | {_pct(times, 50):.2f} s | {_pct(times, 95):.2f} s")
            else:
                cells.append(f"{len(times)} | – | –")
        print(f"| {label} | {' | '.join(cells)} |")
    opens = [t for s in sessions for _, a, t in s.settles if a == "open"]
    if opens:
        print(f"\nfirst page (all sessions opening at once): median "
              f"{statistics.median(opens):.2f} s, max {max(opens):.2f} s")
    errors = [f"session {s.number}: {e}" for s in sessions for e in s.errors]
    print(f"\nerrors: {len(errors) + len(server_errors)}")
    for line in errors + [f"server log: {e}" for e in server_errors]:
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--timeout", type=int, default=120, help="longest wait for one settle, s")
    args = parser.parse_args()
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
