"""Root causes: the register of problems behind contacts, what each fix avoided, and edits."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from cxdash.analysis.listings import suggest_id
from cxdash.cause_register import RootCause
from cxdash.ui import causes, data, tiles, view
from cxdash.ui.text import md
from cxdash.views import view_model


def add_section(
    register: pl.DataFrame, prefill: str | None, last_day: dt.date, *, expanded: bool
) -> None:
    """The new-cause form; `prefill` is a reason from a Where-to-play-next link."""
    st.subheader("Add a root cause")
    ids = register["cause_id"].to_list() if register.height else []
    with st.expander("New cause", expanded=expanded):
        blank = RootCause(
            cause_id=suggest_id(ids), title=None,
            reasons=(prefill,) if prefill in data.known_reasons() else (),
            identified_on=min(dt.date.today(), last_day),
        )  # fmt: skip
        added = causes.cause_form("new_cause", blank, new=True)
        if added is not None:
            if added.cause_id in set(ids):
                st.error(f"Not saved: {md(added.cause_id)} already exists; edit it above.")
            else:
                st.query_params.pop("new", None)
                causes.save(added, "added")


current = view.require_app()
st.title("Root causes")
st.caption(view.caption(current))
causes.show_flash()
causes.apply_pending()

register = data.root_causes()
effects = data.cause_effects(current.filters, current.last_day)

prefill = st.query_params.get("new")
if prefill:  # arriving from "Where to play next": the form first
    add_section(register, prefill, current.last_day, expanded=True)

eliminated = view_model.request(current, ("causes_eliminated", "contacts_avoided"))
tiles.tile_grid(data.compare(eliminated))

if register.is_empty():
    st.info("The register is empty. Add the first root cause below, or import a register CSV "
            "on the Data page.")  # fmt: skip
else:
    attention = effects.filter(pl.col("verdict").is_in(["came_back", "near_baseline"]))
    for row in attention.iter_rows(named=True):
        st.warning(f"**{md(row['cause_id'])}** is marked eliminated but its driver looks back.",
                   icon=":material/warning:")  # fmt: skip
    avoided = st.column_config.TextColumn(help="Since the fix, under the sidebar filters")
    st.dataframe(causes.register_table(register, effects), hide_index=True, width="stretch",
                 placeholder="—", column_config={"Avoided to date": avoided})  # fmt: skip

    ids = register["cause_id"].to_list()
    titles = dict(zip(ids, register["title"].to_list(), strict=True))
    first = attention["cause_id"][0] if attention.height else ids[0]
    chosen = st.selectbox("Cause", ids, index=ids.index(first), key="cause",
                          bind="query-params",
                          format_func=lambda c: f"{c} · {titles[c] or ''}")  # fmt: skip
    row = register.filter(pl.col("cause_id") == chosen).row(0, named=True)
    cause = causes.as_cause(row)
    st.subheader(f"{md(cause.cause_id)} · {md(cause.title or 'untitled')}")
    st.caption(causes.facts_line(cause))
    if cause.notes:
        st.markdown(f"> {md(cause.notes)}")
    causes.detail(cause, causes.effect_of(effects, cause.cause_id), current)
    with st.expander(f"Edit {md(cause.cause_id)}: status, fix date, owner, reasons"):
        edited = causes.cause_form(f"edit_{cause.cause_id}", cause, new=False)
        if edited is not None:
            causes.save(edited, "saved")
    with st.expander(f"Change history of {md(cause.cause_id)}"):
        causes.history(cause.cause_id)

if not prefill:
    add_section(register, prefill, current.last_day, expanded=False)

st.subheader("Keep it in a spreadsheet")
st.caption("Download the register or the driver catalog as CSV, edit it in a spreadsheet, and "
           "import it back on the Data page: the import checks every row against the same "
           "rules and records each change in the history.")  # fmt: skip
with st.container(horizontal=True):
    st.download_button("Register (CSV)", data.export_csv("root_causes"),
                       file_name="root_causes.csv", mime="text/csv", on_click="ignore",
                       icon=":material/download:")  # fmt: skip
    st.download_button("Driver catalog (CSV)", data.export_csv("reasons"),
                       file_name="reasons.csv", mime="text/csv", on_click="ignore",
                       icon=":material/download:")  # fmt: skip
    st.page_link("pages/data.py", label="Import on the Data page", icon=":material/upload:")
