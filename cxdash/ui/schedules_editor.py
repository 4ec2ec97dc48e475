"""Data and settings: the business hours and SLA policies — what is in force, read as tables,
and the TOML file itself to edit, check against the store's teams, save as one new version
(every contact's SLA facts derived again) or download for `cxdash import --table schedules`."""

from __future__ import annotations

import polars as pl
import streamlit as st

from cxdash.importer.schedules import SchedulesRejected, check_schedules, save_schedules
from cxdash.sla import config as sla_config
from cxdash.sla.derive import current
from cxdash.ui import auth, data
from cxdash.ui.text import md

# Offered when the store has none yet: a day team, a night desk, one policy of each clock.
TEMPLATE = """\
[schedules.default]            # every team not named under [teams]
timezone = "Europe/Berlin"
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
holidays = ["2026-12-25", "2026-12-26"]

[teams]
# "Night desk" = "night"       # a team on another schedule

[[sla]]                        # the first policy whose conditions all match applies
priority = ["urgent", "high"]
first_response = "1h"
resolution = "8h"
business_hours = true

[[sla]]                        # everything else
first_response = "8h"
resolution = "3d"
business_hours = true
"""


@st.cache_data(max_entries=8)
def _current(path: str, version: data.Version) -> str | None:
    with data.reader(path, version) as con:
        config = current(con)
    return sla_config.to_toml(config) if config else None


@st.cache_data(max_entries=8)
def _teams(path: str, version: data.Version) -> list[str]:
    with data.reader(path, version) as con:
        rows = con.execute("SELECT DISTINCT team FROM contacts WHERE team IS NOT NULL "
                           "ORDER BY 1").fetchall()  # fmt: skip
    return [str(t) for (t,) in rows]


def policies_table(config: sla_config.SlaConfig) -> pl.DataFrame:
    """The policies in the order they are tried, as a person reads them."""
    def target(minutes: float | None) -> str:
        return "—" if minutes is None else sla_config.duration_text(minutes)

    return pl.DataFrame([
        {"Order": p.position,
         "Applies to": "; ".join(f"{f} {', '.join(v)}" for f, v in p.conditions) or "all",
         "First response": target(p.first_response_minutes),
         "Resolution": target(p.resolution_minutes),
         "Clock": "business hours" if p.business_hours else "calendar"}
        for p in config.policies
    ], schema={"Order": pl.Int64, "Applies to": pl.String, "First response": pl.String,
               "Resolution": pl.String, "Clock": pl.String})  # fmt: skip


def section() -> None:
    st.subheader("Business hours and SLA policies")
    path, version = data.key()
    text = _current(path, version)
    if text is None:
        st.caption("None yet: SLA metrics are not in your data and every time is calendar "
                   "time. Start from the example below, check it and save it (or `cxdash "
                   "import FILE.toml --table schedules`).")  # fmt: skip
    else:
        config = sla_config.parse(text)
        st.caption(f"{len(config.schedules)} schedule(s) · "
                   f"{len(config.teams)} team(s) on their own schedule · "
                   f"{len(config.policies)} polic{'y' if len(config.policies) == 1 else 'ies'},"
                   " tried in order; the first that matches a contact applies.")  # fmt: skip
        st.dataframe(policies_table(config), hide_index=True, width="stretch")
        st.download_button("Download as TOML", text.encode("utf-8"), "schedules.toml",
                           mime="application/toml", on_click="ignore")  # fmt: skip
    with st.form("schedules"):
        edited = st.text_area(
            "Schedules and policies (TOML)", value=text or TEMPLATE, height=360,
            help="Intervals per weekday (several a day; \"22:00-06:00\" runs past midnight), "
                 "holidays, a time zone per schedule, teams mapped to schedules; policies with "
                 "conditions on priority, channel or team and targets in m, h or d (d = 24 "
                 "business hours when business_hours = true).",
        )  # fmt: skip
        check, save = st.columns(2)
        checking = check.form_submit_button("Check")
        saving = save.form_submit_button("Save and re-derive every contact", type="primary")
    if not (checking or saving):
        return
    problems = check_schedules(edited, _teams(path, version), source="line")
    if problems:
        st.error("Nothing saved:\n\n" + "\n".join(f"- {md(p)}" for p in problems),
                 icon=":material/error:")  # fmt: skip
        return
    if checking:
        st.success("The file reads well; nothing saved yet.", icon=":material/check:")
        return
    refused = data.read_only()
    if refused:
        st.error(f"Not saved: {md(refused)}", icon=":material/lock:")
        return
    try:
        done = save_schedules(edited, data.db_path(), source="line",
                              changed_by=auth.identity())  # fmt: skip
    except SchedulesRejected as exc:
        st.error(f"Nothing saved: {md(str(exc))}", icon=":material/error:")
        return
    st.toast(f"Saved: {done.measured:,} contacts measured against the new schedules.")
    st.rerun()
