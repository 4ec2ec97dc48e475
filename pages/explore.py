"""Explore: any metrics, grouped by up to two dimensions and/or a time grain, as a chart and a
table; the contacts behind any row; downloads; the SQL — all reproduced by the link."""

from __future__ import annotations

import streamlit as st

from cxdash.ui import data, explore, view

current = view.require_app()
st.title("Explore")
st.caption(view.caption(current))

request, note = explore.choices(current)
if request is None:
    st.info(note)
    st.stop()

frame = data.compute(request)
explore.show_charts(request, frame)
st.subheader("Numbers")
_, lacking = data.in_data(request.metrics, request.catalogue)
if lacking:  # their columns read "—": say why, and what to import
    st.caption(lacking)
row = explore.show_table(request, frame)
explore.show_downloads(frame, request)
explore.drill(request, row)
explore.show_sql(request)
