"""Playing to win: is demand falling, which drivers cause it, and where to act."""

from __future__ import annotations

import polars as pl
import streamlit as st

from cxdash.analysis.topn import MISSING, is_other
from cxdash.charts import offense
from cxdash.metrics.request import Filters
from cxdash.ui import data, figures, panels, plays, view
from cxdash.views import view_model

current = view.require_app()
has_orders = data.info().orders_rows > 0

st.title("Playing to win")
st.caption(view.caption(current))

weekly = data.compute_series(
    view_model.trend_request(current, ("contacts", "contact_rate"), weeks=view_model.TREND_WEEKS))
trend_event = figures.show(
    offense.contact_rate_trend(weekly, data.root_causes(), per_orders=has_orders),
    key="rate_trend", on_select="rerun", selection_mode="points",
)  # fmt: skip
if not has_orders:
    st.info("Import orders to see contact rate per 1,000 orders; contacts are shown instead.")

drivers = ("contacts", "contact_rate", "repeat_contact_rate", "self_service_rate")
by_reason = data.compute(view_model.request(current, drivers, by=("reason",)))
before = data.compute(view_model.request(current, ("contacts",), by=("reason",)).for_period(
    current.period.previous()))
plays.section(by_reason, before, current, per_orders=has_orders)

pareto_event = figures.show(offense.pareto(by_reason), key="pareto", on_select="rerun",
                               selection_mode="points")  # fmt: skip

heat = data.compute_series(view_model.weekly_request(current, ("contacts",), by=("reason",)))
figures.show(offense.driver_heatmap(heat), key="heatmap")

trend = by_reason.join(before.select("reason", pl.col("contacts").alias("before")),
                       on="reason", how="left").with_columns(
    ((pl.col("contacts") - pl.col("before")) / pl.col("before")).alias("change"))
matrix = trend.join(data.driver_catalog(), on="reason", how="left")
figures.show(offense.value_irritant(matrix), key="matrix")
figures.show(offense.rates_by_driver(by_reason), key="driver_rates")

clicked = panels.selection_values(pareto_event, "x")
chosen = [r for r in clicked if r != MISSING and not is_other(r)]
week = panels.selected_week(trend_event, current.last_day)
if clicked and not chosen:
    st.caption("That bar groups contacts no reason filter can pick out (Other: the smaller "
               "drivers together; —: no reason). Explore, grouped by reason, lists every one.")
elif chosen:
    panels.drill_panel(view_model.request(current, ("contacts",)), title=", ".join(chosen),
                       extra=Filters.of({"reason": chosen}), key="drill_pareto")
elif week:
    trend_period = view_model.trend_request(current, (), weeks=view_model.TREND_WEEKS).period
    panels.drill_panel(view_model.request(current, ("contacts",)).for_period(trend_period),
                       title=f"week of {week[0]:%-d %b %Y}", days=week, key="drill_week")
else:
    st.caption("Click a point of the contact-rate chart or a bar of the Pareto chart to see "
               "the contacts behind it.")
