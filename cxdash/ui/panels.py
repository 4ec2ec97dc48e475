"""Reusable page sections: movers, freshness, the drill-down table."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

import polars as pl
import streamlit as st

from cxdash.analysis.drilldown import COLUMNS, PAGE_SIZE
from cxdash.analysis.movers import Move
from cxdash.analysis.topn import MISSING
from cxdash.metrics.request import Filters, MetricRequest
from cxdash.ui import data, tables
from cxdash.ui.text import md


def driver_counts(now: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    """Contacts per driver now and before; contacts without a reason are the driver "—" (a
    null would neither join its own previous count nor read as anything but "None")."""
    reason = pl.col("reason").fill_null(MISSING)
    joined = now.select(reason, pl.col("contacts").alias("now")).join(
        before.select(reason, pl.col("contacts").alias("before")), on="reason", how="full",
        coalesce=True,
    )  # fmt: skip
    return joined.rename({"reason": "driver"}).fill_null(0)


NO_REASONS = ("Not in your data: no contact has a reason, so no driver can rise or fall. Import "
              "a reason column (`reason`).")


def movers_table(rises: Sequence[Move], falls: Sequence[Move], test_name: str) -> None:
    left, right = st.columns(2, gap="large")
    for col, moves, title, empty in (
        (left, rises, "Rising drivers", "No driver rose beyond noise."),
        (right, falls, "Falling drivers", "No driver fell beyond noise."),
    ):
        with col:
            st.markdown(f"**{title}**")
            if not moves:
                st.caption(empty)
                continue
            # A static table: five rows need no grid, and it redraws far faster.
            tables.static_table(
                pl.DataFrame({
                    "Driver": [m.driver for m in moves],
                    "Contacts": [f"{m.now:,}" for m in moves],
                    "Before": [f"{m.before:,}" for m in moves],
                    "Change": [f"{m.change:+,}" for m in moves],
                    "p (adjusted)": [
                        "< 0.001" if m.p_value < 0.001 else f"{m.p_value:.3f}" for m in moves
                    ],
                }),
            )
    st.caption(f"A driver is listed when its change is unlikely to be noise: {test_name}.")


def freshness(facts: dict[str, Any]) -> None:
    newest = facts["newest_contact"]
    with st.container(horizontal=True, wrap=True, gap="small"):
        st.metric("Newest contact", f"{newest:%d %b %Y %H:%M}" if newest else "—", border=True)
        st.metric("Contacts stored", f"{facts['contacts']:,}", border=True)
        st.metric("Orders stored", f"{facts['orders']:,}", border=True)
        st.metric("Drivers in catalog", f"{facts['drivers']:,}", border=True)
        updated = facts["updated"]
        st.metric("Store written", f"{updated:%d %b %Y %H:%M}" if updated else "—", border=True)


def selection_values(event: Any, field: str) -> list[Any]:
    """Values of `field` ('x', 'y' or a customdata index) in a Plotly selection event."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    values = [p.get(field) for p in points if p.get(field) is not None]
    # charts draw their text escaped (`cxdash.charts.text`): give back the data's own value
    return [html.unescape(v) if isinstance(v, str) else v for v in values]


def selected_week(event: Any, last_day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The week (Monday to Sunday, clipped to the data) of the first selected point."""
    values = selection_values(event, "x")
    if not values:
        return None
    try:
        start = dt.date.fromisoformat(str(values[0])[:10])
    except ValueError:
        return None
    return start, min(start + dt.timedelta(days=6), last_day)


@st.fragment
def drill_panel(
    request: MetricRequest,
    *,
    title: str,
    extra: Filters | None = None,
    days: tuple[dt.date, dt.date] | None = None,
    only: str | None = None,
    key: str,
) -> None:
    """The contacts behind a selection, sortable and paged; reruns alone when paging.
    `only`: one of `analysis.drilldown.ONLY` (e.g. the breached contacts of an SLA cell)."""
    if extra:
        for dim, values in extra.values:
            request = MetricRequest(
                request.period, request.filters.with_value(dim, values), request.by,
                request.grain, request.metrics,
            )  # fmt: skip
    with st.container(border=True):
        st.markdown(f"**Contacts behind: {md(title)}**")
        cols = st.columns([2, 1, 1])
        sort = cols[0].selectbox("Sort by", COLUMNS, index=1, key=f"{key}_sort")
        descending = cols[1].toggle("Newest / largest first", value=True, key=f"{key}_desc")
        page = int(cols[2].number_input("Page", min_value=1, value=1, key=f"{key}_page")) - 1
        rows, total = data.contacts_behind(request, days, sort, descending, page, only)
        pages = max(1, -(-total // PAGE_SIZE))
        st.caption(f"{total:,} contacts · page {page + 1} of {pages:,} · {PAGE_SIZE} a page")
        st.dataframe(rows, hide_index=True, width="stretch", placeholder=MISSING)


def at_risk_backlog(risk: pl.DataFrame) -> None:
    """Open contacts closest to breaching a target, soonest first, with the time left and the
    clock their target counts in (`analysis.sla.at_risk_backlog`)."""
    at_risk = int(risk["at_risk"].sum()) if risk.height else 0
    st.markdown(f"**Open contacts closest to a breach** · {at_risk:,} at risk now (a quarter "
                "or less of their target left)")  # fmt: skip
    if risk.is_empty():
        st.caption("No open contact has a target still ahead of it.")
        return
    shown = risk.select(
        pl.col("contact_id").alias("Contact"),
        pl.col("target").alias("Target"),
        pl.col("due_at").alias("Due"),
        pl.col("hours_left").alias("Hours left"),
        pl.when(pl.col("business_hours")).then(pl.lit("business"))
        .when(pl.col("business_hours").not_()).then(pl.lit("calendar"))
        .alias("Clock"),
        pl.when(pl.col("at_risk")).then(pl.lit("at risk")).otherwise(pl.lit("")).alias("Risk"),
        pl.col("team").alias("Team"), pl.col("priority").alias("Priority"),
        pl.col("channel").alias("Channel"), pl.col("driver").alias("Driver"),
        pl.col("created_at").alias("Created"),
    )  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch", placeholder=MISSING,
                 column_config={"Hours left": st.column_config.NumberColumn(format="%.1f"),
                                "Due": st.column_config.DatetimeColumn(
                                    format="D MMM YYYY, HH:mm")})  # fmt: skip
    st.caption(f"The {risk.height} soonest due of the open contacts under the sidebar's filters "
               "(any creation day: the backlog is now), timed from the newest data time. Hours "
               "left are on the clock; a business-hours target only moves while its schedule "
               "is open.")  # fmt: skip
