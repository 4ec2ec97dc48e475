"""Metric tiles: value, change against the previous period coloured by better/worse, a weekly
sparkline (an image: `cxdash.charts.sparkline` says why), and the definition as help text —
one rendering for every metric in the catalogue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext

import streamlit as st

from cxdash.charts import sparkline
from cxdash.formatting import MISSING, format_change, format_value
from cxdash.metrics.runner import MetricValue

TILE_WIDTH = 200  # px: two per side fit a 421 px column at 1366 px, three at 1920 px


def help_text(item: MetricValue) -> str:
    text = item.metric.description
    if item.value is None and item.metric.null_means:
        text += f"\n\nShown as “{MISSING}”: {item.metric.null_means}."
    prev = format_value(item.metric, item.previous)
    text = f"{text}\n\nPrevious period: {prev}."
    if item.metric.origin:  # a team's own metric: say where it is defined and how
        text += f"\n\nCustom metric from `{item.metric.origin}`: `{item.metric.sql}`"
    return text


def tile(item: MetricValue, spark: Sequence[float | None] | None = None) -> None:
    metric = item.metric
    delta = None
    if item.change is not None and item.change != 0:
        delta = format_change(metric, item.change, item.relative_change)
    points = [v for v in (spark or []) if v is not None]
    drawn = len(points) >= 2
    # With a sparkline the border is the container's, holding the metric and its image.
    with st.container(border=True, width=TILE_WIDTH, gap=None) if drawn else nullcontext():
        st.metric(
            metric.label,
            format_value(metric, item.value),
            delta=delta,
            # Green means better: for metrics where lower is better, a fall is shown green.
            delta_color="normal" if metric.direction == "up" else "inverse",
            help=help_text(item),
            border=not drawn,
            width="stretch" if drawn else TILE_WIDTH,
        )
        if drawn:
            first, last = (format_value(metric, v) for v in (points[0], points[-1]))
            said = f"{metric.label}, last {len(points)} weeks: from {first} to {last}"
            st.html(sparkline.img(points, said))


def tile_grid(
    items: Sequence[MetricValue], sparks: Mapping[str, Sequence[float | None]] | None = None
) -> None:
    """Tiles in a wrapping row: as many per line as the screen holds, none truncated."""
    with st.container(horizontal=True, wrap=True, gap="small"):
        for item in items:
            tile(item, (sparks or {}).get(item.metric.id))
