"""The scoreboard in a real browser: it loads, shows the engine's numbers, shows no error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from cxdash import store
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.runner import compute, totals
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
def test_scoreboard_renders_engine_values(
    browser: Browser, serve, worked_store: Path, width: int, height: int
) -> None:
    server = serve(worked_store)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server.url)
    wait_for_app(page)

    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", name="Scoreboard")).to_be_visible()
    # Default period: the last 28 days of data, 5 May – 1 Jun 2026 (newest contact: A7).
    con = store.open_read(worked_store)
    want = totals(con, MetricRequest(Period(dt.date(2026, 5, 5), dt.date(2026, 6, 1))))
    con.close()
    for metric_id in ("contacts", "contact_rate", "csat", "resolution_hours_median"):
        metric = METRICS_BY_ID[metric_id]
        tile = page.get_by_test_id("stMetric").filter(has_text=metric.label).first
        expect(tile.get_by_test_id("stMetricValue")).to_have_text(
            format_value(metric, want[metric_id])
        )
    screenshot(page, f"scoreboard-{width}x{height}")
    page.close()


def test_every_tile_with_weeks_draws_its_sparkline(
    browser: Browser, serve, demo_store: Path
) -> None:
    """Each sparkline is an image inside its tile whose text names the first and last week's
    values the engine computes for the Scoreboard's weekly request."""
    from cxdash.first_view import reads

    server = serve(demo_store)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(server.url)
    wait_for_app(page)
    con = store.open_read(demo_store)
    first, last = con.sql("SELECT min(created_at)::DATE, max(created_at)::DATE FROM contacts") \
        .fetchall()[0]  # fmt: skip
    weekly_request = next(r for k, r in reads(first, last) if k == "compute" and r.grain)
    weekly = compute(con, weekly_request)
    con.close()
    images = page.locator("[data-testid='stHtml'] img")
    expect(images).to_have_count(len(weekly_request.metrics))
    # The demo's data ends on the day it was made: on any day but a Sunday its last week is
    # still under way, and the sparklines' text leaves it out of their direction.
    partial = last.weekday() != 6
    for metric_id in ("contacts", "csat", "first_response_hours_median"):
        metric = METRICS_BY_ID[metric_id]
        values = [v for v in weekly[metric_id].to_list() if v is not None]
        whole = values[:-1] if partial else values
        ends = " to ".join(format_value(metric, v) for v in (whole[0], whole[-1]))
        said = f"{metric.label}, last {len(whole)} whole weeks: from {ends}"
        if partial:
            said += f"; this week so far: {format_value(metric, values[-1])}"
        tile = page.get_by_test_id("stVerticalBlock").filter(
            has=page.get_by_test_id("stMetricLabel").get_by_text(metric.label, exact=True)
        ).last
        expect(tile.locator("img")).to_have_attribute("alt", said)
    page.close()
