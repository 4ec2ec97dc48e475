"""The weekly review's charts: few marks, large type, the week under review picked out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from cxdash.analysis.movers import Move
from cxdash.charts import defense
from cxdash.charts.style import (
    ACCENT,
    BETTER,
    WORSE,
    base_layout,
    empty_figure,
    label_margin,
)  # fmt: skip

ROOM_FONT = 17  # a notch above the dashboard's charts: read from across a room
PAST = "#afb8c1"


def _room(fig: go.Figure) -> go.Figure:
    fig.update_layout(font={"size": ROOM_FONT}, title_font={"size": ROOM_FONT + 4})
    fig.update_xaxes(tickfont={"size": ROOM_FONT - 1})
    fig.update_yaxes(tickfont={"size": ROOM_FONT - 1})
    for note in fig.layout.annotations:
        note.font.size = max(note.font.size or 0, ROOM_FONT - 1)
    return fig


def weekly_contacts(weekly: pl.DataFrame, week_start: dt.date, *, partial: bool) -> go.Figure:
    """Contacts per week, the week under review in colour and labelled."""
    title = "Contacts per week"
    if weekly.is_empty():
        return _room(empty_figure(title, "No contacts in these weeks"))
    weeks = weekly["bucket"].to_list()
    counts = weekly["contacts"].to_list()
    colours = [ACCENT if w == week_start else PAST for w in weeks]
    text = [f"{c:,}" + (" (so far)" if partial else "") if w == week_start else ""
            for w, c in zip(weeks, counts, strict=True)]  # fmt: skip
    fig = go.Figure(go.Bar(
        x=[f"{w:%-d %b}" for w in weeks], y=counts, marker_color=colours, text=text,
        textposition="outside", cliponaxis=False,
        hovertemplate="week of %{x}<br>%{y:,} contacts<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(type="category", title_text="week starting")
    fig.update_yaxes(title_text="contacts", rangemode="tozero")
    return _room(base_layout(fig, title, height=360, left=80))


def weekly_happy(weekly: pl.DataFrame, week_start: dt.date) -> go.Figure:
    """Happy rate per week as a line, the week under review as a large labelled dot."""
    title = "Happy per week"
    data = weekly.filter(pl.col("happy_rate").is_not_null())
    if data.is_empty():
        return _room(empty_figure(title, "No contacts in these weeks"))
    labels = [f"{w:%-d %b}" for w in data["bucket"].to_list()]
    rates = data["happy_rate"].to_list()
    fig = go.Figure(go.Scatter(
        x=labels, y=rates, mode="lines+markers", line={"color": PAST, "width": 3},
        marker={"size": 8, "color": PAST}, hovertemplate="week of %{x}<br>%{y:.1%}<extra></extra>",
        showlegend=False,
    ))  # fmt: skip
    if week_start in data["bucket"].to_list():
        i = data["bucket"].to_list().index(week_start)
        fig.add_trace(go.Scatter(
            x=[labels[i]], y=[rates[i]], mode="markers+text", text=[f"{rates[i]:.1%}"],
            textposition="top center", marker={"size": 16, "color": ACCENT}, showlegend=False,
            hoverinfo="skip", cliponaxis=False,
        ))  # fmt: skip
    fig.update_xaxes(type="category", title_text="week starting")
    fig.update_yaxes(title_text="share of contacts", tickformat=".0%", range=[0, 1.05])
    return _room(base_layout(fig, title, height=360, left=80))


def driver_moves(moves: Sequence[Move], *, rising: bool) -> go.Figure:
    """Last week against this week for each driver that moved beyond noise."""
    title = "Drivers rising" if rising else "Drivers falling"
    if not moves:
        return _room(empty_figure(title, "No driver moved beyond noise"))
    shown = list(reversed(moves))  # biggest change on top
    names = [m.driver for m in shown]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=names, x=[m.before for m in shown], name="last week", orientation="h",
        marker_color=PAST, hovertemplate="%{y}<br>last week %{x:,}<extra></extra>",
    ))  # fmt: skip
    fig.add_trace(go.Bar(
        y=names, x=[m.now for m in shown], name="this week", orientation="h",
        marker_color=WORSE if rising else BETTER,
        text=[f"{m.change:+,}" for m in shown], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}<br>this week %{x:,}<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(barmode="group", legend={"traceorder": "reversed"})
    fig.update_xaxes(title_text="contacts", rangemode="tozero")
    return _room(base_layout(fig, title, height=max(260, 70 * len(shown) + 140),
                             left=label_margin(names, base=36), right=70))  # fmt: skip


def recovery(cohorts: pl.DataFrame) -> go.Figure:
    return _room(defense.recovery(cohorts.drop("previous_rate", strict=False)))


def plays(rows: pl.DataFrame) -> go.Figure:
    """Contacts a fix would avoid every 4 weeks, per driver, top first."""
    title = "Contacts a fix would avoid every 4 weeks"
    if rows.is_empty():
        return _room(empty_figure(title, "No preventable driver had contacts this week"))
    data = rows.reverse()
    names = data["reason"].to_list()
    values = data["avoidable_4w"].to_list()
    fig = go.Figure(go.Bar(
        y=names, x=values, orientation="h", marker_color=ACCENT,
        text=[f"{v:,.0f}" for v in values], textposition="outside", cliponaxis=False,
        customdata=data["action"].to_list(),
        hovertemplate="%{y} (%{customdata})<br>%{x:,.0f} contacts every 4 weeks<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(title_text="contacts every 4 weeks at this week's rate", rangemode="tozero")
    return _room(base_layout(fig, title, height=max(260, 60 * len(names) + 140),
                             left=label_margin(names, base=36), right=70))  # fmt: skip
