"""How numbers read: one decimal percent, minutes/hours/days, thousands separators, dashes."""

from __future__ import annotations

import pytest

from cxdash.formatting import format_change, format_hours, format_value
from cxdash.metrics.catalogue import METRICS_BY_ID as M


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [
        ("fcr_rate", 0.756, "75.6%"),
        ("csat", None, "—"),
        ("contacts", 40859, "40,859"),
        ("contacts_avoided", 2732.3, "2,732"),
        ("contacts_avoided", -2.625, "-3"),
        ("contact_rate", 1400.0, "1,400.0"),
        ("ces_avg", 3.5, "3.50"),
        ("resolution_hours_median", 0.5, "30 min"),
        ("resolution_hours_median", 3.44, "3.4 h"),
        ("resolution_hours_p90", 50.4, "2.1 d"),
        ("first_response_hours_median", float("nan"), "—"),
    ],
)
def test_format_value(metric: str, value: float | None, shown: str) -> None:
    assert format_value(M[metric], value) == shown


def test_format_change() -> None:
    assert format_change(M["fcr_rate"], 0.006) == "+0.6 pt"
    assert format_change(M["contacts"], -6218, -0.132) == "-6,218 (-13.2%)"
    assert format_change(M["resolution_hours_median"], -0.0001) == "-< 1 min"
    assert format_change(M["ces_avg"], 0.004) == "+0.00"
    assert format_change(M["csat"], None) == "—"
    assert format_hours(0) == "0 min"
