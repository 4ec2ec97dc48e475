"""The weekly review as one HTML file to mail after the meeting (`cxdash report`).

Standalone, offline and without a script: every chart is inline SVG drawn by
`cxdash.charts.svg` (no plotly.js: the file stays well under 2 MB and its charts show where a
mail client or browser blocks scripts), the styles are inline, fonts are the reader's system
fonts, there are no images — opening the file makes no request to any host. Customer data is
always masked here, whatever the screen showed. Every value and text is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import plotly.graph_objects as go
import polars as pl

from cxdash import settings as settings_mod
from cxdash import store
from cxdash.analysis.movers import Move
from cxdash.charts import svg
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import SIDE_LABELS
from cxdash.metrics.request import Filters, RequestError
from cxdash.review import agenda, charts, screens, words
from cxdash.review.agenda import Review
from cxdash.review.screens import Scope, ScoreLine
from cxdash.review.weeks import Week, last_finished, weeks_with_data
from cxdash.store import StoreInfo

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: #1f2328; margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px;
       font-size: 17px; line-height: 1.45; }
header h1 { font-size: 34px; margin: 0 0 4px; }
.meta { color: #59636e; margin: 2px 0; }
.mask { background: #ddf4ff; border-left: 4px solid #0969da; padding: 8px 12px; margin: 12px 0; }
.warn { background: #fff8c5; border-left: 4px solid #bf8700; padding: 8px 12px; margin: 12px 0; }
nav { margin: 16px 0 8px; display: flex; flex-wrap: wrap; gap: 8px; }
nav a { color: #0969da; text-decoration: none; border: 1px solid #d0d7de; border-radius: 16px;
        padding: 3px 12px; }
section { border-top: 2px solid #d0d7de; margin-top: 36px; padding-top: 8px; }
h2 { font-size: 28px; margin: 8px 0 4px; }
h3 { font-size: 21px; margin: 22px 0 8px; }
.intro, .note { color: #59636e; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
         gap: 12px; }
.tile { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 14px; }
.tile .label { color: #59636e; font-size: 15px; }
.tile .value { font-size: 34px; font-weight: 600; line-height: 1.2; }
.tile .delta { font-size: 15px; }
.better { color: #1a7f37; } .worse { color: #cf222e; } .flat { color: #59636e; }
.row { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr));
       gap: 24px; }
.row > div { min-width: 0; }
ul.items { padding-left: 20px; } ul.items li { margin: 6px 0; }
.target { border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.target.missed { background: #ffebe9; } .target.met { background: #dafbe1; }
.target.unknown { background: #f6f8fa; }
blockquote { font-size: 21px; margin: 12px 0 2px; padding: 4px 14px;
             border-left: 4px solid #d0d7de; }
.facts { color: #59636e; font-size: 14px; margin: 0 0 14px 18px; }
.quotes { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
          gap: 4px 24px; }
table { border-collapse: collapse; font-size: 16px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #d0d7de; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; }
svg.chart text { white-space: pre; }
footer { margin-top: 48px; color: #59636e; font-size: 14px; }
@media print { nav { display: none; } section { break-inside: avoid-page; } }
"""


def for_week(
    con: duckdb.DuckDBPyConnection,
    info: StoreInfo,
    week: Week,
    filters: Filters | None = None,
    *,
    source: str = "",
) -> str:
    """The report for `week`; RequestError when the store has no contact in that week."""
    return render(review_of(con, info, week, filters), source=source)


def review_of(
    con: duckdb.DuckDBPyConnection,
    info: StoreInfo,
    week: Week,
    filters: Filters | None = None,
) -> Review:
    """The masked review of `week` (what `render` and the mailed headline read); RequestError
    when the store has no contact in that week."""
    weeks = weeks_with_data(con)
    if week not in weeks:
        covers = f"{weeks[-1].iso} – {weeks[0].iso}" if weeks else "no weeks"
        raise RequestError(f"week {week.iso} has no contacts in the store; the data covers "
                           f"{covers}")  # fmt: skip
    first, last = _days(con)
    scope = Scope(week, filters or Filters(), first, last, masked=True)
    return Review(con, info, settings_mod.load(con), scope)


def last_week(con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> Week:
    """`--week last`: the newest finished week (ended before today in the store's reporting
    time zone) that the data covers to its Sunday; RequestError when there is none."""
    zone = settings_mod.load(con).timezone
    try:
        today = (now or dt.datetime.now(ZoneInfo(zone))).date()
    except (ZoneInfoNotFoundError, ValueError):
        today = (now or dt.datetime.now(dt.UTC)).date()
    weeks = weeks_with_data(con)
    first, last = _days(con)
    week = last_finished(weeks, last, today)
    if week is None:
        raise RequestError(f"no finished week in the store: the data runs from {first} to "
                           f"{last}, and a week is finished once its Sunday is over and in "
                           "the data")  # fmt: skip
    return week


def _days(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    with con.cursor() as cur:
        days = store.contact_days(cur)
    if days is None:
        raise RequestError("the store has no contacts with a time")
    return days


def render(review: Review, *, source: str = "") -> str:
    """Every agenda screen in one page. The review's scope is forced to masked."""
    if not review.scope.masked:
        masked = Scope(review.scope.week, review.scope.filters, review.scope.first_day,
                       review.scope.last_day, masked=True)  # fmt: skip
        review = Review(review.con, review.info, review.settings, masked)
    scope = review.scope
    charts_html = _Charts()
    body = [
        _header(scope, source),
        _section("score", _score(review.score(), scope, charts_html)),
        _section("wins", _wins(review.wins(), charts_html)),
        _section("worries", _worries(review.worries(), charts_html)),
        _section("recovery", _recovery(review.recovery(), scope, charts_html)),
        _section("magic", _magic(review.magic())),
        _section("plays", _plays(review.plays(), charts_html)),
        f"<footer>Written by <code>cxdash report</code> on {dt.date.today():%-d %b %Y}. "
        "Everything it needs is inside this file, the charts drawn as pictures (SVG) with no "
        "script: it opens offline and asks no server for anything. Point at a bar or a dot for "
        "its numbers.</footer>",
    ]
    title = f"Weekly review {scope.week.iso}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body>"
        + "\n".join(body) + "</body></html>\n"
    )  # fmt: skip


# ---- pieces --------------------------------------------------------------------------------
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


class _Charts:
    """Figures as inline SVG (`cxdash.charts.svg`, through the one text-escaping path); ids
    numbered, so the file is the same for the same data."""

    HALF, FULL = 540, 1100  # px: a chart in a two-column row, or across the page

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fig: go.Figure, *, width: int = HALF) -> str:
        self.count += 1
        return svg.render(fig, width=width, chart_id=f"chart-{self.count}")


def _header(scope: Scope, source: str) -> str:
    links = "".join(f'<a href="#{key}">{i} · {_e(title)}</a>'
                    for i, (key, title) in enumerate(agenda.SCREENS.items(), 1))  # fmt: skip
    parts = [
        f"<header><h1>Weekly review · {_e(scope.week.iso)}</h1>",
        f'<p class="meta">{_e(scope.week.caption())} · data from '
        f"{scope.first_day:%-d %b %Y} to {scope.last_day:%-d %b %Y}"
        + (f" · {_e(source)}" if source else "") + "</p>",
        f'<p class="meta">Filters: {_e(scope.filters.caption() or "none")}</p>',
        f'<p class="mask"><strong>Masked:</strong> {_e(words.MASK_NOTE)} This file is always '
        "masked, whatever the screen showed.</p>",
    ]  # fmt: skip
    note = words.partial_note(scope)
    if note:
        parts.append(f'<p class="warn">{_e(note)}</p>')
    parts.append(f"<nav>{links}</nav></header>")
    return "\n".join(parts)


def _section(key: str, content: str) -> str:
    number = list(agenda.SCREENS).index(key) + 1
    return (f'<section id="{key}"><h2>{number} · {_e(agenda.SCREENS[key])}</h2>'
            f'<p class="intro">{_e(words.INTRO[key])}</p>{content}</section>')  # fmt: skip


def _tone(improved: bool | None) -> str:
    return "flat" if improved is None else "better" if improved else "worse"


def _tile(line: ScoreLine) -> str:
    if line.missing:
        return (f'<div class="tile"><div class="label">{_e(line.metric.label)}</div>'
                f'<div class="value">—</div><div class="delta">{_e(line.missing_text)}</div>'
                "</div>")  # fmt: skip
    now, vs_last, vs_avg = screens.format_line(line)
    average = format_value(line.metric, line.average)
    note = words.average_note(line.weeks_averaged)
    return (
        f'<div class="tile"><div class="label">{_e(line.metric.label)}</div>'
        f'<div class="value">{_e(now)}</div>'
        f'<div class="delta {_tone(line.vs_last_week.improved)}">{_e(vs_last)} vs last week</div>'
        f'<div class="delta">{agenda.AVERAGE_WEEKS}-week avg {_e(average)} · '
        f'<span class="{_tone(line.vs_average.improved)}">{_e(vs_avg)}</span>'
        + (f" · {_e(note)}" if note else "") + "</div></div>"
    )  # fmt: skip


def _score(score: screens.Score, scope: Scope, chart: _Charts) -> str:
    out = []
    for side, lines in score.by_side():
        out.append(f"<h3>{_e(SIDE_LABELS[side])}</h3>")
        out.append('<div class="tiles">' + "".join(_tile(li) for li in lines) + "</div>")
    out.append('<div class="row"><div>'
               + chart(charts.weekly_contacts(score.weekly, scope.week.start,
                                              partial=scope.partial))
               + "</div><div>" + chart(charts.weekly_happy(score.weekly, scope.week.start))
               + "</div></div>")  # fmt: skip
    return "\n".join(out)


def _items(lines: Iterable[str], empty: str) -> str:
    lines = list(lines)
    if not lines:
        return f'<p class="note">{_e(empty)}</p>'
    return '<ul class="items">' + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"


def _cause_lines(frame: pl.DataFrame, kind: str) -> list[str]:
    return [words.cause_line(kind, r, _e, lambda t: f"<strong>{t}</strong>")
            for r in frame.iter_rows(named=True)]  # fmt: skip


def _wins(wins: screens.Wins, chart: _Charts) -> str:
    avoided = "—" if wins.avoided_total is None else f"{round(wins.avoided_total):,}"
    facts = (f"<p><strong>{wins.eliminated.height}</strong> causes eliminated · "
             f"<strong>{_e(avoided)}</strong> contacts avoided this week · "
             f"<strong>{len(wins.falling)}</strong> drivers falling</p>")  # fmt: skip
    lines = _cause_lines(wins.eliminated, "eliminated") + _cause_lines(wins.holding, "holding")
    fixes = _items(lines, "No root cause was eliminated this week and no fix in place avoided "
                          "contacts.")  # fmt: skip
    return (facts + '<div class="row"><div><h3>Fixes</h3>' + fixes + "</div><div>"
            + _moves(wins.falling, chart, rising=False) + "</div></div>")  # fmt: skip


def _worries(worries: screens.Worries, chart: _Charts) -> str:
    targets = []
    for t in worries.targets:
        state = "unknown" if t.missed is None else "missed" if t.missed else "met"
        word = {"unknown": "No data", "missed": "Missed", "met": "Met"}[state]
        targets.append(f'<div class="target {state}"><strong>{word} · {_e(t.label)}</strong>: '
                       f"{_e(t.actual)} (goal {_e(t.goal)})</div>")  # fmt: skip
    rules = " ".join(dict.fromkeys(t.rule for t in worries.targets))  # each rule once
    register = (_cause_lines(worries.came_back, "came_back")
                + _cause_lines(worries.new_causes, "new"))  # fmt: skip
    return ('<div class="row"><div><h3>Targets</h3>' + "".join(targets)
            + f'<p class="note">{_e(rules)}</p><h3>Register</h3>'
            + _items(register, "No fix came back and no new cause was put on the register.")
            + "</div><div>" + _moves(worries.rising, chart, rising=True) + "</div></div>"
            + "<h3>In their words</h3>"
            + _quotes(worries.voices, "No comment rated 1 or 2 this week."))  # fmt: skip


def _moves(moves: tuple[Move, ...], chart: _Charts, *, rising: bool) -> str:
    note = f'<p class="note">{_e(words.MOVES_NOTE)}</p>'
    if not moves:
        return f"<h3>{_e(words.no_moves(rising=rising))}</h3>{note}"
    return chart(charts.driver_moves(moves, rising=rising)) + note


def _quotes(rows: pl.DataFrame, empty: str) -> str:
    if rows.is_empty():
        return f'<p class="note">{_e(empty)}</p>'
    cards = [f"<div><blockquote>{_e(r['comment'])}</blockquote>"
             f'<p class="facts">{_e(words.comment_facts(r))}</p></div>'
             for r in rows.iter_rows(named=True)]  # fmt: skip
    return '<div class="quotes">' + "".join(cards) + "</div>"


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
                   for row in frame.iter_rows())  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _recovery(rec: screens.Recovery, scope: Scope, chart: _Charts) -> str:
    out = f'<p>{_e(words.recovery_period(rec, scope))}</p>'
    if rec.window is None:
        return out
    headline = words.recovery_headline(rec.cohorts)
    if headline:
        out += f"<h3>{_e(headline)}</h3>"
    return (out + '<div class="row"><div>' + chart(charts.recovery(rec.cohorts))
            + "</div><div>" + _table(words.cohort_table(rec)) + "</div></div>")  # fmt: skip


def _magic(moments: screens.Moments) -> str:
    out = _quotes(moments.rows, "No comment rated 4 or 5 this week.")
    if moments.rows.height:
        out += f'<p class="note">{_e(words.moments_note(moments))}</p>'
    return out


def _plays(plays: screens.Plays, chart: _Charts) -> str:
    if plays.rows.is_empty():
        return '<p class="note">No preventable driver had contacts this week.</p>'
    return (_table(words.plays_table(plays)) + chart(charts.plays(plays.rows), width=chart.FULL)
            + f'<p class="note">Top {plays.rows.height} of {plays.total}. Open the dashboard\'s '
            "Playing to win page for all of them and to open a root cause.</p>")  # fmt: skip
