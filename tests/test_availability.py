"""The Data page's field table (views.availability) on a status-only store, by hand."""

from __future__ import annotations

from pathlib import Path

from cxdash import store
from cxdash.metrics.catalogue import BUILTIN
from cxdash.views import availability
from tests.storebuilder import build_store, ts


def test_a_status_only_store_says_field_by_field_what_it_holds(tmp_path: Path) -> None:
    path = build_store(tmp_path / "s.duckdb", [
        {"contact_id": "c1", "created_at": ts("2026-03-02 10:00"), "status": "Closed",
         "channel": "web"},
        {"contact_id": "c2", "created_at": ts("2026-03-03 10:00"), "status": "Open"},
        {"contact_id": "c3", "created_at": ts("2026-03-04 10:00"), "status": "Closed",
         "csat": 4},
        {"contact_id": "c4", "created_at": ts("2026-03-05 10:00")},
    ])  # fmt: skip
    con = store.open_read(path)
    try:
        info = store.inspect(con)
    finally:
        con.close()
    table = {r["field"]: r for r in availability.field_table(info, BUILTIN).iter_rows(named=True)}
    assert (table["status"]["status"], table["status"]["contacts"]) == ("in your data", 3)
    assert table["status"]["share"] == 3 / 4
    assert table["status"]["feeds"] == "Resolution, Backlog"
    assert (table["channel"]["contacts"], table["channel"]["feeds"]) == (1, "Channel filter")
    assert table["csat"]["contacts"] == 1
    assert (table["transfers"]["status"], table["transfers"]["contacts"]) == \
        ("not in your data", 0)  # fmt: skip
    assert table["transfers"]["feeds"] == "First-contact resolution, Transferred"
    missing = dict(availability.unanswerable(info, BUILTIN))
    assert missing["Transferred"] == ("transfers",)
    assert missing["Happy"] == ("resolved_at",)
    assert "Resolution" not in missing and "CSAT" not in missing  # status and csat given
