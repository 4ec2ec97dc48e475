"""The wall page through AppTest on the demo store: every panel at once with its figures, what
moved today and the last 7 days, the backlog and the SLA at-risk list, the freshness in words;
a link's refresh it cannot take is said; with `rotate`, one panel. The redraw by itself and
the import it picks up are the browser's (tests/browser/test_wall_browser.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxdash import store
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.runner import totals
from cxdash.views import wall
from tests.apptest import APP

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/wall.py"
LAST = dt.date(2026, 6, 30)  # the demo_store fixture's last day


def open_wall(monkeypatch: pytest.MonkeyPatch, db: Path, **params: str) -> AppTest:
    monkeypatch.setenv("CXDASH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    return "\n".join(str(getattr(node, "proto", "")) for node in at._tree)


def test_the_wall_shows_every_panel(monkeypatch, demo_store: Path) -> None:
    at = open_wall(monkeypatch, demo_store, refresh="10")
    labels = [m.label for m in at.metric]
    for metric in ("Contacts", "Contact rate", "Repeat contacts", "Preventable share",
                   "Resolution", "First-contact resolution", "CSAT", "First response (p90)",
                   "Backlog", "SLA at risk", "SLA breaches"):  # fmt: skip
        assert metric in labels, (metric, labels)
    today = next(m for m in at.metric if m.label.startswith("Today, Tue 30 Jun to "))
    week = next(m for m in at.metric if m.label.startswith("Last 7 days, to Tue "))
    con = store.open_read(demo_store)
    info = store.inspect(con)
    day = totals(con, MetricRequest(Period(LAST, LAST), metrics=("contacts",)), info)
    seven = totals(con, MetricRequest(wall.week(dt.date(2025, 7, 2), LAST),
                                      metrics=("contacts",)), info)  # fmt: skip
    con.close()
    # the demo's last day is whole, so "today to its newest contact" is the day
    assert today.value == f"{day['contacts']:,}"
    assert week.value == f"{seven['contacts']:,}"
    contacts = next(m for m in at.metric if m.label == "Contacts")
    assert contacts.value == week.value  # the headline figure: the same 7 days
    assert at.table  # the at-risk list: due in, target, team
    assert list(at.table[0].value.columns) == ["Due in", "Target", "Team"]
    text = _text(at)
    assert "data up to 30 Jun" in text and "written" in text and "every 10 s" in text
    assert "last 7 days (24 Jun – 30 Jun) against the 7 before" in text


def test_a_refresh_under_ten_seconds_is_said(monkeypatch, demo_store: Path) -> None:
    at = open_wall(monkeypatch, demo_store, refresh="2")
    assert any("refresh=2 is under 10 s: 10 s" in c.value for c in at.caption)
    assert "every 10 s" in _text(at)


def test_rotating_shows_one_panel(monkeypatch, demo_store: Path) -> None:
    at = open_wall(monkeypatch, demo_store, rotate="10")
    panels = [h.value for h in at.subheader if h.value.split(" ")[0] in
              ("Headline", "What", "Backlog")]  # fmt: skip
    assert len(panels) == 1 and ("●" in panels[0]), panels
    labels = {m.label for m in at.metric}
    shown = {"figures": "Preventable share" in labels,
             "moved": any(label.startswith("Today,") for label in labels),
             "backlog": "SLA at risk" in labels}  # fmt: skip
    assert sum(shown.values()) == 1, shown


def test_the_wall_keeps_the_links_filters(monkeypatch, demo_store: Path) -> None:
    at = open_wall(monkeypatch, demo_store, channel="chat")
    assert at.header[0].value.lower().startswith("channel")
    chat = next(m for m in at.metric if m.label == "Contacts")
    everyone = open_wall(monkeypatch, demo_store)
    assert int(chat.value.replace(",", "")) < int(
        next(m for m in everyone.metric if m.label == "Contacts").value.replace(",", ""))
