"""The Driver catalog page's "Discover drivers" and "Driver map" (issue 18 point 4) through
AppTest on a real DuckDB file: discovery runs on the page, a driver is renamed, one is
unticked, only the accepted ones are written, and the map's history shows each change."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cxdash import store
from cxdash.ui.driver_review import DRAFT
from tests.apptest import open_app
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.usefixtures("app_env")
PAGE = "pages/driver_catalog.py"
# Four drivers, each written several ways, the company's name in most of them.
VARIANTS = {
    "data cap": ["Acme data cap", "acme Data Caps", "Acme Data cap overage", "data usage cap",
                 "ACME DATA CAP!!", "capped data usage", "Acme data caps unfair", "data cap limit"],
    "speed": ["Acme Internet speed", "slow internet speed", "Acme slow speeds", "speed too slow",
              "acme internet speeds not as advertised", "Slow speed", "download speed slow",
              "Acme speed problems"],
    "billing": ["Acme Billing dispute", "acme billing", "Billing overcharge", "wrong bill amount",
                "Acme double billing", "Acme billing error", "bill too high", "billing charges"],
    "outage": ["Acme Service outage", "internet outage", "Acme outage again", "outage for days",
               "acme frequent outages", "cable outage", "Outage in my area", "total outage"],
}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """200 contacts over 32 free-text reasons, each used 1–3 times."""
    texts = [t for vs in VARIANTS.values() for t in vs]
    reasons = [t for t, n in zip(texts, itertools.cycle([1, 2, 3]), strict=False)
               for _ in range(n)]  # fmt: skip
    t0 = ts("2026-03-02 09:00")
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(minutes=17 * i),
                 "reason": reasons[i % len(reasons)]} for i in range(200)]  # fmt: skip
    return build_store(tmp_path / "cxdash.duckdb", contacts)


def _on_page(monkeypatch: pytest.MonkeyPatch, db: Path) -> AppTest:
    at = open_app(monkeypatch, db)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _grid(at: AppTest, key: str) -> pd.DataFrame:
    return next(d for d in at.dataframe if d.key == key).value


def _map(db: Path) -> dict[str, str]:
    with contextlib.closing(store.open_read(db)) as con:
        return dict(con.execute("SELECT reason, driver FROM driver_map").fetchall())


def test_discover_rename_untick_write_and_the_history_shows_it(monkeypatch, db: Path) -> None:
    at = _on_page(monkeypatch, db)
    assert any("No driver map yet" in c.value for c in at.caption)
    at.number_input(key="rv_n").set_value(4)
    at.button(key="rv_run").click().run()
    _ok(at)
    proposal = at.session_state[DRAFT].proposal
    assert sum(d.contacts for d in proposal.drivers) == 200
    shown = _grid(at, "rv_table_0")  # the review grid, biggest driver first
    assert list(shown["driver"]) == [d.label for d in proposal.drivers]
    assert shown["accept"].all()
    assert any(f"**{len(proposal.drivers)} drivers** from 32 distinct reasons" in m.value
               for m in at.markdown)  # fmt: skip

    # Rename the driver that holds "Acme data cap" to "Data caps".
    caps = next(d for d in proposal.drivers if "Acme data cap" in d.keys)
    at.selectbox(key="rv_rename_from_0").select(caps.label)
    at.text_input(key="rv_rename_to_0").input("Data caps")
    at.button(key="rv_rename_0").click().run()
    _ok(at)
    proposal = at.session_state[DRAFT].proposal
    assert "Data caps" in [d.label for d in proposal.drivers]
    assert caps.label not in [d.label for d in proposal.drivers]

    # Untick the driver that holds "internet outage" (the grid is redrawn: revision 1).
    outage = next(d for d in proposal.drivers if "internet outage" in d.keys)
    row = [d.label for d in proposal.drivers].index(outage.label)
    at.session_state["rv_table_1"] = {"edited_rows": {row: {"accept": False}},
                                      "added_rows": [], "deleted_rows": []}  # fmt: skip
    at.run()
    accepted = [d for d in proposal.drivers if d is not outage]
    reasons = sum(len(d.keys) for d in accepted)
    assert any(c.value.startswith(f"{len(accepted)} of {len(proposal.drivers)} drivers "
                                  f"accepted: {reasons} raw reasons mapped")
               for c in at.caption)  # fmt: skip
    at.button(key="rv_write").click().run()
    _ok(at)
    written = [s.value for s in at.success]
    assert f"Drivers written: {reasons} reasons mapped, {len(accepted)} drivers added to the " \
        "catalog." in written  # fmt: skip
    assert DRAFT not in at.session_state

    mapped = _map(db)
    assert mapped == {k: d.label for d in accepted for k in d.keys}
    assert mapped["Acme data cap"] == "Data caps"
    assert not set(outage.keys) & set(mapped)  # the unticked driver's reasons stay unmapped
    with contextlib.closing(store.open_read(db)) as con:
        counted = con.execute("SELECT count(*) FROM contacts WHERE driver = 'Data caps'"
                              ).fetchall()[0][0]  # fmt: skip
    assert counted == caps.contacts

    # The map section shows it, and its history: one row per reason, by the local user.
    grid = _grid(at, "driver_map_grid")
    assert len(grid) == reasons and set(grid["driver"]) == {d.label for d in accepted}
    history = at.dataframe[-1].value  # the page's last table
    assert len(history) == reasons and set(history["By"]) == {"local"}
    assert history["Was"].isna().all()
    assert set(history.loc[history["Raw reason"] == "Acme data cap", "Became"]) == {"Data caps"}


def test_the_map_grid_saves_whole_and_keeps_the_old_driver(monkeypatch, db: Path) -> None:
    from cxdash.drivers import driver_map

    driver_map.write(db, {"Acme data cap": "Data caps", "acme Data Caps": "Data caps",
                          "Acme Billing dispute": "Billing"}, changed_by="ana")  # fmt: skip
    at = _on_page(monkeypatch, db)
    # by driver, then most contacts: "acme Data Caps" has 8, "Acme data cap" 4
    grid = _grid(at, "driver_map_grid")
    assert list(grid["reason"]) == ["Acme Billing dispute", "acme Data Caps", "Acme data cap"]
    assert list(grid["contacts"]) == [6, 8, 4]  # i % 63 of 200: positions below 11 come 4 times
    at.session_state["driver_map_grid"] = {
        "edited_rows": {1: {"driver": "Data limits"}}, "deleted_rows": [0],
        "added_rows": [{"reason": "Acme outage again", "driver": "Outage"}],
    }  # fmt: skip
    at.run()
    at.button(key="save_driver_map").click().run()
    _ok(at)
    assert "Driver map saved: 1 reason mapped, 1 remapped, 1 unmapped, 2 drivers added to " \
        "the catalog." in [s.value for s in at.success]  # fmt: skip
    assert _map(db) == {"Acme data cap": "Data caps", "acme Data Caps": "Data limits",
                        "Acme outage again": "Outage"}  # fmt: skip
    history = at.dataframe[-1].value  # the page's last table
    newest = history.iloc[:3].set_index("Raw reason")
    assert newest.loc["acme Data Caps", "Was"] == "Data caps"
    assert newest.loc["acme Data Caps", "Became"] == "Data limits"
    assert newest.loc["Acme Billing dispute", "Was"] == "Billing"
    assert pd.isna(newest.loc["Acme Billing dispute", "Became"])
    assert list(history["By"]) == ["local"] * 3 + ["ana"] * 3  # newest first

    # A row without a driver is refused with a sentence; nothing is written.
    at.session_state["driver_map_grid"] = {"edited_rows": {0: {"driver": ""}},
                                           "deleted_rows": [], "added_rows": []}  # fmt: skip
    at.run()
    at.button(key="save_driver_map").click().run()
    assert [e.value for e in at.error] == [
        "Not saved: Reason 'Acme data cap' has no driver: name one, or delete the row to count "
        "it under itself."]  # fmt: skip


def test_nothing_to_discover_is_one_friendly_sentence(monkeypatch, tmp_path: Path) -> None:
    t0 = ts("2026-03-02 09:00")
    db = build_store(tmp_path / "cxdash.duckdb", [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=i),
         "reason": ["Refund", "Delivery", "Login"][i % 3]} for i in range(80)])  # fmt: skip
    at = _on_page(monkeypatch, db)
    at.button(key="rv_run").click().run()
    assert not at.exception
    (info,) = [i.value for i in at.info]
    assert "already read as a list of drivers" in info and "--text" not in info
    assert DRAFT not in at.session_state


def test_comments_of_contacts_without_a_reason_are_grouped_and_moved(monkeypatch,
                                                                     tmp_path: Path) -> None:
    """Group: the comment of contacts without a reason; one contact moved to another driver
    (AppTest cannot type a new option into a selectbox: moving to a new driver is
    tests/drivers/test_review.py's); writing assigns every contact of the accepted drivers,
    the moved one to the driver it was moved to."""
    texts = [t for vs in VARIANTS.values() for t in vs]
    t0 = ts("2026-03-02 09:00")
    db = build_store(tmp_path / "cxdash.duckdb", [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=i),
         "comment": texts[i % len(texts)]} for i in range(120)])  # fmt: skip
    at = _on_page(monkeypatch, db)
    at.selectbox(key="rv_source").select("comment")
    at.number_input(key="rv_n").set_value(4)
    at.button(key="rv_run").click().run()
    _ok(at)
    proposal = at.session_state[DRAFT].proposal
    assert proposal.source == "comment" and proposal.contacts == 120
    first, second = proposal.drivers[:2]
    at.selectbox(key="rv_move_from_0").select(first.label)
    at.multiselect(key="rv_move_keys_0").select(first.keys[0])
    at.selectbox(key="rv_move_to_0").select(second.label)
    at.button(key="rv_move_go_0").click().run()
    _ok(at)
    proposal = at.session_state[DRAFT].proposal
    sizes = {d.label: (d.contacts, d.tightness) for d in proposal.drivers}
    assert sizes[first.label] == (first.contacts - 1, None)
    assert sizes[second.label] == (second.contacts + 1, None)
    assert any(c.value.startswith(f"{len(proposal.drivers)} of {len(proposal.drivers)} drivers "
                                  "accepted: 120 contacts assigned") for c in at.caption)
    at.button(key="rv_write").click().run()
    _ok(at)
    assert "Drivers written: 120 contacts assigned from their text" in " ".join(
        s.value for s in at.success)  # fmt: skip
    with contextlib.closing(store.open_read(db)) as con:
        assigned = dict(con.execute("SELECT contact_id, driver FROM contact_drivers").fetchall())
    assert assigned == {k: d.label for d in proposal.drivers for k in d.keys}
    assert assigned[first.keys[0]] == second.label
