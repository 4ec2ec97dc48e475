"""Charts of the defense side and of speed to happiness."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from cxdash.analysis.topn import MISSING, Weighted, short, top_n
from cxdash.charts import partial
from cxdash.charts.categories import ROTATED, rotated_left, ticks
from cxdash.charts.style import (
    ACCENT,
    BETTER,
    NEUTRAL,
    SERIES,
    WORSE,
    base_layout,
    empty_figure,
    label_margin,
    percent_axis,
)  # fmt: skip
from cxdash.formatting import format_hours
from cxdash.metrics.catalogue import METRICS_BY_ID

TEAMS_TOP = 10  # pairs of bars in half a page at 1366×768; the rest are one "Other (k more)"
CHANNELS_TOP = 12


def weekly_rates(weekly: pl.DataFrame, metrics: tuple[str, ...]) -> go.Figure:
    """Several rate metrics per week on one percent axis."""
    title = "Resolution quality per week"
    if weekly.is_empty():
        return empty_figure(title, "No contacts in this period")
    fig = go.Figure()
    for colour, metric_id in zip(SERIES, metrics, strict=False):
        label = METRICS_BY_ID[metric_id].label
        partial.add_line(
            fig, weekly["bucket"].to_list(), weekly[metric_id].to_list(), partial.flags(weekly),
            name=label, color=colour, label=False,
            hovertemplate=f"{label}<br>week of %{{x|%d %b}}: %{{y:.1%}}<extra></extra>",
        )  # fmt: skip
    partial.label_once(fig, weekly["bucket"].to_list(), partial.flags(weekly))
    percent_axis(fig, "share of contacts")
    fig.update_yaxes(range=[0, 1.02])
    fig.update_xaxes(title_text="week starting")
    base_layout(fig, title, height=420, right=78, bottom=110)
    # the legend under the plot: the title is long at 1366 px
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0,
                              "xanchor": "left"})  # fmt: skip
    return fig


def _band_position(bands: pl.DataFrame, hours: float) -> float:
    """Where `hours` falls on the categorical band axis (log-interpolated inside its band)."""
    lower = 0.0
    for i, upper in enumerate(bands["upper_hours"].to_list()):
        if hours < upper:
            if math.isinf(upper):
                return i
            lo = max(lower, 1 / 60)
            frac = (math.log(max(hours, lo)) - math.log(lo)) / (math.log(upper) - math.log(lo))
            return i - 0.5 + min(max(frac, 0.0), 1.0)
        lower = upper
    return len(bands) - 1


def resolution_distribution(
    bands: pl.DataFrame, median: float | None, p90: float | None
) -> go.Figure:
    title = "Time to resolution"
    if bands["contacts"].sum() == 0:
        return empty_figure(title, "No resolved contacts in this period")
    fig = go.Figure(go.Bar(
        x=bands["band"].to_list(), y=bands["contacts"].to_list(), marker_color=ACCENT,
        hovertemplate="%{x}<br>%{y:,} contacts<extra></extra>", name="resolved contacts",
    ))  # fmt: skip
    for value, name, colour in ((median, "median", BETTER), (p90, "p90", WORSE)):
        if value is None:
            continue
        x = _band_position(bands, value)
        fig.add_vline(x=x, line={"color": colour, "dash": "dash", "width": 2})
        fig.add_annotation(x=x, y=1, yref="paper", showarrow=False, xanchor="left",
                           text=f"{name} {format_hours(value)}", font={"color": colour},
                           bgcolor="rgba(255,255,255,0.85)")  # fmt: skip
    fig.update_xaxes(title_text="hours from contact to resolution (calendar time)")
    fig.update_yaxes(title_text="resolved contacts")
    return base_layout(fig, title)


def team_friction(by_team: pl.DataFrame) -> go.Figure:
    title = "Transfers and escalations by team"
    rates = ("transfer_rate", "escalation_rate")
    data = by_team.filter(pl.col("contacts") > 0).select("team", "contacts", *rates)
    if data.is_empty():
        return empty_figure(title, "No contacts in this period")
    if data.select(pl.col(r).is_null().all() for r in rates).row(0) == (True, True):
        return empty_figure(title, "Import transfers or escalations to see these")
    axis = "team (most contacts first)"
    if data.height > TEAMS_TOP + 1:  # said on the axis: the chart is half a page wide
        axis = f"team (the {TEAMS_TOP} with most contacts of {data.height:,})"
    # Both are shares of the team's contacts, so Other's are weighted by contacts.
    data = top_n(data, "team", "contacts", TEAMS_TOP, {r: Weighted("contacts") for r in rates})
    teams = data["team"].to_list()
    fig = go.Figure()
    for metric_id, colour in zip(rates, (WORSE, NEUTRAL), strict=True):
        label = METRICS_BY_ID[metric_id].label
        fig.add_trace(go.Bar(
            x=teams, y=data[metric_id].to_list(), name=label,
            marker_color=colour, hovertemplate="%{x}<br>%{y:.1%} " + label.lower()
            + "<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(barmode="group")
    percent_axis(fig, "share of the team's contacts")
    fig.update_xaxes(title_text=axis, tickangle=-30, type="category",
                     **ticks(teams, ROTATED))  # fmt: skip
    return base_layout(fig, title, height=420, left=rotated_left(teams, 30),
                       bottom=label_margin([short(t, ROTATED) for t in teams], rotated=True,
                                           base=60))  # fmt: skip


_COHORT_COLOURS = {
    "no_contact": NEUTRAL, "resolved_happy": BETTER, "resolved_unhappy": "#bf8700",
    "unresolved": WORSE, "resolved_unrated": "#d0d7de",
}  # fmt: skip


def recovery(cohorts: pl.DataFrame) -> go.Figure:
    """Horizontal bars (labels stay readable at any width) with 95 % intervals and n."""
    title = "Repurchase within 90 days, by outcome"
    data = cohorts.filter(pl.col("customers") > 0).reverse()
    if data.is_empty():
        return empty_figure(title, "Import orders to see who comes back and buys")
    rates = data["rate"].to_list()
    colours = [_COHORT_COLOURS.get(c, NEUTRAL) for c in data["cohort"]]
    labels = data["label"].to_list()
    fig = go.Figure(go.Bar(
        y=labels, x=rates, orientation="h", marker_color=colours,
        error_x={"type": "data", "symmetric": False, "color": "#24292f",
                 "array": [h - r for h, r in zip(data["high"], rates, strict=True)],
                 "arrayminus": [r - lo for lo, r in zip(data["low"], rates, strict=True)]},
        customdata=data["customers"].to_list(),
        hovertemplate="%{y}: %{x:.1%} ordered again (n = %{customdata:,})<extra></extra>",
    ))  # fmt: skip
    # Values in a column right of the longest whisker, so text never sits on an interval.
    edge = max(data["high"].to_list()) * 1.04
    for label, rate, n in zip(labels, rates, data["customers"], strict=True):
        fig.add_annotation(x=edge, y=label, text=f"<b>{rate:.1%}</b> · n = {n:,}",
                           showarrow=False, xanchor="left", font={"size": 13})  # fmt: skip
    fig.update_xaxes(title_text="ordered again within 90 days (bar: 95% interval)",
                     tickformat=".0%", rangemode="tozero", range=[0, edge * 1.55])  # fmt: skip
    return base_layout(fig, title, height=360, left=label_margin(labels), right=20)


def funnel(steps: pl.DataFrame) -> go.Figure:
    """The funnel's steps that have a count (the others are not in the data)."""
    title = "From contact to happy customer"
    if steps["contacts"][0] == 0:
        return empty_figure(title, "No contacts in this period")
    steps = steps.filter(pl.col("contacts").is_not_null())
    fig = go.Figure(go.Funnel(
        y=steps["label"].to_list(), x=steps["contacts"].to_list(),
        textinfo="value+percent initial",
        marker={"color": ["#0a3069", "#0550ae", "#0969da", "#218bff", BETTER][: steps.height]},
        texttemplate="%{value:,} (%{percentInitial:.1%})",
        # A narrow step (few contacts reach it) puts its text beside the bar: let it show
        # past the plot's edge rather than cut it off.
        cliponaxis=False,
    ))  # fmt: skip
    return base_layout(fig, title, height=400,
                       left=label_margin(steps["label"].to_list()))  # fmt: skip


def frictions(friction: pl.DataFrame) -> go.Figure:
    title = "What keeps contacts from happiness"
    data = friction.filter(pl.col("contacts").is_not_null()).sort("contacts")
    if data.is_empty():
        return empty_figure(title, "Not in your data: no times, transfers, reopens or CSAT")
    if data["contacts"].sum() == 0:
        return empty_figure(title, "Every contact reached happy")
    fig = go.Figure(go.Bar(
        y=data["label"].to_list(), x=data["contacts"].to_list(), orientation="h",
        marker_color=WORSE, hovertemplate="%{y}<br>%{x:,} contacts<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(title_text="contacts (one can have several)")
    return base_layout(fig, title, height=360, left=label_margin(data["label"].to_list()))


def time_by_channel(by_channel: pl.DataFrame) -> go.Figure:
    title = "Time to resolution by channel"
    data = by_channel.filter(pl.col("resolution_hours_median").is_not_null())
    if data.is_empty():
        return empty_figure(title, "No resolved contacts in this period")
    if data.height > CHANNELS_TOP and "contacts" in data.columns:
        # A median of the rest cannot be made from the channels' medians: no Other bar.
        title += f": the {CHANNELS_TOP} busiest of {data.height:,} channels"
        data = data.sort("contacts", descending=True).head(CHANNELS_TOP)
    data = data.with_columns(pl.col("channel").cast(pl.String).fill_null(MISSING))
    data = data.sort("resolution_hours_median")
    fig = go.Figure()
    for metric_id, name, colour in (
        ("resolution_hours_median", "median", ACCENT),
        ("resolution_hours_p90", "p90", WORSE),
    ):
        values = data[metric_id].to_list()
        fig.add_trace(go.Bar(
            x=data["channel"].to_list(), y=values, name=name, marker_color=colour,
            text=[format_hours(v) if v is not None else "" for v in values],
            textposition="outside", hovertemplate="%{x}<br>" + name + " %{y:,.1f} h<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="hours (calendar time)")
    channels = data["channel"].to_list()
    fig.update_xaxes(title_text="channel", type="category", **ticks(channels))
    return base_layout(fig, title)


def sla_breaches_weekly(weekly: pl.DataFrame) -> go.Figure:
    """Contacts with a breached SLA target per week (bars; the week under way lighter) and
    the two achievement rates (lines, right axis). Each target counts in its policy's own
    clock, business or calendar time, which the title says."""
    title = "SLA breaches per week · each target in its policy's business or calendar time"
    if weekly.is_empty():
        return empty_figure(title, "No contacts in this period")
    weeks = weekly["bucket"].to_list()
    so_far = partial.flags(weekly)
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=weeks, y=weekly["sla_breaches"].to_list(), name="contacts with a breach",
        marker_color=[NEUTRAL if p else WORSE for p in so_far], marker_opacity=0.55,
        hovertemplate="week of %{x|%d %b}: %{y:,} contacts with a breach<extra></extra>",
    ))  # fmt: skip
    for colour, metric_id in zip(SERIES, ("sla_first_response_rate", "sla_resolution_rate"),
                                 strict=False):  # fmt: skip
        if weekly[metric_id].is_null().all():  # no target of this kind in the data
            continue
        label = METRICS_BY_ID[metric_id].label
        before = len(fig.data)
        partial.add_line(
            fig, weeks, weekly[metric_id].to_list(), so_far, name=label, color=colour,
            label=False,
            hovertemplate=f"{label}<br>week of %{{x|%d %b}}: %{{y:.1%}}<extra></extra>",
        )  # fmt: skip
        for trace in fig.data[before:]:  # the rates on the right-hand axis
            trace.yaxis = "y2"
    partial.label_once(fig, weeks, so_far)
    fig.update_layout(yaxis={"title": {"text": "contacts with a breached target"}},
                      yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.02],
                              "tickformat": ".0%", "title": {"text": "targets met"},
                              "showgrid": False})  # fmt: skip
    fig.update_xaxes(title_text="week starting")
    base_layout(fig, title, height=420, right=78, bottom=110)
    # the legend under the plot: the title is long at 1366 px
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0,
                              "xanchor": "left"})  # fmt: skip
    return fig
