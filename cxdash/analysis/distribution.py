"""Resolution-time distribution: counts per duration band, aggregated in SQL (never raw rows
to the chart), on the same filtered period contacts as the metrics."""

from __future__ import annotations

import duckdb
import polars as pl

from cxdash.metrics.compiler import period_fragment
from cxdash.metrics.request import MetricRequest
from cxdash.settings import Settings
from cxdash.store import StoreInfo

# Upper edges in hours; bands widen with time because resolution times are long-tailed.
BANDS: tuple[tuple[float, str], ...] = (
    (1.0, "< 1 h"), (2.0, "1–2 h"), (4.0, "2–4 h"), (8.0, "4–8 h"), (24.0, "8–24 h"),
    (48.0, "1–2 d"),
    (96.0, "2–4 d"), (168.0, "4–7 d"), (336.0, "1–2 wk"), (float("inf"), "≥ 2 wk"),
)  # fmt: skip


def resolution_bands(
    con: duckdb.DuckDBPyConnection,
    request: MetricRequest,
    info: StoreInfo,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """band (label), upper_hours, contacts — every band present, zeros included."""
    frag = period_fragment(request, info, settings, ("resolution_hours",))
    cases = " ".join(
        f"WHEN resolution_hours < {upper} THEN {i}"
        for i, (upper, _) in enumerate(BANDS[:-1])
    )
    body = f"""
SELECT CASE {cases} ELSE {len(BANDS) - 1} END AS band, count(*) AS contacts
FROM {frag.period_contacts} WHERE resolution_hours IS NOT NULL GROUP BY ALL"""
    sql, params = frag.query(body)
    with con.cursor() as cur:
        counts = dict(cur.sql(sql, params=params).fetchall())
    return pl.DataFrame({
        "band": [label for _, label in BANDS],
        "upper_hours": [upper for upper, _ in BANDS],
        "contacts": [int(counts.get(i, 0)) for i in range(len(BANDS))],
    })  # fmt: skip
