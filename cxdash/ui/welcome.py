"""What an empty or missing store shows: a welcome, a one-click demo, and the import."""

from __future__ import annotations

import streamlit as st

from cxdash.store import StoreError
from cxdash.ui import data, importing
from cxdash.ui.text import md


def show() -> None:
    path = data.db_path()
    st.title("Welcome to cxdash")
    st.write(
        "Offense and defense for customer service, on one scoreboard: contact rate and root "
        "causes on one side, resolution quality and speed to happiness on the other."
    )
    st.info(f"There is no data in `{path}` yet. Load the demo store, or import your own "
            "contacts below.")  # fmt: skip
    if st.button("Load demo data", type="primary"):
        from cxdash.demo.generator import generate

        try:
            with st.spinner("Writing a year of demo contacts…"):
                generate(path, contacts=200_000)
        except StoreError as exc:  # a full disk: nothing was written
            st.error(md(str(exc).replace("--db", "CXDASH_DB")), icon=":material/error:")
        else:
            st.cache_data.clear()
            st.rerun()
    importing.section(history=False)
