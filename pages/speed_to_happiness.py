"""Speed to happiness: how fast and with how little friction an upset customer gets happy."""

from __future__ import annotations

import polars as pl
import streamlit as st

from cxdash.charts import clocks, defense
from cxdash.formatting import format_hours
from cxdash.metrics.catalogue import SIDE_LABELS
from cxdash.ui import data, figures, view
from cxdash.ui.tiles import tile_grid
from cxdash.views import layout, view_model

current = view.require_app()
targets = data.settings()
st.title(SIDE_LABELS["happiness"])
st.caption(
    f"{view.caption(current)} · targets: first response within "
    f"{format_hours(targets.first_response_target_hours)}, happy within "
    f"{format_hours(targets.happy_hours)} (change them on Data and settings)"
)

values = data.compare(view_model.request(current, layout.SPEED_STRIP))
tile_grid(values)
business, _ = data.in_data(layout.BUSINESS_HOURS_STRIP, current.catalogue)
if business:
    st.markdown("**Calendar time beside business hours**")
    both = {v.metric.id: v.value for v in values}
    both |= {v.metric.id: v.value for v in data.compare(view_model.request(current, business))}
    st.dataframe(clocks.calendar_beside_business(both), hide_index=True)
    st.caption("Calendar time counts every hour of the clock (the tiles above); business hours "
               "count only while the contact's schedule (its team's, else the default) is open "
               "— the clock SLA policies in business hours measure by.")  # fmt: skip

funnel, friction = data.funnel(view_model.request(current, ("contacts",)))
left, right = st.columns(2)
with left:
    figures.show(defense.funnel(funnel), key="funnel")
    st.caption("Each step keeps the contacts that passed every step before it; the last one "
               "is the Happy tile's count.")  # fmt: skip
    if funnel["contacts"].null_count():
        st.caption("The steps after Resolved need resolution times: not in your data "
                   "(import `resolved_at`).")
with right:
    figures.show(defense.frictions(friction), key="frictions")
    st.caption("Over the contacts that did not reach happy. A first response slower than its "
               "target is not part of happy, so it shows here rather than in the funnel "
               "(self-served contacts count as answered in time).")  # fmt: skip
    lacking = friction.filter(~pl.col("in_data"))["label"].to_list()
    if lacking:
        st.caption("Not in your data: " + "; ".join(lacking) + ".")

by_channel = data.compute(view_model.request(
    current, ("contacts", "resolution_hours_median", "resolution_hours_p90"), by=("channel",)))
figures.show(defense.time_by_channel(by_channel), key="time_by_channel")
