"""Helpers every page shares: the current view, captions, and the metric requests it implies."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cxdash.metrics.request import MetricRequest, Period
from cxdash.ui.filters import View
from cxdash.ui.text import md

SPARK_WEEKS = 12
TREND_WEEKS = 52


def current() -> View:
    return st.session_state["view"]


def caption(view: View) -> str:
    text = f"{view.period.caption()} · compared with the previous {view.period.days} days"
    if view.filters:
        text += f" · {md(view.filters.caption())}"
    return text


def request(view: View, metrics: tuple[str, ...], **kw: object) -> MetricRequest:
    return MetricRequest(view.period, view.filters, metrics=metrics, **kw)  # type: ignore[arg-type]


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def trend_request(
    view: View, metrics: tuple[str, ...], by: tuple[str, ...] = (), weeks: int = SPARK_WEEKS
) -> MetricRequest:
    """Weekly values over the period, or over the last `weeks` weeks when it is shorter.

    The window starts on a Monday so no week is a clipped sliver that looks like a dip, and
    not before the data's first full week.
    """
    end = view.period.end
    start = min(view.period.start, end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1))
    first_full_week = monday(view.first_day + dt.timedelta(days=6))
    start = max(monday(start), min(first_full_week, monday(end)))
    return MetricRequest(Period(start, end), view.filters, by, "week", metrics)


def weekly_request(view: View, metrics: tuple[str, ...], by: tuple[str, ...] = ()) -> MetricRequest:
    """The period itself by week, widened back to its first Monday."""
    period = Period(monday(view.period.start), view.period.end)
    return MetricRequest(period, view.filters, by, "week", metrics)


def require_app() -> View:
    """The view built by app.py; call first thing in every page.

    With a `pages/` folder beside app.py, Streamlit starts each server process in its legacy
    pages-directory mode until some run calls `st.navigation`. A link straight to a page
    (`/defense?…`) opened first after a restart would then run the page without app.py — no
    sidebar, no filters. So a page that finds no view switches the process to navigation mode
    (what `st.navigation` itself does) and reruns, which runs app.py with the same URL.
    """
    if "view" not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state["view"]
