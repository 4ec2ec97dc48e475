"""Metric tiles: value, change against the previous period coloured by better/worse, a weekly
sparkline (an image: `cxdash.charts.sparkline` says why), and the definition as help text —
one rendering for every metric in the catalogue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext

import streamlit as st

from cxdash.charts import sparkline
from cxdash.formatting import MISSING, format_change, format_value
from cxdash.metrics.catalogue import NOT_IN_DATA, Metric, not_in_data
from cxdash.metrics.runner import MetricValue
from cxdash.ui import data
from cxdash.ui.text import md
from cxdash.views.buckets import SO_FAR

TILE_WIDTH = 200  # px: two per side fit a 421 px column at 1366 px, three at 1920 px


def _fields(names: Sequence[str], word: str = "or") -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" {word} " + quoted[-1]


MATURING_HELP = ("Still maturing: this period is recent, so part of what the metric counts "
                 "(a later repeat contact or order, a resolution, a reopen, a survey answer) "
                 "can still come in and the value can still change. The previous period is "
                 "measured at the same age, so the change shown is fair.")


def label(metric: Metric) -> str:
    """A tile's label: a team's own metric's label is text (its TOML could hold Markdown
    images or links), ours may use Markdown."""
    return md(metric.label) if metric.origin else metric.label


def help_text(item: MetricValue, missing: Sequence[str] = (), note: str | None = None) -> str:
    text = md(item.metric.description) if item.metric.origin else item.metric.description
    if note:
        text += f"\n\n{MATURING_HELP}"
    if missing:
        text += (f"\n\nNot in your data: no contact in the store has {_fields(missing)}. "
                 "Import a column for it (Data and settings) to see this metric.")
    elif item.value is None and item.metric.null_means:
        text += f"\n\nShown as “{MISSING}”: {item.metric.null_means}."
    prev = format_value(item.metric, item.previous)
    text = f"{text}\n\nPrevious period: {prev}."
    if item.metric.origin:  # a team's own metric: say where it is defined and how
        text += f"\n\nCustom metric from {md(item.metric.origin)}: {md(item.metric.sql)}"
    return text


def spark_text(metric: Metric, points: Sequence[float], partial_last: bool) -> str:
    """What the sparkline shows, in words: its direction over the whole weeks only."""
    whole = points[:-1] if partial_last and len(points) >= 3 else points
    first, last = (format_value(metric, v) for v in (whole[0], whole[-1]))
    text = f"{metric.label}, last {len(whole)} whole weeks: from {first} to {last}"
    if len(whole) < len(points):
        text += f"; this week {SO_FAR}: {format_value(metric, points[-1])}"
    return text


def tile(
    item: MetricValue,
    spark: Sequence[float | None] | None = None,
    note: str | None = None,
    *,
    partial_last: bool = False,
) -> None:
    """`partial_last`: the spark's last week is still under way (views.buckets): drawn apart
    and left out of the direction the text states."""
    metric = item.metric
    missing = not_in_data(metric, data.info().provides) if item.value is None else ()
    if missing:  # SPEC §3: never a 0 % (or a bare dash) for a field the data never had
        with st.container(border=True, width=TILE_WIDTH, gap=None):
            st.metric(label(metric), MISSING, help=help_text(item, missing), width="stretch")
            st.caption(f"{NOT_IN_DATA.capitalize()}: import {_fields(missing, 'or')}")
        return
    delta = None
    if item.change is not None and item.change != 0:
        delta = format_change(metric, item.change, item.relative_change)
        if not any(ch in delta for ch in "123456789"):
            delta = None  # "−0.0 pt": no change at the precision shown, so no red or green
    series = list(spark or [])
    partial_last = partial_last and bool(series) and series[-1] is not None
    points = [v for v in series if v is not None]
    drawn = len(points) >= 2
    # With a sparkline or a note the border is the container's, holding them all.
    boxed = drawn or bool(note)
    with st.container(border=True, width=TILE_WIDTH, gap=None) if boxed else nullcontext():
        st.metric(
            label(metric),
            format_value(metric, item.value),
            delta=delta,
            # Green means better: for metrics where lower is better, a fall is shown green.
            delta_color="normal" if metric.direction == "up" else "inverse",
            help=help_text(item, note=note),
            border=not boxed,
            width="stretch" if boxed else TILE_WIDTH,
        )
        if note:
            st.caption(f":material/hourglass_top: {note}")
        if drawn:
            st.html(sparkline.img(points, spark_text(metric, points, partial_last),
                                  partial_last=partial_last and len(points) >= 3))


def tile_grid(
    items: Sequence[MetricValue],
    sparks: Mapping[str, Sequence[float | None]] | None = None,
    notes: Mapping[str, str] | None = None,
    *,
    partial_last: bool = False,
) -> None:
    """Tiles in a wrapping row: as many per line as the screen holds, none truncated."""
    with st.container(horizontal=True, wrap=True, gap="small"):
        for item in items:
            mid = item.metric.id
            tile(item, (sparks or {}).get(mid), (notes or {}).get(mid),
                 partial_last=partial_last)  # fmt: skip
