"""The driver a contact counts under (SPEC §2 `driver`): the reason after the driver map, else
its text's assignment, else the reason; derived when a version is published, so a changed map
applies to history, and every filter and group-by on reason reads it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from cxdash import store
from cxdash.cli import main
from cxdash.drivers import driver_map
from cxdash.importer.run import import_file
from tests.storebuilder import build_bare_store, build_store, ts

REASONS = ["Comcast data caps", "comcast data cap", "Internet speed", None, "Billing"]


def _store(tmp_path: Path) -> Path:
    t0 = ts("2026-03-02 09:00")
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=i),
                 "reason": REASONS[i % 5], "comment": f"text {i}"} for i in range(20)]
    return build_store(tmp_path / "s.duckdb", contacts)


def _drivers(db: Path) -> dict[str, str]:
    with contextlib.closing(store.open_read(db)) as con:
        return dict(con.execute("SELECT contact_id, driver FROM contacts").fetchall())


def _by_reason(db: Path, capsys) -> dict[str, int]:  # type: ignore[no-untyped-def]
    assert main(["metrics", "--db", str(db), "--start", "2026-03-01", "--end", "2026-03-31",
                 "--by", "reason", "--json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)["rows"]
    return {r["reason"]: r["contacts"] for r in rows}


def test_without_a_map_the_driver_is_the_reason(tmp_path: Path, capsys) -> None:
    db = _store(tmp_path)
    got = _drivers(db)
    assert (got["c0"], got["c1"], got["c3"]) == ("Comcast data caps", "comcast data cap",
                                                 "Unknown")  # fmt: skip
    assert _by_reason(db, capsys) == {"Comcast data caps": 4, "comcast data cap": 4,
                                      "Internet speed": 4, "Unknown": 4, "Billing": 4}


def test_a_map_applies_to_history_and_keeps_its_changes(tmp_path: Path, capsys) -> None:
    db = _store(tmp_path)
    change = driver_map.write(db, {"Comcast data caps": "Data caps",
                                   "comcast data cap": "Data caps"}, changed_by="ana")
    assert (change.added, change.catalog_added) == (2, ("Data caps",))
    assert _by_reason(db, capsys) == {"Data caps": 8, "Internet speed": 4, "Unknown": 4,
                                      "Billing": 4}  # fmt: skip
    # Contacts without a reason take the driver their text was assigned.
    texts = pl.DataFrame({"contact_id": ["c3", "c8"], "driver": ["Internet speed"] * 2,
                          "similarity": [0.9, 0.8]})  # fmt: skip
    driver_map.write(db, {"comcast data cap": "Data cap (typo)"}, assignments=texts,
                     changed_by="ben")  # fmt: skip
    got = _drivers(db)
    assert (got["c0"], got["c1"], got["c3"], got["c8"]) == (
        "Data caps", "Data cap (typo)", "Internet speed", "Internet speed")  # fmt: skip
    with contextlib.closing(store.open_read(db)) as con:
        history = con.execute("SELECT reason, changed_by, old_driver, new_driver FROM "
                              "driver_map_changes ORDER BY changed_at, reason").fetchall()
        catalog = {r for (r,) in con.execute("SELECT reason FROM reasons").fetchall()}
    assert history == [("Comcast data caps", "ana", None, "Data caps"),
                       ("comcast data cap", "ana", None, "Data caps"),
                       ("comcast data cap", "ben", "Data caps", "Data cap (typo)")]
    assert catalog == {"Data caps", "Data cap (typo)", "Internet speed"}
    # Unmapping (replace with an empty map) gives the reasons back.
    driver_map.write(db, {}, assignments=texts.clear(), replace=True)
    assert _drivers(db)["c0"] == "Comcast data caps" and _drivers(db)["c3"] == "Unknown"


def test_a_later_import_follows_the_map(tmp_path: Path) -> None:
    db = _store(tmp_path)
    driver_map.write(db, {"comcast data cap": "Data caps"})
    new = tmp_path / "new.csv"
    new.write_text("id,created,reason\nn1,2026-03-03 10:00,comcast data cap\n"
                   "n2,2026-03-03 11:00,Something new\n")  # fmt: skip
    import_file(new, db)
    got = _drivers(db)
    assert (got["n1"], got["n2"]) == ("Data caps", "Something new")


def test_a_bad_map_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    db = _store(tmp_path)
    before = db.stat().st_mtime_ns
    with pytest.raises(driver_map.InvalidMap, match="reason 'Billing': a driver needs a name"):
        driver_map.write(db, {"Billing": " "})
    assert db.stat().st_mtime_ns == before


def test_a_store_from_another_tool_counts_by_reason(tmp_path: Path, capsys) -> None:
    t0 = ts("2026-03-02 09:00")
    db = build_bare_store(tmp_path / "bare.duckdb", [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=i),
         "reason": REASONS[i % 5]} for i in range(10)])  # fmt: skip
    assert _by_reason(db, capsys)["Unknown"] == 2


def test_a_store_changed_behind_cxdashs_back_keeps_its_map(tmp_path: Path, capsys) -> None:
    from tests.engines.driver_store import add_behind_cxdashs_back, driver_store

    db = driver_store(tmp_path / "s.duckdb")
    add_behind_cxdashs_back(db)  # x1, reason "bill": the map says Billing
    # Billing 5 + x1; Late delivery c5–c8 and c10 (its text assignment); Unknown c9
    assert _by_reason(db, capsys) == {"Billing": 6, "Late delivery": 5, "Unknown": 1}
