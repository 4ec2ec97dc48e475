"""cxdash — the Streamlit entry point: page setup, the store check, shared filters, navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cxdash.ui import auth, custom_metrics, data, store_health, welcome
from cxdash.ui.filters import sidebar_filters
from cxdash.views.view_model import FILTER_DIMS

st.set_page_config(page_title="cxdash", page_icon="⚽", layout="wide")  # emoji: no icon CDN
auth.gate()  # nothing below runs for a visitor who may not see the dashboard

extent = data.data_extent()
if extent is None:
    if (problem := data.lake_problem()) is not None:  # on Spark: the lake does not read
        st.title("The lake cannot be read")
        st.error(problem, icon=":material/error:")
        st.stop()
    if store_health.show_problem(data.db_path()):  # damaged or locked: say why and the way back
        st.stop()
    st.navigation([st.Page(welcome.show, title="Welcome", icon=":material/waving_hand:")],
                  position="hidden").run()  # fmt: skip
    st.stop()



def store_path() -> Path | None:
    """The DuckDB store the app reads (None: a lake on Spark)."""
    return None if data.spark_lake() else data.db_path()


# A block that does not read (damage the first checks did not reach) shows what is wrong
# with the store and the way back, not DuckDB's exception: here and on every page.
with store_health.on_damage(store_path):
    checked = custom_metrics.check()  # the team's metrics.toml, checked; problems shown here
    st.session_state["view"] = sidebar_filters(*extent, data.dimension_values(FILTER_DIMS),
                                               checked.catalogue)  # fmt: skip

pages = {
    "Overview": [
        st.Page("pages/scoreboard.py", title="Scoreboard", icon=":material/scoreboard:",
                default=True),
        # /wall?refresh=60&rotate=20: for a screen on the wall, reached by its link only
        st.Page("pages/wall.py", title="Wall", icon=":material/tv:", visibility="hidden"),
    ],
    "Playing to win": [
        st.Page("pages/playing_to_win.py", title="Playing to win",
                icon=":material/sports_soccer:"),
        st.Page("pages/root_causes.py", title="Root causes", icon=":material/build:"),
        st.Page("pages/driver_catalog.py", title="Driver catalog", icon=":material/category:"),
    ],
    "Defense": [
        st.Page("pages/defense.py", title="Defense", icon=":material/shield:"),
        st.Page("pages/speed_to_happiness.py", title="Speed to happiness",
                icon=":material/timer:"),
    ],
    "Analysis": [
        st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
        st.Page("pages/weekly_review.py", title="Weekly review", icon=":material/co_present:"),
    ],
    "Data": [
        st.Page("pages/data.py", title="Data and settings", icon=":material/database:"),
    ],
}  # fmt: skip
with store_health.on_damage(store_path):
    st.navigation(pages).run()
