"""The dashboard in Debian's Chromium against a real `streamlit run`: every page loads, a
filter changes the URL and the numbers, the URL reproduces the view, bad links do not crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = ("", "playing_to_win", "defense", "speed_to_happiness", "data")


@pytest.fixture(scope="module")
def server(serve, demo_store: Path) -> Server:
    return serve(demo_store)


def tile_value(page: Page, label: str) -> str:
    tile = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return tile.first.get_by_test_id("stMetricValue").inner_text()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_without_exception(browser: Browser, server: Server, path: str) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stHeading").first).to_be_visible()
    if path in ("", "playing_to_win", "defense", "speed_to_happiness"):
        # At least three charts or tiles; Plotly mounts its charts after the script has
        # finished (its code loads on first use), so wait for the third.
        shown = page.get_by_test_id("stPlotlyChart").or_(page.get_by_test_id("stMetric"))
        expect(shown.nth(2)).to_be_attached()
    page.close()


def test_filter_changes_url_and_numbers_and_the_link_reproduces_them(
    browser: Browser, server: Server
) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(server.url)
    wait_for_app(page)
    before = tile_value(page, "Contacts")

    channel = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    channel.click()
    page.get_by_role("option", name="chat", exact=True).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"[?&]channel=chat\b"))
    wait_for_app(page)
    expect(page.get_by_test_id("stMetric").first).not_to_have_text(re.compile(re.escape(before)))
    after = tile_value(page, "Contacts")
    rate = tile_value(page, "First-contact resolution")
    assert int(after.replace(",", "")) < int(before.replace(",", ""))
    link = page.url
    screenshot(page, "filtered-chat")

    fresh = browser.new_page(viewport={"width": 1600, "height": 1200})
    fresh.goto(link)
    wait_for_app(fresh)
    assert tile_value(fresh, "Contacts") == after
    assert tile_value(fresh, "First-contact resolution") == rate
    expect(fresh.get_by_test_id("stSidebar").get_by_text("chat", exact=True)).to_be_visible()
    fresh.close()
    page.close()


def test_bad_link_parameters_are_ignored_with_a_note(browser: Browser, server: Server) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{server.url}/defense?channel=carrier+pigeon&period=%27%3B+DROP+TABLE+contacts"
              "&team=%3Cscript%3Ealert(1)%3C%2Fscript%3E")  # fmt: skip
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    note = page.get_by_test_id("stSidebar").get_by_test_id("stAlert")
    expect(note).to_contain_text("channel=carrier pigeon")
    expect(note).to_contain_text("DROP TABLE")
    expect(page.get_by_role("heading", name="Defense")).to_be_visible()
    page.close()


def test_a_store_without_its_first_view_gets_one_from_the_server(
    browser: Browser, serve, demo_store: Path, tmp_path: Path, monkeypatch
) -> None:
    """A store written by something other than cxdash's writers (here a plain copy) has no
    saved first view: the server computes it while it starts, and saves it for the next
    (the demo store is small: the server is told to keep one at any size)."""
    import json
    import shutil
    import time

    from cxdash import first_view, store

    monkeypatch.setenv(first_view.MIN_CONTACTS_ENV, "0")

    db = tmp_path / "copied.duckdb"
    shutil.copy2(demo_store, db)
    snapshot = first_view.snapshot_path(db)
    assert not snapshot.exists()
    server = serve(db)
    deadline = time.monotonic() + 60
    while not snapshot.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    body = json.loads(snapshot.read_text())
    assert body["version"] == list(store.store_version(db))
    con = store.open_read(db)
    first, last = con.sql("SELECT min(created_at)::DATE, max(created_at)::DATE FROM contacts") \
        .fetchall()[0]  # fmt: skip
    con.close()
    expected = {first_view.entry_key(k, r) for k, r in first_view.reads(first, last)}
    assert set(body["entries"]) == expected
    contacts = next(v[1] for e in body["entries"].values() for v in e.get("values", ())
                    if v[0] == "contacts")  # fmt: skip
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(server.url)
    wait_for_app(page)
    assert tile_value(page, "Contacts") == f"{contacts:,}"
    page.close()
