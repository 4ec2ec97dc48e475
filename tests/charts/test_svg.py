"""The report's charts as inline SVG (cxdash.charts.svg): well-formed, every mark where the
numbers put it, chart text only as text, and nothing it cannot draw drawn wrong."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import plotly.graph_objects as go
import polars as pl
import pytest

from cxdash.analysis.movers import Move
from cxdash.charts import svg
from cxdash.charts.style import empty_figure
from cxdash.review import charts

NS = {"s": "http://www.w3.org/2000/svg"}
WEEKS = [dt.date(2026, 6, 1) + dt.timedelta(weeks=i) for i in range(12)]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # well-formed XML, or this raises


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.findall("s:rect", NS) if r.find("s:title", NS) is not None]


@pytest.mark.parametrize(
    ("value", "spec", "shown"),
    [(3264, ",", "3,264"), (516.0, ",", "516"), (0.6644, ".1%", "66.4%"), (0.5, ".0%", "50%"),
     (1460.4, ",.0f", "1,460"), (1234.5678, ",", "1,234.57"), (2500, "", "2500"),
     (0.25, ",.2f", "0.25")],
)  # fmt: skip
def test_numbers_in_plotlys_formats(value: float, spec: str, shown: str) -> None:
    assert svg.number(value, spec) == shown


def test_weekly_bars_stand_on_zero_and_the_week_is_labelled() -> None:
    counts = [1000 + 10 * i for i in range(12)]
    weekly = pl.DataFrame({"bucket": WEEKS, "contacts": counts})
    root = parse(svg.render(charts.weekly_contacts(weekly, WEEKS[-1], partial=True),
                            width=540, chart_id="c1"))  # fmt: skip
    assert root.get("id") == "c1" and root.get("aria-label") == "Contacts per week"
    drawn = bars(root)
    assert len(drawn) == 12
    bottoms = {round(float(r.get("y", 0)) + float(r.get("height", 0)), 1) for r in drawn}
    assert len(bottoms) == 1  # every bar on the zero line
    heights = [float(r.get("height", 0)) for r in drawn]
    assert heights == sorted(heights) and heights[-1] / heights[0] == pytest.approx(1110 / 1000,
                                                                                    rel=0.01)
    assert drawn[-1].get("fill") == "#1f6feb" and drawn[0].get("fill") == "#afb8c1"
    hover = drawn[-1].find("s:title", NS)
    assert hover is not None and hover.text == "week of 17 Aug\n1,110 contacts"
    shown = texts(root)
    assert "1,110 (so far)" in shown and "17 Aug" in shown and "contacts" in shown
    # twelve labels do not fit under 540 px at room size: every other one, the newest kept
    assert "10 Aug" not in shown and "3 Aug" in shown


def test_happy_line_marks_the_week_on_a_percent_axis() -> None:
    weekly = pl.DataFrame({"bucket": WEEKS, "contacts": [1] * 12,
                           "happy_rate": [0.6 + i / 100 for i in range(12)]})  # fmt: skip
    root = parse(svg.render(charts.weekly_happy(weekly, WEEKS[-1]), width=540, chart_id="h"))
    assert len(root.findall("s:path", NS)) == 1  # the line
    dots = root.findall("s:circle", NS)
    assert len(dots) == 13 and dots[-1].get("fill") == "#1f6feb"
    assert {"0%", "50%", "100%", "71.0%"} <= set(texts(root))
    # the dot sits at 71 % of the 0–105 % range
    top, bottom = 64, 360 - 64
    assert float(dots[-1].get("cy", 0)) == pytest.approx(bottom - 0.71 / 1.05 * (bottom - top),
                                                         abs=0.2)


def test_grouped_horizontal_bars_with_legend_and_long_names() -> None:
    long = "Where is my order and why has nobody answered yet"
    moves = [Move("Late delivery", 480, 300, 0.001), Move(long, 200, 150, 0.01)]
    root = parse(svg.render(charts.driver_moves(moves, rising=True), width=540, chart_id="m"))
    drawn = bars(root)
    assert len(drawn) == 4
    widths = {r.find("s:title", NS).text: float(r.get("width", 0)) for r in drawn}  # type: ignore[union-attr]
    assert widths["Late delivery\nthis week 480"] == pytest.approx(
        widths["Late delivery\nlast week 300"] * 480 / 300, rel=0.01)
    shown = texts(root)
    assert {"this week", "last week", "+180", "+50", "Late delivery"} <= set(shown)
    cut = [t for t in shown if t.startswith("Where is my order") and t.endswith("…")]
    assert cut, shown  # too long for the margin: cut, the whole name as a tooltip
    assert long in "".join(root.itertext())


def test_error_bars_and_annotations_of_the_recovery_chart() -> None:
    cohorts = pl.DataFrame({
        "cohort": ["no_contact", "happy"], "label": ["No contact", "Resolved, happy"],
        "customers": [95_507, 1_934], "rate": [0.643, 0.718], "low": [0.64, 0.698],
        "high": [0.646, 0.737]})  # fmt: skip
    root = parse(svg.render(charts.recovery(cohorts), width=540, chart_id="r"))
    assert len(root.findall("s:path", NS)) == 2  # one whisker per bar
    assert "71.8% · n = 1,934" in texts(root) and "64.3% · n = 95,507" in texts(root)
    bold = root.findall(".//s:tspan[@font-weight='bold']", NS)
    assert sorted(b.text or "" for b in bold) == ["64.3%", "71.8%"]
    # a text past the right edge widens the view box instead of being cut off
    box = [float(v) for v in root.get("viewBox", "").split()]
    assert box[2] >= 540


def test_empty_figure_says_why() -> None:
    root = parse(svg.render(empty_figure("Drivers rising", "No driver moved beyond noise"),
                            width=540, chart_id="e"))  # fmt: skip
    assert texts(root) == ["Drivers rising", "No driver moved beyond noise"]
    assert root.findall("s:line", NS) == []  # no axes


def test_markup_in_data_is_text_and_tags_stay_balanced() -> None:
    evil = ["<a href='http://203.0.113.7/x'>Refund</a>", "<b>Late", "Damaged</b> & co"]
    fig = go.Figure(go.Bar(y=evil, x=[3, 2, 1], orientation="h", text=evil,
                           hovertemplate="%{y}<br>%{x:,}<extra></extra>"))  # fmt: skip
    fig.update_layout(title={"text": "<b>Bold</b> title"}, height=300)
    markup = svg.render(fig, width=700, chart_id="x")
    root = parse(markup)
    assert root.find(".//s:a", NS) is None and "href=" not in "".join(
        f"{k}={v}" for e in root.iter() for k, v in e.attrib.items())
    assert "<a href='http://203.0.113.7/x'>Refund</a>" in texts(root)
    assert "Damaged & co" in texts(root)  # the stray </b> dropped, the text kept
    assert "&lt;a href=" in markup and "<title><b>" not in markup
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "Late\n2" in titles  # hover: tags out, never markup inside a <title>


def test_only_what_it_can_draw() -> None:
    with pytest.raises(ValueError, match="not pie"):
        svg.render(go.Figure(go.Pie(values=[1, 2])), width=400, chart_id="p")


def test_same_figure_same_bytes() -> None:
    weekly = pl.DataFrame({"bucket": WEEKS, "contacts": list(range(12))})
    make = lambda: svg.render(charts.weekly_contacts(weekly, WEEKS[3], partial=False),  # noqa: E731
                              width=540, chart_id="s")  # fmt: skip
    assert make() == make()
    assert not re.search(r"<(script|image|foreignObject|use)\b", make())
