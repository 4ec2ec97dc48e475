"""Speed to happiness' table of the two clocks: first response and resolution, median and
p90, in calendar time and in business hours side by side, so the gap nights, weekends and
holidays make is read in one glance."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from cxdash.formatting import format_hours

ROWS = (("First response", "first_response"), ("Resolution", "resolution"))


def calendar_beside_business(values: Mapping[str, float | int | None]) -> pl.DataFrame:
    """One row per duration; each cell formatted hours, "—" where there is no value."""

    def cell(metric_id: str) -> str:
        value = values.get(metric_id)
        return "—" if value is None else format_hours(float(value))

    return pl.DataFrame([
        {"": label,
         "Calendar, median": cell(f"{stem}_hours_median"),
         "Calendar, p90": cell(f"{stem}_hours_p90"),
         "Business hours, median": cell(f"{stem}_business_hours_median"),
         "Business hours, p90": cell(f"{stem}_business_hours_p90")}
        for label, stem in ROWS
    ])  # fmt: skip
