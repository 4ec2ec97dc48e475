"""Weekly review: one ISO week on a shared screen, one idea per screen, customer data masked."""

from __future__ import annotations

import streamlit as st

from cxdash.review import words
from cxdash.review.screens import Scope
from cxdash.ui import present, review, view

current = view.require_app()
weeks = review.weeks()

if present.requested():  # ?present=true: one screen filling the window (cxdash.ui.present)
    present.show(weeks, current.last_day, lambda week, masked: Scope(
        week, current.filters, current.first_day, current.last_day, masked))
    st.stop()

with st.container(key="review"):
    st.html(review.ROOM_CSS)
    top = st.columns([3, 2, 2], vertical_alignment="bottom")
    with top[0]:
        st.title("Weekly review")
    with top[1]:
        week = review.pick_week(weeks, current.last_day)
    with top[2]:
        masked = st.toggle("Mask customer data", value=True, key=review.MASK_KEY,
                           help=words.MASK_NOTE)  # fmt: skip
    scope = Scope(week, current.filters, current.first_day, current.last_day, masked)
    st.caption(f"{scope.caption()} · the week sets the period; the sidebar's filters apply"
               + (" · masked" if masked else ""))  # fmt: skip
    if not masked:
        st.warning("Customer data is shown. Turn masking back on before sharing the screen.",
                   icon=":material/visibility:")  # fmt: skip
    note = words.partial_note(scope)
    if note:
        st.info(note, icon=":material/hourglass_top:")
    with st.container(horizontal=True, vertical_alignment="center"):
        screen = review.agenda_nav()
        st.space("stretch")
        present.enter_button()
    review.show(screen, scope)

st.divider()
with st.container(horizontal=True, vertical_alignment="center"):
    st.download_button("Report for mailing (HTML)", data=review.report_maker(scope),
                       file_name=f"weekly-review-{week.iso}.html", mime="text/html",
                       on_click="ignore", icon=":material/download:")  # fmt: skip
    st.caption(f"The whole agenda as one file that opens offline, always masked. From the "
               f"command line: `cxdash report --week {week.iso} --out review.html`.")
