"""The weekly review's presentation mode in Debian's Chromium, at a laptop's 1366×768 and a
room's 1920×1080: every screen fits the window with no scrolling and no sidebar, figures are
large enough to read from the back of the room, and the keys and a click on the window's edge
move along the agenda with the URL following."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from cxdash.review.agenda import SCREENS
from tests.browser.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.browser

SIZES = [(1366, 768), (1920, 1080)]
# an address as shown: md() puts an invisible word joiner (U+2060) before the "@"
EMAIL = re.compile(r"[\w.+-]+\u2060?@[\w-]+\.[a-z]{2,}")

# What the window shows: scroll heights of the document and of Streamlit's scrolling main
# element, where the page's content ends, whether the sidebar or the header shows, and the
# computed font sizes of the screen's figures, labels and every other text (Plotly's included).
MEASURE = """() => {
  const q = (s) => document.querySelector(s);
  const shown = (e) => e && e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden';
  const size = (e) => parseFloat(getComputedStyle(e).fontSize);
  const box = q('.st-key-present');
  const own = [...box.querySelectorAll('*')].filter(e => shown(e) &&
      [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
  const svg = [...box.querySelectorAll('.js-plotly-plot text')].filter(t => t.textContent.trim());
  const content = [...q('[data-testid=stMainBlockContainer]').querySelectorAll('*')]
      .filter(e => getComputedStyle(e).position !== 'fixed' && !e.closest('.cx-edge'));
  return {
    inner: innerHeight,
    doc: document.documentElement.scrollHeight,
    main: q('[data-testid=stMain]').scrollHeight,
    bottom: Math.max(...content.map(e => e.getBoundingClientRect().bottom)),
    sidebar: shown(q('[data-testid=stSidebar]')),
    header: shown(q('[data-testid=stHeader]')),
    values: [...box.querySelectorAll('[data-testid=stMetricValue] p')].map(size),
    labels: [...box.querySelectorAll('[data-testid=stMetricLabel] p')].map(size),
    small: own.filter(e => size(e) < 20).map(e => `${size(e)} ${e.textContent.trim()}`),
    chart_text: svg.map(size),
    // per chart, the bars' category labels drawn (Plotly leaves some out when crowded)
    yticks: [...box.querySelectorAll('.js-plotly-plot')]
        .map(p => p.querySelectorAll('.ytick text').length),
    text: box.innerText,
  };
}"""


@pytest.fixture(scope="module")
def server(serve, demo_store: Path):  # type: ignore[no-untyped-def]
    return serve(demo_store)


@pytest.fixture(scope="module")
def worst_case(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # presentation mode with every list at its longest
    server = Server(demo_store, tmp_path_factory.mktemp("worst") / "streamlit.log",
                    script=Path(__file__).with_name("present_worst_app.py"))
    yield server
    server.stop()


def open_present(browser: Browser, url: str, width: int, height: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    wait_for_app(page)
    expect(page.locator(".st-key-present")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    return page


def heading(page: Page, index: int) -> None:
    title = list(SCREENS.values())[index - 1]
    expect(page.get_by_role("heading", name=f"{index} · {title}")).to_be_visible()
    wait_for_app(page)


def in_url(page: Page, **params: str) -> None:
    for key, value in params.items():
        expect(page).to_have_url(re.compile(rf"[?&]{key}={re.escape(value)}(&|$)"))


def measure_screens(browser: Browser, url: str, width: int, height: int,
                    shots: str) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Each screen of the agenda opened from its link, measured as MEASURE says, asserting
    it fits the window, hides the chrome and has no small type."""
    seen: dict[str, dict[str, Any]] = {}
    for index, title in enumerate(SCREENS.values(), 1):
        page = open_present(browser, f"{url}&screen={title.replace(' ', '+')}", width, height)
        heading(page, index)
        page.wait_for_timeout(500)  # let Plotly draw before measuring
        m = page.evaluate(MEASURE)
        seen[title] = m
        screenshot(page, f"{shots}-{index}-{width}x{height}")
        assert m["doc"] <= m["inner"] and m["main"] <= m["inner"], (title, m)
        assert m["bottom"] <= m["inner"], (title, m)
        assert not m["sidebar"] and not m["header"], (title, m)
        assert m["small"] == [], (title, m["small"])  # no text under 20 px …
        assert all(s >= 20 for s in m["chart_text"]), (title, m["chart_text"])  # … nor in charts
        if width == 1366:  # figures from the back of the room
            assert all(s >= 48 for s in m["values"]), (title, m["values"])
            assert all(s >= 20 for s in m["labels"]), (title, m["labels"])
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert not EMAIL.search(page.inner_text("body")), title  # masked unless turned off
        page.close()
    print(shots, {t: (m["doc"], m["main"], round(m["bottom"]), min(m["values"], default=None),
                      min(m["labels"], default=None)) for t, m in seen.items()})  # fmt: skip
    return seen


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_screen_fits_the_window_with_large_type(
    browser: Browser, server: Any, width: int, height: int
) -> None:
    url = f"{server.url}/weekly_review?present=true&week=2026-W26"
    seen = measure_screens(browser, url, width, height, "present")
    assert len(seen["Score"]["values"]) == 12 and len(seen["Wins"]["values"]) == 3
    assert all(seen[t]["chart_text"] for t in ("Recovery", "Next plays"))
    assert seen["Next plays"]["yticks"] == [5] and seen["Recovery"]["yticks"] == [5]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_screen_fits_with_every_list_at_its_longest(
    browser: Browser, worst_case: Server, width: int, height: int
) -> None:
    """More fixes, causes and moving drivers than a screen shows, long names and titles,
    600-character comments (tests/browser/present_worst_app.py): still no scrolling."""
    seen = measure_screens(browser, f"{worst_case.url}/?week=2026-W26", width, height,
                           "present-worst")  # fmt: skip
    assert "and 7 more fixes" in seen["Wins"]["text"] and "more causes" in seen["Worries"]["text"]
    # five drivers on Wins, four on Worries, each named
    assert seen["Wins"]["yticks"] == [5] and seen["Worries"]["yticks"] == [4]
    assert seen["Next plays"]["yticks"] == [5]


def test_keys_and_edges_move_along_the_agenda_and_the_url_follows(
    browser: Browser, server: Any
) -> None:
    url = f"{server.url}/weekly_review?present=true&week=2026-W25&channel=chat"
    outside: list[str] = []  # the in-page script loads nothing (SECURITY.md)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        (server.url, "data:", "blob:")) else None)  # fmt: skip
    page.goto(url)
    wait_for_app(page)
    expect(page.locator(".st-key-present")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    heading(page, 1)
    steps = [("ArrowRight", 2), ("Space", 3), ("PageDown", 4), ("ArrowLeft", 3),
             ("PageUp", 2), ("ArrowRight", 3)]  # fmt: skip
    for key, index in steps:
        page.keyboard.press(key)
        heading(page, index)
        in_url(page, screen=list(SCREENS.values())[index - 1].replace(" ", "+"))
    middle = 768 / 2
    page.mouse.click(1366 - 8, middle)  # the right edge: on …
    heading(page, 4)
    page.mouse.click(8, middle)  # … the left edge: back
    heading(page, 3)
    in_url(page, screen="Worries", week="2026-W25", channel="chat", present="true")
    assert "chat" in page.locator(".st-key-present").inner_text()  # the link's filter applies
    page.keyboard.press("Escape")  # leaves: the page with its sidebar, same week and screen
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    wait_for_app(page)
    expect(page).not_to_have_url(re.compile(r"present="))
    in_url(page, screen="Worries", week="2026-W25", channel="chat")
    expect(page.get_by_role("heading", name="3 · Worries")).to_be_visible()
    assert outside == []
    page.close()


def test_the_present_button_enters_and_masking_stays_on(browser: Browser, server: Any) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server.url}/weekly_review?week=2026-W26&screen=Worries")
    wait_for_app(page)
    page.get_by_role("button", name="Present").click()
    expect(page.locator(".st-key-present")).to_be_visible()
    wait_for_app(page)
    in_url(page, present="true", screen="Worries")  # (W26 is the default week: not in the URL)
    expect(page.locator(".st-key-present")).to_contain_text("2026-W26")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_role("switch", name="Masked")).to_be_checked()
    assert "[email]" in page.inner_text("body") and not EMAIL.search(page.inner_text("body"))
    page.get_by_text("Masked", exact=True).click()  # the presenter turns it off: said so
    wait_for_app(page)
    expect(page.get_by_text("Customer data is shown")).to_be_visible()
    expect(page.locator(".st-key-present")).to_contain_text(EMAIL, timeout=20_000)
    page.close()
