"""Driver catalog: each contact reason's value to the customer and to the business, whether it
is preventable or external — and so its quadrant and action. New drivers wait here for triage."""

from __future__ import annotations

import polars as pl
import streamlit as st

from cxdash.analysis.listings import ACTIONS, QUADRANTS
from cxdash.analysis.opportunities import TRIAGE
from cxdash.ui import catalog_editor, data, driver_map_editor, driver_review, tables, view
from cxdash.views import view_model

current = view.require_app()
st.title("Driver catalog")
st.caption(f"Contacts: {current.period.caption()}"
           + (f" · {current.filters.caption()}" if current.filters else ""))
catalog_editor.show_flash()
with st.expander("Discover drivers in free-text reasons or comments",
                 icon=":material/auto_awesome:", key="discover_drivers"):  # fmt: skip
    driver_review.section()

cat = data.driver_catalog()
volumes = data.compute(view_model.request(current, ("contacts",), by=("reason",)))

quadrant_of = {action: f"{c} / {b}" for (c, b), action in QUADRANTS.items()}
tables.static_table(pl.DataFrame({
    "Action": list(ACTIONS),
    "Value to customer / business": [quadrant_of[a] for a in ACTIONS],
    "What it means": list(ACTIONS.values()),
}))  # fmt: skip

untriaged = catalog_editor.missing(cat, volumes)
if untriaged.height and not st.session_state.get(catalog_editor.PENDING):
    st.subheader(f"Drivers to triage ({untriaged.height})")
    st.warning(f"{untriaged.height} contact reasons in this period are not in the catalog, "
               "so they have no action and no preventable flag yet.",
               icon=":material/help:")  # fmt: skip
    st.dataframe(untriaged.rename({"reason": "Driver", "contacts": "Contacts in period"}),
                 hide_index=True, width="content", placeholder="—")  # fmt: skip
    if st.button(f"Add these {untriaged.height} drivers to the catalog", key="add_untriaged"):
        st.session_state[catalog_editor.PENDING] = untriaged["reason"].to_list()
        st.rerun()

frame = catalog_editor.editor_frame(cat, volumes)
known = set(cat["reason"])
pending = [r for r in st.session_state.get(catalog_editor.PENDING, []) if r not in known]
if pending:
    extra = pl.DataFrame({"reason": pending}).join(volumes.select("reason", "contacts"),
                                                   on="reason", how="left")  # fmt: skip
    frame = pl.concat([frame, extra], how="diagonal_relaxed").with_columns(
        pl.col("preventable").fill_null(False), pl.col("external").fill_null(False),
        pl.col("action").fill_null(TRIAGE))  # fmt: skip
    st.info("Added below: set their values and save.", icon=":material/arrow_downward:")

st.subheader("Catalog")
st.caption("Edit cells, add rows at the bottom or delete them, then save: the whole catalog is "
           "checked and written at once.")  # fmt: skip
edited = catalog_editor.edit(frame)
if st.button("Save catalog", type="primary", key="save_catalog"):
    catalog_editor.save(edited)

with st.container(horizontal=True):
    st.download_button("Download the catalog (CSV)", data.export_csv("reasons"),
                       file_name="reasons.csv", mime="text/csv", on_click="ignore",
                       icon=":material/download:")  # fmt: skip
    st.page_link("pages/data.py", label="Import a catalog CSV on the Data page",
                 icon=":material/upload:")  # fmt: skip

st.subheader("Driver map")
driver_map_editor.section()
