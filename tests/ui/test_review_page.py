"""The Weekly review page through AppTest: six screens one after another, the week and the
screen from the URL, the sidebar's filters, and masking on by default."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxdash import settings, store
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.metrics.runner import totals
from cxdash.review.agenda import SCREENS, Review
from cxdash.review.screens import Scope
from cxdash.review.weeks import Week
from tests.apptest import APP
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/weekly_review.py"
DEMO_FIRST, DEMO_LAST = dt.date(2025, 7, 2), dt.date(2026, 6, 30)  # the demo_store fixture
# an address as shown: md() puts an invisible word joiner (U+2060) before the "@"
EMAIL = re.compile(r"[\w.+-]+\u2060?@[\w-]+\.[\w.]+")


def open_review(monkeypatch: pytest.MonkeyPatch, db: Path, **params: str) -> AppTest:
    monkeypatch.setenv("CXDASH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def all_text(at: AppTest) -> str:
    """Every element's content as text: protos (labels, markdown, chart specs, table bytes)
    and the tables' cells."""
    parts = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if node.type in ("table", "arrow_data_frame"):
            parts.append(node.value.to_string())
    return "\n".join(parts).replace("\\", "")  # markdown escapes: \[email\] → [email]


def screen_title(at: AppTest) -> str:
    return at.header[0].value.split(" · ", 1)[1]


def test_next_and_previous_through_all_six_screens(monkeypatch, demo_store: Path) -> None:
    at = open_review(monkeypatch, demo_store)
    assert at.title[0].value == "Weekly review"
    # Data to Tue 30 Jun: the newest finished week, W26, opens.
    assert at.selectbox(key="week").value == "2026-W26"
    assert at.selectbox(key="week").options[:2] == ["2026-W27", "2026-W26"]
    assert at.button(key="previous_screen").disabled
    seen = []
    for i, title in enumerate(SCREENS.values()):
        if i:
            at.button(key="next_screen").click().run()
        assert not at.exception, (title, [e.value for e in at.exception])
        assert at.header[0].value == f"{i + 1} · {title}"
        assert at.segmented_control(key="screen").value == title
        seen.append(screen_title(at))
        _check_content(at, title)
    assert seen == list(SCREENS.values())
    assert at.button(key="next_screen").disabled
    for title in reversed(list(SCREENS.values())[:-1]):
        at.button(key="previous_screen").click().run()
        assert not at.exception
        assert screen_title(at) == title
    assert at.button(key="previous_screen").disabled


def _check_content(at: AppTest, title: str) -> None:
    labels = [m.label for m in at.metric]
    if title == "Score":
        assert {"Contacts", "Contact rate", "First-contact resolution", "Happy"} <= set(labels)
        assert len(at.metric) == 12 and len(at.get("plotly_chart")) == 2
        assert sum("4-wk avg" in c.value for c in at.caption) == 12
    elif title == "Wins":
        assert labels == ["Causes eliminated", "Contacts avoided", "Drivers falling"]
        assert any("kept" in m.value and "contacts away" in m.value for m in at.markdown)
    elif title == "Worries":
        targets = [e.value for e in at.error] + [s.value for s in at.success]
        assert any("First response within 4 h" in t for t in targets)
        assert any("Happy rate holding" in t for t in targets)
        assert any("came back" in m.value for m in at.markdown)  # RC-109, the fix that failed
    elif title == "Recovery":
        assert any("2 Mar – 29 Mar 2026" in m.value for m in at.markdown)
        assert len(at.get("plotly_chart")) == 1 and at.table
    elif title == "Moments of magic":
        quotes = [h.value for h in at.subheader if h.value.startswith("“")]
        assert len(quotes) == 6
        assert all(c.value.startswith("★★★★") for c in at.caption if "★" in c.value)
    elif title == "Next plays":
        table = at.table[0].value
        assert list(table["Driver"])[:1] and len(table) == 5
        assert len(at.get("plotly_chart")) == 1


def test_masking_is_on_by_default_and_can_be_turned_off(monkeypatch, demo_store: Path) -> None:
    # The e-mail the demo wrote into a low-rated comment of W26, read straight from the agenda
    # with masking off.
    con = store.open_read(demo_store)
    scope = Scope(Week(2026, 26), first_day=DEMO_FIRST, last_day=DEMO_LAST, masked=False)
    voices = Review(con, store.inspect(con), settings.load(con), scope).worries().voices
    con.close()
    emails = [m for c in voices["comment"] for m in EMAIL.findall(c)]
    assert emails, "the demo's W26 should quote an e-mail among its lowest-rated comments"
    email = emails[0]

    at = open_review(monkeypatch, demo_store, week="2026-W26", screen="Worries")
    assert screen_title(at) == "Worries"
    assert at.toggle(key="mask").value is True
    text = all_text(at)
    assert email not in text and "[email]" in text
    assert not EMAIL.search(text.replace("[email]", ""))

    at.toggle(key="mask").set_value(False).run()
    assert not at.exception
    assert email in all_text(at).replace("\u2060", "")  # (md()'s joiner before the "@")
    assert any("Customer data is shown" in w.value for w in at.warning)


def test_masking_hides_agent_names_on_moments_of_magic(monkeypatch, demo_store: Path) -> None:
    at = open_review(monkeypatch, demo_store, week="2026-W26", screen="Moments of magic")
    masked = all_text(at)
    assert "[name]" in masked
    at.toggle(key="mask").set_value(False).run()
    shown = all_text(at)
    assert "[name]" not in shown
    # "Thank you {agent} for the patience." names an agent by first name when unmasked.
    assert re.search(r"Thank you [A-Z][a-z]+ for the patience", shown)


def test_week_from_the_url_and_the_sidebar_filters(monkeypatch, demo_store: Path) -> None:
    at = open_review(monkeypatch, demo_store, week="2026-W20")
    assert at.selectbox(key="week").value == "2026-W20"
    assert any("2026-W20 · 11 – 17 May 2026" in c.value for c in at.caption)
    at.sidebar.multiselect(key="channel").set_value(["chat"]).run()
    assert not at.exception
    con = store.open_read(demo_store)
    week = Week(2026, 20)
    chat = Filters.of({"channel": ["chat"]})
    want = totals(con, MetricRequest(Period(week.start, week.end), chat,
                                     metrics=("contacts", "csat")))  # fmt: skip
    con.close()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Contacts"] == format_value(METRICS_BY_ID["contacts"], want["contacts"])
    assert tiles["CSAT"] == format_value(METRICS_BY_ID["csat"], want["csat"])


def test_a_store_without_orders_csat_or_register(monkeypatch, tmp_path: Path) -> None:
    t0 = ts("2026-06-01 09:00")
    contacts = [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=7 * i),
         "channel": ["chat", "email"][i % 2], "reason": ["Where is my order", "Refund"][i % 2],
         "first_response_at": t0 + dt.timedelta(hours=7 * i + 1),
         "resolved_at": t0 + dt.timedelta(hours=7 * i + 5) if i % 4 else None}
        for i in range(60)
    ]  # fmt: skip
    at = open_review(monkeypatch, build_store(tmp_path / "sparse.duckdb", contacts))
    for title in SCREENS.values():
        assert screen_title(at) == title
        assert not at.exception, title  # (a missed target is an st.error on Worries)
        if title == "Recovery":
            assert any("Import orders" in m.value for m in at.markdown)
        if title == "Moments of magic":
            assert any("No comment rated 4 or 5" in m.value for m in at.markdown)
        if title != "Next plays":
            at.button(key="next_screen").click().run()
