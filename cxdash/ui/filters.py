"""The global filters in the sidebar, kept in the URL so a copied link reopens the same view.

Every widget is bound to a query parameter (`bind="query-params"`, key = parameter name).
Streamlit silently drops URL values a widget cannot take; we read the raw parameters first so
the person who opened a stale or hand-edited link is told what was ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import streamlit as st

from cxdash.metrics.catalogue import BUILTIN, Catalogue
from cxdash.metrics.dimensions import DIMENSIONS_BY_ID
from cxdash.metrics.request import Filters, Period, RequestError, preset_period
from cxdash.ui import data
from cxdash.ui.text import md
from cxdash.views.view_model import DEFAULT_PRESET, FILTER_DIMS, View

PERIOD_KEY, DATES_KEY = "period", "dates"
PRESETS: dict[str, str] = {
    "7d": "Last 7 days",
    "28d": "Last 28 days",
    "90d": "Last 90 days",
    "qtd": "Quarter to date",
    "all": "All time",
    "custom": "Custom range",
}


def invalid_url_values(
    params: Mapping[str, Sequence[str]], options: Mapping[str, Sequence[str]]
) -> list[str]:
    """Human-readable list of URL values the filters cannot take (they will be ignored)."""
    notes = []
    for key, values in params.items():
        if key == PERIOD_KEY:
            notes += [f"period={v}" for v in values if v not in PRESETS.values()]
        elif key == DATES_KEY:
            for v in values:
                try:
                    dt.date.fromisoformat(v)
                except ValueError:
                    notes.append(f"dates={v}")
        elif key in FILTER_DIMS:
            allowed = set(options.get(key, ()))
            notes += [f"{key}={v}" for v in values if v and v not in allowed]
    return notes


def _reset() -> None:
    st.session_state[PERIOD_KEY] = PRESETS[DEFAULT_PRESET]
    for dim in FILTER_DIMS:
        st.session_state[dim] = []


def sidebar_filters(
    first: dt.date,
    last: dt.date,
    options: Mapping[str, Sequence[str]],
    catalogue: Catalogue = BUILTIN,
) -> View:
    raw = {key: st.query_params.get_all(key) for key in (PERIOD_KEY, DATES_KEY, *FILTER_DIMS)}
    ignored = invalid_url_values(raw, options)

    sidebar = st.sidebar
    sidebar.header("Filters")
    # The URL carries the option as displayed (?period=Last+90+days), so options are labels.
    label = sidebar.selectbox(
        "Period",
        list(PRESETS.values()),
        index=list(PRESETS).index(DEFAULT_PRESET),
        key=PERIOD_KEY,
        bind="query-params",
    )
    preset = next(code for code, text in PRESETS.items() if text == label)
    period = preset_period(preset, first, last)
    if preset == "custom":
        chosen = sidebar.date_input(
            "From – to",
            value=(period.start, period.end),
            min_value=first - dt.timedelta(days=366),
            max_value=last + dt.timedelta(days=366),
            key=DATES_KEY,
            bind="query-params",
        )
        if isinstance(chosen, Sequence) and len(chosen) == 2:
            try:
                period = Period(chosen[0], chosen[1])
            except RequestError as exc:
                sidebar.warning(str(exc))
        else:
            sidebar.caption("Pick the last day too.")
    caption = f"{period.caption()} · compared with the {period.days} days before"
    early = data.last_day_ends_early() if period.end >= last else None
    if early is not None:  # the last day holds part of a day: say so where the period is set
        caption += (f" · the last day, {early:%-d %b}, has data only to {early:%H:%M}: "
                    "it is incomplete")
    sidebar.caption(caption)

    chosen_filters: dict[str, list[str]] = {}
    for dim in FILTER_DIMS:
        values = sidebar.multiselect(
            DIMENSIONS_BY_ID[dim].label,
            list(options.get(dim, ())),
            key=dim,
            bind="query-params",
            placeholder="All",
        )
        if values:
            chosen_filters[dim] = values
    sidebar.button("Reset filters", on_click=_reset, icon=":material/restart_alt:")
    if ignored:
        sidebar.warning(
            "Ignored from the link (not in this data): " + md(", ".join(ignored)),
            icon=":material/link_off:",
        )
    return View(period, Filters.of(chosen_filters), first, last, catalogue)
