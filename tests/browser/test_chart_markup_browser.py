"""Plotly's own tags in data, in Chromium: a reason, team or agent holding `<a href=…>` or
`<span style="…url(…)">` is drawn as those characters in every chart — on the pages and in
the offline report — never as a link, and nothing is fetched from another host."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from cxdash.cli import main
from tests.browser.conftest import Server, wait_for_app
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.browser

EVIL = "203.0.113.7"  # TEST-NET-3: never routed
REASONS = [f'<a href="http://{EVIL}/r">Refund</a>',
           f"<span style='fill:url(http://{EVIL}/f)'>Late</span>", "Damaged"]  # fmt: skip
TEAMS = [f"<A HREF=//{EVIL}/t target=_blank>Ops</A>", "Billing"]
AGENTS = [f'<span style="font-family:url(//{EVIL}/a)">Ann</span>', "Bo"]
PAGES = ("playing_to_win", "explore?x_by=Reason&x_by=Team", "explore?x_by=Agent", "defense",
         "speed_to_happiness", "weekly_review?week=2026-W20")  # fmt: skip


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t0 = ts("2026-04-06 09:00")
    contacts = [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=5 * i),
         "reason": REASONS[i % 3], "team": TEAMS[i % 2], "agent": AGENTS[(i // 2) % 2],
         "channel": "chat", "customer_id": f"k{i % 30}",
         "first_response_at": t0 + dt.timedelta(hours=5 * i, minutes=20),
         "resolved_at": t0 + dt.timedelta(hours=5 * i + 2) if i % 4 else None,
         "transfers": i % 3, "csat": 5 if i % 3 else 2}
        for i in range(300)
    ]  # fmt: skip
    orders = [{"order_id": f"o{i}", "ordered_at": t0 + dt.timedelta(hours=2 * i),
               "customer_id": f"k{i % 30}"} for i in range(700)]  # fmt: skip
    return build_store(tmp_path_factory.mktemp("markup") / "cxdash.duckdb", contacts, orders)


@pytest.fixture(scope="module")
def server(serve, db: Path) -> Server:
    return serve(db)


def _watch(page: Page, allowed: tuple[str, ...]) -> list[str]:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(allowed) else outside.append(r.url))
    return outside


def _no_link_in_charts(page: Page, chart: str = ".js-plotly-plot") -> None:
    charts = page.locator(f"{chart} .main-svg" if chart == ".js-plotly-plot" else chart)
    charts.first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # the page's other charts
    assert page.locator(f"{chart} a").count() == 0  # Plotly draws <a> for its tag
    # no attribute anywhere in a chart names the outside host (a style's url(), an href);
    # the text nodes may (and Plotly keeps their source in data-unformatted): that is the
    # value, drawn as characters
    named = page.evaluate("""([host, chart]) => [...document.querySelectorAll(chart + ' *')]
        .flatMap(e => [...e.attributes].filter(a => a.name !== 'data-unformatted'
                                              && a.value.includes(host))
        .map(a => e.tagName + ' ' + a.name + '=' + a.value))""", [EVIL, chart])
    assert named == []


@pytest.mark.parametrize("path", PAGES)
def test_markup_in_chart_data_is_drawn_as_text(browser: Browser, server: Server,
                                               path: str) -> None:  # fmt: skip
    page = browser.new_page(viewport={"width": 1600, "height": 1400})
    outside = _watch(page, (server.url, "data:", "blob:", "about:"))
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    page.wait_for_timeout(1500)
    _no_link_in_charts(page)
    if path == "playing_to_win":  # the Pareto's ticks show the reason as written
        ticks = page.locator(".js-plotly-plot .xtick text").all_text_contents()
        assert any(t.startswith("<a href=") for t in ticks), ticks
    assert outside == []
    page.close()


def test_markup_in_the_offline_report_is_drawn_as_text(browser: Browser, db: Path,
                                                      tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "review.html"
    assert main(["report", "--week", "2026-W16", "--db", str(db), "--out", str(out)]) == 0
    body = out.read_text()
    assert f'<a href=\\"http://{EVIL}' not in body and f"<a href=\\\"http://{EVIL}" not in body
    page = browser.new_page(viewport={"width": 1366, "height": 1000})
    outside = _watch(page, ("file:", "data:", "blob:", "about:"))
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(800)
    _no_link_in_charts(page, "svg.chart")  # the report draws its charts as inline SVG
    words = " ".join(page.locator("svg.chart text").all_text_contents())
    assert "<a href=" in words or "<span style=" in words or "<A HREF=" in words, words
    assert outside == []
    page.close()
