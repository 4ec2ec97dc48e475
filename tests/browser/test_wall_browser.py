"""The wall view in Debian's Chromium: full screen with no sidebar, fitting 1366×768 and
1920×1080; it picks up an import into the store it serves by itself, within one refresh, as a
fragment rerun (the page is never reloaded); with `rotate` it turns its panels."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ROOT, screenshot, wait_for_app

pytestmark = pytest.mark.browser

MEASURE = """() => {
  const q = (s) => document.querySelector(s);
  const shown = (e) => e && e.offsetParent !== null;
  const size = (e) => parseFloat(getComputedStyle(e).fontSize);
  const own = [...q('.st-key-wall').querySelectorAll('*')].filter(e => shown(e) &&
      [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
  return {
    inner: innerHeight,
    doc: document.documentElement.scrollHeight,
    main: q('[data-testid=stMain]').scrollHeight,
    sidebar: shown(q('[data-testid=stSidebar]')),
    header: shown(q('[data-testid=stHeader]')),
    small: own.filter(e => size(e) < 20).map(e => `${size(e)} ${e.textContent.trim()}`),
  };
}"""
LAST_DAY = "2026-06-30"  # the demo_store fixture's last day


@pytest.fixture(scope="module")
def own_store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store for this module to import into."""
    copy = tmp_path_factory.mktemp("wall") / "demo.duckdb"
    shutil.copy(demo_store, copy)
    return copy


@pytest.fixture(scope="module")
def server(serve, own_store: Path):  # type: ignore[no-untyped-def]
    return serve(own_store)


def open_wall(browser: Browser, url: str, width: int = 1920, height: int = 1080) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    wait_for_app(page)
    expect(page.locator(".st-key-wall")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    return page


def today(page: Page) -> Any:
    return page.locator(".st-key-wall_today [data-testid=stMetricValue]")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_the_wall_fills_the_screen(browser: Browser, server: Any, width: int,
                                   height: int) -> None:  # fmt: skip
    page = open_wall(browser, f"{server.url}/wall", width, height)
    for label in ("Contacts", "First-contact resolution", "Backlog", "SLA at risk"):
        expect(page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)).to_be_visible()
    expect(page.locator(".st-key-wall_at_risk [data-testid=stTable]")).to_be_visible()
    expect(page.locator(".st-key-wall")).to_contain_text(re.compile(
        r"data up to 30 Jun \d\d:\d\d, written (just now|\d+ (minute|hour|day)s? ago)"))
    page.wait_for_timeout(300)
    m = page.evaluate(MEASURE)
    screenshot(page, f"wall-{width}x{height}")
    assert m["doc"] <= m["inner"] and m["main"] <= m["inner"], m
    assert not m["sidebar"] and not m["header"], m
    assert m["small"] == [], m["small"]
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.close()


def _import(store: Path, tmp: Path, n: int) -> None:
    """`cxdash import` of n new contacts on the data's last day, before its newest contact."""
    path = tmp / "more.csv"
    with path.open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["contact_id", "created_at", "channel", "reason", "team", "customer_id"])
        for i in range(n):
            rows.writerow([f"WALL-{i}", f"{LAST_DAY} 00:{i % 50:02d}:00", "chat",
                           "Where is my order", "Chat desk", f"WALL-C{i}"])  # fmt: skip
    subprocess.run([sys.executable, "-m", "cxdash", "import", str(path), "--db", str(store),
                    "--quiet"], cwd=ROOT, check=True, timeout=120)  # fmt: skip


def test_the_wall_shows_an_import_by_itself(
    browser: Browser, server: Any, own_store: Path, tmp_path: Path
) -> None:
    page = open_wall(browser, f"{server.url}/wall?refresh=10")
    expect(page.locator(".st-key-wall")).to_contain_text("every 10 s")
    before = int(today(page).inner_text().replace(",", ""))
    page.evaluate("window.__cxdashSamePage = 'yes'")  # a reload would lose it
    _import(own_store, tmp_path, 40)
    # within one refresh (10 s), plus the redraw on a busy 2-core machine
    expect(today(page)).to_have_text(f"{before + 40:,}", timeout=40_000)
    expect(page.locator(".st-key-wall")).to_contain_text("written just now")
    assert page.evaluate("window.__cxdashSamePage") == "yes"  # a fragment rerun, no reload
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "wall-after-import")
    page.close()


def test_the_wall_rotates_its_panels(browser: Browser, server: Any) -> None:
    page = open_wall(browser, f"{server.url}/wall?rotate=10&refresh=30", 1366, 768)
    heading = page.locator(".st-key-wall h3").first
    first = heading.inner_text()
    assert any(name in first for name in ("Headline figures", "What moved", "Backlog and SLAs"))
    expect(heading).not_to_have_text(first, timeout=30_000)  # the next panel, by itself
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.close()


def test_a_link_the_wall_cannot_take_is_said(browser: Browser, server: Any) -> None:
    page = open_wall(browser, f"{server.url}/wall?refresh=2", 1366, 768)
    expect(page.locator(".st-key-wall")).to_contain_text("refresh=2 is under 10 s: 10 s")
    expect(page.locator(".st-key-wall")).to_contain_text("every 10 s")
    page.close()


def test_the_wall_is_not_in_the_menu(browser: Browser, server: Any) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server.url)
    wait_for_app(page)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Scoreboard")).to_be_visible()
    expect(nav.get_by_role("link", name="Wall")).to_have_count(0)
    page.close()
