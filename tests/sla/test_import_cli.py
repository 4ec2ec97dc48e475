"""`cxdash import FILE.toml --table schedules` and `cxdash export --table schedules` on a real
store: the facts every contact gets, what later imports keep, and bad files refused whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import store
from cxdash.cli import main
from tests.storebuilder import build_store

D = dt.datetime

SLA = """\
[schedules.default]
timezone = "UTC"
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]

[teams]

[[sla]]
team = "Support"
first_response = "1h"
resolution = "1d"
"""


def _contact(cid: str, created: D, **kw: object) -> dict[str, object]:
    return {"contact_id": cid, "created_at": created, "team": "Support", **kw}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_store(tmp_path / "s.duckdb", [
        # Monday 9 March 08:00, answered 09:30: 30 business minutes, due 10:00 → achieved
        _contact("A", D(2026, 3, 9, 8), first_response_at=D(2026, 3, 9, 9, 30)),
        # Friday 16:30, answered Monday 10:00: 30 + 60 = 90 min, due Monday 09:30 → breached
        _contact("B", D(2026, 3, 6, 16, 30), first_response_at=D(2026, 3, 9, 10)),
        # another team: no policy; still the default schedule's business time
        _contact("C", D(2026, 3, 10, 12), team="Billing", first_response_at=D(2026, 3, 10, 13)),
    ])  # fmt: skip


def _facts(db: Path) -> list[tuple]:
    con = store.open_read(db)
    try:
        return con.execute(
            "SELECT contact_id, sla_policy, first_response_business_seconds, "
            "first_response_due_at, first_response_target_seconds FROM contacts ORDER BY 1"
        ).fetchall()
    finally:
        con.close()


def test_import_gives_every_contact_its_facts(db: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "sla.toml"
    src.write_text(SLA)
    assert main(["import", str(src), "--table", "schedules", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"{src}: 1 schedule(s), 0 team(s) mapped, 1 SLA policy; 3 contacts measured" in out
    assert "first response: 1 achieved, 1 breached, 0 running" in out
    # resolution: 1 day = 24 business hours from Monday 09:00 / Friday 16:30: A and B both
    # still running at the newest data time (Tuesday 13:00), neither resolved
    assert "resolution: 0 achieved, 0 breached, 2 running" in out
    assert _facts(db) == [
        ("A", 1, 30 * 60.0, D(2026, 3, 9, 10), 3600.0),
        ("B", 1, 90 * 60.0, D(2026, 3, 9, 9, 30), 3600.0),
        ("C", None, 3600.0, None, None),
    ]  # fmt: skip
    # a later import of contacts is measured too (publishing derives the new rows' facts)
    later = tmp_path / "later.csv"
    later.write_text("contact_id,created_at,team,first_response_at\n"
                     "D,2026-03-11 16:30,Support,2026-03-12 09:10\n")  # 30 + 10 min
    assert main(["import", str(later), "--db", str(db)]) == 0
    assert _facts(db)[-1] == ("D", 1, 40 * 60.0, D(2026, 3, 12, 9, 30), 3600.0)
    # and the file comes back out as it went in (canonical form)
    out_file = tmp_path / "back.toml"
    assert main(["export", "--table", "schedules", "--db", str(db), "--out", str(out_file)]) == 0
    back = out_file.read_text()
    assert 'team = ["Support"]' in back and 'resolution = "1d"' in back
    assert main(["import", str(out_file), "--table", "schedules", "--db", str(db)]) == 0
    assert _facts(db)[0] == ("A", 1, 30 * 60.0, D(2026, 3, 9, 10), 3600.0)


@pytest.mark.parametrize(("change", "problem"), [
    (('timezone = "UTC"', 'timezone = "Europe/Atlantis"'),
     ":2: schedule 'default': time zone 'Europe/Atlantis' does not exist"),
    (('team = "Support"', 'team = "Suport"'),
     ":12: policy 1 names team 'Suport', which is in no contact (teams: Billing, Support)"),
    (('first_response = "1h"', 'first_response = "0m"'),
     ":13: policy 1: first_response '0m' is not a positive time"),
    (('tue = ["09:00-17:00"]', 'tue = ["09:00-17:00", "16:00-18:00"]'),
     ":4: schedule 'default': tue 16:00-18:00 overlaps tue 09:00-17:00"),
    (("[teams]\n", '[teams]\n"Night desk" = "night"\n'),
     ":10: team 'Night desk' uses schedule 'night', which is not in [schedules] (default)"),
])  # fmt: skip
def test_a_bad_file_names_its_line_and_changes_nothing(db: Path, tmp_path: Path, capsys,
                                                       change: tuple[str, str],
                                                       problem: str) -> None:  # fmt: skip
    src = tmp_path / "bad.toml"
    src.write_text(SLA.replace(*change))
    before = db.read_bytes()
    assert main(["import", str(src), "--table", "schedules", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{src}{problem}" in err and "Traceback" not in err
    assert db.read_bytes() == before


def test_export_without_schedules_says_how_to_add_them(db: Path, capsys) -> None:
    assert main(["export", "--table", "schedules", "--db", str(db), "--out", "-"]) == 2
    assert "cxdash import FILE.toml --table schedules" in capsys.readouterr().err


def with_f_and_schedules(db: Path, tmp_path: Path) -> Path:
    """The store with F (Tuesday 12:10, not answered yet) and the schedules imported."""
    more = tmp_path / "more.csv"
    more.write_text("contact_id,created_at,team\nF,2026-03-10 12:10,Support\n")
    assert main(["import", str(more), "--db", str(db)]) == 0
    src = tmp_path / "sla.toml"
    src.write_text(SLA)
    assert main(["import", str(src), "--table", "schedules", "--db", str(db)]) == 0
    return db


def test_the_sla_metrics_worked_by_hand(db: Path, tmp_path: Path, capsys) -> None:
    import json

    with_f_and_schedules(db, tmp_path)
    capsys.readouterr()
    assert main(["metrics", "--db", str(db), "--start", "2026-03-06", "--end", "2026-03-10",
                 "--json"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    got = json.loads(out)["metrics"]
    # business hours to first response: A 0.5, B 1.5, C 1.0 (F has none) → median 1.0,
    # p90 (linear) = 1.0 + 0.8 × (1.5 − 1.0) = 1.4
    assert got["first_response_business_hours_median"] == pytest.approx(1.0)
    assert got["first_response_business_hours_p90"] == pytest.approx(1.4)
    # first response: A achieved, B breached, F running (due 13:10, the newest data time is
    # C's answer at Tuesday 13:00), C has no policy → 1 / (1 + 1)
    assert got["sla_first_response_rate"] == pytest.approx(0.5)
    # resolution: 24 business hours for A and B, due Wednesday and after: all running
    assert got["sla_resolution_rate"] is None
    assert got["resolution_business_hours_median"] is None
    assert got["sla_breaches"] == 1  # B
    # running, none breached: A (resolution running), C has no policy, F (both running) → 2
    assert got["sla_running"] == 2
    # F: a quarter of its hour left from 12:55 (45 business minutes after 12:10), due 13:10;
    # 13:00 is between → at risk. A and B's resolutions are at risk from Wednesday only.
    assert got["sla_at_risk"] == 1
    # at risk is a count of now: the previous period has no value for it (no "+1" change)
    assert json.loads(out)["previous"]["metrics"]["sla_at_risk"] is None
    # a contact's calendar first response beside its business one: B took 65.5 h calendar
    assert got["first_response_hours_p90"] > 40


def test_without_schedules_the_sla_metrics_are_not_in_the_data(db: Path, capsys) -> None:
    import json

    assert main(["metrics", "--db", str(db), "--start", "2026-03-06", "--end", "2026-03-10",
                 "--json"]) == 0  # fmt: skip
    body = json.loads(capsys.readouterr().out)["metrics"]
    assert [body[k] for k in ("sla_first_response_rate", "sla_resolution_rate", "sla_breaches",
                              "sla_at_risk", "first_response_business_hours_median")] == [
        None] * 5  # fmt: skip
    assert body["first_response_hours_median"] is not None  # calendar time is there


def test_a_backwards_day_shift_is_read_as_a_night_and_said_so(db: Path, tmp_path: Path,
                                                              capsys) -> None:  # fmt: skip
    src = tmp_path / "night.toml"
    src.write_text(SLA.replace('wed = ["09:00-17:00"]', 'wed = ["17:00-09:00"]'))
    assert main(["import", str(src), "--table", "schedules", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert (f"note: {src}:5: wed '17:00-09:00' ends before it starts, so it is read as a night "
            "across midnight (16 hours, into thu); for a day shift write '09:00-17:00'") in out
