"""The driver catalog's editor rules and save, and the Where-to-play-next ranking, by hand."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from cxdash import driver_catalog, store
from cxdash.analysis import opportunities
from cxdash.driver_catalog import Driver, InvalidCatalog
from tests.storebuilder import build_store, ts

REASONS = [
    {"reason": "Late", "value_to_customer": "low", "value_to_business": "low",
     "preventable": True, "external": True},
    {"reason": "Refund", "value_to_customer": "high", "value_to_business": "high",
     "preventable": False, "external": False},
]  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    t0 = ts("2026-06-01 09:00")
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=i),
                 "reason": ["Late", "Refund", "Password"][i % 3]} for i in range(9)]  # fmt: skip
    causes = [{"cause_id": "RC-1", "reasons": ["Gone"], "status": "identified"}]
    gone = {"reason": "Gone", "value_to_customer": "low", "value_to_business": "low",
            "preventable": True, "external": False}  # fmt: skip
    return build_store(tmp_path / "s.duckdb", contacts, (), [*REASONS, gone], causes)


def stored(db: Path) -> dict[str, tuple]:
    con = store.open_read(db)
    rows = con.execute("SELECT reason, value_to_customer, value_to_business, preventable, "
                       "external FROM reasons").fetchall()  # fmt: skip
    con.close()
    return {r[0]: r[1:] for r in rows}


def test_save_replaces_the_catalog_and_reports_the_change(db: Path) -> None:
    change = driver_catalog.save(db, [
        Driver("Late", "low", "low", True, False),  # external unticked
        Driver("Refund", "high", "high"),
        Driver(" Password ", "high", "low", True),  # new, name trimmed
        Driver("Gone", "low", "low", True),
    ])  # fmt: skip
    assert (change.added, change.changed, change.removed) == (("Password",), ("Late",), ())
    assert change.summary() == "1 added, 1 changed"
    assert stored(db)["Password"] == ("high", "low", True, False)
    assert stored(db)["Late"] == ("low", "low", True, False)


def test_untriaged_drivers_may_be_saved_without_values(db: Path) -> None:
    driver_catalog.save(db, [Driver("Late"), Driver("Gone", "low", "low")])
    assert stored(db)["Late"] == (None, None, False, False)


@pytest.mark.parametrize(
    ("drivers", "message"),
    [
        ([Driver(""), Driver("Gone")], "row 1: a driver needs a reason name"),
        ([Driver("Late"), Driver("Late"), Driver("Gone")], "row 2: reason 'Late' is already in row 1"),  # noqa: E501
        ([Driver("Late", "medium"), Driver("Gone")], "row 1 (Late): value_to_customer 'medium' must be high or low"),  # noqa: E501
        ([Driver("Late")], "cause RC-1 names reason 'Gone', which is in no contact"),
    ],
)
def test_a_bad_catalog_is_refused_whole(db: Path, drivers: list[Driver], message: str) -> None:
    before = db.read_bytes()
    with pytest.raises(InvalidCatalog, match=re.escape(message)):
        driver_catalog.save(db, drivers)
    assert db.read_bytes() == before


# ---- where to play next -------------------------------------------------------------------
def test_where_to_play_ranks_preventable_volume() -> None:
    now = pl.DataFrame({
        "reason": ["Late", "Refund", "Password", "New thing", "Unknown", "Quiet"],
        "contacts": [120, 300, 60, 90, 500, 0],
        "contact_rate": [12.0, 30.0, 6.0, 9.0, 50.0, 0.0],
    })  # fmt: skip
    before = pl.DataFrame({"reason": ["Late", "Password"], "contacts": [100, 80]})
    cat = pl.DataFrame({
        "reason": ["Late", "Refund", "Password", "Quiet"],
        "value_to_customer": ["low", "high", "high", "low"],
        "value_to_business": ["low", "high", "low", "low"],
        "preventable": [True, False, True, True], "external": [True, False, False, False],
    })  # fmt: skip
    cat = cat.with_columns(pl.Series("quadrant", ["Eliminate", "Leverage", "Automate",
                                                  "Eliminate"]))  # fmt: skip
    causes = pl.DataFrame({
        "cause_id": ["RC-1", "RC-2", "RC-3"], "status": ["in_progress", "wont_fix", "eliminated"],
        "reasons": [["Late"], ["Password"], ["Password"]],
    })  # fmt: skip
    plays = opportunities.where_to_play(now, before, cat, causes, days=14)
    # Refund (not preventable), Unknown (no reason), Quiet (no contacts) and Password (its
    # cause RC-3 is eliminated) are left out; "New thing" is not in the catalog: to triage.
    assert plays["reason"].to_list() == ["Late", "New thing"]
    assert plays["action"].to_list() == ["Eliminate", "Triage"]

    # RC-3's driver is back near its pre-fix level: Password is a play again, flagged.
    effects = pl.DataFrame({"cause_id": ["RC-3"], "verdict": ["near_baseline"]})
    plays = opportunities.where_to_play(now, before, cat, causes, days=14, effects=effects)
    assert plays["reason"].to_list() == ["Late", "New thing", "Password"]
    assert plays["rank"].to_list() == [1, 2, 3]
    assert plays["action"].to_list() == ["Eliminate", "Triage", "Automate"]
    assert plays["avoidable_4w"].to_list() == [240.0, 180.0, 120.0]  # contacts × 28 / 14
    assert plays["change"].to_list() == [pytest.approx(0.2), None, pytest.approx(-0.25)]
    assert plays["cause"].to_list() == ["RC-1 (in progress)", None,
                                        "RC-3 (eliminated, near pre-fix level)"]  # fmt: skip


def test_where_to_play_with_an_empty_catalog_lists_every_driver_for_triage() -> None:
    now = pl.DataFrame({"reason": ["A", "B"], "contacts": [1, 3], "contact_rate": [None, None]},
                       schema_overrides={"contact_rate": pl.Float64})  # fmt: skip
    empty_causes = pl.DataFrame(schema={"cause_id": pl.String, "status": pl.String,
                                        "reasons": pl.List(pl.String)})  # fmt: skip
    no_catalog = pl.DataFrame(schema={"reason": pl.String, "value_to_customer": pl.String,
                                      "value_to_business": pl.String, "preventable": pl.Boolean,
                                      "external": pl.Boolean, "quadrant": pl.String})  # fmt: skip
    plays = opportunities.where_to_play(now, now.head(0), no_catalog, empty_causes, days=7)
    assert plays["reason"].to_list() == ["B", "A"]
    assert set(plays["action"]) == {"Triage"}
