"""Defense: how well problems are handled, by team and channel, and who comes back to buy."""

from __future__ import annotations

import streamlit as st

from cxdash.charts import defense
from cxdash.metrics.request import Filters
from cxdash.ui import data, figures, panels, tables, view
from cxdash.views import view_model

QUALITY = ("resolution_rate", "fcr_rate", "reopen_rate", "csat")
TABLE = ("contacts", "resolution_rate", "fcr_rate", "reopen_rate", "csat", "transfer_rate",
         "escalation_rate", "resolution_hours_median", "happy_rate")  # fmt: skip

SLA_TABLE = ("contacts", "sla_first_response_rate", "sla_resolution_rate", "sla_breaches",
             "sla_running", "first_response_business_hours_median",
             "resolution_business_hours_median")  # fmt: skip
SLA_WEEKLY = ("sla_breaches", "sla_first_response_rate", "sla_resolution_rate")
SLA_DIMS = ("team", "priority", "channel")

current = view.require_app()
st.title("Defense")
st.caption(view.caption(current))

# Metrics the data cannot answer are left out of the chart and the tables, and named.
quality, quality_lacking = data.in_data(QUALITY, current.catalogue)
shown_table, table_lacking = data.in_data(TABLE, current.catalogue)
quality_event = figures.show(
    defense.weekly_rates(data.compute_series(view_model.trend_request(current, quality)),
                         quality),
    key="quality_trend", on_select="rerun", selection_mode="points")  # fmt: skip
if quality_lacking:
    st.caption(quality_lacking)

overall = data.compute(view_model.request(current, TABLE)).row(0, named=True)
selected: dict[str, list[str]] = {}
for dim in ("team", "channel"):
    # CSAT's response rate gives each row's CSAT answers: the base of an Other row's CSAT.
    frame = data.compute(view_model.request(current, (*TABLE, "csat_response_rate"), by=(dim,)))
    selected[dim] = tables.metric_table(frame, dim, shown_table, overall, key=f"by_{dim}")
if table_lacking and table_lacking != quality_lacking:
    st.caption(table_lacking)

band_frame = data.resolution_bands(view_model.request(current, ("contacts",)))
figures.show(defense.resolution_distribution(
    band_frame, overall["resolution_hours_median"],
    data.compute(view_model.request(current, ("resolution_hours_p90",))).item()),
    key="resolution_bands")  # fmt: skip

# SLAs: only where schedules and policies exist (SPEC §3); each figure says its clock.
st.subheader("SLAs")
sla_shown, _ = data.in_data(SLA_TABLE[1:], current.catalogue)
sla_selected: dict[str, list[str]] = {}
if not sla_shown:
    st.caption("No business hours or SLA policies in this store yet: add them on Data and "
               "settings, or `cxdash import FILE.toml --table schedules`. Times on this page "
               "are calendar time until then.")  # fmt: skip
else:
    weekly = data.compute_series(view_model.trend_request(current, SLA_WEEKLY))
    figures.show(defense.sla_breaches_weekly(weekly), key="sla_weekly")
    sla_overall = data.compute(view_model.request(current, SLA_TABLE)).row(0, named=True)
    dims = [d for d in SLA_DIMS if data.info().provides(d)] or ["team"]  # ones the data has
    for tab, dim in zip(st.tabs([f"By {d}" for d in dims]), dims, strict=True):
        with tab:
            frame = data.compute(view_model.request(current, SLA_TABLE, by=(dim,)))
            sla_selected[dim] = tables.metric_table(frame, dim, ("contacts", *sla_shown),
                                                    sla_overall, key=f"sla_by_{dim}")  # fmt: skip
    st.caption(
        "Targets met are shares of the targets whose outcome is known; those still running "
        "are counted apart, never as met. Business hours count only while the contact's "
        "schedule (its team's, else the default) is open; a calendar policy counts every "
        "hour. Select rows to see their breached contacts.")
    risk = data.sla_at_risk(view_model.request(current, ("contacts",)))
    panels.at_risk_backlog(risk)

left, right = st.columns(2, gap="large")
with left:
    friction = ("contacts", "transfer_rate", "escalation_rate")
    by_team = data.compute(view_model.request(current, friction, by=("team",)))
    figures.show(defense.team_friction(by_team), key="team_friction")
with right:
    cohorts = data.recovery_cohorts(view_model.request(current, ("contacts",)))
    figures.show(defense.recovery(cohorts), key="recovery")
    st.caption("Customers by the outcome of their first contact in the period; the bar is the "
               "share who ordered within 90 days after it, the whisker its 95% interval "
               "(Wilson). No contact = customers who ordered in the period and never contacted.")

picked = {dim: values for dim, values in selected.items() if values}
sla_picked = {dim: values for dim, values in sla_selected.items() if values}
week = panels.selected_week(quality_event, current.last_day)
if sla_picked:
    label = "; ".join(f"{d}: {', '.join(v)}" for d, v in sla_picked.items())
    panels.drill_panel(view_model.request(current, ("contacts",)), title=f"{label}, breached",
                       extra=Filters.of(sla_picked), only="sla_breached",
                       key="drill_sla")  # fmt: skip
elif week and not picked:
    trend_period = view_model.trend_request(current, QUALITY).period
    panels.drill_panel(view_model.request(current, ("contacts",)).for_period(trend_period),
                       title=f"week of {week[0]:%-d %b %Y}", days=week, key="drill_week")
elif picked:
    label = "; ".join(f"{d}: {', '.join(v)}" for d, v in picked.items())
    panels.drill_panel(view_model.request(current, ("contacts",)), title=label,
                       extra=Filters.of(picked), key="drill_defense")
else:
    st.caption("Click a week in the quality chart, or select rows in the team or channel "
               "table, to see the contacts behind them.")
