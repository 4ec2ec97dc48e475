"""What the Scoreboard — the page everyone opens first — reads, in one place: the page shows
it, and the server reads it for the default view while it starts (cxdash.ui.serve), so the
first viewer finds it cached."""

from __future__ import annotations

from dataclasses import dataclass

from cxdash.metrics.request import MetricRequest
from cxdash.views import layout, view_model
from cxdash.views.view_model import View


@dataclass(frozen=True)
class ScoreboardReads:
    offense: tuple[str, ...]
    defense: tuple[str, ...]
    speed: tuple[str, ...]
    sla: tuple[str, ...]  # shown only where the store has SLA policies
    values: MetricRequest  # every tile, now and in the previous period
    weekly: MetricRequest  # the sparklines
    drivers_now: MetricRequest  # "what moved"
    drivers_before: MetricRequest


def scoreboard(current: View) -> ScoreboardReads:
    catalogue = current.catalogue
    offense, defense = layout.tiles("offense", catalogue), layout.tiles("defense", catalogue)
    speed = layout.tiles("happiness", catalogue)  # custom metrics follow the built-in ones
    sla = layout.SLA_TILES
    shown = offense + defense + sla + speed
    # No sparkline for metrics that look months ahead: their recent weeks are never complete.
    spark_ids = tuple(m for m in shown if catalogue[m].horizon_days < 28)
    now = view_model.request(current, ("contacts",), by=("reason",))
    return ScoreboardReads(
        offense, defense, speed, sla,
        values=view_model.request(current, shown),
        weekly=view_model.trend_request(current, spark_ids),
        drivers_now=now,
        drivers_before=now.for_period(current.period.previous()),
    )  # fmt: skip
