"""A week still under way is drawn apart on every weekly line (charts.partial)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from cxdash.charts import defense, offense, partial
from cxdash.metrics.request import Period

D = dt.date
WEEKS = [D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30)]


def _weekly() -> pl.DataFrame:
    # Data to Tuesday 1 Dec: the week of 30 Nov holds two days (contacts 70 against ~350).
    frame = pl.DataFrame({"bucket": WEEKS, "contacts": [350, 340, 360, 70],
                          "contact_rate": [118.0, 116.0, 121.0, 152.0],
                          "resolution_rate": [0.97, 0.96, 0.97, 0.60],
                          "fcr_rate": [0.7, 0.71, 0.69, 0.9]})  # fmt: skip
    return partial.mark(frame, "week", Period(WEEKS[0], D(2026, 12, 1)), D(2026, 1, 1),
                        D(2026, 12, 1))  # fmt: skip


def test_mark_flags_the_week_the_data_ends_inside() -> None:
    assert _weekly()["partial"].to_list() == [False, False, False, True]


def test_the_contact_rate_line_ends_on_whole_weeks_and_marks_the_rest_so_far() -> None:
    fig = offense.contact_rate_trend(_weekly(), pl.DataFrame(), per_orders=True)
    solid, step, dot = fig.data
    assert list(solid.y) == [118.0, 116.0, 121.0, None]  # the jump to 152 is not drawn solid
    assert list(step.y) == [121.0, 152.0] and step.line.dash == "dot"
    assert list(dot.y) == [152.0] and list(dot.text) == ["so far"]
    assert dot.marker.color == "white"  # hollow
    assert "(so far)" in dot.hovertemplate


def test_every_quality_rate_is_split_the_same_way() -> None:
    fig = defense.weekly_rates(_weekly(), ("resolution_rate", "fcr_rate"))
    solids = [t for t in fig.data if t.mode == "lines+markers"]
    assert [list(t.y)[-1] for t in solids] == [None, None]
    assert sorted(t.y[0] for t in fig.data if t.mode == "markers+text") == [0.6, 0.9]
    # Two lines, one label above the week: the hollow markers carry no text of their own.
    assert [a.text for a in fig.layout.annotations] == ["so far"]
    assert {t.text[0] for t in fig.data if t.mode == "markers+text"} == {""}


def test_without_flags_the_line_is_whole() -> None:
    fig = offense.contact_rate_trend(_weekly().drop("partial"), pl.DataFrame(), per_orders=True)
    assert len(fig.data) == 1 and list(fig.data[0].y)[-1] == 152.0


def test_the_heat_map_labels_the_week_under_way() -> None:
    rows = pl.DataFrame({"reason": ["Late", "Late", "Refund", "Refund"],
                         "bucket": [WEEKS[2], WEEKS[3]] * 2, "contacts": [30, 6, 20, 4]})
    marked = partial.mark(rows, "week", Period(WEEKS[2], D(2026, 12, 1)), D(2026, 1, 1),
                          D(2026, 12, 1))  # fmt: skip
    fig = offense.driver_heatmap(marked)
    assert list(fig.data[0].x) == ["23 Nov", "30 Nov (so far)"]
