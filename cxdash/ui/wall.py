"""The wall view (`/wall?refresh=60&rotate=20`, pages/wall.py): a screen on the wall of the
contact centre, no sidebar and no chrome (`cxdash.ui.fullscreen`), that keeps itself current.

It shows the headline offense and defense figures of the last 7 days, what moved today and
this week, the backlog with the SLA at-risk list, and how fresh the data is, in words. What it
reads and when is `cxdash.views.wall`; what moved is `cxdash.analysis.wall`.

It redraws itself with `st.fragment(run_every=…)`: a rerun of the wall alone, not a page
reload. Every read is cached by the store's version (`cxdash.ui.data.key()`), so an import
that writes a new version is on the wall at the next redraw, at most `refresh` seconds later,
and a redraw with nothing new reads nothing. With `rotate`, the redraws also turn the panels.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from cxdash import store
from cxdash.analysis import wall as moved
from cxdash.analysis.movers import Move, movers, top_moves
from cxdash.formatting import format_change, format_hours, format_value
from cxdash.metrics.catalogue import SIDE_LABELS, Catalogue, Side
from cxdash.metrics.request import Filters, Period
from cxdash.metrics.runner import MetricValue
from cxdash.ui import data, fullscreen, tables, view
from cxdash.ui.text import md
from cxdash.views import wall

MOVES, AT_RISK = 4, 5  # drivers each way (rotating), at-risk contacts listed

WALL_CSS = """
.st-key-wall, .st-key-wall [data-testid="stVerticalBlock"] { gap: 1.1vh !important; }
.st-key-wall [data-testid="stMetricValue"],
.st-key-wall [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: max(40px, 5.4vh) !important; line-height: 1.1; }
.st-key-wall_rotating [data-testid="stMetricValue"],
.st-key-wall_rotating [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: max(56px, 9vh) !important; }
.st-key-wall [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p,
.st-key-wall [data-testid="stMetricDelta"],
.st-key-wall [data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p,
.st-key-wall [data-testid="stMarkdownContainer"] p,
.st-key-wall [data-testid="stCaptionContainer"] p,
.st-key-wall [data-testid="stTable"] td, .st-key-wall [data-testid="stTable"] th {
  font-size: max(20px, 2.6vh) !important; line-height: 1.3; }
.st-key-wall [data-testid="stTable"] td, .st-key-wall [data-testid="stTable"] th {
  padding: 0.4vh 0.7vw; }
.st-key-wall [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p {
  white-space: normal; }
.st-key-wall [data-testid="stMetricDelta"] svg { width: 2.4vh; height: 2.4vh; }
.st-key-wall [data-testid="stHeading"] [data-testid="stMarkdownContainer"] {
  margin-bottom: 0 !important; }
.st-key-wall h2 { font-size: max(30px, 4.2vh) !important; padding: 0 !important; }
.st-key-wall h3 { font-size: max(24px, 3.2vh) !important; padding: 0.3vh 0 0 !important; }
.st-key-wall [data-testid="stVerticalBlockBorderWrapper"] { padding: 0.8vh 0.8vw; }
"""


def show() -> None:
    """The wall, for the filters in the link (the sidebar's, hidden here)."""
    current = view.current()
    opts = wall.options({"refresh": st.query_params.get("refresh"),
                         "rotate": st.query_params.get("rotate")})  # fmt: skip
    fullscreen.hide_chrome(WALL_CSS)
    st.fragment(_wall, run_every=opts.tick)(opts, current.filters, current.catalogue)


def _wall(opts: wall.Options, filters: Filters, catalogue: Catalogue) -> None:
    """One redraw: reads the store as it is now (a new version is a new cache key)."""
    with st.container(key="wall"):
        try:
            extent = data.data_extent()
            if extent is None:
                raise store.StoreError("no contacts")
            panel = wall.panel_at(opts, time.time())
            _header(opts, filters, data.freshness(), wall.week(*extent), panel)
            if panel is None:
                _all(filters, extent, catalogue)
            else:
                with st.container(key="wall_rotating"):
                    PANELS[panel](filters, extent, catalogue)
        except (duckdb.Error, store.StoreError) as exc:
            st.warning(f"The store cannot be read right now ({md(exc)}); the wall tries again "
                       f"in {opts.tick} s.", icon=":material/sync_problem:")  # fmt: skip


def _header(opts: wall.Options, filters: Filters, facts: dict[str, Any], period: Period,
            panel: str | None) -> None:  # fmt: skip
    """Whose contacts, the panel on show when rotating, and how fresh the data is."""
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
        st.header(md(filters.caption()) if filters else "All contacts", anchor=False,
                  width="content")  # fmt: skip
        if panel is None:
            st.caption(f"last {period.days} days ({period.start:%-d %b} – {period.end:%-d %b}) "
                       f"against the {period.days} before", width="content")  # fmt: skip
        else:
            at = list(wall.PANELS).index(panel)
            dots = " ".join("●" if i == at else "○" for i in range(len(wall.PANELS)))
            st.subheader(f"{wall.PANELS[panel]} {dots}", anchor=False, width="content")
        st.space("stretch")
        words = wall.freshness(facts["newest_contact"], facts["updated"], dt.datetime.now())
        st.markdown(f"**{words}** · every {opts.tick} s", width="content",
                    help=f"The wall redraws itself every {opts.tick} s and then shows a new "
                         "version of the store, if one was written.")  # fmt: skip
    for note in opts.notes:
        st.caption(f"From the link: {note}")


def _all(filters: Filters, extent: tuple[dt.date, dt.date], catalogue: Catalogue) -> None:
    widths = [1.7, 1.7, 2]
    offense, defense, backlog = st.columns(widths, gap="large")
    _figures(filters, extent, catalogue, (offense, defense))
    with backlog:
        risk = _backlog_tiles(filters, extent, catalogue, per_row=3)
    today, week, at_risk = st.columns(widths, gap="large")
    with today:
        _moved("today", filters, 2)
    with week:
        _moved("week", filters, 2)
    with at_risk:
        _at_risk(risk, AT_RISK, ("Due in", "Target", "Team"))


# ---- headline figures ----------------------------------------------------------------------
def _tile(item: MetricValue, *, relative: bool = True) -> None:
    """A figure and its change against the 7 days before (a wall has no one to hover: no
    help icon)."""
    metric = item.metric
    change = format_change(metric, item.change, item.relative_change if relative else None)
    with st.container(border=True, key=f"wall_tile_{metric.id}"):
        st.metric(metric.label, format_value(metric, item.value),
                  delta=None if item.change is None else change,
                  delta_color="normal" if metric.direction == "up" else "inverse")  # fmt: skip


def _grid(items: list[MetricValue], per_row: int = 2, *, relative: bool = True) -> None:
    for start in range(0, len(items), per_row):
        for cell, item in zip(st.columns(per_row, gap="small"), items[start:start + per_row],
                              strict=False):  # fmt: skip
            with cell:
                _tile(item, relative=relative)


def _figures(filters: Filters, extent: tuple[dt.date, dt.date], catalogue: Catalogue,
             where: Sequence[Any] = ()) -> None:  # fmt: skip
    """The offense and defense figures of the last 7 days, a side a column (`where`, else two
    new ones)."""
    request = wall.figures_request(filters, *extent, wall.OFFENSE + wall.DEFENSE, catalogue)
    values = {v.metric.id: v for v in data.compare(request)}
    sides: tuple[tuple[Side, tuple[str, ...]], ...] = (("offense", wall.OFFENSE),
                                                       ("defense", wall.DEFENSE))  # fmt: skip
    for column, (side, ids) in zip(where or st.columns(2, gap="large"), sides, strict=True):
        with column:
            st.subheader(SIDE_LABELS[side], anchor=False)
            _grid([values[m] for m in ids])


# ---- what moved ----------------------------------------------------------------------------
@st.cache_data(ttl="1h", max_entries=64)
def _counts(path: str, version: data.Version, filters: Filters, start: dt.datetime,
            end: dt.datetime) -> pl.DataFrame:  # fmt: skip
    with data.reader(path, version) as con:
        return moved.driver_counts(con, filters, data._info(path, version), start, end)


def _move_line(move: Move) -> str:
    colour, arrow = ("red", "arrow_upward") if move.change > 0 else ("green", "arrow_downward")
    return (f":{colour}[:material/{arrow}: **{md(move.driver)}** {move.change:+,}] "
            f"({move.before:,} → {move.now:,})")


def _share(now: int, before: int) -> str:
    if not before:
        return ""
    change = (now - before) / before
    return f" ({change:+.1%})" if abs(change) < 0.1 else f" ({change:+.0%})"


def _moved(which: str, filters: Filters, top: int) -> None:
    """Contacts today (or in the last 7 days) to the newest contact against the same stretch a
    week before, and the drivers that moved beyond noise, `top` each way."""
    newest = data.freshness()["newest_contact"]
    with st.container(key=f"wall_{which}"):
        if newest is None:
            st.caption("No contacts yet.")
            return
        start, end = wall.stretches(newest)[which]
        counts = _counts(*data.key(), filters, start, end)
        now, before = int(counts["now"].sum()), int(counts["before"].sum())
        if which == "today":
            label = f"Today, {start:%a %-d %b} to {end:%H:%M}"
            against = f"{start - moved.WEEK:%a %-d %b} to {end:%H:%M}"
        else:
            label = f"Last 7 days, to {end:%a %H:%M}"
            against = "the 7 days before"
        st.metric(label, f"{now:,}", delta=f"{now - before:+,}{_share(now, before)}",
                  delta_color="inverse",
                  help=f"Contacts created {start:%-d %b %H:%M} – {end:%-d %b %H:%M}, against "
                       f"the same stretch a week earlier.")  # fmt: skip
        st.caption(f"{against}: {before:,}")
        rises, falls = top_moves(movers(counts), top)
        for move in [*rises, *falls]:
            st.markdown(_move_line(move))
        if not rises and not falls:
            st.markdown("No driver moved beyond noise.")


# ---- backlog and SLAs ----------------------------------------------------------------------
def _backlog_tiles(filters: Filters, extent: tuple[dt.date, dt.date], catalogue: Catalogue,
                   per_row: int = 2, *, rotating: bool = False) -> pl.DataFrame | None:
    """The backlog, and the SLAs at risk now and breached in the last 7 days; returns the
    at-risk list (None: the store has no SLA policies)."""
    sla, _ = data.in_data(wall.SLA, catalogue)
    backlog, _ = data.in_data(wall.BACKLOG, catalogue)
    if not rotating:
        st.subheader("Backlog", anchor=False)
    if not backlog + sla:
        st.caption("Not in your data: a backlog needs `resolved_at` or `status`.")
        return None
    request = wall.figures_request(filters, *extent, backlog + sla, catalogue)
    _grid(data.compare(request), per_row, relative=per_row < 3)
    return data.sla_at_risk(request) if sla else None


def _at_risk(risk: pl.DataFrame | None, rows: int,
             columns: tuple[str, ...] = ("Due in", "Target", "Team", "Priority")) -> None:
    """The open contacts due soonest (no contact id or customer: a wall is seen by all)."""
    with st.container(key="wall_at_risk"):
        if risk is None:
            st.caption("No SLA policies in this store (Data and settings).")
            return
        if risk.is_empty():
            st.markdown("No open contact has a target still ahead of it.")
            return
        soon = risk.head(rows)
        table = pl.DataFrame({
            "Due in": [format_hours(max(0.0, float(h))) for h in soon["hours_left"]],
            "Target": soon["target"].to_list(),
            "Team": [t or "—" for t in soon["team"]],
            "Priority": [p or "—" for p in soon["priority"]],
        })  # fmt: skip
        tables.static_table(table.select(columns))
        st.caption("The open contacts due soonest, on their target's clock.")


def _figures_panel(filters: Filters, extent: tuple[dt.date, dt.date],
                   catalogue: Catalogue) -> None:  # fmt: skip
    _figures(filters, extent, catalogue)


def _moved_panel(filters: Filters, extent: tuple[dt.date, dt.date], catalogue: Catalogue) -> None:
    today, week = st.columns(2, gap="large")
    with today:
        _moved("today", filters, MOVES)
    with week:
        _moved("week", filters, MOVES)


def _backlog_panel(filters: Filters, extent: tuple[dt.date, dt.date],
                   catalogue: Catalogue) -> None:  # fmt: skip
    tiles, table = st.columns([1, 1.4], gap="large")
    with tiles:
        risk = _backlog_tiles(filters, extent, catalogue, rotating=True)
    with table:
        _at_risk(risk, 2 * AT_RISK)


PANELS: dict[str, Callable[[Filters, tuple[dt.date, dt.date], Catalogue], None]] = {
    "figures": _figures_panel, "moved": _moved_panel, "backlog": _backlog_panel,
}  # fmt: skip
