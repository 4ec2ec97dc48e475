"""Each contact's SLA facts on a handful of contacts worked out by hand (issue 20, point 7)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from cxdash.sla import config, derive

D = dt.datetime

SLA = """
[schedules.default]                  # UTC, the report clock: 09:00-17:00, Friday 13th closed
timezone = "UTC"
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
holidays = ["2026-03-13"]
[schedules.partner]                  # New York 09:00-17:00 = 13:00-21:00 UTC after 8 March
timezone = "America/New_York"
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
[teams]
Overflow = "partner"
[[sla]]
priority = "urgent"
first_response = "1h"
resolution = "4h"
[[sla]]
channel = "chat"
first_response = "30m"
business_hours = false
[[sla]]
first_response = "4h"
resolution = "2d"
"""

CONTACTS = [
    # id, created, first response, resolved, team, priority, channel
    ("A", D(2026, 3, 9, 8), D(2026, 3, 9, 9, 45), D(2026, 3, 9, 14), "Support", "urgent",
     "email"),
    ("B", D(2026, 3, 6, 16, 30), D(2026, 3, 9, 9, 30), None, "Support", "urgent", "chat"),
    ("C", D(2026, 3, 7, 10), D(2026, 3, 7, 10, 20), None, "Support", None, "chat"),
    ("D", D(2026, 3, 11, 16), None, None, "Support", None, "email"),
    ("E", D(2026, 3, 12, 10), D(2026, 3, 12, 14), None, "Overflow", None, "email"),
]  # fmt: skip


@pytest.fixture(scope="module")
def facts() -> dict[str, dict[str, object]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE contacts (contact_id VARCHAR, created_at TIMESTAMP, "
                "first_response_at TIMESTAMP, resolved_at TIMESTAMP, team VARCHAR, "
                "priority VARCHAR, channel VARCHAR)")  # fmt: skip
    con.executemany("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?)", CONTACTS)
    assert derive.derive(con, config.parse(SLA), "UTC") == 5
    cur = con.execute(f"SELECT * FROM {derive.TABLE}")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def test_the_newest_data_time_is_the_latest_of_any_timestamp(facts) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE contacts AS SELECT TIMESTAMP '2026-03-01' AS created_at, "
                "TIMESTAMP '2026-03-05' AS first_response_at, NULL::TIMESTAMP AS resolved_at")
    assert derive.newest_data_time(con) == D(2026, 3, 5)


def test_an_urgent_contact_before_opening(facts) -> None:
    a = facts["A"]
    assert (a["schedule"], a["policy"], a["business_hours"]) == ("default", 1, True)
    # created 08:00, before 09:00: the first response at 09:45 took 45 business minutes
    assert a["first_response_business_seconds"] == 45 * 60
    assert a["first_response_due_at"] == D(2026, 3, 9, 10)  # 09:00 + 1 h
    assert a["sla_first_response"] == "achieved"
    # resolved 14:00 = 5 business hours; due 09:00 + 4 h = 13:00 → breached
    assert a["resolution_business_seconds"] == 5 * 3600
    assert (a["resolution_due_at"], a["sla_resolution"]) == (D(2026, 3, 9, 13), "breached")


def test_two_policies_match_and_the_first_wins_and_a_target_met_exactly(facts) -> None:
    b = facts["B"]  # urgent (policy 1) and chat (policy 2): policy 1
    assert b["policy"] == 1
    # Friday 16:30 → Monday 09:30: 30 min + 30 min = the 1 h target exactly → achieved
    assert b["first_response_business_seconds"] == 3600
    assert (b["first_response_due_at"], b["sla_first_response"]) == (D(2026, 3, 9, 9, 30),
                                                                      "achieved")  # fmt: skip
    # unresolved; 4 h due Monday 12:30 (30 min Friday + 3.5 h), before the newest data time
    # (Thursday 12 March 14:00) → breached though still open
    assert (b["resolution_due_at"], b["sla_resolution"]) == (D(2026, 3, 9, 12, 30),
                                                              "breached")  # fmt: skip


def test_a_calendar_policy_on_a_weekend(facts) -> None:
    c = facts["C"]  # a chat, not urgent: policy 2, 30 calendar minutes
    assert (c["policy"], c["business_hours"]) == (2, False)
    assert c["first_response_due_at"] == D(2026, 3, 7, 10, 30)
    assert c["sla_first_response"] == "achieved"
    assert c["first_response_business_seconds"] == 0  # Saturday: no business time at all
    assert c["sla_resolution"] is None and c["resolution_due_at"] is None  # no target


def test_still_running_and_breached_while_open_and_a_holiday(facts) -> None:
    d = facts["D"]  # policy 3, created Wednesday 11 March 16:00
    # first response 4 h: 1 h Wednesday + 3 h Thursday → due Thursday 12:00, before the
    # newest data time (Thursday 14:00), none yet → breached
    assert (d["first_response_due_at"], d["sla_first_response"]) == (D(2026, 3, 12, 12),
                                                                      "breached")  # fmt: skip
    # resolution 2d = 48 business hours: Wed 1, Thu 8 (9), Fri 13th a holiday, Mon 8 (17),
    # Tue (25), Wed (33), Thu (41), Fri 20th 7 h → 16:00; after the newest data time: running
    assert (d["resolution_due_at"], d["sla_resolution"]) == (D(2026, 3, 20, 16), "running")
    assert d["first_response_business_seconds"] is None


def test_a_team_on_a_schedule_in_another_zone(facts) -> None:
    e = facts["E"]
    assert (e["schedule"], e["policy"]) == ("partner", 3)
    # New York opens 09:00 EDT = 13:00 UTC; created 10:00 UTC, answered 14:00 UTC: 1 h
    assert e["first_response_business_seconds"] == 3600
    assert e["first_response_due_at"] == D(2026, 3, 12, 17)  # 13:00 + 4 h
    assert e["sla_first_response"] == "achieved" and e["sla_resolution"] == "running"


def test_a_changed_schedule_re_derives_history() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE contacts (contact_id VARCHAR, created_at TIMESTAMP, "
                "first_response_at TIMESTAMP, resolved_at TIMESTAMP, team VARCHAR, "
                "priority VARCHAR, channel VARCHAR)")  # fmt: skip
    con.executemany("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?)", CONTACTS)
    derive.derive(con, config.parse(SLA), "UTC")
    before = con.execute("SELECT sla_resolution FROM contact_sla WHERE contact_id = 'A'")
    assert before.fetchall() == [("breached",)]
    # opening at 11:00 instead: A's 08:00 → 14:00 is 3 business hours, within 4 h
    later = SLA.replace('mon = ["09:00-17:00"]\ntue', 'mon = ["11:00-17:00"]\ntue', 1)
    derive.derive(con, config.parse(later), "UTC")
    after = con.execute("SELECT resolution_business_seconds, sla_resolution FROM contact_sla "
                        "WHERE contact_id = 'A'").fetchall()  # fmt: skip
    assert after == [(3 * 3600, "achieved")]


def test_without_schedules_or_policies_there_is_nothing_to_measure() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE contacts (contact_id VARCHAR, created_at TIMESTAMP, "
                "first_response_at TIMESTAMP, resolved_at TIMESTAMP, team VARCHAR, "
                "priority VARCHAR, channel VARCHAR)")  # fmt: skip
    assert derive.derive(con, config.SlaConfig(), "UTC") == 0
    assert not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'contact_sla'"
                           ).fetchall()  # fmt: skip
