"""Honest numbers in a real browser: a status-only export never shows 0 % for what it never
measured, and a week the data ends inside is marked "so far" (SPEC §3, issue 16)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import screenshot, wait_for_app
from tests.storebuilder import build_store

pytestmark = pytest.mark.browser

NOT_HELD = {"Transferred": "transfers", "Escalated": "escalated", "Self-service": "self_served",
            "Reopened": "reopens", "Happy": "resolved_at", "CSAT": "csat"}  # fmt: skip


@pytest.fixture(scope="module")
def status_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complaints export: id, time, channel, status — nothing else. Two contacts a day from
    Monday 2 March to Wednesday 15 April 2026 (09:00 Closed, 22:00 Open), so the last week
    holds three days."""
    rows = []
    for day in range(45):
        date = dt.datetime(2026, 3, 2) + dt.timedelta(days=day)
        rows.append({"contact_id": f"c{day}a", "created_at": date.replace(hour=9),
                     "channel": "web", "status": "Closed"})
        rows.append({"contact_id": f"c{day}b", "created_at": date.replace(hour=22),
                     "channel": "web", "status": "Open"})
    return build_store(tmp_path_factory.mktemp("status") / "status.duckdb", rows)


def test_a_status_only_scoreboard_says_not_in_your_data_never_zero(
    browser: Browser, serve, status_store: Path
) -> None:
    server = serve(status_store)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server.url)
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)

    def tile(label: str):  # type: ignore[no-untyped-def]
        return page.get_by_test_id("stVerticalBlock").filter(
            has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)).last

    # Resolved by status: of the last 28 days' 56 contacts, the 28 at 09:00 are Closed.
    expect(tile("Resolution").get_by_test_id("stMetricValue")).to_have_text("50.0%")
    # Backlog: every Open contact up to 15 April, 45 of them.
    expect(tile("Backlog").get_by_test_id("stMetricValue")).to_have_text("45")
    for label, field in NOT_HELD.items():
        box = tile(label)
        expect(box.get_by_test_id("stMetricValue")).to_have_text("—")
        expect(box).to_contain_text(f"Not in your data: import {field}")
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    assert "0.0%" not in values, values
    screenshot(page, "status-only-scoreboard")
    page.close()


def test_a_week_the_data_ends_inside_is_marked_so_far(
    browser: Browser, serve, status_store: Path
) -> None:
    server = serve(status_store)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server.url + "/playing_to_win")
    wait_for_app(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    # The week of 13 April holds Mon–Wed: its point is the hollow one labelled "so far".
    expect(chart.locator("text", has_text="so far")).to_have_count(1)
    expect(page.get_by_test_id("stPlotlyChart").nth(2)).to_contain_text("13 Apr (so far)")
    screenshot(page, "partial-week-playing-to-win")
    # The Scoreboard's sparklines leave it out of their direction and say so.
    page.goto(server.url)
    wait_for_app(page)
    spark = page.get_by_test_id("stVerticalBlock").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text("Contacts", exact=True)
    ).last.locator("img")
    expect(spark).to_have_attribute("alt", "Contacts, last 6 whole weeks: from 14 to 14; "
                                           "this week so far: 6")
    page.close()
