"""The weekly review's presentation mode (`/weekly_review?present=true`): one screen of the
agenda at a time, filling the window, for a meeting room.

No sidebar and no Streamlit chrome (`cxdash.ui.fullscreen`); a thin bar on top keeps the week,
the agenda (`?screen=`), masking (on unless the presenter turns it off), Previous / Next and
the way out. ← / → / space / Page Up / Page Down move between screens, Escape leaves, F asks
the browser for full screen, and a click on the window's left or right edge moves back or on:
a small script in the page (no outside request) presses the bar's own buttons, so every move
is the page's ordinary rerun and the URL follows. (← / → / Escape are the buttons' own
`shortcut`s; the script adds the rest.)

Each screen has a compact layout here — top-N lists, quotes cut short, charts in boxes sized in
window units — measured to fit 1366×768 and 1920×1080 without scrolling, with headline
figures of at least 48 px and every other text of at least 20 px at 1366×768
(tests/browser/test_present_browser.py). The data is the page's own (`cxdash.ui.review`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from cxdash.analysis.movers import Move
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import SIDE_LABELS
from cxdash.review import agenda, charts, screens, words
from cxdash.review.screens import Scope, ScoreLine
from cxdash.ui import figures, fullscreen, review, tables
from cxdash.ui.text import md

PARAM = "present"
EXIT_KEY, NAV_KEY, SCREEN_BOX = "present_exit", "present_nav", "present"
CHART = "pchart_"  # key prefix of a chart's box (its height follows the window)
TOP_CAUSES, TOP_MOVES, QUOTE_CHARS, MAGIC_CHARS = 3, 5, 80, 150
# a cause's title, a driver's name on a chart or in a table, quotes on Worries
TITLE_CHARS, NAME_CHARS, VOICES = 50, 26, 2
CHART_FONT = 20  # px: no chart text under the room's 20 px floor
EDGE = 0.07  # share of the window's width, each side, where a click moves back or on

# Sizes in window units with a pixel floor: 48 px figures and 20 px text at 768 px high.
PRESENT_CSS = """
.st-key-present, .st-key-present [data-testid="stVerticalBlock"] { gap: 1.2vh !important; }
.st-key-present [data-testid="stMetricValue"],
.st-key-present [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: max(48px, 6.5vh) !important; line-height: 1.1; }
.st-key-present [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {
  font-size: max(20px, 2.65vh) !important; white-space: normal; line-height: 1.2; }
.st-key-present [data-testid="stMetricDelta"],
.st-key-present [data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p {
  font-size: max(20px, 2.65vh) !important; }
.st-key-present [data-testid="stMetricDelta"] svg { width: 2.4vh; height: 2.4vh; }
.st-key-present [data-testid="stMarkdownContainer"] p,
.st-key-present [data-testid="stMarkdownContainer"] li,
.st-key-present [data-testid="stCaptionContainer"],
.st-key-present [data-testid="stCaptionContainer"] p {
  font-size: max(20px, 2.65vh) !important; line-height: 1.35; }
.st-key-present [data-testid="stTable"] td, .st-key-present [data-testid="stTable"] th {
  font-size: max(20px, 2.65vh) !important; padding: 0.6vh 0.8vw; line-height: 1.3; }
.st-key-present [data-testid="stHeading"] [data-testid="stMarkdownContainer"] {
  margin-bottom: 0 !important; }
.st-key-present h2 { font-size: max(36px, 4.8vh) !important; padding: 0 !important;
  line-height: 1.2; }
.st-key-present h3 { font-size: max(24px, 3.2vh) !important; padding: 0.4vh 0 0 !important;
  line-height: 1.25; }
.st-key-present [data-testid="stVerticalBlockBorderWrapper"] { padding: 1vh 0.9vw; }
.st-key-present_nav [data-testid="stMarkdownContainer"] p { font-size: 16px; }
.cx-edge { position: fixed; top: 0; height: 100vh; width: 3vw; display: flex;
  align-items: center; justify-content: center; font-size: 5vh; color: #8c959f;
  opacity: 0.35; pointer-events: none; z-index: 5; }
.cx-edge-left { left: 0; } .cx-edge-right { right: 0; }
"""
EDGES = '<div class="cx-edge cx-edge-left">‹</div><div class="cx-edge cx-edge-right">›</div>'
CHART_HEIGHTS = {"falling": "40vh", "rising": "26vh", "recovery": "44vh", "plays": "32vh"}

KEYS_JS = """<script>
(() => {
  if (window.__cxdashPresent) return;
  window.__cxdashPresent = true;
  const EDGE = %(edge)s;
  const active = () => document.querySelector('.st-key-%(nav)s') !== null;
  const press = (key) => {
    const button = document.querySelector('.st-key-' + key + ' button');
    if (button && !button.disabled) button.click();
  };
  const typing = (el) => el && (el.isContentEditable ||
    ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
  // ← → and Escape are the buttons' own shortcuts (st.button(shortcut=...)); these add
  // space and a presenter's remote (Page Up / Page Down).
  const KEYS = {' ': 'next_screen', PageDown: 'next_screen', PageUp: 'previous_screen'};
  document.addEventListener('keydown', (e) => {
    if (!active() || e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    if (e.key === 'f' || e.key === 'F') {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(() => {});
      return;
    }
    const key = KEYS[e.key];
    if (!key) return;
    e.preventDefault();
    e.stopPropagation();
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    press(key);
  }, true);
  document.addEventListener('click', (e) => {
    if (!active() || e.button !== 0) return;
    if (e.target.closest('button, a, input, textarea, select, label, [role], ' +
                         '.js-plotly-plot, [data-baseweb]')) return;
    const x = e.clientX / window.innerWidth;
    if (x < EDGE) press('previous_screen');
    else if (x > 1 - EDGE) press('next_screen');
  }, true);
})();
</script>""" % {"edge": EDGE, "nav": NAV_KEY}  # noqa: UP031 - JS braces


def requested() -> bool:
    """The link asks for presentation mode (`?present=true`)."""
    return st.query_params.get(PARAM, "").lower() in ("true", "1", "yes", "on")


def _enter() -> None:
    st.query_params[PARAM] = "true"


def _leave() -> None:
    if PARAM in st.query_params:
        del st.query_params[PARAM]


def enter_button() -> None:
    """The Weekly review page's way in: the same URL (week, screen, filters) with
    `present=true`."""
    st.button("Present", icon=":material/present_to_all:", key="present_enter",
              on_click=_enter, help="One screen at a time, full window, no sidebar: "
              "← / → / space or a click on the window's edge move between screens, Escape "
              "leaves, F asks the browser for full screen.")  # fmt: skip


# ---- the frame ----------------------------------------------------------------------------
def _bar(weeks: list[str], last_day: Any) -> tuple[Any, bool, str]:
    """The thin bar on top: week, agenda, masking, Previous / Next, leave. Returns the week,
    masking and the screen's key."""
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key=NAV_KEY):
        with st.container(width=150):
            week = review.pick_week(weeks, last_day, label_visibility="collapsed")
        with st.container(width="content"):
            name = review.agenda_nav()
        st.space("stretch")
        masked = st.toggle("Masked", value=True, key=review.MASK_KEY, help=words.MASK_NOTE)
        at = list(agenda.SCREENS).index(name)
        st.button("Previous", key="previous_screen", on_click=review.step,
                  args=(-1,), disabled=at == 0, shortcut="Left",
                  help="Previous screen (← or Page Up)")  # fmt: skip
        st.button("Next", key="next_screen", on_click=review.step,
                  args=(1,), disabled=at == len(review.TITLES) - 1, type="primary",
                  shortcut="Right", help="Next screen (→, space or Page Down)")  # fmt: skip
        st.button("Leave", key=EXIT_KEY, on_click=_leave,
                  shortcut="Esc", help="Leave presentation mode (Escape)")  # fmt: skip
    return week, masked, name


def show(
    weeks: list[str], last_day: Any, scope_of: Callable[[Any, bool], Scope],
    read: Callable[[str, Scope], Any] = review.screen_data,
) -> None:
    """The whole page in presentation mode. `scope_of(week, masked)` builds the scope with the
    link's filters; `read(screen, scope)` gives the screen's data (the page's cached reads)."""
    fullscreen.hide_chrome(PRESENT_CSS + fullscreen.chart_box_css(CHART, CHART_HEIGHTS),
                           EDGES, KEYS_JS)  # fmt: skip
    week, masked, name = _bar(weeks, last_day)
    scope = scope_of(week, masked)
    with st.container(key=SCREEN_BOX, gap=None):
        at = list(agenda.SCREENS).index(name)
        with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
            st.header(f"{at + 1} · {agenda.SCREENS[name]}", anchor=False, width="content")
            st.caption(_scope_line(scope))
        if not masked:
            st.error("Customer data is shown: turn masking back on before sharing the screen.",
                     icon=":material/visibility:")  # fmt: skip
        SHOW[name](read(name, scope), scope)


def _scope_line(scope: Scope) -> str:
    text = md(scope.caption())
    if scope.partial:
        text += f" · {scope.days} of 7 days, compared day for day"
    return text + (" · masked" if scope.masked else " · :red[**not masked**]")


# ---- pieces ---------------------------------------------------------------------------------
def _room_chart(fig: go.Figure) -> go.Figure:
    """A review chart for the room: every text at least CHART_FONT px, the height left to the
    box it is drawn in."""
    fig.update_layout(height=None, autosize=True, font={"size": CHART_FONT},
                      title_font={"size": CHART_FONT + 4},
                      legend={"font": {"size": CHART_FONT}},
                      uniformtext={"minsize": CHART_FONT, "mode": "show"})  # fmt: skip
    fig.update_xaxes(tickfont={"size": CHART_FONT}, title_font={"size": CHART_FONT})
    fig.update_yaxes(tickfont={"size": CHART_FONT}, title_font={"size": CHART_FONT})
    fig.update_traces(textfont={"size": CHART_FONT}, selector={"type": "bar"})
    if fig.layout.margin.l:  # room for the longer labels the larger type needs
        fig.layout.margin.l = round(fig.layout.margin.l * CHART_FONT / charts.ROOM_FONT * 1.1)
    for note in fig.layout.annotations:
        note.font.size = max(note.font.size or 0, CHART_FONT)
    return fig


def _first_cause(causes: str | None) -> str:
    """'RC-112 (in progress) +2' for 'RC-112 (in progress), RC-118 (…), RC-120 (…)' (a comma
    inside a status's brackets does not part causes)."""
    items, depth, part = [], 0, ""
    for char in causes or "":
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(part.strip())
            part = ""
        else:
            part += char
    items = [i for i in (*items, part.strip()) if i]
    return "—" if not items else items[0] + (f" +{len(items) - 1}" if len(items) > 1 else "")


def _chart(fig: go.Figure, name: str) -> None:
    with st.container(height=300, border=False, key=f"{CHART}{name}"):
        figures.show(_room_chart(fig), key=f"present_{name}", theme=None, height="stretch",
                     config={"displayModeBar": False})  # fmt: skip


def _tile(line: ScoreLine) -> None:
    metric = line.metric
    with st.container(border=True, gap=None):
        if line.missing:
            st.metric(metric.label, "—")
            st.caption(line.missing_text)
            return
        now, vs_last, vs_avg = screens.format_line(line)
        st.metric(metric.label, now, delta=None if vs_last == "—" else vs_last,
                  delta_color="normal" if metric.direction == "up" else "inverse")  # fmt: skip
        better = line.vs_average.improved
        colour = "gray" if better is None else "green" if better else "red"
        text = f"avg {format_value(metric, line.average)}"
        if line.average is not None:
            text += f" · :{colour}[{vs_avg}]"
        st.caption(text)


def _more(shown: int, total: int, what: str) -> None:
    if total > shown:
        st.caption(f"and {total - shown} more {what} (on the page)")


def _causes(frame: pl.DataFrame, kind: str, icon: str, limit: int) -> int:
    """Up to `limit` register lines, each title cut short and without its drivers (the page
    and the report give both)."""
    for row in frame.head(limit).iter_rows(named=True):
        row = {**row, "title": _cut(row["title"], TITLE_CHARS), "reasons": ""}
        line = words.cause_line(kind, row, md, lambda t: f"**{t}**").removesuffix(" ()")
        st.markdown(f":material/{icon}: {line}")
    return min(frame.height, limit)


def _table(frame: pl.DataFrame) -> None:
    """A static table whose cells are text, not Markdown (`cxdash.ui.text`)."""
    tables.static_table(frame)


def _cut(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _facts(row: dict[str, Any]) -> str:
    """'★★☆☆☆ · chat · Where is my order · Tue 23 Jun': the comment's rating, channel,
    driver and day (the page and the report say more)."""
    parts = [words.stars(row["csat"]),
             *(_cut(str(row[k]), NAME_CHARS) for k in ("channel", "reason") if row.get(k))]
    return " · ".join([*parts, f"{row['created_at']:%a %-d %b}"])


def _quote(row: dict[str, Any], chars: int) -> None:
    st.subheader(f"“{md(_cut(row['comment'], chars))}”", anchor=False)
    st.caption(md(_facts(row)))


def names(values: list[str], chars: int = NAME_CHARS) -> list[str]:
    """Names cut to `chars` for a chart's axis or a table's column, each still its own: a
    name whose cut would meet another's stays whole."""
    cut = [_cut(v, chars) for v in values]
    return [c if cut.count(c) == 1 else v for c, v in zip(cut, values, strict=True)]


def _moves(moves: tuple[Move, ...], *, rising: bool, top: int = TOP_MOVES) -> None:
    shown = tuple(dataclasses.replace(m, driver=n) for m, n in zip(
        moves[:top], names([m.driver for m in moves[:top]]), strict=True))
    if shown:
        fig = charts.driver_moves(shown, rising=rising)
        fig.update_xaxes(title_text=None)  # the legend says what the bars count
        fig.update_layout(margin={"t": 56, "b": 36})
        _chart(fig, "rising" if rising else "falling")
    else:
        st.subheader(words.no_moves(rising=rising), anchor=False)
    _more(len(shown), len(moves), "drivers")


# ---- the six screens ------------------------------------------------------------------------
def show_score(score: screens.Score, scope: Scope) -> None:
    icons = {"offense": "sports_soccer", "defense": "shield"}
    for column, (side, lines) in zip(st.columns(2, gap="large"), score.by_side(), strict=True):
        with column:
            st.subheader(f":material/{icons[side]}: {SIDE_LABELS[side]}", anchor=False)
            for start in range(0, len(lines), 3):
                for cell, line in zip(st.columns(3, gap="small"), lines[start:start + 3],
                                      strict=False):  # fmt: skip
                    with cell:
                        _tile(line)
    st.caption(f"Arrows: against last week · avg: the {agenda.AVERAGE_WEEKS} weeks before · "
               "green = better")  # fmt: skip


def show_wins(wins: screens.Wins, scope: Scope) -> None:
    avoided = "—" if wins.avoided_total is None else f"{round(wins.avoided_total):,}"
    for cell, (label, value) in zip(st.columns(3, gap="medium"), (
        ("Causes eliminated", f"{wins.eliminated.height}"),
        ("Contacts avoided", avoided),
        ("Drivers falling", f"{len(wins.falling)}"),
    ), strict=True):  # fmt: skip
        cell.metric(label, value, border=True)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Fixes", anchor=False)
        if wins.eliminated.is_empty() and wins.holding.is_empty():
            st.markdown("No root cause was eliminated this week and no fix in place avoided "
                        "contacts.")  # fmt: skip
        shown = _causes(wins.eliminated, "eliminated", "check_circle", TOP_CAUSES)
        shown += _causes(wins.holding, "holding", "shield", TOP_CAUSES - shown)
        _more(shown, wins.eliminated.height + wins.holding.height, "fixes")
    with right:
        _moves(wins.falling, rising=False)


def _short(text: str) -> str:
    """A target's words without their closing aside: '87.6% met this week (43 contacts with
    a breach)' → '87.6% met this week' (the page and the report keep it)."""
    return re.sub(r"\s*\([^()]*\)$", "", text)


def _target(target: screens.Target) -> None:
    icon, colour = (("help", "gray") if target.missed is None else
                    ("flag", "red") if target.missed else ("check", "green"))  # fmt: skip
    verdict = "" if target.missed is None else "Missed · " if target.missed else "Met · "
    st.markdown(f":{colour}[:material/{icon}: {verdict}**{target.label}**]: "
                f"{_short(target.actual)} · goal {_short(target.goal)}")  # fmt: skip


def show_worries(worries: screens.Worries, scope: Scope) -> None:
    for target in worries.targets:
        _target(target)
    left, right = st.columns(2, gap="large")
    with left:
        _moves(worries.rising, rising=True, top=TOP_MOVES - 1)  # a lower box: one fewer
        if not worries.came_back.is_empty() or not worries.new_causes.is_empty():
            st.subheader("Register", anchor=False)
            shown = _causes(worries.came_back, "came_back", "warning", 2)
            shown += _causes(worries.new_causes, "new", "add_circle", 2 - shown)
            _more(shown, worries.came_back.height + worries.new_causes.height, "causes")
    with right:
        st.subheader("In their words", anchor=False)
        if worries.voices.is_empty():
            st.markdown("No comment rated 1 or 2 this week.")
        for row in worries.voices.head(VOICES).iter_rows(named=True):
            _quote(row, QUOTE_CHARS)


def show_recovery(rec: screens.Recovery, scope: Scope) -> None:
    st.markdown(words.recovery_period(rec, scope))
    if rec.window is None:
        return
    headline = words.recovery_headline(rec.cohorts)
    if headline:
        st.subheader(headline, anchor=False)
    left, right = st.columns([1, 1], gap="large")
    with left:
        _chart(charts.recovery(rec.cohorts), "recovery")
    with right:
        table = words.cohort_table(rec).drop("95% interval")  # the chart draws the intervals
        _table(table)


def show_magic(moments: screens.Moments, scope: Scope) -> None:
    if moments.rows.is_empty():
        st.markdown("No comment rated 4 or 5 this week.")
        return
    rows = list(moments.rows.iter_rows(named=True))
    for start in range(0, len(rows), 2):
        for cell, row in zip(st.columns(2, gap="large"), rows[start:start + 2], strict=False):
            with cell:
                _quote(row, MAGIC_CHARS)
    st.caption(words.moments_note(moments))


def show_plays(plays: screens.Plays, scope: Scope) -> None:
    if plays.rows.is_empty():
        st.markdown("No preventable driver had contacts this week.")
        return
    rows = plays.rows.with_columns(
        pl.Series("reason", names(plays.rows["reason"].to_list())),
        pl.Series("cause", [_first_cause(c) for c in plays.rows["cause"].to_list()]),
    )  # fmt: skip
    shown = dataclasses.replace(plays, rows=rows)
    _table(words.plays_table(shown).rename({"#": "Rank"}))  # "#" alone reads as a heading
    fig = charts.plays(rows)
    fig.update_xaxes(title_text=None)  # the table's column says what the bars are
    fig.update_layout(margin={"t": 56, "b": 36})
    _chart(fig, "plays")
    st.caption(f"Top {plays.rows.height} of {plays.total} plays; all of them are on Playing to "
               "win.")  # fmt: skip


SHOW: dict[str, Callable[[Any, Scope], None]] = {
    "score": show_score, "wins": show_wins, "worries": show_worries,
    "recovery": show_recovery, "magic": show_magic, "plays": show_plays,
}  # fmt: skip
