"""Data and settings: the schedules and SLA policies edited as TOML through AppTest, on a real
store: a bad file is refused line by line and changes nothing; a good one is saved as one new
version and every contact is measured against it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import store
from tests.apptest import open_app
from tests.storebuilder import build_store

pytestmark = pytest.mark.usefixtures("app_env")

D = dt.datetime
GOOD = """\
[schedules.default]
timezone = "UTC"
mon = ["09:00-17:00"]
fri = ["09:00-17:00"]

[[sla]]
team = ["Support"]
first_response = "1h"
business_hours = true
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_store(tmp_path / "s.duckdb", [
        # Friday 16:30, answered Monday 10:00: 30 + 60 business minutes, due Monday 09:30
        {"contact_id": "B", "created_at": D(2026, 3, 6, 16, 30), "team": "Support",
         "first_response_at": D(2026, 3, 9, 10)},
    ])  # fmt: skip


def _editor(monkeypatch: pytest.MonkeyPatch, db: Path):  # type: ignore[no-untyped-def]
    at = open_app(monkeypatch, db)
    at.switch_page("pages/data.py").run()
    assert not at.exception
    area = next(t for t in at.text_area if t.label == "Schedules and policies (TOML)")
    return at, area


def _button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def test_a_store_without_schedules_offers_the_example(monkeypatch, db: Path) -> None:
    at, area = _editor(monkeypatch, db)
    assert "[schedules.default]" in area.value and "[[sla]]" in area.value
    assert any("None yet: SLA metrics are not in your data" in c.value for c in at.caption)


def test_a_bad_file_is_refused_by_line_and_nothing_changes(monkeypatch, db: Path) -> None:
    before = store.store_version(db)
    at, area = _editor(monkeypatch, db)
    area.set_value(GOOD.replace('"UTC"', '"Mars/Olympus"').replace('"Support"', '"Suport"'))
    _button(at, "Save and re-derive every contact").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "Nothing saved" in errors
    assert "line:2: schedule 'default': time zone 'Mars/Olympus' does not exist" in errors
    assert "line:7: policy 1 names team 'Suport', which is in no contact" in errors
    assert store.store_version(db) == before


def test_a_good_file_is_saved_and_every_contact_measured(monkeypatch, db: Path) -> None:
    at, area = _editor(monkeypatch, db)
    area.set_value(GOOD)
    _button(at, "Check").click().run()
    assert any("reads well; nothing saved yet" in s.value for s in at.success)
    _button(at, "Save and re-derive every contact").click().run()
    assert not at.exception
    con = store.open_read(db)
    try:
        row = con.execute("SELECT sla_policy, first_response_business_seconds, "
                          "first_response_due_at, changed_by FROM contacts, sla_config"
                          ).fetchall()  # fmt: skip
    finally:
        con.close()
    assert row == [(1, 90 * 60.0, D(2026, 3, 9, 9, 30), "local")]
    # the page now shows the policy in force, read as a table
    table = next(d.value for d in at.dataframe if "Applies to" in d.value.columns)
    assert table.to_dict("records") == [{"Order": 1, "Applies to": "team Support",
                                         "First response": "1h", "Resolution": "—",
                                         "Clock": "business hours"}]  # fmt: skip
