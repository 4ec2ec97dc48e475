"""Scoreboard: both sides of the game at once, this period against the one before."""

from __future__ import annotations

import streamlit as st

from cxdash.analysis.movers import TEST_NAME, movers, top_moves
from cxdash.metrics.catalogue import SIDE_LABELS
from cxdash.ui import data, panels, view
from cxdash.ui.tiles import tile_grid
from cxdash.views import buckets, landing

current = view.require_app()
reads = landing.scoreboard(current)
offense_tiles, defense_tiles, speed_tiles = reads.offense, reads.defense, reads.speed
# the SLA tiles once schedules and policies are imported (Data and settings)
defense_tiles += data.in_data(reads.sla, current.catalogue)[0]
values = {v.metric.id: v for v in data.compare(reads.values)}
weekly = data.compute(reads.weekly)
sparks = {m: weekly[m].to_list() for m in reads.weekly.metrics}
notes = data.maturing(values, current.period)
# A week still under way ends the sparklines: drawn apart, left out of their direction.
flags = buckets.partial_flags(weekly["bucket"].to_list(), "week", reads.weekly.period,
                              current.first_day, current.last_day)  # fmt: skip
partial = bool(flags) and flags[-1]

st.title("Scoreboard")
st.caption(view.caption(current))

offense, defense = st.columns(2, gap="large")
with offense:
    st.subheader(f":material/sports_soccer: {SIDE_LABELS['offense']}")
    st.caption("Remove the reasons customers have to contact us.")
    tile_grid([values[m] for m in offense_tiles], sparks, notes, partial_last=partial)
with defense:
    st.subheader(f":material/shield: {SIDE_LABELS['defense']}")
    st.caption("When a problem happens, restore confidence.")
    tile_grid([values[m] for m in defense_tiles], sparks, notes, partial_last=partial)

st.subheader(f":material/timer: {SIDE_LABELS['happiness']}")
st.caption("How fast, and with how little friction, an upset customer becomes a happy one.")
tile_grid([values[m] for m in speed_tiles], sparks, notes, partial_last=partial)

st.subheader(":material/swap_vert: What moved")
if data.info().provides("reason"):
    now = data.compute(reads.drivers_now)
    before = data.compute(reads.drivers_before)
    rises, falls = top_moves(movers(panels.driver_counts(now, before)))
    panels.movers_table(rises, falls, TEST_NAME)
else:  # every contact "Unknown": one driver falling with the contacts is not a finding
    st.caption(panels.NO_REASONS)

st.subheader(":material/update: Data freshness")
panels.freshness(data.freshness())
