"""Widgets of the Driver catalog page's "Discover drivers": discovery run on the store (what
`cxdash drivers discover` runs), its proposal reviewed — renamed, merged, split, reasons moved,
each driver accepted or not — and only the accepted drivers written (issue 18). The proposal
lives in the session until it is written or discarded; the operations are
`cxdash.drivers.review`'s."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import streamlit as st

from cxdash.drivers import review
from cxdash.drivers.discover import MIXED, UNSPECIFIED, Proposal
from cxdash.drivers.driver_map import InvalidMap
from cxdash.drivers.review import ReviewError
from cxdash.drivers.texts import TEXT_FIELDS, NothingToDiscover, Texts
from cxdash.ui import auth, data
from cxdash.ui.text import md

DRAFT = "drivers_draft"
FLASH = "drivers_flash"
REASONS = "reasons"
NOT_PROSE = ("contact_id", "customer_id", "reason")  # text fields that are not what was said
MOVE_OPTIONS = 1_000  # reasons (or contacts) offered to move, most used first


@dataclass(frozen=True)
class Draft:
    """A proposal under review: what discovery read, the drivers now, those unticked, and a
    revision that gives every widget drawn from this state its own key (a grid's edits are
    kept by row position, so a changed proposal needs a fresh grid)."""

    texts: Texts
    proposal: Proposal
    rejected: frozenset[str] = field(default=frozenset())
    revision: int = 0


def sources() -> list[str]:
    """What discovery can read: the raw reasons, or a text field the contacts have."""
    info = data.info()
    fields = [f for f in TEXT_FIELDS if f not in NOT_PROSE and info.provides(f)]
    return [REASONS, *sorted(fields, key=lambda f: f != "comment")]


def _source_label(source: str) -> str:
    if source == REASONS:
        return "Raw reasons (map each one to a driver)"
    return f"The {source} of contacts without a reason"


def in_page_words(message: str) -> str:
    """Discovery's message with this page's controls instead of the command's options."""
    return re.sub(r"(?:name (?:a text field to read|it)) with --text \(e\.g\. --text (\w+)\)",
                  r"choose it under “Group” (e.g. \1)", message)  # fmt: skip


def section() -> None:
    """The whole "Discover drivers" section."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    st.caption("Groups the raw reasons (or a text field of the contacts without a reason) of "
               "every contact in the store into named drivers, on this machine. Nothing "
               "counts until you write the drivers you accept.")  # fmt: skip
    with st.container(horizontal=True, vertical_alignment="bottom"):
        options = sources()
        source = st.selectbox("Group", options, format_func=_source_label, key="rv_source",
                              width=360)  # fmt: skip
        wanted = st.number_input(
            "Drivers", min_value=2, max_value=200, value=None, step=1, placeholder="Auto",
            key="rv_n", width=140,
            help="Leave empty to let discovery choose the number that gives the clearest "
                 "groups.")  # fmt: skip
        run = st.button("Discover drivers", type="primary", key="rv_run",
                        icon=":material/auto_awesome:")  # fmt: skip
    if run:
        _discover(source, None if wanted is None else int(wanted))
    draft: Draft | None = st.session_state.get(DRAFT)
    if draft is not None:
        _review(draft)


def _discover(source: str, n: int | None) -> None:
    refused = data.read_only()
    if refused:
        st.error(f"Not run: {md(refused)}", icon=":material/lock:")
        return
    fields = () if source == REASONS else (source,)
    try:
        with st.spinner("Reading the texts and grouping them…"), data.reading() as con:
            texts, proposal = review.draft(con, fields, n)
    except NothingToDiscover as exc:
        st.info(md(in_page_words(str(exc))), icon=":material/info:")
        st.session_state.pop(DRAFT, None)
        return
    st.session_state[DRAFT] = Draft(texts, proposal)


def table(draft: Draft) -> pl.DataFrame:
    """The proposal as the review grid shows it, biggest driver first."""
    drivers = draft.proposal.drivers
    return pl.DataFrame({
        "accept": [d.label not in draft.rejected for d in drivers],
        "driver": [d.label for d in drivers],
        "contacts": [d.contacts for d in drivers],
        "share": [100 * d.share for d in drivers],  # shown as 12.3%
        "tightness": [d.tightness for d in drivers],
        "words": [", ".join(d.words) for d in drivers],
        "examples": [" · ".join(_short(e, 48) for e in d.examples) for d in drivers],
    }, schema={"accept": pl.Boolean, "driver": pl.String, "contacts": pl.Int64,
               "share": pl.Float64, "tightness": pl.Float64, "words": pl.String,
               "examples": pl.String})  # fmt: skip


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _review(draft: Draft) -> None:
    p = draft.proposal
    noun = "reasons" if p.source == REASONS else "contacts"
    st.markdown(f"**{len(p.drivers)} drivers** from {p.distinct_raw:,} distinct "
                f"{md(p.source)} ({p.contacts:,} of {p.total:,} contacts; "
                f"{p.distinct_texts:,} once case, plurals and shared words are set aside)")
    rev = draft.revision
    frame = table(draft)
    edited: pl.DataFrame = st.data_editor(
        frame, key=f"rv_table_{rev}", hide_index=True, width="stretch",
        height=min(35 * (frame.height + 1) + 3, 640), placeholder="—",
        disabled=[c for c in frame.columns if c != "accept"],
        column_order=("accept", "driver", "contacts", "share", "tightness", "examples",
                      "words"),
        column_config={
            "accept": st.column_config.CheckboxColumn(
                "Accept", width=76, help="Untick a driver to leave its reasons as they are"),
            "driver": st.column_config.TextColumn("Driver", width=170),
            "contacts": st.column_config.NumberColumn("Contacts", format="localized", width=80),
            "share": st.column_config.NumberColumn("Share", format="%.1f%%", width=64,
                                                   help="Of the contacts discovery read"),
            "tightness": st.column_config.NumberColumn(
                "Tightness", format="%.2f", width=84,
                help="How alike its texts are: mean cosine similarity to the group's centre, "
                     "0–1. — after a merge or a move (the group has no centre of its own "
                     "until it is split again)."),
            "examples": st.column_config.TextColumn(
                "Examples (most used)", width=330,
                help="The three texts most contacts used; Look inside lists them all"),
            "words": st.column_config.TextColumn("Top words"),
        },
    )  # fmt: skip
    rejected = frozenset(d for d, ok in zip(edited["driver"], edited["accept"], strict=True)
                         if not ok)  # fmt: skip
    notes = []
    if any(d.label == UNSPECIFIED for d in p.drivers):
        notes.append(f"{UNSPECIFIED}: texts that say nothing but the company's name or words "
                     "like “issue”.")  # fmt: skip
    if any(d.label.startswith(MIXED) for d in p.drivers):
        notes.append(f"{MIXED} (…): texts that fit no driver well — split it or move its "
                     f"{noun}.")  # fmt: skip
    if notes:
        st.caption(" ".join(notes))
    now = Draft(draft.texts, p, rejected, rev)
    inside_tab, rename_tab, merge_tab, split_tab, move_tab = st.tabs(
        ["Look inside", "Rename", "Merge", "Split", f"Move {noun}"])  # fmt: skip
    with inside_tab:
        _inside(now, noun)
    with rename_tab:
        _rename(now)
    with merge_tab:
        _merge(now)
    with split_tab:
        _split(now)
    with move_tab:
        _move(now, noun)
    _write(now, noun)


def _labels(draft: Draft) -> list[str]:
    return [d.label for d in draft.proposal.drivers]


def _apply(draft: Draft, operation: Callable[[], Proposal], done: str,
           renamed: tuple[str, str] | None = None, ticked: str | None = None) -> None:  # fmt: skip
    """Run one review operation: the new proposal kept (unticked drivers stay unticked, a
    renamed one too; drivers it makes start ticked), or its refusal shown."""
    try:
        with st.spinner("Working…"):
            new = operation()
    except ReviewError as exc:
        st.error(md(exc), icon=":material/error:")
        return
    before = set(_labels(draft))
    labels = {d.label for d in new.drivers}
    rejected = {x for x in draft.rejected if x in labels and x in before and x != ticked}
    if renamed and renamed[0] in draft.rejected:
        rejected.add(renamed[1])
    st.session_state[DRAFT] = Draft(draft.texts, new, frozenset(rejected), draft.revision + 1)
    st.toast(done, icon=":material/check_circle:")
    st.rerun()


def _members(draft: Draft, label: str) -> pl.DataFrame:
    """A driver's texts (key, text, contacts), most used first, at most MOVE_OPTIONS."""
    keys = list(review.find(draft.proposal, label).keys)
    return (draft.texts.frame.filter(pl.col("key").is_in(keys)).select("key", "text", "contacts")
            .sort(["contacts", "key"], descending=[True, False]).head(MOVE_OPTIONS))  # fmt: skip


def _inside(draft: Draft, noun: str) -> None:
    label = st.selectbox("Driver", _labels(draft), key=f"rv_inside_{draft.revision}", width=320)
    if label is None:
        return
    driver = review.find(draft.proposal, label)
    own = _members(draft, label)
    shown = (own.select(pl.col("text").alias("Raw reason"), pl.col("contacts").alias("Contacts"))
             if noun == "reasons" else
             own.select(pl.col("key").alias("Contact"), pl.col("text").alias("Text")))  # fmt: skip
    words = ", ".join(driver.words) or "—"
    more = f" (the {MOVE_OPTIONS:,} most used shown)" if len(driver.keys) > MOVE_OPTIONS else ""
    st.caption(f"{len(driver.keys):,} {noun}{more} · {driver.contacts:,} contacts · top words: "
               f"{md(words)}")  # fmt: skip
    st.dataframe(shown, hide_index=True, width="stretch",
                 height=min(35 * (shown.height + 1) + 3, 320),
                 column_config={"Contacts": st.column_config.NumberColumn(width=90),
                                "Contact": st.column_config.TextColumn(width=140)})  # fmt: skip


def _rename(draft: Draft) -> None:
    rev = draft.revision
    with st.container(horizontal=True, vertical_alignment="bottom"):
        label = st.selectbox("Driver", _labels(draft), key=f"rv_rename_from_{rev}", width=320)
        new = st.text_input("New name", key=f"rv_rename_to_{rev}", max_chars=review.MAX_LABEL,
                            width=320)  # fmt: skip
        go = st.button("Rename", key=f"rv_rename_{rev}")
    if go and label is not None:
        _apply(draft, lambda: review.rename(draft.proposal, label, new),
               f"Renamed {md(label)} to {md(new.strip())}.", (label, new.strip()))  # fmt: skip


def _merge(draft: Draft) -> None:
    rev = draft.revision
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.multiselect("Drivers to merge", _labels(draft), key=f"rv_merge_{rev}",
                                width=480)  # fmt: skip
        biggest = next((x for x in _labels(draft) if x in chosen), "")
        name = st.text_input("Name of the merged driver", key=f"rv_merge_to_{rev}",
                             placeholder=biggest or "the biggest one's",
                             max_chars=review.MAX_LABEL, width=320)  # fmt: skip
        go = st.button("Merge", key=f"rv_merge_go_{rev}")
    if go:
        target = name.strip() or biggest
        _apply(draft, lambda: review.merge(draft.proposal, chosen, target, texts=draft.texts),
               f"Merged {len(chosen)} drivers into {md(target)}.", ticked=target)  # fmt: skip


def _split(draft: Draft) -> None:
    rev = draft.revision
    with st.container(horizontal=True, vertical_alignment="bottom"):
        label = st.selectbox("Driver", _labels(draft), key=f"rv_split_{rev}", width=320)
        k = st.number_input("Into", min_value=2, max_value=20, value=2, step=1,
                            key=f"rv_split_k_{rev}", width=120)  # fmt: skip
        go = st.button("Split", key=f"rv_split_go_{rev}")
    st.caption("Runs discovery again on this driver's texts alone; the texts that say "
               "nothing beyond what they all share keep the driver's name, as one more part.")
    if go and label is not None:
        _apply(draft, lambda: review.split(draft.proposal, draft.texts, label, int(k)),
               f"Split {md(label)}.")  # fmt: skip


def _move(draft: Draft, noun: str) -> None:
    rev = draft.revision
    labels = _labels(draft)
    source = st.selectbox("From", labels, key=f"rv_move_from_{rev}", width=320)
    if source is None:
        return
    driver = review.find(draft.proposal, source)
    own = _members(draft, source)
    text_of = dict(zip(own["key"], own["text"], strict=True))
    count_of = dict(zip(own["key"], own["contacts"], strict=True))

    def shown(key: str) -> str:
        if draft.proposal.source == REASONS:
            return f"{_short(key, 80)} ({count_of[key]:,})"
        return f"{key}: {_short(text_of[key], 80)}"

    with st.container(horizontal=True, vertical_alignment="bottom"):
        keys = st.multiselect(noun.capitalize(), list(text_of), format_func=shown,
                              key=f"rv_move_keys_{rev}", width=480,
                              help=f"The {MOVE_OPTIONS:,} most used are offered."
                              if len(driver.keys) > MOVE_OPTIONS else None)  # fmt: skip
        to = st.selectbox("To", [x for x in labels if x != source], index=None,
                          key=f"rv_move_to_{rev}", width=320, accept_new_options=True,
                          placeholder="A driver, or type a new one's name")  # fmt: skip
        go = st.button("Move", key=f"rv_move_go_{rev}")
    if go:
        target = str(to or "")
        _apply(draft, lambda: review.move(draft.proposal, keys, target, texts=draft.texts),
               f"Moved {len(keys)} {noun} to {md(target.strip())}.")  # fmt: skip


def _write(draft: Draft, noun: str) -> None:
    chosen = [d for d in draft.proposal.drivers if d.label not in draft.rejected]
    keys = sum(len(d.keys) for d in chosen)
    what = (f"{keys:,} raw reasons mapped to them" if noun == "reasons"
            else f"{keys:,} contacts assigned to them, replacing earlier assignments")
    st.caption(f"{len(chosen)} of {len(draft.proposal.drivers)} drivers accepted: {what}. "
               "Written as one new version of the store; new drivers wait in the catalog "
               "for triage.")  # fmt: skip
    with st.container(horizontal=True):
        write = st.button("Write accepted drivers", type="primary", key="rv_write",
                          icon=":material/save:", disabled=not chosen)  # fmt: skip
        discard = st.button("Discard the proposal", key="rv_discard")
    if discard:
        st.session_state.pop(DRAFT, None)
        st.rerun()
    if not write:
        return
    refused = data.read_only()
    if refused:
        st.error(f"Not written: {md(refused)}", icon=":material/lock:")
        return
    try:
        change = review.write(data.db_path(), draft.proposal, [d.label for d in chosen],
                              changed_by=auth.identity())  # fmt: skip
    except (ReviewError, InvalidMap) as exc:
        st.error(f"Not written: {md(exc)}", icon=":material/error:")
        return
    st.session_state.pop(DRAFT, None)
    st.session_state[FLASH] = f"Drivers written: {change.summary()}."
    st.rerun()
