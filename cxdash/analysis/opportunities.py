"""Where to play next: the drivers whose removal would avoid the most contacts.

A plain, explainable ranking rather than a score with hidden weights: drivers the catalog
marks preventable (and those not triaged yet — missing from the catalog or without their
values — which may be), largest volume at the current
rate first. Trend, action and any open root cause sit beside the number so a leader can judge.
Drivers marked not preventable and contacts without a reason are left out — there is nothing to
fix behind them.
"""

from __future__ import annotations

import polars as pl

from cxdash.analysis.registry import ACTION_ORDER

HORIZON_DAYS = 28  # "a fix would avoid N contacts every 4 weeks at the current rate"
UNKNOWN = "Unknown"
TRIAGE = "Triage"  # not in the catalog, or its values not set yet
OPEN_STATUSES = ("identified", "in_progress")

COLUMNS = ("rank", "reason", "action", "preventable", "contacts", "previous", "change",
           "contact_rate", "avoidable_4w", "cause")  # fmt: skip


def _causes_by_reason(causes: pl.DataFrame) -> dict[str, str]:
    """reason → the causes already naming it, e.g. 'RC-112 (in progress)'."""
    out: dict[str, list[str]] = {}
    if causes.is_empty():
        return {}
    for row in causes.iter_rows(named=True):
        if row["status"] == "wont_fix":
            continue
        label = f"{row['cause_id']} ({row['status'].replace('_', ' ')})"
        for reason in row["reasons"] or ():
            out.setdefault(reason, []).append(label)
    return {k: ", ".join(v) for k, v in out.items()}


def where_to_play(
    now: pl.DataFrame,
    before: pl.DataFrame,
    catalog: pl.DataFrame,
    causes: pl.DataFrame,
    days: int,
) -> pl.DataFrame:
    """Rank drivers. `now`: reason, contacts, contact_rate (null without orders) for the
    period; `before`: reason, contacts for the previous period of the same length; `catalog`:
    registry.driver_catalog; `causes`: registry.root_causes; `days`: the period's length."""
    if now.is_empty():
        return pl.DataFrame(schema={c: pl.String for c in COLUMNS})
    prior = before.select("reason", pl.col("contacts").alias("previous"))
    cat = catalog.select("reason", "preventable", pl.col("quadrant").alias("action"))
    linked = _causes_by_reason(causes)
    frame = (
        now.select("reason", "contacts", "contact_rate")
        .filter((pl.col("contacts") > 0) & (pl.col("reason") != UNKNOWN))
        .join(prior, on="reason", how="left")
        .join(cat, on="reason", how="left")
        .with_columns(pl.col("action").fill_null(TRIAGE))
        .filter(pl.col("preventable").fill_null(True) | (pl.col("action") == TRIAGE))
        .with_columns(
            pl.col("previous").fill_null(0),
            (pl.col("contacts") * HORIZON_DAYS / days).alias("avoidable_4w"),
            pl.col("reason").replace_strict(linked, default=None, return_dtype=pl.String)
            .alias("cause"),
        )
        .with_columns(
            pl.when(pl.col("previous") > 0)
            .then((pl.col("contacts") - pl.col("previous")) / pl.col("previous"))
            .alias("change"),
            pl.col("action").replace_strict(ACTION_ORDER, default=len(ACTION_ORDER))
            .alias("_order"),
        )
        .sort(["avoidable_4w", "_order", "reason"], descending=[True, False, False])
        .with_row_index("rank", offset=1)
    )
    return frame.select(COLUMNS)
