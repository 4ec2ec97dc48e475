"""Every page through AppTest on three stores: the demo, one without orders or CSAT, an empty
one. A page must never show a Python exception, and must say why a number is missing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxdash import settings, store
from tests.apptest import APP, open_app
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.usefixtures("app_env")
PAGES = (
    "pages/scoreboard.py", "pages/playing_to_win.py", "pages/defense.py",
    "pages/speed_to_happiness.py", "pages/root_causes.py", "pages/driver_catalog.py",
    "pages/explore.py",
    "pages/data.py",
)  # fmt: skip


@pytest.fixture(scope="session")
def sparse_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Contacts only: no orders, no CSAT, no catalog, no root causes."""
    t0 = ts("2026-06-01 09:00")
    contacts = [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=7 * i),
         "channel": ["chat", "email"][i % 2], "team": ["A", "B"][i % 2],
         "reason": ["Where is my order", "Refund", None][i % 3],
         "first_response_at": t0 + dt.timedelta(hours=7 * i + 1),
         "resolved_at": t0 + dt.timedelta(hours=7 * i + 5) if i % 4 else None}
        for i in range(60)
    ]  # fmt: skip
    return build_store(tmp_path_factory.mktemp("sparse") / "sparse.duckdb", contacts)


def visit_every_page(at: AppTest) -> dict[str, AppTest]:
    seen = {}
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
        assert not at.error, f"{page}: {[e.value for e in at.error]}"
        seen[page] = at
    return seen


def test_every_page_on_the_demo_store(monkeypatch, demo_store: Path) -> None:
    at = open_app(monkeypatch, demo_store)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
        titles = [t.value for t in at.title]
        assert titles, page
        if page not in ("pages/data.py", "pages/driver_catalog.py", "pages/explore.py"):
            assert len(at.get("plotly_chart")) + len(at.metric) > 3, page
    at.switch_page("pages/scoreboard.py").run()
    labels = {m.label for m in at.metric}
    assert {"Contacts", "Contact rate", "First-contact resolution", "Happy"} <= labels


def test_every_page_without_orders_or_csat(monkeypatch, sparse_store: Path) -> None:
    at = open_app(monkeypatch, sparse_store)
    visit_every_page(at)
    at.switch_page("pages/scoreboard.py").run()
    tiles = {m.label: m for m in at.metric}
    assert tiles["Contact rate"].value == "—"
    assert "import orders" in tiles["Contact rate"].help
    assert tiles["CSAT"].value == "—"
    assert tiles["Preventable share"].value == "—"
    assert "driver catalog" in tiles["Preventable share"].help
    at.switch_page("pages/playing_to_win.py").run()
    assert any("Import orders" in i.value for i in at.info)


def test_empty_store_offers_demo_on_every_page(monkeypatch, tmp_path: Path) -> None:
    at = open_app(monkeypatch, build_store(tmp_path / "empty.duckdb", []))
    assert at.title[0].value == "Welcome to cxdash"
    assert at.button[0].label == "Load demo data"
    assert not at.exception


def test_filters_narrow_the_numbers(monkeypatch, demo_store: Path) -> None:
    at = open_app(monkeypatch, demo_store)
    total = int({m.label: m for m in at.metric}["Contacts"].value.replace(",", ""))
    at.sidebar.multiselect(key="channel").set_value(["chat"]).run()
    assert not at.exception
    chat = int({m.label: m for m in at.metric}["Contacts"].value.replace(",", ""))
    assert 0 < chat < total
    at.sidebar.button[0].click().run()  # reset
    again = int({m.label: m for m in at.metric}["Contacts"].value.replace(",", ""))
    assert again == total


def test_invalid_link_values_are_named_not_fatal(monkeypatch, demo_store: Path) -> None:
    monkeypatch.setenv("CXDASH_DB", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["channel"] = ["carrier pigeon"]
    at.query_params["period"] = ["Last 3 fortnights"]
    at.run()
    assert not at.exception
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "channel=carrier pigeon" in warning and "period=Last 3 fortnights" in warning


def test_targets_are_saved_in_the_store(monkeypatch, tmp_path: Path, sparse_store: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(sparse_store.read_bytes())
    at = open_app(monkeypatch, db)
    at.switch_page("pages/data.py").run()
    at.number_input[0].set_value(2.0)
    at.number_input[1].set_value(12.0)
    next(b for b in at.button if b.label == "Save targets").click().run()
    assert not at.exception
    from cxdash import settings, store

    con = store.open_read(db)
    saved = settings.load(con)
    con.close()
    assert (saved.first_response_target_hours, saved.happy_hours) == (2.0, 12.0)


def _drill_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if " contacts · page " in c.value)


def test_drilldown_from_a_pareto_bar(monkeypatch, demo_store: Path) -> None:
    at = open_app(monkeypatch, demo_store)
    at.switch_page("pages/playing_to_win.py").run()
    at.session_state["pareto"] = {
        "selection": {"points": [{"x": "Refund"}], "point_indices": [2], "box": [], "lasso": []}
    }
    at.run()
    assert not at.exception
    assert any("Contacts behind: Refund" in m.value for m in at.markdown)
    shown = at.dataframe[-1].value
    assert set(shown["reason"]) == {"Refund"}
    # the count matches the engine's for the same view
    from cxdash import store
    from cxdash.metrics.request import Filters, MetricRequest
    from cxdash.metrics.runner import totals

    con = store.open_read(demo_store)
    view = at.session_state["view"]
    want = totals(con, MetricRequest(view.period, Filters.of({"reason": ["Refund"]}),
                                     metrics=("contacts",)))["contacts"]  # fmt: skip
    con.close()
    assert _drill_caption(at).startswith(f"{want:,} contacts")


def test_drilldown_from_team_rows(monkeypatch, demo_store: Path) -> None:
    at = open_app(monkeypatch, demo_store)
    at.switch_page("pages/defense.py").run()
    at.session_state["by_team"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    header = next(m.value for m in at.markdown if "Contacts behind:" in m.value)
    team = header.split("team: ", 1)[1].rstrip("*")
    assert set(at.dataframe[-1].value["team"]) == {team}


def test_a_status_only_store_says_not_in_your_data_instead_of_zero(monkeypatch,
                                                                   tmp_path: Path) -> None:
    """A complaints export (id, date, status): no 0 % for transfers it never had, resolution
    from its statuses, and a backlog of the open ones only."""
    t0 = ts("2026-03-02 09:00")
    statuses = ["Closed", "Solved", "Closed", "Open"]
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=7 * i),
                 "status": statuses[i % 4]} for i in range(40)]  # fmt: skip
    at = open_app(monkeypatch, build_store(tmp_path / "cxdash.duckdb", contacts))
    assert not at.exception, [e.value for e in at.exception]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Resolution"] == "75.0%" and tiles["Backlog"] == "10"
    for label in ("Transferred", "Escalated", "Self-service", "Reopened", "Happy"):
        assert tiles[label] == "—", label
    notes = [c.value for c in at.caption if c.value.startswith("Not in your data")]
    assert "Not in your data: import `transfers`" in notes
    assert "Not in your data: import `resolved_at`" in notes  # happy needs resolution times
    # No reasons at all (every contact "Unknown"): no driver is said to rise or fall.
    assert any(n.startswith("Not in your data: no contact has a reason") for n in notes)
    assert not any("No driver rose" in c.value for c in at.caption)


def test_resolved_statuses_are_offered_from_the_data_and_saved(monkeypatch,
                                                               tmp_path: Path) -> None:
    t0 = ts("2026-03-02 09:00")
    statuses = ["Closed", "Closed with explanation", "Open", "Closed"]
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=7 * i),
                 "status": statuses[i % 4]} for i in range(40)]  # fmt: skip
    db = build_store(tmp_path / "cxdash.duckdb", contacts)
    at = open_app(monkeypatch, db)
    at.switch_page("pages/data.py").run()
    picker = at.multiselect[0]
    assert picker.label == "Resolved statuses"
    assert picker.value == ["closed", "resolved", "solved"]
    # Most contacts first, with their counts; the defaults the data does not have last.
    assert picker.options == ["closed (20 contacts)", "closed with explanation (10 contacts)",
                              "open (10 contacts)", "resolved", "solved"]  # fmt: skip
    picker.set_value(["closed", "closed with explanation"])
    next(b for b in at.button if b.label == "Save targets").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.open_read(db)
    saved = settings.load(con)
    con.close()
    assert saved.resolved_status_list == ["closed", "closed with explanation"]
    at.switch_page("pages/scoreboard.py").run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Resolution"] == "75.0%"  # 30 of 40: all but the ten "Open"
