"""Widgets of the Root causes page: the cause form (add and edit share it), saving with a
message a person can act on, one cause's before/after view and its change history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import streamlit as st

from cxdash import cause_register
from cxdash.analysis import causes
from cxdash.cause_register import InvalidCause, RootCause
from cxdash.charts import causes as cause_charts
from cxdash.metrics.request import MetricRequest
from cxdash.schema import ROOT_CAUSE_STATUSES
from cxdash.ui import auth, data, figures
from cxdash.ui.text import md
from cxdash.views.view_model import View

STATUS_LABELS = {
    "identified": "Identified",
    "in_progress": "In progress",
    "eliminated": "Eliminated (fixed)",
    "wont_fix": "Won't fix (closed)",
}
FLASH = "causes_flash"
PENDING = "cause_pending"  # the cause to show after a save (the selectbox is already drawn)
AVOIDED_HELP = ("Expected − actual contacts of its reasons since the fix; expected = the "
                "count in the 56 days before the fix, scaled by orders (or by days without "
                "orders). Under the sidebar filters.")
ALERTS = {"success": st.success, "error": st.error, "warning": st.warning, "info": st.info}


def show_flash() -> None:
    """The outcome of the last save, which reran the page to show the new version."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


FIELD_LABELS = {
    "cause_id": "Id", "title": "Title", "reasons": "Contact reasons", "owner": "Owner",
    "status": "Status", "identified_on": "Identified on", "fixed_on": "Fixed on",
    "notes": "Notes",
}  # fmt: skip


def in_form_words(text: str) -> str:
    """The register's message with the form's labels instead of column names."""
    for name, label in FIELD_LABELS.items():
        text = text.replace(f"({name})", f"({label})").replace(f"{name} ", f"{label} ")
    return text


def save(cause: RootCause, verb: str) -> None:
    refused = data.read_only()
    if refused:
        st.error(f"Not saved: {md(refused)}", icon=":material/lock:")
        return
    try:
        changed = cause_register.save(data.db_path(), cause, by=auth.identity())
    except InvalidCause as exc:
        st.error(f"Not saved: {md(in_form_words(str(exc)))}", icon=":material/error:")
        return
    fields = ", ".join(FIELD_LABELS[name] for name, _, _ in changed) or "nothing changed"
    message = f"{md(cause.cause_id)} {verb} ({fields})."
    st.session_state[FLASH] = message
    st.session_state[PENDING] = cause.cause_id
    st.toast(message, icon=":material/check_circle:")
    st.rerun()


def apply_pending() -> None:
    """Show the cause just saved: set the selectbox's state before it is drawn."""
    pending = st.session_state.pop(PENDING, None)
    if pending:
        st.session_state["cause"] = pending


def cause_form(
    key: str,
    cause: RootCause,
    *,
    new: bool,
) -> RootCause | None:
    """The form for one cause; the edited cause when submitted, else None."""
    known = data.known_reasons()
    options = sorted(set(known) | set(cause.reasons))
    with st.form(key, border=True):
        left, right = st.columns([1, 3])
        cause_id = left.text_input("Id", value=cause.cause_id, disabled=not new,
                                   key=f"{key}_id")  # fmt: skip
        title = right.text_input("Title", value=cause.title or "", key=f"{key}_title",
                                 placeholder="What goes wrong, in a few words")  # fmt: skip
        reasons = st.multiselect(
            "Contact reasons it drives", options, default=list(cause.reasons),
            key=f"{key}_reasons", help="Reasons seen in the contacts or listed in the catalog.",
        )  # fmt: skip
        a, b, c, d = st.columns(4)
        owner = a.text_input("Owner", value=cause.owner or "", key=f"{key}_owner")
        status = b.selectbox(
            "Status", ROOT_CAUSE_STATUSES, index=ROOT_CAUSE_STATUSES.index(cause.status),
            format_func=STATUS_LABELS.__getitem__, key=f"{key}_status",
        )
        identified = c.date_input("Identified on", value=cause.identified_on,
                                  key=f"{key}_identified", format="YYYY-MM-DD")  # fmt: skip
        fixed = d.date_input("Fixed on", value=cause.fixed_on, key=f"{key}_fixed",
                             format="YYYY-MM-DD",
                             help="Needed once the cause is eliminated; contacts avoided are "
                                  "counted from this day.")  # fmt: skip
        notes = st.text_area("Notes", value=cause.notes or "", key=f"{key}_notes", height=80)
        label = "Add cause" if new else "Save changes"
        if not st.form_submit_button(label, type="primary"):
            return None
    return RootCause(
        cause_id=cause_id.strip(), title=title.strip() or None, reasons=tuple(reasons),
        owner=owner.strip() or None, status=status, identified_on=_date(identified),
        fixed_on=_date(fixed), notes=notes.strip() or None,
    )  # fmt: skip


def _date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def as_cause(row: dict[str, Any]) -> RootCause:
    return RootCause(
        cause_id=row["cause_id"], title=row["title"], reasons=tuple(row["reasons"] or ()),
        owner=row["owner"], status=row["status"], identified_on=row["identified_on"],
        fixed_on=row["fixed_on"], notes=row["notes"],
    )  # fmt: skip


def register_table(register_frame: pl.DataFrame, effects: pl.DataFrame) -> pl.DataFrame:
    """The register as people read it: one line per cause, the verdict in words."""
    labels = {k: v[0] for k, v in causes.VERDICTS.items()}
    table = register_frame.join(effects, on="cause_id", how="left").with_columns(
        pl.col("reasons").list.join(", "),
        pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status")),
        pl.col("verdict").replace_strict(labels, default=None, return_dtype=pl.String)
        .fill_null("—"),
        *(pl.col(c).cast(pl.String).fill_null("—") for c in ("identified_on", "fixed_on")),
        pl.col("avoided").map_elements(lambda v: f"{v:,.0f}", return_dtype=pl.String)
        .fill_null("—"),
    )
    return table.select(
        pl.col("cause_id").alias("Id"), pl.col("title").alias("Title"),
        pl.col("status").alias("Status"), pl.col("verdict").alias("Verdict"),
        pl.col("avoided").alias("Avoided to date"), pl.col("reasons").alias("Reasons"),
        pl.col("owner").alias("Owner"), pl.col("identified_on").alias("Identified"),
        pl.col("fixed_on").alias("Fixed"),
    )  # fmt: skip


def facts_line(cause: RootCause) -> str:
    return (f"{STATUS_LABELS[cause.status]} · owner {md(cause.owner or '—')} · identified "
            f"{cause.identified_on or '—'} · fixed {cause.fixed_on or '—'}")  # fmt: skip


def effect_of(effects: pl.DataFrame, cause_id: str) -> dict[str, Any] | None:
    rows = effects.filter(pl.col("cause_id") == cause_id)
    return rows.row(0, named=True) if rows.height else None


def detail(cause: RootCause, effect: dict[str, Any] | None, view: View) -> None:
    """Verdict, the figures behind contacts avoided, and the before/after chart."""
    per_orders = data.info().orders_rows > 0
    if effect is not None:
        _, text, level = causes.VERDICTS[effect["verdict"]]
        ALERTS[level](_verdict_text(effect, text), icon=_ICONS[level])
    elif cause.status == "eliminated":
        st.info("No figures: the cause has no fix date.")
    else:
        st.info(f"{STATUS_LABELS[cause.status]}: contacts avoided are counted from the fix "
                "date once the cause is marked eliminated.")  # fmt: skip
    if effect is not None and effect["baseline"] is not None:
        with st.container(horizontal=True, wrap=True, gap="small"):
            band = f"{effect['avoided_low']:,.0f} to {effect['avoided_high']:,.0f}"
            st.metric("Contacts avoided to date", f"{effect['avoided']:,.0f}", border=True,
                      help=AVOIDED_HELP)  # fmt: skip
            st.metric("95 % band", band, border=True,
                      help="From the Poisson interval of the baseline count.")  # fmt: skip
            st.metric("Expected without the fix", f"{effect['expected']:,.0f}", border=True)
            st.metric("Actual since the fix", f"{effect['actual']:,}", border=True)
            st.metric("Baseline (56 days before)", f"{effect['baseline']:,}", border=True)
    scope = causes.cause_filters(view.filters, cause.reasons)
    if not cause.reasons:
        st.caption("Name the contact reasons this cause drives to see its chart.")
        return
    if scope is None:
        st.caption("The reason filter in the sidebar leaves none of this cause's reasons.")
        return
    window = causes.weekly_window(cause.fixed_on, cause.identified_on, view.last_day,
                                  view.first_day)  # fmt: skip
    weekly = data.compute(MetricRequest(window, scope, (), "week", ("contacts", "contact_rate")))
    before_level = None
    if effect is not None and effect["baseline"] is not None:
        before_level = causes.baseline_level(effect["baseline"], effect["orders_base"] or 0,
                                             per_orders=per_orders)  # fmt: skip
    title = f"{', '.join(cause.reasons)}: weekly " + ("contact rate" if per_orders else "contacts")
    figures.show(cause_charts.before_after(
        weekly, title=title, fixed_on=cause.fixed_on if cause.status == "eliminated" else None,
        level=before_level, per_orders=per_orders,
        came_back=bool(effect and effect["verdict"] in ("came_back", "near_baseline")),
    ), key="cause_chart")  # fmt: skip


_ICONS = {"success": ":material/verified:", "error": ":material/report:",
          "warning": ":material/warning:", "info": ":material/info:"}  # fmt: skip


def _verdict_text(effect: dict[str, Any], text: str) -> str:
    verdict = effect["verdict"]
    if verdict == "near_baseline":
        return (f"{text}: {effect['recent_actual']:,} contacts in the last 28 days against "
                f"{effect['recent_expected']:,.0f} expected without the fix (the band starts at "
                f"{effect['recent_low']:,.0f}). The driver may be back.")  # fmt: skip
    if verdict == "came_back":
        return (f"{text}: {effect['actual']:,} contacts since the fix against "
                f"{effect['expected']:,.0f} expected.")  # fmt: skip
    if verdict == "holding":
        return (f"{text}: {effect['actual']:,} contacts since the fix against "
                f"{effect['expected']:,.0f} expected, and the last 28 days are still below "
                "the band.")  # fmt: skip
    return text


def history(cause_id: str) -> None:
    rows = data.cause_history(cause_id)
    if not rows:
        st.caption("No recorded changes (causes written before the history existed, or by "
                   "`cxdash demo`).")  # fmt: skip
        return
    st.dataframe(
        pl.DataFrame(rows, schema=["When", "By", "Field", "Was", "Became"], orient="row")
        .sort("When", descending=True),
        hide_index=True, width="stretch", placeholder="—",
    )  # fmt: skip
