"""Explore in Chromium: choices made with the mouse land in the URL, and that link opened in a
fresh page shows the same view — charts and the same numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, screenshot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(serve, demo_store: Path) -> Server:
    return serve(demo_store)


def pick(page: Page, label: str, option: str) -> None:
    box = page.get_by_test_id("stMain").get_by_role("combobox", name=re.compile(label))
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_for_app(page)


def test_explore_view_lives_in_the_url(browser: Browser, server: Server) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{server.url}/explore")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Explore")).to_be_visible()
    pick(page, "Group by", "Channel")
    expect(page).to_have_url(re.compile(r"[?&]x_by=Channel\b"))
    pick(page, "Time grain", "Week")
    expect(page).to_have_url(re.compile(r"[?&]x_grain=Week\b"))
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(3)  # contacts, resolution, CSAT: a line per channel each
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    link = page.url
    screenshot(page, "explore-by-channel-week")

    fresh = browser.new_page(viewport={"width": 1600, "height": 1200})
    fresh.goto(link)
    wait_for_app(fresh)
    expect(fresh.get_by_test_id("stPlotlyChart")).to_have_count(3)
    main = fresh.get_by_test_id("stMain")
    expect(main.get_by_text("Channel", exact=True).first).to_be_visible()  # the chosen chip
    # the same query as the page it came from (the grid draws on a canvas, so compare the SQL
    # and parameters the two views report)
    for view in (page, fresh):
        view.get_by_text("The SQL behind these numbers").click()
    codes = [[v.get_by_test_id("stCode").nth(i).inner_text() for i in (0, 1)]
             for v in (page, fresh)]  # fmt: skip
    assert codes[0] == codes[1]
    assert "date_trunc('week'" in codes[0][0] and "AS channel" in codes[0][0]
    assert '"end_date"' in codes[0][1]
    fresh.close()
    page.close()
