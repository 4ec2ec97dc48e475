"""Widgets of the Driver catalog page: the editable grid, drivers missing from it, saving."""

from __future__ import annotations

import polars as pl
import streamlit as st

from cxdash import driver_catalog
from cxdash.analysis.listings import QUADRANTS
from cxdash.analysis.opportunities import TRIAGE, UNKNOWN
from cxdash.driver_catalog import Driver, InvalidCatalog
from cxdash.ui import data
from cxdash.ui.text import md

FLASH = "catalog_flash"
EDITOR = "catalog_editor"
PENDING = "catalog_pending"  # untriaged drivers added to the grid, not saved yet
LEVELS = list(driver_catalog.LEVELS)


def editor_frame(cat: pl.DataFrame, volumes: pl.DataFrame) -> pl.DataFrame:
    """The catalog with each driver's contacts in the period and its action, biggest first."""
    counts = volumes.select("reason", "contacts") if volumes.height else pl.DataFrame(
        schema={"reason": pl.String, "contacts": pl.Int64})  # fmt: skip
    return (
        cat.join(counts, on="reason", how="left")
        .with_columns(pl.col("contacts").fill_null(0), pl.col("quadrant").fill_null(TRIAGE))
        .sort(["contacts", "reason"], descending=[True, False])
        .with_columns(
            pl.when(pl.col("value_to_customer").is_not_null()
                    & pl.col("value_to_business").is_not_null())
            .then(pl.concat_str("value_to_customer", pl.lit(" / "), "value_to_business"))
            .alias("quadrant_text"))
        .select("reason", "value_to_customer", "value_to_business", "preventable", "external",
                pl.col("quadrant_text").alias("quadrant"), pl.col("quadrant").alias("action"),
                "contacts")
    )


def missing(cat: pl.DataFrame, volumes: pl.DataFrame) -> pl.DataFrame:
    """Drivers seen in the period's contacts but absent from the catalog, biggest first."""
    if volumes.is_empty():
        return pl.DataFrame(schema={"reason": pl.String, "contacts": pl.Int64})
    known = set(cat["reason"].to_list())
    return (volumes.filter(~pl.col("reason").is_in(known) & (pl.col("reason") != UNKNOWN)
                           & (pl.col("contacts") > 0))
            .select("reason", "contacts").sort("contacts", descending=True))  # fmt: skip


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def save(rows: pl.DataFrame) -> None:
    drivers = [
        Driver(reason=str(r["reason"] or ""), value_to_customer=r["value_to_customer"] or None,
               value_to_business=r["value_to_business"] or None,
               preventable=bool(r["preventable"]), external=bool(r["external"]))
        for r in rows.iter_rows(named=True)
    ]  # fmt: skip
    refused = data.read_only()
    if refused:
        st.error(f"Not saved: {md(refused)}", icon=":material/lock:")
        return
    try:
        change = driver_catalog.save(data.db_path(), drivers)
    except InvalidCatalog as exc:
        st.error(f"Not saved: {md(exc)}", icon=":material/error:")
        return
    st.session_state[FLASH] = f"Driver catalog saved: {change.summary()}."
    st.session_state.pop(EDITOR, None)
    st.session_state.pop(PENDING, None)
    st.rerun()


def edit(frame: pl.DataFrame) -> pl.DataFrame:
    edited: pl.DataFrame = st.data_editor(  # a polars frame in, a polars frame out
        frame, key=EDITOR, num_rows="dynamic", hide_index=True, width="stretch",
        height=min(35 * (frame.height + 2) + 3, 1200),  # header, rows, the add row
        column_config={
            "reason": st.column_config.TextColumn("Driver (contact reason)", required=True),
            "value_to_customer": st.column_config.SelectboxColumn(
                "Value to customer", options=LEVELS,
                help="Would the customer want this contact? high / low"),
            "value_to_business": st.column_config.SelectboxColumn(
                "Value to business", options=LEVELS,
                help="Does the business gain from this contact (a sale, insight)? high / low"),
            "preventable": st.column_config.CheckboxColumn(
                "Preventable",
                help="A fix upstream could remove the reason to contact."),
            "external": st.column_config.CheckboxColumn(
                "External", width="small", help="Caused by a third party, such as a carrier."),
            "quadrant": st.column_config.TextColumn(
                "Quadrant", disabled=True, width="small",
                help="Value to customer / value to business"),
            "action": st.column_config.TextColumn(
                "Action", disabled=True, width="small",
                help="From the value–irritant matrix: " + "; ".join(
                    f"{c}/{b} → {a}" for (c, b), a in QUADRANTS.items())),
            "contacts": st.column_config.NumberColumn(
                "Contacts", disabled=True, format="localized", width="small",
                help="Contacts with this reason in the period chosen in the sidebar"),
        },
    )  # fmt: skip
    return edited
