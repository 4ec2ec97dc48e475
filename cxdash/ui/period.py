"""The period picker: presets that count back from the newest contact, or a custom range."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cxdash.metrics.request import Period

PRESETS = {
    "Last 7 days": 7,
    "Last 28 days": 28,
    "Last 90 days": 90,
    "Quarter to date": None,
    "All time": None,
    "Custom": None,
}


def preset_period(preset: str, first: dt.date, last: dt.date) -> Period:
    if preset == "All time":
        return Period(first, last)
    if preset == "Quarter to date":
        quarter_start = dt.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
        return Period(max(first, quarter_start), last)
    days = PRESETS[preset] or 28
    return Period(last - dt.timedelta(days=days - 1), last)


def period_picker(first: dt.date, last: dt.date) -> Period:
    preset = st.sidebar.selectbox("Period", list(PRESETS), index=1, key="preset")
    if preset != "Custom":
        period = preset_period(preset, first, last)
        st.sidebar.caption(f"{period.caption()} · compared with the {period.days} days before")
        return period
    chosen = st.sidebar.date_input(
        "From – to", value=(last - dt.timedelta(days=27), last), key="range"
    )
    if isinstance(chosen, tuple) and len(chosen) == 2:
        return Period(chosen[0], chosen[1])
    st.sidebar.info("Pick an end date too.")
    return Period(last - dt.timedelta(days=27), last)
