"""The weekly review on a shared screen: week picker, agenda navigation, one screen at a time.

The data of every screen comes from `cxdash.review.agenda` (cached per store version, scope
and screen); this module only lays it out, in large type for a room.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import polars as pl
import streamlit as st

from cxdash.analysis.movers import Move
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import SIDE_LABELS
from cxdash.review import agenda, charts, report, screens, words
from cxdash.review.agenda import Review
from cxdash.review.screens import Scope, ScoreLine
from cxdash.review.weeks import Week, default_week, weeks_with_data
from cxdash.ui import data, figures, tables
from cxdash.ui.text import md

TITLES = list(agenda.SCREENS.values())
WEEK_KEY, SCREEN_KEY, MASK_KEY = "week", "screen", "mask"
TILE_WIDTH = 200  # px: three a side in a 1920 px screen with the sidebar open, two at 1366

# Sizes for a room: bigger numbers, labels and body text, only inside the review's container.
ROOM_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4rem; }
.st-key-review [data-testid="stMarkdownContainer"] p,
.st-key-review [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; }
.st-key-review [data-testid="stMetricValue"],
.st-key-review [data-testid="stMetricValue"] p { font-size: 2.8rem; line-height: 1.15; }
.st-key-review [data-testid="stMetricLabel"] p { font-size: 1.15rem; white-space: normal; }
.st-key-review [data-testid="stMetricDelta"],
.st-key-review [data-testid="stMetricDelta"] p { font-size: 1.1rem; }
.st-key-review [data-testid="stCaptionContainer"] p { font-size: 1.05rem; }
.st-key-review [data-testid="stTable"] td, .st-key-review [data-testid="stTable"] th {
  font-size: 1.2rem; }
.st-key-review [data-testid="stAlertContainer"] p { font-size: 1.25rem; }
.st-key-review h2 { font-size: 2.6rem; }
.st-key-review h3 { font-size: 1.7rem; line-height: 1.3; }
</style>"""


# ---- data ----------------------------------------------------------------------------------
@st.cache_data(max_entries=8)
def _weeks(path: str, version: data.Version) -> list[str]:
    with data.reader(path, version) as con:
        return [w.iso for w in weeks_with_data(con)]


def weeks() -> list[str]:
    """ISO weeks with contacts, newest first."""
    return _weeks(*data.key())


@st.cache_data(ttl="1h", max_entries=256)
def _screen(path: str, version: data.Version, name: str, scope: Scope) -> Any:
    with data.reader(path, version) as con:
        review = Review(con, data._info(path, version), data._settings(path, version), scope)
        return getattr(review, name)()


def screen_data(name: str, scope: Scope) -> Any:
    return _screen(*data.key(), name, scope)


def report_maker(scope: Scope) -> Callable[[], str]:
    """What the download button calls, on its own thread, when clicked: the same agenda as
    one offline HTML file, always masked (cxdash.review.report)."""
    path, version = data.key()
    info, sets = data._info(path, version), data._settings(path, version)
    source = data.source_name()

    def make() -> str:
        with data.reader(path, version) as con:
            return report.render(Review(con, info, sets, scope), source=source)

    return make


# ---- controls ------------------------------------------------------------------------------
def pick_week(
    options: list[str], last_day: Any,
    label_visibility: Literal["visible", "hidden", "collapsed"] = "visible",
) -> Week:
    default = default_week([Week.parse(w) for w in options], last_day)
    index = options.index(default.iso) if default else 0
    chosen = st.selectbox("Week", options, index=index, key=WEEK_KEY, bind="query-params",
                          label_visibility=label_visibility,
                          help="ISO weeks with contacts, newest first; the week sets the "
                               "period here, the sidebar's period is not used.")  # fmt: skip
    return Week.parse(chosen)


def step(delta: int) -> None:
    """Move `delta` screens along the agenda (Previous / Next; presentation mode too)."""
    current = st.session_state.get(SCREEN_KEY) or TITLES[0]
    st.session_state[SCREEN_KEY] = TITLES[max(0, min(len(TITLES) - 1,
                                                     TITLES.index(current) + delta))]


def agenda_nav() -> str:
    """The agenda as one row of segments; the screen lives in the URL (?screen=Wins), and the
    Previous / Next buttons beside each screen's heading move along it. Returns the screen's
    key in agenda.SCREENS."""
    if SCREEN_KEY not in st.session_state and SCREEN_KEY not in st.query_params:
        st.session_state[SCREEN_KEY] = TITLES[0]  # no `default=`: the buttons set the state
    title = st.segmented_control("Agenda", TITLES, required=True, key=SCREEN_KEY,
                                 bind="query-params", label_visibility="collapsed")
    return list(agenda.SCREENS)[TITLES.index(title) if title in TITLES else 0]


def _heading(name: str) -> None:
    at = list(agenda.SCREENS).index(name)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.header(f"{at + 1} · {agenda.SCREENS[name]}", width="stretch")
        st.button("Previous", icon=":material/arrow_back:", key="previous_screen",
                  on_click=step, args=(-1,), disabled=at == 0)  # fmt: skip
        st.button("Next", icon=":material/arrow_forward:", key="next_screen", on_click=step,
                  args=(1,), disabled=at == len(TITLES) - 1, type="primary")  # fmt: skip


# ---- screens -------------------------------------------------------------------------------
def _score_tile(line: ScoreLine) -> None:
    now, vs_last, vs_avg = screens.format_line(line)
    metric = line.metric
    better = line.vs_average.improved
    colour = "gray" if better is None else "green" if better else "red"
    if line.missing:  # never a 0 % made of defaults for a field the data never had
        with st.container(border=True, width=TILE_WIDTH, gap="xsmall"):
            st.metric(metric.label, "—", help=metric.description)
            st.caption(line.missing_text)
        return
    with st.container(border=True, width=TILE_WIDTH, gap="xsmall"):
        st.metric(metric.label, now, delta=None if vs_last == "—" else vs_last,
                  delta_color="normal" if metric.direction == "up" else "inverse",
                  help=f"{metric.description}\n\nThe arrow: against last week.")  # fmt: skip
        average = format_value(metric, line.average)
        note = words.average_note(line.weeks_averaged)
        text = f"{agenda.AVERAGE_WEEKS}-wk avg **{average}**"
        if line.average is not None:
            text += f" · :{colour}[{vs_avg}]"
        st.caption(text + (f" · {note}" if note else ""))


def show_score(score: screens.Score, scope: Scope) -> None:
    icons = {"offense": "sports_soccer", "defense": "shield"}
    for column, (side, lines) in zip(st.columns(2, gap="medium"), score.by_side(), strict=True):
        with column:
            st.subheader(f":material/{icons[side]}: {SIDE_LABELS[side]}")
            with st.container(horizontal=True, wrap=True, gap="small"):
                for line in lines:
                    _score_tile(line)
    left, right = st.columns(2, gap="large")
    contacts = charts.weekly_contacts(score.weekly, scope.week.start, partial=scope.partial)
    figures.show(contacts, where=left, key="review_contacts", theme=None)
    happy = charts.weekly_happy(score.weekly, scope.week.start)
    figures.show(happy, where=right, key="review_happy", theme=None)


def _moves(moves: tuple[Move, ...], *, rising: bool) -> None:
    if moves:
        figures.show(charts.driver_moves(moves, rising=rising),
                        key="review_rising" if rising else "review_falling",
                        theme=None)  # fmt: skip
    else:
        st.subheader(words.no_moves(rising=rising))
    st.caption(words.MOVES_NOTE)


def _causes_lines(frame: pl.DataFrame, kind: str, icon: str) -> None:
    for row in frame.iter_rows(named=True):
        st.markdown(f":material/{icon}: " + words.cause_line(kind, row, md, lambda t: f"**{t}**"))


def show_wins(wins: screens.Wins, scope: Scope) -> None:
    with st.container(horizontal=True, gap="medium"):
        st.metric("Causes eliminated", f"{wins.eliminated.height}", border=True, width=300)
        avoided = "—" if wins.avoided_total is None else f"{round(wins.avoided_total):,}"
        st.metric("Contacts avoided", avoided, border=True, width=300,
                  help="Expected − actual contacts of eliminated causes' drivers this week")
        st.metric("Drivers falling", f"{len(wins.falling)}", border=True, width=300)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Fixes")
        if wins.eliminated.is_empty() and wins.holding.is_empty():
            st.markdown("No root cause was eliminated this week and no fix in place avoided "
                        "contacts.")  # fmt: skip
        _causes_lines(wins.eliminated, "eliminated", "check_circle")
        _causes_lines(wins.holding, "holding", "shield")
    with right:
        _moves(wins.falling, rising=False)


def _target(target: screens.Target) -> None:
    text = f"**{target.label}**: {target.actual} (goal {target.goal})"
    if target.missed is None:
        st.info(text, icon=":material/help:")
    elif target.missed:
        st.error(f"Missed · {text}", icon=":material/flag:")
    else:
        st.success(f"Met · {text}", icon=":material/check:")


def show_worries(worries: screens.Worries, scope: Scope) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Targets")
        for target in worries.targets:
            _target(target)
        st.caption(" ".join(dict.fromkeys(t.rule for t in worries.targets)))  # each rule once
        st.subheader("Register")
        if worries.came_back.is_empty() and worries.new_causes.is_empty():
            st.markdown("No fix came back and no new cause was put on the register.")
        _causes_lines(worries.came_back, "came_back", "warning")
        _causes_lines(worries.new_causes, "new", "add_circle")
    with right:
        _moves(worries.rising, rising=True)
    st.subheader("In their words")
    if worries.voices.is_empty():
        st.markdown("No comment rated 1 or 2 this week.")
    _quotes(worries.voices, columns=3)


def _quotes(rows: pl.DataFrame, columns: int) -> None:
    cols = st.columns(columns, gap="large")
    for i, row in enumerate(rows.iter_rows(named=True)):
        with cols[i % columns]:
            st.subheader(f"“{md(row['comment'])}”", anchor=False)
            st.caption(md(words.comment_facts(row)))


def show_recovery(rec: screens.Recovery, scope: Scope) -> None:
    st.markdown(words.recovery_period(rec, scope))
    if rec.window is None:
        return
    headline = words.recovery_headline(rec.cohorts)
    if headline:
        st.subheader(headline)
    left, right = st.columns([1, 1], gap="large")
    figures.show(charts.recovery(rec.cohorts), where=left, key="review_recovery", theme=None)
    with right:
        tables.static_table(words.cohort_table(rec))


def show_magic(moments: screens.Moments, scope: Scope) -> None:
    if moments.rows.is_empty():
        st.markdown("No comment rated 4 or 5 this week.")
        return
    _quotes(moments.rows, columns=2)
    st.caption(words.moments_note(moments))


def show_plays(plays: screens.Plays, scope: Scope) -> None:
    if plays.rows.is_empty():
        st.markdown("No preventable driver had contacts this week.")
        return
    tables.static_table(words.plays_table(plays).rename({"#": "Rank"}))
    figures.show(charts.plays(plays.rows), key="review_plays", theme=None)
    st.page_link("pages/playing_to_win.py", label=f"All {plays.total} plays on Playing to win",
                 icon=":material/sports_soccer:")  # fmt: skip


SHOW: dict[str, Callable[[Any, Scope], None]] = {
    "score": show_score, "wins": show_wins, "worries": show_worries,
    "recovery": show_recovery, "magic": show_magic, "plays": show_plays,
}  # fmt: skip


def show(name: str, scope: Scope) -> None:
    """One agenda screen: its number and title with Previous / Next, what it shows, then the
    content."""
    _heading(name)
    st.caption(words.INTRO[name])
    SHOW[name](screen_data(name, scope), scope)
