"""Where to play next: the drivers whose removal would avoid the most contacts.

A plain, explainable ranking rather than a score with hidden weights: drivers the catalog
marks preventable (and those not triaged yet — missing from the catalog or without their
values — which may be), largest volume at the current
rate first. Trend, action and any open root cause sit beside the number so a leader can judge.
Drivers marked not preventable and contacts without a reason are left out — there is nothing to
fix behind them — and so are drivers whose fix is in place, unless it did not hold.
"""

from __future__ import annotations

import polars as pl

from cxdash.analysis.listings import ACTION_ORDER

HORIZON_DAYS = 28  # "a fix would avoid N contacts every 4 weeks at the current rate"
UNKNOWN = "Unknown"
TRIAGE = "Triage"  # not in the catalog, or its values not set yet
BACK = ("came_back", "near_baseline")  # verdicts (analysis.causes) that reopen a driver
VERDICT_WORDS = {"came_back": "came back", "near_baseline": "near pre-fix level"}

COLUMNS = ("rank", "reason", "action", "preventable", "contacts", "previous", "change",
           "contact_rate", "avoidable_4w", "cause")  # fmt: skip


def _causes_by_reason(
    causes: pl.DataFrame, verdicts: dict[str, str]
) -> tuple[dict[str, str], set[str]]:
    """reason → the causes already naming it ('RC-112 (in progress)'), and the reasons whose
    fix is in place — eliminated and not flagged as back — which are no longer a play."""
    out: dict[str, list[str]] = {}
    settled: set[str] = set()
    for row in causes.iter_rows(named=True) if not causes.is_empty() else ():
        if row["status"] == "wont_fix":
            continue
        label = row["status"].replace("_", " ")
        back = verdicts.get(row["cause_id"]) in BACK
        if back:
            label += ", " + VERDICT_WORDS[verdicts[row["cause_id"]]]
        for reason in row["reasons"] or ():
            out.setdefault(reason, []).append(f"{row['cause_id']} ({label})")
            if row["status"] == "eliminated" and not back:
                settled.add(reason)
    return {k: ", ".join(v) for k, v in out.items()}, settled


def where_to_play(
    now: pl.DataFrame,
    before: pl.DataFrame,
    catalog: pl.DataFrame,
    causes: pl.DataFrame,
    days: int,
    effects: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Rank drivers. `now`: reason, contacts, contact_rate (null without orders) for the
    period; `before`: reason, contacts for the previous period of the same length; `catalog`:
    listings.driver_catalog; `causes`: listings.root_causes; `days`: the period's length;
    `effects`: analysis.causes.effects (cause_id, verdict). A driver whose cause is eliminated
    is left out unless its verdict says it came back or is near its pre-fix level."""
    if now.is_empty():
        return pl.DataFrame(schema={c: pl.String for c in COLUMNS})
    prior = before.select("reason", pl.col("contacts").alias("previous"))
    cat = catalog.select("reason", "preventable", pl.col("quadrant").alias("action"))
    verdicts = dict(effects.select("cause_id", "verdict").iter_rows()) if effects is not None \
        else {}
    linked, settled = _causes_by_reason(causes, verdicts)
    frame = (
        now.select("reason", "contacts", "contact_rate")
        .filter((pl.col("contacts") > 0) & (pl.col("reason") != UNKNOWN)
                & ~pl.col("reason").is_in(sorted(settled)))
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
