"""Helpers every page shares: the current view and its caption. The requests a view implies
are in `cxdash.views.view_model` (plain data, no Streamlit)."""

from __future__ import annotations

from typing import cast

import streamlit as st

from cxdash.ui.text import md
from cxdash.views.view_model import View


def current() -> View:
    return cast(View, st.session_state["view"])


def caption(view: View) -> str:
    text = f"{view.period.caption()} · compared with the previous {view.period.days} days"
    if view.filters:
        text += f" · {md(view.filters.caption())}"
    return text


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
    return cast(View, st.session_state["view"])
