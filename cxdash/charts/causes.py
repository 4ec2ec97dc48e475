"""The before/after chart of one root cause: its drivers week by week, the 56-day baseline
shaded, the fix marked, and the pre-fix level carried forward with its 95 % band — so a reader
sees at a glance whether the line stayed under the band after the fix."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from cxdash.analysis.causes import BASELINE_DAYS
from cxdash.charts.style import ACCENT, BETTER, NEUTRAL, WORSE, base_layout, empty_figure


def before_after(
    weekly: pl.DataFrame,
    *,
    title: str,
    fixed_on: dt.date | None,
    level: tuple[float, ...] | None,
    per_orders: bool,
    came_back: bool = False,
) -> go.Figure:
    """`weekly`: bucket, contacts, contact_rate (from analysis.causes.weekly); `level`: the
    pre-fix (level, low, high) in the chart's unit, or None when there is no fix yet."""
    metric = "contact_rate" if per_orders else "contacts"
    unit = "contacts per 1,000 orders" if per_orders else "contacts per week"
    if weekly.is_empty() or not weekly["contacts"].sum():
        return empty_figure(title, "No contacts of these drivers in the chosen weeks")
    weeks = weekly["bucket"].to_list()
    fig = go.Figure()
    if fixed_on is not None:
        start = fixed_on - dt.timedelta(days=BASELINE_DAYS)
        fig.add_vrect(x0=start, x1=fixed_on, fillcolor=NEUTRAL, opacity=0.12, line_width=0,
                      annotation_text="baseline: 56 days before the fix",
                      annotation_position="bottom left")  # fmt: skip
    if fixed_on is not None and level is not None:
        after = [w for w in weeks if w >= fixed_on - dt.timedelta(days=6)]
        if after:
            xs = [fixed_on, after[-1] + dt.timedelta(days=6)]
            value, low, high = level
            fig.add_trace(go.Scatter(x=xs, y=[high, high], mode="lines", line={"width": 0},
                                     hoverinfo="skip", showlegend=False))  # fmt: skip
            fig.add_trace(go.Scatter(
                x=xs, y=[low, low], mode="lines", line={"width": 0}, fill="tonexty",
                fillcolor="rgba(140,149,159,0.22)", name="expected without the fix (95 % band)",
                hoverinfo="skip",
            ))  # fmt: skip
            fig.add_trace(go.Scatter(
                x=xs, y=[value, value], mode="lines", name="pre-fix level",
                line={"color": NEUTRAL, "dash": "dot", "width": 2},
                hovertemplate="pre-fix level %{y:,.1f}<extra></extra>",
            ))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=weeks, y=weekly[metric].to_list(), mode="lines+markers", name=unit,
        line={"color": ACCENT, "width": 3}, marker={"size": 7},
        hovertemplate="week of %{x|%d %b %Y}<br>%{y:,.1f} " + unit + "<extra></extra>",
    ))  # fmt: skip
    if fixed_on is not None:
        colour = WORSE if came_back else BETTER
        fig.add_vline(x=fixed_on, line={"color": colour, "dash": "dash", "width": 2})
        fig.add_annotation(x=fixed_on, y=1, xref="x", yref="paper", showarrow=False,
                           text=f"fixed {fixed_on:%-d %b %Y}", xanchor="left", yanchor="top",
                           font={"color": colour, "size": 13},
                           bgcolor="rgba(255,255,255,0.85)")  # fmt: skip
    fig.update_yaxes(title_text=unit, rangemode="tozero")
    fig.update_xaxes(title_text="week starting")
    return base_layout(fig, title, height=400)
