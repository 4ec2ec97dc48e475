"""The calendar-beside-business table on Speed to happiness."""

from __future__ import annotations

from cxdash.charts.clocks import calendar_beside_business


def test_the_two_clocks_side_by_side() -> None:
    table = calendar_beside_business({
        "first_response_hours_median": 65.5, "first_response_hours_p90": 70.0,
        "first_response_business_hours_median": 1.5, "first_response_business_hours_p90": None,
        "resolution_hours_median": None,
    })  # fmt: skip
    assert table.rows() == [
        ("First response", "2.7 d", "2.9 d", "1.5 h", "—"),
        ("Resolution", "—", "—", "—", "—"),
    ]
