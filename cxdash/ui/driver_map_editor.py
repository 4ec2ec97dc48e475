"""Widgets of the Driver catalog page's "Driver map": raw reason → driver as an editable grid,
saved whole as one new version (`driver_map.write(..., replace=True)`), and every change to it,
newest first — kept like the register's history."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
import streamlit as st

from cxdash.drivers import driver_map, review
from cxdash.drivers.review import ReviewError
from cxdash.engines import EngineError
from cxdash.ui import auth, data
from cxdash.ui.text import md

EDITOR = "driver_map_grid"
FLASH = "driver_map_flash"
HISTORY = "driver_map_changes"
MAP_SQL = """
    SELECT m.reason, m.driver, count(c.contact_id) AS contacts
    FROM driver_map m LEFT JOIN contacts c ON c.reason = m.reason
    GROUP BY m.reason, m.driver ORDER BY m.driver, contacts DESC, m.reason"""
HISTORY_SQL = """
    SELECT changed_at, changed_by, reason, old_driver, new_driver FROM driver_map_changes
    ORDER BY changed_at DESC, reason"""
MAP_SCHEMA: dict[str, Any] = {"reason": pl.String, "driver": pl.String, "contacts": pl.Int64}
HISTORY_SCHEMA: dict[str, Any] = {
    "changed_at": pl.Datetime, "changed_by": pl.String, "reason": pl.String,
    "old_driver": pl.String, "new_driver": pl.String}  # fmt: skip


def _read(path: str, version: data.Version, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    try:
        with data.reader(path, version) as cur:
            frame = cur.sql(sql).pl()
    except (duckdb.Error, EngineError):  # a store from before driver maps
        return pl.DataFrame(schema=schema)
    return frame.cast(schema) if frame.height else pl.DataFrame(schema=schema)


@st.cache_data(max_entries=8)
def _map(path: str, version: data.Version) -> pl.DataFrame:
    return _read(path, version, MAP_SQL, MAP_SCHEMA)


@st.cache_data(max_entries=8)
def _history(path: str, version: data.Version) -> pl.DataFrame:
    return _read(path, version, HISTORY_SQL, HISTORY_SCHEMA)


def current() -> pl.DataFrame:
    """reason, driver, contacts (with that raw reason, in the whole store)."""
    return _map(*data.key())


def history() -> pl.DataFrame:
    """changed_at, changed_by, reason, old_driver, new_driver; newest first."""
    return _history(*data.key())


def section() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    frame = current()
    if frame.is_empty():
        st.caption("No driver map yet: every contact counts under its raw reason. Discover "
                   "drivers at the top of the page, or add rows here (the raw reason as the "
                   "contacts have it → its driver).")  # fmt: skip
    else:
        st.caption(f"{frame.height:,} raw reasons mapped to {frame['driver'].n_unique():,} "
                   "drivers. Edit a driver to rename or regroup, delete a row to count that "
                   "reason under itself again, then save: the whole map is written as one "
                   "version and applies to every contact, past ones too.")  # fmt: skip
    edited: pl.DataFrame = st.data_editor(
        frame, key=EDITOR, num_rows="dynamic", hide_index=True, width="stretch",
        height=min(35 * (frame.height + 2) + 3, 560), placeholder="—",
        column_config={
            "reason": st.column_config.TextColumn("Raw reason", width="large",
                                                  help="As the contacts have it"),
            "driver": st.column_config.TextColumn("Driver", width="medium",
                                                  max_chars=review.MAX_LABEL),
            "contacts": st.column_config.NumberColumn(
                "Contacts", disabled=True, format="localized", width="small",
                help="Contacts with this raw reason, in the whole store"),
        },
    )  # fmt: skip
    if st.button("Save driver map", key="save_driver_map"):
        save(edited)
    _changes()


def save(edited: pl.DataFrame) -> None:
    refused = data.read_only()
    if refused:
        st.error(f"Not saved: {md(refused)}", icon=":material/lock:")
        return
    try:
        mapping = review.map_from_rows(edited.select("reason", "driver").iter_rows())
        change = driver_map.write(data.db_path(), mapping, replace=True,
                                  changed_by=auth.identity())  # fmt: skip
    except (ReviewError, driver_map.InvalidMap) as exc:
        st.error(f"Not saved: {md(exc)}", icon=":material/error:")
        return
    st.session_state[FLASH] = f"Driver map saved: {change.summary()}."
    st.session_state.pop(EDITOR, None)
    st.rerun()


def _changes() -> None:
    rows = history()
    st.markdown("**Changes to the map**")
    if rows.is_empty():
        st.caption("No changes recorded yet.")
        return
    shown = rows.select(
        pl.col("changed_at").alias("When"), pl.col("changed_by").alias("By"),
        pl.col("reason").alias("Raw reason"), pl.col("old_driver").alias("Was"),
        pl.col("new_driver").alias("Became"))  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—",
                 height=min(35 * (shown.height + 1) + 3, 420))  # fmt: skip
    st.download_button("Download the changes (CSV)", shown.write_csv(),
                       file_name="driver_map_changes.csv", mime="text/csv", on_click="ignore",
                       icon=":material/download:", key=f"{HISTORY}_csv")  # fmt: skip
