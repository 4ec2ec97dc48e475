"""Scoreboard: both sides of the game at once, this period against the one before."""

from __future__ import annotations

import streamlit as st

from cxdash.metrics.catalogue import SIDE_LABELS
from cxdash.metrics.request import MetricRequest
from cxdash.ui import data, layout
from cxdash.ui.tiles import tile_grid

period = st.session_state["period"]
shown = layout.OFFENSE_TILES + layout.DEFENSE_TILES + layout.SPEED_STRIP
values = {v.metric.id: v for v in data.compare(MetricRequest(period, metrics=shown))}

st.title("Scoreboard")
st.caption(f"{period.caption()} · changes against the previous {period.days} days")

offense, defense = st.columns(2, gap="large")
with offense:
    st.subheader(f":material/sports_soccer: {SIDE_LABELS['offense']}")
    st.caption("Remove the reasons customers have to contact us.")
    tile_grid([values[m] for m in layout.OFFENSE_TILES])
with defense:
    st.subheader(f":material/shield: {SIDE_LABELS['defense']}")
    st.caption("When a problem happens, restore confidence.")
    tile_grid([values[m] for m in layout.DEFENSE_TILES])

st.subheader(f":material/timer: {SIDE_LABELS['happiness']}")
st.caption("How fast, and with how little friction, an upset customer becomes a happy one.")
tile_grid([values[m] for m in layout.SPEED_STRIP])
