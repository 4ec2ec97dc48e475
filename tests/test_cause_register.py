"""The root-cause register's rules and its change history (issue 5, first slice)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import cause_register, store
from cxdash.cause_register import InvalidCause, RootCause
from tests.storebuilder import build_store, ts

D = dt.date


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_store(
        tmp_path / "s.duckdb",
        [{"contact_id": "c1", "created_at": ts("2026-03-01 09:00"), "reason": "Late delivery"}],
        reasons=[{"reason": "Invoice copy", "value_to_customer": "high",
                  "value_to_business": "low", "preventable": True}],
    )  # fmt: skip


def test_a_cause_is_saved_and_every_change_recorded(db: Path) -> None:
    cause = RootCause("RC1", "Carrier scans late", ("Late delivery",), "Ops",
                      "identified", D(2026, 3, 2))  # fmt: skip
    first = cause_register.save(db, cause, by="ana")
    assert ("status", None, "identified") in first and ("reasons", None, "Late delivery") in first
    fixed = RootCause("RC1", "Carrier scans late", ("Late delivery", "Invoice copy"), "Ops",
                      "eliminated", D(2026, 3, 2), D(2026, 4, 1))  # fmt: skip
    second = cause_register.save(db, fixed, by="local")
    assert second == [("reasons", "Late delivery", "Late delivery, Invoice copy"),
                      ("status", "identified", "eliminated"), ("fixed_on", None, "2026-04-01")]
    assert cause_register.save(db, fixed) == []  # saving it unchanged records nothing
    con = store.open_read(db)
    try:
        stored = con.execute("SELECT cause_id, reasons, status, fixed_on FROM root_causes"
                             ).fetchall()  # fmt: skip
        history = cause_register.changes(con, "RC1")
    finally:
        con.close()
    assert stored == [("RC1", ["Late delivery", "Invoice copy"], "eliminated", D(2026, 4, 1))]
    assert [(by, field) for _, by, field, _, _ in history if by == "local"] == [
        ("local", "fixed_on"), ("local", "reasons"), ("local", "status")]
    assert {by for _, by, *_ in history} == {"ana", "local"}


@pytest.mark.parametrize(
    ("cause", "message"),
    [
        (RootCause("RC2", status="eliminated"), "an eliminated cause needs the date it was fixed"),
        (RootCause("RC2", identified_on=D(2026, 5, 2), fixed_on=D(2026, 5, 1)),
         "fixed_on 2026-05-01 is before identified_on 2026-05-02"),
        (RootCause("RC2", reasons=("Wrong colour",)),
         "reason(s) 'Wrong colour' are neither in the contacts nor in the driver catalog"),
        (RootCause("RC2", status="done"), "status must be one of identified, in_progress"),
    ],
)
def test_a_cause_that_breaks_a_rule_is_refused_and_nothing_written(
    db: Path, cause: RootCause, message: str
) -> None:
    before = db.read_bytes()
    with pytest.raises(InvalidCause, match="cause 'RC2': ") as caught:
        cause_register.save(db, cause)
    assert message in str(caught.value)
    assert db.read_bytes() == before
