"""The Root causes and Driver catalog pages in AppTest: a cause edited in the form is in the
store after a restart of the app, with its history; bad edits are refused and named; the
catalog grid saves; Where to play next links to a new cause for its driver."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cxdash import cause_register, store
from tests.apptest import open_app
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/root_causes.py"
CATALOG_PAGE = "pages/driver_catalog.py"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    t0 = ts("2026-03-02 09:00")
    reasons = ["Late delivery", "Late delivery", "Refund", "Label"]
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=9 * i),
                 "reason": reasons[i % 4], "channel": "chat"} for i in range(300)]  # fmt: skip
    catalog = [{"reason": "Late delivery", "value_to_customer": "low",
                "value_to_business": "low", "preventable": True, "external": True}]  # fmt: skip
    causes = [{"cause_id": "RC-7", "title": "Carrier scans missing", "reasons": ["Late delivery"],
               "owner": "Jana", "status": "in_progress",
               "identified_on": dt.date(2026, 3, 20)}]  # fmt: skip
    return build_store(tmp_path / "store" / "cxdash.duckdb", contacts, (), catalog, causes)


def on_page(monkeypatch: pytest.MonkeyPatch, db: Path, page: str = PAGE) -> AppTest:
    at = open_app(monkeypatch, db)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def restart(monkeypatch: pytest.MonkeyPatch, db: Path, page: str = PAGE) -> AppTest:
    """A fresh app: new session, empty caches — only the store carries anything over."""
    st.cache_data.clear()
    st.cache_resource.clear()
    return on_page(monkeypatch, db, page)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def stored_cause(db: Path, cause_id: str) -> tuple:
    con = store.open_read(db)
    row = con.execute("SELECT owner, status, fixed_on, title FROM root_causes WHERE cause_id = "
                      "$id", {"id": cause_id}).fetchall()  # fmt: skip
    history = cause_register.changes(con, cause_id)
    con.close()
    return (row[0] if row else None), history


def test_edit_a_cause_and_find_it_after_a_restart(monkeypatch, db: Path) -> None:
    at = on_page(monkeypatch, db)
    assert "RC-7 · Carrier scans missing" in [s.value for s in at.subheader]
    at.text_input(key="edit_RC-7_owner").input("Ana (Logistics)")
    at.selectbox(key="edit_RC-7_status").select("eliminated")
    at.date_input(key="edit_RC-7_fixed").set_value(dt.date(2026, 4, 6))
    button(at, "Save changes").click().run()
    assert not at.exception
    assert not [e.value for e in at.error if e.value.startswith("Not saved")]
    assert any("RC-7 saved (Owner, Status, Fixed on)" in s.value for s in at.success)

    at = restart(monkeypatch, db)
    captions = [c.value for c in at.caption]
    assert any("Eliminated (fixed) · owner Ana (Logistics)" in c and "fixed 2026-04-06" in c
               for c in captions)  # fmt: skip
    # Eliminated now: the page shows what the fix did. The data start on 2 Mar, so the
    # baseline (9 Feb – 5 Apr) holds only five weeks of Late delivery: it "came back".
    assert {"Contacts avoided to date", "95 % band", "Baseline (56 days before)"} <= {
        m.label for m in at.metric}
    assert at.error[0].value.startswith("Came back: more contacts than expected")
    row, history = stored_cause(db, "RC-7")
    assert row == ("Ana (Logistics)", "eliminated", dt.date(2026, 4, 6), "Carrier scans missing")
    assert sorted((h[1], h[2], h[3], h[4]) for h in history) == [
        ("local", "fixed_on", None, "2026-04-06"),
        ("local", "owner", "Jana", "Ana (Logistics)"),
        ("local", "status", "in_progress", "eliminated"),
    ]
    table = next(df for df in at.dataframe if "Field" in df.value.columns)
    assert sorted(table.value["Field"].tolist()) == ["fixed_on", "owner", "status"]


def test_a_bad_edit_is_refused_with_the_rule_and_nothing_is_written(monkeypatch, db) -> None:
    before = db.read_bytes()
    at = on_page(monkeypatch, db)
    at.selectbox(key="edit_RC-7_status").select("eliminated")
    button(at, "Save changes").click().run()
    assert [e.value for e in at.error] == [
        "Not saved: cause 'RC-7': an eliminated cause needs the date it was fixed (Fixed on)"]
    at.date_input(key="edit_RC-7_fixed").set_value(dt.date(2026, 3, 1))  # before identified
    button(at, "Save changes").click().run()
    assert "Fixed on 2026-03-01 is before Identified on 2026-03-20" in at.error[0].value
    assert db.read_bytes() == before


def test_add_a_cause_from_a_where_to_play_link(monkeypatch, db: Path) -> None:
    at = on_page(monkeypatch, db, "pages/playing_to_win.py")
    assert "Where to play next" in [s.value for s in at.subheader]
    links = {link.label: link for link in at.get("page_link")}
    assert "Open a root cause for Late delivery" in links
    assert "Open RC-7, already on Late delivery" in links
    # selecting another row of the table points the link at that driver
    table = next(df for df in at.dataframe if "Driver" in df.value.columns).value
    label_row = table["Driver"].to_list().index("Label")
    at.session_state["plays"] = {"selection": {"rows": [label_row], "columns": [], "cells": []}}
    at.run()
    assert "Open a root cause for Label" in [link.label for link in at.get("page_link")]

    at.query_params["new"] = "Label"  # what the link carries
    at.switch_page(PAGE).run()
    assert at.text_input(key="new_cause_id").value == "RC-8"
    assert at.multiselect(key="new_cause_reasons").value == ["Label"]
    at.text_input(key="new_cause_title").input("Labels print blank")
    button(at, "Add cause").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("RC-8 added" in s.value for s in at.success)
    assert at.selectbox(key="cause").value == "RC-8"  # the new cause is the one shown

    row, history = stored_cause(db, "RC-8")
    assert row == (None, "identified", None, "Labels print blank")
    assert {h[2] for h in history} >= {"title", "reasons", "status", "identified_on"}


def test_an_existing_id_is_not_overwritten_by_add(monkeypatch, db: Path) -> None:
    at = on_page(monkeypatch, db)
    at.text_input(key="new_cause_id").input("RC-7")
    at.text_input(key="new_cause_title").input("Duplicate")
    button(at, "Add cause").click().run()
    assert "RC-7 already exists" in at.error[0].value
    assert stored_cause(db, "RC-7")[0][3] == "Carrier scans missing"


def test_catalog_grid_saves_and_triages_missing_drivers(monkeypatch, db: Path) -> None:
    at = on_page(monkeypatch, db, CATALOG_PAGE)
    assert "Drivers to triage (2)" in [s.value for s in at.subheader]
    button(at, "Add these 2 drivers to the catalog").click().run()
    assert [i.value for i in at.info] == ["Added below: set their values and save."]
    assert "Drivers to triage (2)" not in [s.value for s in at.subheader]
    # rows: Late delivery, then the added Label and Refund (biggest first: a tie, kept order)
    at.session_state["catalog_editor"] = {
        "edited_rows": {0: {"external": False},
                        1: {"value_to_customer": "low", "value_to_business": "low",
                            "preventable": True}},
        "added_rows": [], "deleted_rows": [],
    }  # fmt: skip
    at.run()
    button(at, "Save catalog").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any(s.value == "Driver catalog saved: 2 added, 1 changed." for s in at.success)

    at = restart(monkeypatch, db, CATALOG_PAGE)
    assert "Drivers to triage (2)" not in [s.value for s in at.subheader]
    con = store.open_read(db)
    rows = dict((r[0], r[1:]) for r in con.execute(
        "SELECT reason, value_to_customer, value_to_business, preventable, external "
        "FROM reasons").fetchall())  # fmt: skip
    con.close()
    assert rows["Late delivery"] == ("low", "low", True, False)
    added = [r for r in ("Label", "Refund") if rows[r][0] == "low"]
    assert len(added) == 1 and rows[added[0]] == ("low", "low", True, False)
    other = ({"Label", "Refund"} - set(added)).pop()
    assert rows[other] == (None, None, False, False)  # added for triage, values still unset
