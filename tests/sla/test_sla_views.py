"""The SLA lists on Defense, on the hand-worked store of test_import_cli: the at-risk backlog
(open contacts by time left to their next due time) and the breached contacts behind a cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import settings, store
from cxdash.analysis.drilldown import contacts_behind
from cxdash.analysis.sla import at_risk_backlog
from cxdash.metrics.request import Filters, MetricRequest, Period
from tests.sla.test_import_cli import db, with_f_and_schedules  # noqa: F401 - db: fixture

D = dt.datetime


@pytest.fixture
def measured(db: Path, tmp_path: Path) -> Path:  # noqa: F811
    return with_f_and_schedules(db, tmp_path)


def test_the_at_risk_backlog_is_sorted_by_time_left(measured: Path) -> None:
    con = store.open_read(measured)
    try:
        request = MetricRequest(Period(dt.date(2026, 3, 6), dt.date(2026, 3, 10)))
        rows = at_risk_backlog(con, request, store.inspect(con), settings.load(con)).rows(
            named=True)
    finally:
        con.close()
    # now = Tuesday 13:00 (C's answer, the newest data time). Open: A, B (answered, not
    # resolved), F (not answered); C has no policy (team Billing), so no due time.
    # F: first response due 12:10 + 1 business hour = 13:10 → 10 min left; at risk from 12:55.
    # B: resolution 24 business hours from Friday 16:30: Fri 0.5 + Mon 8 + Tue 8 + Wed 7.5 →
    #    Wednesday 16:30, 27.5 h from Tuesday 13:00; at risk from 18 h in: Wed 10:30 → not yet.
    # A: from Monday 08:00 (opens 09:00): Mon 8 + Tue 8 + Wed 8 → Wednesday 17:00, 28 h left.
    assert [(r["contact_id"], r["target"], r["due_at"], r["at_risk"], r["business_hours"])
            for r in rows] == [
        ("F", "first response", D(2026, 3, 10, 13, 10), True, True),
        ("B", "resolution", D(2026, 3, 11, 16, 30), False, True),
        ("A", "resolution", D(2026, 3, 11, 17), False, True),
    ]  # fmt: skip
    assert [round(r["hours_left"], 4) for r in rows] == [round(10 / 60, 4), 27.5, 28.0]


def test_the_breached_contacts_behind_a_cell(measured: Path) -> None:
    con = store.open_read(measured)
    try:
        info = store.inspect(con)
        request = MetricRequest(Period(dt.date(2026, 3, 6), dt.date(2026, 3, 10)))
        rows, total = contacts_behind(con, request, info, only="sla_breached")
        assert (total, rows["contact_id"].to_list()) == (1, ["B"])  # answered 30 min late
        billing = MetricRequest(request.period, Filters.of({"team": ["Billing"]}))
        assert contacts_behind(con, billing, info, only="sla_breached")[1] == 0
        with pytest.raises(ValueError, match="cannot narrow"):
            contacts_behind(con, request, info, only="1=1) OR (true")
    finally:
        con.close()
