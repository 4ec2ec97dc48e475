"""Hostile input in Chromium: contact fields, comments, root-cause titles and notes holding
HTML, script, Markdown images and javascript: links are shown as text on every page — no
dialog opens, no request leaves 127.0.0.1, no injected image, script or link exists — and a
URL parameter holding SQL is a plain value that matches nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Server, wait_for_app
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.browser

EVIL = "203.0.113.9"  # TEST-NET-3: never routed
REASON = f"![pwn](http://{EVIL}/r.png)"
TEAM = "<img src=x onerror=alert(1)>"
COMMENT = (f"<script>alert(2)</script> [click](javascript:alert(3)) ![i](http://{EVIL}/c.png) "
           "$x^2$ :red[loud]")  # fmt: skip
TITLE = f"<b>bold</b> ![t](http://{EVIL}/t.png)"
PAGES = ("", "playing_to_win", "root_causes", "driver_catalog", "defense", "speed_to_happiness",
         "explore?x_by=Reason&x_by=Team", "weekly_review", "data")  # fmt: skip


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory: pytest.TempPathFactory) -> Server:
    t0 = ts("2026-05-04 09:00")
    contacts = [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=7 * i),
         "reason": [REASON, "Refund"][i % 2], "team": [TEAM, "Billing"][i % 2],
         "channel": "chat", "agent": "<i>agent</i>", "customer_id": f"k{i % 40}",
         "first_response_at": t0 + dt.timedelta(hours=7 * i + 1),
         "resolved_at": t0 + dt.timedelta(hours=7 * i + 3), "csat": 5 if i % 3 else 1,
         "comment": COMMENT}
        for i in range(240)
    ]  # fmt: skip
    orders = [{"order_id": f"o{i}", "ordered_at": t0 + dt.timedelta(hours=3 * i),
               "customer_id": f"k{i % 40}"} for i in range(500)]  # fmt: skip
    causes = [{"cause_id": "RC-1", "title": TITLE, "reasons": [REASON], "owner": TEAM,
               "status": "eliminated", "identified_on": dt.date(2026, 5, 10),
               "fixed_on": dt.date(2026, 5, 25), "notes": COMMENT}]  # fmt: skip
    db = build_store(tmp_path_factory.mktemp("hostile") / "cxdash.duckdb", contacts, orders,
                     (), causes)  # fmt: skip
    return serve(db)


@pytest.mark.parametrize("path", PAGES)
def test_hostile_text_stays_text(browser: Browser, server: Server, path: str) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    dialogs: list[str] = []
    outside: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(
        (server.url, "data:", "blob:", "about:")) else outside.append(r.url))  # fmt: skip
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    page.wait_for_timeout(1500)  # let lazy images and charts settle
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert dialogs == [] and outside == []
    assert page.locator(f"img[src*='{EVIL}']").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("script:has-text('alert(2)')").count() == 0
    if path == "root_causes":  # the title and notes shown literally
        heading = page.get_by_test_id("stHeading").filter(has_text="<b>bold</b>")
        expect(heading.first).to_be_visible()  # (md() puts invisible joiners in "http://")
        assert f"RC-1 · {TITLE}" in heading.first.inner_text().replace("\u2060", "")
        notes = page.get_by_test_id("stMarkdown").filter(has_text="<script>alert(2)</script>")
        assert COMMENT in notes.first.inner_text().replace("\u2060", "")
    page.close()


def test_sql_in_a_url_parameter_is_a_plain_value(browser: Browser, server: Server) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{server.url}/?team=%27%20OR%201%3D1%20--&channel=chat%27%3B%20DROP%20TABLE"
              "%20contacts%3B%20--")  # fmt: skip
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    note = page.get_by_test_id("stSidebar").get_by_test_id("stAlert")
    expect(note).to_contain_text("Ignored from the link")
    expect(note).to_contain_text("team=' OR 1=1")
    expect(note).to_contain_text("DROP TABLE contacts")
    page.goto(f"{server.url}/explore?x_metrics=Contacts")
    wait_for_app(page)
    expect(page.get_by_test_id("stMetric").first).to_contain_text("Contacts")
    page.close()


# Bare addresses GitHub-flavoured Markdown would make links of (issue 19): in a link's values
# that the filters ignore, shown in the sidebar's note through md().
AUTOLINKS = ["www.example.com", "WWW.Example.org/x?q=1", "user@example.com",
             "first.last+tag@sub.example.co.uk", "mailto:a@example.com", "xmpp:u@example.com",
             f"http://{EVIL}/x", "(www.example.net)", "<b@example.com>", "ftp://example.com/f"]


def test_bare_addresses_in_a_link_are_not_made_links(browser: Browser, server: Server) -> None:
    from urllib.parse import urlencode

    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(
        (server.url, "data:", "blob:", "about:")) else outside.append(r.url))  # fmt: skip
    page.goto(f"{server.url}/?" + urlencode([("team", v) for v in AUTOLINKS]))
    wait_for_app(page)
    note = page.get_by_test_id("stSidebar").get_by_text("Ignored from the link", exact=False)
    expect(note).to_be_visible()
    shown = note.inner_text().replace("\u2060", "")  # the invisible joiners md() puts in
    assert [v for v in AUTOLINKS if v not in shown] == []  # each shown as written
    links = page.get_by_test_id("stSidebar").locator("a[href]").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in links if "example" in h or EVIL in h or h.startswith(("mailto", "xmpp"))]
    assert outside == []
    page.close()
