"""Weekly review (being built: issue 6)."""

from __future__ import annotations

import streamlit as st

from cxdash.ui import view

view.require_app()
st.title("Weekly review")
st.info("Coming in this release.")
