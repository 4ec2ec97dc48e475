"""Charts of the offense side: contact rate and fixes, drivers, the value–irritant matrix."""

from __future__ import annotations

import datetime as dt
import math
from typing import cast

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from cxdash.analysis.listings import QUADRANTS
from cxdash.analysis.topn import SUM, Aggregation, Weighted, is_other, short, top_n
from cxdash.charts import partial
from cxdash.charts.categories import ROTATED, clip_other, rotated_left, ticks
from cxdash.charts.style import (
    ACCENT,
    BETTER,
    NEUTRAL,
    WORSE,
    base_layout,
    empty_figure,
    label_margin,
)  # fmt: skip

# How many drivers a chart shows before the rest become one "Other (k more)": what reads at
# 1366×768 (Explore's table and downloads keep every driver).
PARETO_TOP = 15
HEATMAP_TOP = 20
MATRIX_TOP = 5  # per quadrant
RATES_TOP = 15
OTHER_COLOUR = "#afb8c1"


def _of(title: str, drivers: int, top: int) -> str:
    """The title, saying when only the top drivers have a bar or row of their own (as
    topn.top_n groups them: more than top + 1)."""
    return f"{title}: top {top} of {drivers:,} drivers" if drivers > top + 1 else title


def contact_rate_trend(
    weekly: pl.DataFrame, causes: pl.DataFrame, *, per_orders: bool
) -> go.Figure:
    """Weekly contact rate (or contacts when there are no orders) with fixes marked."""
    metric = "contact_rate" if per_orders else "contacts"
    title = "Contact rate per week" if per_orders else "Contacts per week"
    if weekly.is_empty():
        return empty_figure(title, "No contacts in this period")
    unit = "contacts per 1,000 orders" if per_orders else "contacts"
    fig = go.Figure()
    # A week the data ends inside is drawn apart, "so far" (charts.partial).
    partial.add_line(
        fig, weekly["bucket"].to_list(), weekly[metric].to_list(), partial.flags(weekly),
        name=title, color=ACCENT,
        hovertemplate="week of %{x|%d %b %Y}<br>%{y:,.1f} " + unit + "<extra></extra>",
    )  # fmt: skip
    # not empty: the first and last week (a DATE column)
    first, last = cast(dt.date, weekly["bucket"].min()), cast(dt.date, weekly["bucket"].max())
    fixed = causes.filter(pl.col("fixed_on").is_not_null()) if not causes.is_empty() else causes
    for i, cause in enumerate(fixed.iter_rows(named=True) if not fixed.is_empty() else []):
        day: dt.date = cause["fixed_on"]
        if not (first - dt.timedelta(days=6) <= day <= last + dt.timedelta(days=6)):
            continue
        colour = BETTER if cause["status"] == "eliminated" else NEUTRAL
        fig.add_vline(x=day, line={"color": colour, "dash": "dash", "width": 2})
        fig.add_annotation(
            x=day, y=1 - 0.09 * (i % 3), xref="x", yref="paper", showarrow=False,
            text=f"fix: {cause['title'] or cause['cause_id']}", xanchor="left",
            font={"color": colour, "size": 13}, bgcolor="rgba(255,255,255,0.8)",
        )  # fmt: skip
    fig.update_yaxes(title_text=unit, rangemode="tozero")
    fig.update_xaxes(title_text="week starting")
    return base_layout(fig, title)


def pareto(by_reason: pl.DataFrame) -> go.Figure:
    """Drivers by contacts, biggest first, with the cumulative share on a second axis."""
    title = "Contact drivers (Pareto)"
    data = by_reason.filter(pl.col("contacts") > 0).select("reason", "contacts")
    if data.is_empty():
        return empty_figure(title, "No contacts in this period")
    title = _of(title, data.height, PARETO_TOP)
    data = top_n(data, "reason", "contacts", PARETO_TOP)
    total = data["contacts"].sum()
    cumulative = (data["contacts"].cum_sum() / total).to_list()
    reasons = data["reason"].to_list()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(x=reasons, y=data["contacts"].to_list(), name="contacts",
               marker_color=[OTHER_COLOUR if is_other(r) else ACCENT for r in reasons],
               hovertemplate="%{x}<br>%{y:,} contacts<extra></extra>"),
        secondary_y=False,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=reasons, y=cumulative, name="cumulative share",
                   mode="lines+markers", line={"color": WORSE},
                   hovertemplate="%{x}<br>%{y:.1%} of contacts so far<extra></extra>"),
        secondary_y=True,
    )  # fmt: skip
    fig.update_yaxes(title_text="contacts", secondary_y=False)
    clip_other(fig, reasons, data["contacts"].to_list(), secondary_y=False)
    fig.update_yaxes(title_text="cumulative share", tickformat=".0%", range=[0, 1.05],
                     tickvals=[0, 0.25, 0.5, 0.75, 1.0], secondary_y=True)  # fmt: skip
    fig.update_xaxes(title_text="contact driver", tickangle=-35, **ticks(reasons, ROTATED))
    return base_layout(fig, title, height=460, right=80, left=rotated_left(reasons),
                       bottom=label_margin([short(r, ROTATED) for r in reasons], rotated=True,
                                           base=60))  # fmt: skip


def driver_heatmap(reason_week: pl.DataFrame) -> go.Figure:
    """Contacts by driver (rows, biggest on top) and week (columns)."""
    title = "Drivers by week"
    if reason_week.is_empty():
        return empty_figure(title, "No contacts in this period")
    data = top_n(reason_week.select("reason", "bucket", "contacts"), "reason", "contacts",
                 HEATMAP_TOP, within=["bucket"])  # fmt: skip
    order = list(dict.fromkeys(data["reason"].to_list()))[::-1]  # biggest on top
    weeks = sorted(data["bucket"].unique().to_list())
    lookup = {(r, w): c for r, w, c in data.rows()}
    # A week still under way holds fewer days: its column says so, as its counts read low.
    unfinished = set(reason_week.filter(pl.col(partial.PARTIAL))["bucket"].to_list()
                     if partial.PARTIAL in reason_week.columns else [])  # fmt: skip
    labels = [f"{w:%-d %b}" + (f" ({partial.SO_FAR})" if w in unfinished else "")
              for w in weeks]  # fmt: skip
    fig = go.Figure()
    # The Other row sums hundreds of drivers: on the drivers' colour scale it would wash every
    # other row out, so it is a grey row of its own with its numbers written in.
    drivers, other = [r for r in order if not is_other(r)], [r for r in order if is_other(r)]
    hover = "%{y}<br>week of %{x}<br>%{z:,} contacts<extra></extra>"
    fig.add_trace(go.Heatmap(
        x=labels, y=drivers, z=[[lookup.get((r, w), 0) for w in weeks] for r in drivers],
        colorscale="Blues", colorbar={"title": "contacts"}, xgap=1, ygap=1,
        hovertemplate=hover,
    ))  # fmt: skip
    if other:
        z = [[lookup.get((other[0], w), 0) for w in weeks]]
        fig.add_trace(go.Heatmap(
            x=labels, y=other, z=z, text=z, texttemplate="%{text:,}", showscale=False,
            colorscale=[[0, "#eaeef2"], [1, "#eaeef2"]], xgap=1, ygap=1, hovertemplate=hover,
        ))  # fmt: skip
    fig.update_xaxes(type="category", title_text="week starting")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=order, **ticks(order))
    title = _of(title, reason_week["reason"].n_unique(), HEATMAP_TOP)
    bottom = 64 + (40 if len(weeks) > 14 else 0)  # many weeks: Plotly turns their labels
    return base_layout(fig, title, height=max(360, 26 * len(order) + 100 + bottom),
                       left=label_margin(map(short, order)), bottom=bottom)  # fmt: skip


def _wrap(text: str, width: int = 14) -> str:
    """Break a long label into two lines at the space nearest its middle."""
    if len(text) <= width or " " not in text:
        return text
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return f"{text[:cut]}<br>{text[cut + 1:]}"


def value_irritant(drivers: pl.DataFrame) -> go.Figure:
    """Drivers in the four value–irritant quadrants; bubble = contacts, colour = trend.

    `drivers`: reason, value_to_customer, value_to_business, contacts, change (relative
    change of contacts against the previous period, or null) and optionally before (the
    previous period's contacts, which weighs the changes of a quadrant's Other bubble).
    Each quadrant shows its MATRIX_TOP biggest drivers and one "Other (k more)" bubble.
    """
    title = "Value–irritant matrix"
    data = drivers.filter(pl.col("value_to_customer").is_not_null() & (pl.col("contacts") > 0))
    if data.is_empty():
        return empty_figure(title, "Fill the driver catalog to place drivers in quadrants")
    how: dict[str, Aggregation] = (
        {"change": Weighted("before"), "before": SUM} if "before" in data.columns else {})
    quadrant = ["value_to_customer", "value_to_business"]
    groups = [
        ((cust, biz), top_n(group, "reason", "contacts", MATRIX_TOP, how))
        for (cust, biz), group in data.sort("contacts", descending=True).group_by(
            quadrant, maintain_order=True)
    ]  # fmt: skip
    xs, ys, sizes, colours, labels, hovers = [], [], [], [], [], []
    biggest = max(max(cast(int, g["contacts"].max()) for _, g in groups), 1)  # not empty
    for (cust, biz), group in groups:
        n = group.height
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        for i, row in enumerate(group.iter_rows(named=True)):
            cx = (0 if cust == "low" else 1) + (i % cols + 0.5) / cols
            cy = (0 if biz == "low" else 1) + (rows - i // cols - 0.5) / rows
            xs.append(cx)
            ys.append(cy)
            sizes.append(18 + 52 * math.sqrt(row["contacts"] / biggest))
            change = row["change"]
            colours.append(0.0 if change is None else max(-0.5, min(0.5, change)))
            labels.append(_wrap(short(row["reason"], 28)))
            trend = "—" if change is None else f"{change:+.1%}"
            hovers.append(f"{row['reason']}<br>{row['contacts']:,} contacts<br>trend {trend}")
    fig = go.Figure(
        go.Scatter(
            x=xs, y=ys, mode="markers+text", text=labels, textposition="bottom center",
            textfont={"size": 12}, hovertext=hovers, hoverinfo="text",
            marker={"size": sizes, "color": colours, "cmin": -0.5, "cmax": 0.5,
                    "colorscale": [[0, BETTER], [0.5, "#d0d7de"], [1, WORSE]],
                    "colorbar": {"title": "trend", "tickformat": "+.0%"},
                    "line": {"width": 1, "color": "white"}},
        )
    )  # fmt: skip
    for (cust, biz), name in QUADRANTS.items():
        x0, y0 = (0 if cust == "low" else 1), (0 if biz == "low" else 1)
        fig.add_shape(type="rect", x0=x0, x1=x0 + 1, y0=y0, y1=y0 + 1,
                      line={"color": "#d0d7de"}, layer="below")  # fmt: skip
        fig.add_annotation(x=x0 + 0.02, y=y0 + 0.98, text=f"<b>{name}</b>", showarrow=False,
                           xanchor="left", yanchor="top", font={"color": NEUTRAL})  # fmt: skip
    fig.update_xaxes(range=[0, 2], tickvals=[0.5, 1.5], ticktext=["low", "high"],
                     title_text="value to the customer", showgrid=False, zeroline=False)
    fig.update_yaxes(range=[0, 2], tickvals=[0.5, 1.5], ticktext=["low", "high"],
                     title_text="value to the business", showgrid=False, zeroline=False)
    return base_layout(fig, title, height=640, bottom=70, right=40)


def rates_by_driver(by_reason: pl.DataFrame) -> go.Figure:
    """Repeat-contact and self-service rate per driver, as horizontal bars."""
    title = "Repeat contacts and self-service by driver"
    rates = ("repeat_contact_rate", "self_service_rate")
    data = by_reason.filter(pl.col("contacts") > 0).select("reason", "contacts", *rates)
    if data.is_empty():
        return empty_figure(title, "No contacts in this period")
    if data.select(pl.col(r).is_null().all() for r in rates).row(0) == (True, True):
        return empty_figure(title, "Import customer ids or self-service flags to see these")
    title = _of(title, data.height, RATES_TOP)
    # Both are shares of the driver's contacts (repeat: of those with a customer id).
    data = top_n(data, "reason", "contacts", RATES_TOP,
                 {r: Weighted("contacts") for r in rates}).reverse()  # biggest on top
    fig = go.Figure()
    for metric, name, colour in (
        ("repeat_contact_rate", "repeat contacts", WORSE),
        ("self_service_rate", "self-service", BETTER),
    ):
        fig.add_trace(go.Bar(
            y=data["reason"].to_list(), x=data[metric].to_list(), name=name, orientation="h",
            marker_color=colour, hovertemplate="%{y}<br>%{x:.1%} " + name + "<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="share of the driver's contacts", tickformat=".0%")
    reasons = data["reason"].to_list()
    fig.update_yaxes(type="category", **ticks(reasons))
    return base_layout(fig, title, height=max(360, 34 * data.height + 140),
                       left=label_margin(map(short, reasons)))  # fmt: skip
