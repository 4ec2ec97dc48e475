"""The Streamlit app through AppTest: what a person sees on the scoreboard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxdash.metrics.catalogue import METRICS
from tests.apptest import open_app
from tests.storebuilder import build_store, ts

LABELS = {m.label for m in METRICS}
pytestmark = pytest.mark.usefixtures("app_env")


def run_app(monkeypatch: pytest.MonkeyPatch, db: Path) -> AppTest:
    at = open_app(monkeypatch, db)
    assert not at.exception, at.exception
    return at


def tiles(at: AppTest) -> dict[str, tuple[str, str | None, str]]:
    return {m.label: (m.value, m.delta, m.help) for m in at.metric}


def test_scoreboard_shows_worked_example_for_may(monkeypatch, worked_store: Path) -> None:
    at = run_app(monkeypatch, worked_store)
    at.sidebar.selectbox(key="period").select("Custom range").run()
    at.sidebar.date_input(key="dates").set_value((dt.date(2026, 5, 1), dt.date(2026, 5, 31))).run()
    assert not at.exception
    shown = tiles(at)
    assert shown["Contacts"][0] == "7"
    assert shown["Contact rate"][0] == "1,400.0"
    assert shown["Repeat contacts"][0] == "33.3%"
    assert shown["CSAT"][0] == "50.0%"
    assert shown["Resolve time (median)"][0] == "7.5 h"
    assert shown["First response (p90)"][0] == "6.5 h"
    assert shown["Customer effort"][0] == "3.50"
    # April (the previous 31 days) had the four B contacts: +3 contacts.
    assert shown["Contacts"][1] == "+3 (+75.0%)"
    # Every tile carries its definition as help text.
    assert "1000 × contacts ÷ orders" in shown["Contact rate"][2]
    assert len([label for label in shown if label in LABELS]) == 24


def test_store_without_orders_or_csat_shows_dashes_and_why(monkeypatch, tmp_path: Path) -> None:
    db = build_store(tmp_path / "bare.duckdb", [
        {"contact_id": "c1", "created_at": ts("2026-03-02 10:00"),
         "resolved_at": ts("2026-03-02 12:00")},
    ])  # fmt: skip
    shown = tiles(run_app(monkeypatch, db))
    assert shown["Contact rate"][0] == "—"
    assert "import orders to see contact rate" in shown["Contact rate"][2]
    assert shown["CSAT"][0] == "—"
    assert shown["Contacts"][0] == "1"


def test_missing_store_shows_welcome_with_demo_button(monkeypatch, tmp_path: Path) -> None:
    at = run_app(monkeypatch, tmp_path / "none.duckdb")
    assert at.title[0].value == "Welcome to cxdash"
    assert at.button[0].label == "Load demo data"
    assert not at.metric


def test_empty_store_shows_welcome(monkeypatch, tmp_path: Path) -> None:
    at = run_app(monkeypatch, build_store(tmp_path / "empty.duckdb", []))
    assert at.title[0].value == "Welcome to cxdash"


def test_a_period_ending_on_a_day_cut_short_says_so(monkeypatch, tmp_path: Path) -> None:
    # Ten whole days (last contact 22:00 each), then an export taken at 11:30 on 11 March.
    rows = [{"contact_id": f"c{d}{h}", "created_at": dt.datetime(2026, 3, 1 + d, h)}
            for d in range(10) for h in (9, 15, 22)]  # fmt: skip
    rows.append({"contact_id": "x", "created_at": dt.datetime(2026, 3, 11, 11, 30)})
    at = run_app(monkeypatch, build_store(tmp_path / "s.duckdb", rows))
    said = " ".join(c.value for c in at.sidebar.caption)
    assert "the last day, 11 Mar, has data only to 11:30: it is incomplete" in said
