"""cxdash — the Streamlit entry point: page setup, the store check, the shared sidebar."""

from __future__ import annotations

import streamlit as st

from cxdash.ui import data, welcome
from cxdash.ui.period import period_picker

st.set_page_config(page_title="cxdash", page_icon=":material/sports_soccer:", layout="wide")

version = data.current_version()
path = str(data.db_path())
extent = data.data_range(path, version) if version is not None else None
if extent is None:
    welcome.show(data.db_path())
    st.stop()

st.sidebar.title("cxdash")
st.session_state["period"] = period_picker(*extent)

pages = {
    "Overview": [
        st.Page(
            "pages/scoreboard.py", title="Scoreboard", icon=":material/scoreboard:", default=True
        ),
    ],
}
st.navigation(pages).run()
