"""The weekly review in Debian's Chromium: the mailed HTML file opens from disk with no request
to any other host and shows the week's numbers and its charts — with JavaScript on, and off as
in a mail client that blocks scripts; the page walks its agenda on a shared screen, masked, and
hands out the same report."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cxdash import store
from cxdash.cli import main
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.runner import totals
from cxdash.review.agenda import SCREENS
from tests.browser.conftest import SHOTS, screenshot, wait_for_app

pytestmark = pytest.mark.browser

W26 = Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28))
# an address as shown: md() puts an invisible word joiner (U+2060) before the "@"
EMAIL = re.compile(r"[\w.+-]+\u2060?@[\w-]+\.[a-z]{2,}")
LOCAL = re.compile(r"^(file|data|blob):")


def _week_numbers(db: Path) -> dict[str, str]:
    con = store.open_read(db)
    values = totals(con, MetricRequest(W26, metrics=("contacts", "fcr_rate", "happy_rate")))
    con.close()
    return {m: format_value(METRICS_BY_ID[m], v) for m, v in values.items()}


def _open_offline(browser: Browser, path: Path, width: int,
                  scripts: bool = True) -> tuple[Page, list[str], list[str]]:  # fmt: skip
    page = browser.new_page(viewport={"width": width, "height": 1000},
                            java_script_enabled=scripts)  # fmt: skip
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests, errors


@pytest.mark.parametrize("width", [1366, 1920])
def test_report_opens_offline_and_shows_the_week(
    browser: Browser, demo_store: Path, tmp_path: Path, width: int
) -> None:
    out = tmp_path / "review-2026-W26.html"
    assert main(["report", "--week", "2026-W26", "--db", str(demo_store), "--out",
                 str(out)]) == 0  # fmt: skip
    page, requests, errors = _open_offline(browser, out, width)
    _charts_drawn(page)

    foreign = [u for u in requests if not LOCAL.match(u)]
    assert foreign == [], foreign
    assert requests[0] == out.as_uri()
    assert errors == []

    text = page.inner_text("body")
    assert "Weekly review · 2026-W26" in text
    for metric_id, shown in _week_numbers(demo_store).items():
        tile = page.locator(".tile").filter(has_text=METRICS_BY_ID[metric_id].label).first
        assert tile.locator(".value").inner_text() == shown, metric_id
    assert "[email]" in text and not EMAIL.search(text)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"report-{width}.png"), full_page=True)
    page.close()


def _charts_drawn(page: Page) -> None:
    """Every chart is on screen, as wide as it can be, with its marks and words."""
    charts = page.locator("svg.chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150, box
        marks = chart.locator("rect[fill]:has(title), circle, text")
        assert marks.count() >= 3
    titles = page.locator("svg.chart").evaluate_all("cs => cs.map(c => c.ariaLabel)")
    assert "Contacts per week" in titles and "Happy per week" in titles


def test_report_charts_show_with_javascript_off(browser: Browser, demo_store: Path,
                                                tmp_path: Path) -> None:  # fmt: skip
    """As a mail client that blocks scripts opens the attachment: every chart still shows,
    and not a byte of the page needed a script."""
    out = tmp_path / "review-2026-W26.html"
    assert main(["report", "--week", "2026-W26", "--db", str(demo_store), "--out",
                 str(out)]) == 0  # fmt: skip
    page, requests, errors = _open_offline(browser, out, 1366, scripts=False)
    _charts_drawn(page)
    bar = page.locator("svg.chart").first.locator("rect:has(title)").last
    assert bar.locator("title").text_content() == (
        f"week of 22 Jun\n{_week_numbers(demo_store)['contacts']} contacts")
    assert [u for u in requests if not LOCAL.match(u)] == [] and errors == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-no-js.png"), full_page=True)
    page.close()


@pytest.fixture(scope="module")
def server(serve, demo_store: Path):  # type: ignore[no-untyped-def]
    return serve(demo_store)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
def test_review_page_walks_the_agenda_masked(
    browser: Browser, server, demo_store: Path, width: int, height: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server.url}/weekly_review")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="1 · Score")).to_be_visible()
    shown = _week_numbers(demo_store)
    contacts = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text("Contacts", exact=True))
    expect(contacts.first.get_by_test_id("stMetricValue")).to_have_text(shown["contacts"])
    for i, title in enumerate(SCREENS.values(), 1):
        if i > 1:
            page.get_by_role("button", name="Next").click()
            wait_for_app(page)
        expect(page.get_by_role("heading", name=f"{i} · {title}")).to_be_visible()
        if i > 1:  # the first screen opens without a parameter
            expect(page).to_have_url(re.compile(r"[?&]screen=" + re.escape(
                title.replace(" ", "+"))))  # fmt: skip
        expect(page.get_by_test_id("stException")).to_have_count(0)
        assert not EMAIL.search(page.inner_text("body")), title
        page.wait_for_timeout(300)  # let Plotly draw before the picture
        screenshot(page, f"review-{i}-{width}x{height}")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.close()


def test_the_page_hands_out_the_masked_report(browser: Browser, server) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{server.url}/weekly_review?week=2026-W26&screen=Worries")
    wait_for_app(page)
    page.get_by_text("Mask customer data", exact=True).click()  # masking off on screen …
    wait_for_app(page)
    expect(page.get_by_text("Customer data is shown")).to_be_visible()
    # the rest of the screen redraws a moment later on a busy machine: wait for it
    expect(page.get_by_test_id("stMain")).to_contain_text(EMAIL, timeout=20_000)
    with page.expect_download() as info:
        page.get_by_role("button", name="Report for mailing (HTML)").click()
    download = info.value
    assert download.suggested_filename == "weekly-review-2026-W26.html"
    html = Path(download.path()).read_text(encoding="utf-8")
    body = html.split("</head>", 1)[1]
    assert "Weekly review · 2026-W26" in body and "[email]" in body  # … the file stays masked
    assert not EMAIL.search(body)
    page.close()
