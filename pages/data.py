"""Data and settings: what the store holds, importing files into it, and the targets kept in it."""

from __future__ import annotations

import dataclasses

import polars as pl
import streamlit as st

from cxdash.ui import data, importing, panels, schedules_editor, view
from cxdash.views import availability

the_view = view.require_app()
st.title("Data and settings")
st.caption(f"Store: `{data.source()}`")
panels.freshness(data.freshness())

# What the store can answer: a "not in your data" tile elsewhere should never surprise.
fields = availability.field_table(data.info(), the_view.catalogue)
missing = availability.unanswerable(data.info(), the_view.catalogue)
held = fields.filter(pl.col("status") == availability.IN_DATA).height
with st.expander(f"What your data holds: {held} of {fields.height} contact fields"
                 + (f" · {len(missing)} metrics not in your data" if missing else ""),
                 expanded=bool(missing)):  # fmt: skip
    if missing:
        by_fields: dict[tuple[str, ...], list[str]] = {}
        for label, cols in missing:
            by_fields.setdefault(cols, []).append(label)
        st.markdown("**Not in your data** — import a column to see these metrics:\n"
                    + "\n".join(f"- `{'` or `'.join(cols)}`: {', '.join(labels)}"
                                 for cols, labels in by_fields.items()))  # fmt: skip
    st.dataframe(
        fields, hide_index=True, width="stretch",
        column_config={
            "field": "Field", "status": "In your data?",
            "contacts": st.column_config.NumberColumn("Contacts with a value", format="%d"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0,
                                                     max_value=1),
            "feeds": st.column_config.TextColumn("Feeds", width="large"),
        },
    )  # fmt: skip
importing.section()

st.subheader("Targets")
current = data.settings()
with st.form("targets"):
    left, right = st.columns(2)
    first_response = left.number_input(
        "First response target (hours)", min_value=0.05, max_value=720.0, step=0.5,
        value=float(current.first_response_target_hours),
        help="A first response later than this is a friction on Speed to happiness, and the "
             "weekly review's first-response target (p90).",
    )  # fmt: skip
    happy = right.number_input(
        "Happy target (hours)", min_value=0.5, max_value=2160.0, step=1.0,
        value=float(current.happy_hours),
        help="happy_rate: resolved within this many hours, ≤ 1 transfer, no reopen, no CSAT "
             "below 4.",
    )  # fmt: skip
    seen = dict(data.statuses())
    chosen = current.resolved_status_list
    resolved = st.multiselect(
        "Resolved statuses", sorted(set(seen) | set(chosen), key=lambda s: (-seen.get(s, 0), s)),
        default=chosen, accept_new_options=True,
        format_func=lambda s: f"{s} ({seen[s]:,} contacts)" if s in seen else s,
        help="A contact whose status is one of these counts as resolved, also without a "
             "resolution time (resolution, FCR, reopens, CSAT response, backlog). Compared "
             "trimmed and in any case.",
    )  # fmt: skip
    if st.form_submit_button("Save targets", type="primary"):
        refused = data.read_only()  # a lake on Spark: targets are set on the DuckDB store
        if refused:
            st.error(f"Not saved: {refused}", icon=":material/lock:")
        else:
            # Every other setting as it is (a new setting must not fall back to its default).
            data.save_settings(dataclasses.replace(
                current, first_response_target_hours=first_response, happy_hours=happy,
                resolved_statuses=", ".join(s.strip().lower() for s in resolved if s.strip()),
            ))  # fmt: skip
            st.toast("Targets saved in the store.")
            st.rerun()
st.caption(f"Repeat window: {current.repeat_window_hours} h · reporting time zone: "
           f"{current.timezone}")  # fmt: skip

schedules_editor.section()

st.subheader("Driver catalog and root-cause register")
st.caption(f"{data.driver_catalog().height:,} drivers in the catalog · "
           f"{data.root_causes().height:,} causes in the register. Import either above (a CSV "
           "in the layout their pages download), or edit them on their own pages.")  # fmt: skip
with st.container(horizontal=True):
    st.page_link("pages/driver_catalog.py", label="Driver catalog", icon=":material/category:")
    st.page_link("pages/root_causes.py", label="Root causes", icon=":material/build:")
