"""Helpers every page shares: the current view, captions, and the metric requests it implies."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cxdash.metrics.request import MetricRequest, Period
from cxdash.ui.filters import View

SPARK_WEEKS = 12


def current() -> View:
    return st.session_state["view"]


def caption(view: View) -> str:
    text = f"{view.period.caption()} · compared with the previous {view.period.days} days"
    if view.filters:
        text += f" · {view.filters.caption()}"
    return text


def request(view: View, metrics: tuple[str, ...], **kw: object) -> MetricRequest:
    return MetricRequest(view.period, view.filters, metrics=metrics, **kw)  # type: ignore[arg-type]


def trend_request(view: View, metrics: tuple[str, ...], by: tuple[str, ...] = ()) -> MetricRequest:
    """Weekly values over the period, or over the last 12 weeks when the period is shorter."""
    end = view.period.end
    start = min(view.period.start, end - dt.timedelta(weeks=SPARK_WEEKS) + dt.timedelta(days=1))
    return MetricRequest(Period(start, end), view.filters, by, "week", metrics)
