"""Where to play next, on Playing to win: the ranked opportunities, each a link to its cause."""

from __future__ import annotations

import polars as pl
import streamlit as st

from cxdash.analysis import opportunities
from cxdash.ui import data
from cxdash.ui.text import md
from cxdash.views.view_model import View

TOP = 10
ROOT_CAUSES_PAGE = "pages/root_causes.py"


def _change_text() -> pl.Expr:
    """"+12%" / "-5%", "new" for a driver the previous period did not have: never "None"."""
    pct = (pl.col("change") * 100).round(0).cast(pl.Int64)
    return (pl.when(pl.col("change").is_null()).then(pl.lit("new"))
            .when(pct > 0).then(pl.format("+{}%", pct))
            .otherwise(pl.format("{}%", pct)))  # fmt: skip


def section(
    by_reason: pl.DataFrame, before: pl.DataFrame, view: View, *, per_orders: bool
) -> None:
    st.subheader("Where to play next")
    days = view.period.days
    effects = data.cause_effects(view.filters, view.last_day)
    plays = opportunities.where_to_play(by_reason, before, data.driver_catalog(),
                                        data.root_causes(), days, effects)  # fmt: skip
    if plays.is_empty():
        st.info("No preventable driver had contacts in this period.")
        return
    shown = plays.head(TOP)
    table = shown.select(
        pl.col("rank").alias("#"), pl.col("reason").alias("Driver"),
        pl.col("action").alias("Action"), pl.col("contacts").alias("Contacts"),
        _change_text().alias("Change %"),
        pl.col("contact_rate").alias("Per 1,000 orders"),
        pl.col("avoidable_4w").round(0).alias("A fix avoids / 4 weeks"),
        pl.col("cause").fill_null("—").alias("Root cause"),
    )  # fmt: skip
    if not per_orders:
        table = table.drop("Per 1,000 orders")
    if days == opportunities.HORIZON_DAYS:  # the same numbers as Contacts
        table = table.drop("A fix avoids / 4 weeks")
    event = st.dataframe(
        table, key="plays", hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", placeholder="—",
        column_config={
            "#": st.column_config.NumberColumn(width=40),
            "Change %": st.column_config.TextColumn(
                help="Against the previous period; new = none then"),
            "Contacts": st.column_config.NumberColumn(format="localized"),
            "Per 1,000 orders": st.column_config.NumberColumn(format="%.2f"),
            "A fix avoids / 4 weeks": st.column_config.NumberColumn(
                format="localized", help="Contacts every 4 weeks at the period's rate"),
        },
    )  # fmt: skip
    rows = event["selection"]["rows"] if event else []
    pick = shown.row(rows[0] if rows else 0, named=True)
    open_cause = _open_cause(pick["cause"])
    if open_cause:
        label = f"Open {md(open_cause)}, already on {md(pick['reason'])}"
        st.page_link(ROOT_CAUSES_PAGE, label=label, icon=":material/build:",
                     query_params={"cause": open_cause})  # fmt: skip
    st.page_link(ROOT_CAUSES_PAGE, label=f"Open a root cause for {md(pick['reason'])}",
                 icon=":material/add_circle:", query_params={"new": pick["reason"]})  # fmt: skip
    st.caption(f"Preventable drivers (and ones not triaged yet), largest volume first; drivers "
               f"whose fix is in place are left out unless it did not hold. A fix that removes "
               f"a driver avoids its contacts at the current rate. Top {len(shown)} of "
               f"{plays.height:,}{_more(plays.height - len(shown))}; select a row to act "
               f"on it.")  # fmt: skip


def _more(more: int) -> str:
    return f" ({more:,} more: Explore, grouped by reason, lists every one)" if more else ""


def _open_cause(linked: str | None) -> str | None:
    """The first identified or in-progress cause in 'RC-112 (in progress), …'."""
    for item in (linked or "").split(", "):
        cause_id, _, status = item.partition(" (")
        if status.rstrip(")") in ("identified", "in progress"):
            return cause_id
    return None
