"""Many categories: a store with 2,000 free-text reasons (as a real Comcast export has 1,841
for 2,224 contacts) and 40 teams. Every chart over them shows its top N plus one
"Other (k more)" with the right k and the right sums, Explore's table keeps every reason, and
no figure or table says "None" where a value is missing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from cxdash import store
from cxdash.analysis.topn import top_metrics
from cxdash.charts import defense, offense
from cxdash.charts import explore as explore_charts
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.runner import compute
from cxdash.ui import tables
from tests.apptest import open_app
from tests.storebuilder import build_store

START, END = dt.date(2026, 5, 4), dt.date(2026, 5, 31)  # four whole weeks, Monday to Sunday
REASONS = 2000
NO_REASON = 30
TEAMS = 40
GROUPS = REASONS + 1  # the contacts without a reason are one more: "Unknown", as stored


def _sizes() -> list[int]:
    """Contacts per reason: R0000 41, R0001 39, … R0019 3 (40 − 2i extra), every other 1."""
    return [1 + (40 - 2 * i if i < 20 else 0) for i in range(REASONS)]


def _contacts() -> list[dict[str, object]]:
    reasons = [f"R{i:04d}" for i, size in enumerate(_sizes()) for _ in range(size)]
    rows = []
    for n, reason in enumerate([*reasons, *[None] * NO_REASON]):
        created = dt.datetime.combine(START + dt.timedelta(days=n % 28), dt.time(9))
        rows.append({
            "contact_id": f"c{n}", "created_at": created, "customer_id": f"k{n}",
            "channel": ("chat", "email", "phone")[n % 3], "reason": reason,
            "team": f"T{n % TEAMS:02d}" if reason else None,  # no team: "—"
            "resolved_at": created + dt.timedelta(hours=2) if n % 2 == 0 else None,
            "transfers": 1 if n % 5 == 0 else 0, "escalated": n % 7 == 0,
            "csat": 5 if n % 3 == 0 else None,
        })  # fmt: skip
    return rows


CONTACTS = _contacts()
TOTAL = len(CONTACTS)  # 2,000 + 420 + 30 = 2,450


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("many") / "cxdash.duckdb", CONTACTS)


def _compute(db: Path, metrics: tuple[str, ...], by: tuple[str, ...], grain=None):
    con = store.open_read(db)
    try:
        return compute(con, MetricRequest(Period(START, END), by=by, grain=grain, metrics=metrics))
    finally:
        con.close()


def _no_none(fig) -> None:
    assert "None" not in fig.to_json()


def test_the_store_has_what_the_test_says() -> None:
    assert TOTAL == 2450 and sum(_sizes()) + NO_REASON == TOTAL


def test_pareto_is_the_top_15_and_other(db: Path) -> None:
    by_reason = _compute(db, ("contacts",), ("reason",))
    assert by_reason.height == GROUPS
    fig = offense.pareto(by_reason)
    bars = fig.data[0]
    assert len(bars.x) == offense.PARETO_TOP + 1
    assert bars.x[-1] == f"Other ({GROUPS - 15:,} more)" == "Other (1,986 more)"
    # the top 15: R0000–R0005 (41 … 31), Unknown (30), R0006–R0013 (29 … 15)
    assert list(bars.x[:8]) == ["R0000", "R0001", "R0002", "R0003", "R0004", "R0005",
                                "Unknown", "R0006"]  # fmt: skip
    top = sum(41 - 2 * i for i in range(14)) + NO_REASON
    # the rest: R0014–R0019 (13 + 11 + 9 + 7 + 5 + 3) and 1,980 reasons of 1 contact
    assert bars.y[-1] == TOTAL - top == 48 + 1980
    assert fig.data[1].y[-1] == pytest.approx(1.0)  # the cumulative share ends at 100 %
    assert "top 15 of 2,001 drivers" in fig.layout.title.text
    _no_none(fig)


def test_heatmap_is_the_top_20_and_other_each_week(db: Path) -> None:
    fig = offense.driver_heatmap(_compute(db, ("contacts",), ("reason",), "week"))
    rows = list(fig.layout.yaxis.categoryarray)
    assert len(rows) == offense.HEATMAP_TOP + 1
    assert rows[0] == "Other (1,981 more)"  # at the bottom; the biggest driver on top
    assert rows[-1] == "R0000"
    other = next(t for t in fig.data if list(t.y) == ["Other (1,981 more)"])
    kept = sum(41 - 2 * i for i in range(19)) + NO_REASON  # R0000–R0018 and Unknown
    assert sum(other.z[0]) == TOTAL - kept
    assert len(other.z[0]) == 4  # one cell per week
    _no_none(fig)


def test_rates_by_driver_and_matrix_stay_small(db: Path) -> None:
    by_reason = _compute(db, ("contacts", "repeat_contact_rate", "self_service_rate"),
                         ("reason",))  # fmt: skip
    fig = offense.rates_by_driver(by_reason)
    assert len(fig.data[0].y) == offense.RATES_TOP + 1
    assert fig.data[0].y[0] == "Other (1,986 more)"  # horizontal bars: last is lowest
    _no_none(fig)
    quadrants = [("low", "low"), ("low", "high"), ("high", "low"), ("high", "high")]
    matrix = by_reason.with_columns(
        pl.Series("value_to_customer", [quadrants[i % 4][0] for i in range(by_reason.height)]),
        pl.Series("value_to_business", [quadrants[i % 4][1] for i in range(by_reason.height)]),
        pl.col("contacts").alias("before"), pl.lit(0.0).alias("change"),
    )  # fmt: skip
    fig = offense.value_irritant(matrix)
    labels = list(fig.data[0].text)
    assert len(labels) == 4 * (offense.MATRIX_TOP + 1)
    assert sum("more)" in label for label in labels) == 4
    _no_none(fig)


def test_team_chart_and_table_keep_25_and_other(db: Path) -> None:
    metrics = ("contacts", "resolution_rate", "fcr_rate", "csat", "csat_response_rate",
               "transfer_rate", "escalation_rate", "resolution_hours_median")  # fmt: skip
    by_team = _compute(db, metrics, ("team",))
    assert by_team.height == TEAMS + 1 and by_team["team"].null_count() == 1
    fig = defense.team_friction(by_team)
    assert len(fig.data[0].x) == defense.TEAMS_TOP + 1 and fig.data[0].x[-1] == "Other (31 more)"
    _no_none(fig)
    table = top_metrics(by_team, "team", tables.TOP, metrics)
    assert table.height == 26 and table["team"][-1] == "Other (16 more)"
    assert table["contacts"].sum() == TOTAL
    # the rest's resolution rate from its own contacts: every other contact resolved
    rest = by_team.sort(["contacts", "team"], descending=[True, False]).tail(16)
    resolved = (rest["contacts"] * rest["resolution_rate"]).sum()
    assert table["resolution_rate"][-1] == pytest.approx(resolved / rest["contacts"].sum())
    assert table["resolution_hours_median"][-1] is None  # shown as —, not made up


def test_explore_charts_cap_bars_and_heat_map(db: Path) -> None:
    frame = _compute(db, ("contacts", "resolution_rate"), ("reason",))
    fig = explore_charts.metric_chart(frame, METRICS_BY_ID["resolution_rate"], ("reason",), "bars")
    assert len(fig.data[0].y) == explore_charts.MAX_BARS + 1
    assert fig.data[0].y[0] == "Other (1,981 more)"
    _no_none(fig)
    both = _compute(db, ("contacts",), ("reason", "team"))
    fig = explore_charts.metric_chart(both, METRICS_BY_ID["contacts"], ("reason", "team"),
                                      "heatmap")  # fmt: skip
    assert len(fig.data[0].y) == explore_charts.MAX_BARS + 1
    assert len(fig.data[0].x) == explore_charts.MAX_COLUMNS + 1
    assert fig.data[0].x[-1] == "Other (31 more)" and fig.data[0].y[0] == "Other (1,981 more)"
    # the groups' cells on the colour scale, Other's (grey, written in) apart: all contacts
    groups, other = (sum(v or 0 for row in t.z for v in row) for t in fig.data)
    assert groups + other == TOTAL
    assert all(v is None for row in fig.data[0].z[1:] for v in row[-1:])  # Other column
    _no_none(fig)


def _chart_specs(at) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


@pytest.mark.usefixtures("app_env")
def test_pages_on_2000_reasons(monkeypatch, db: Path) -> None:
    at = open_app(monkeypatch, db)
    at.query_params["period"] = ["All time"]
    for page in ("pages/playing_to_win.py", "pages/defense.py", "pages/scoreboard.py"):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        for spec in _chart_specs(at).values():
            assert "None" not in json.dumps(spec)
            for trace in spec["data"]:
                for axis in ("x", "y"):
                    values = trace.get(axis) or []
                    if values and isinstance(values[0], str) and values[0][:1] in "R—O":
                        assert len(values) <= 21, (page, trace.get("name"))
        texts = [e.value for e in (*at.caption, *at.markdown)]
        assert not any("None" in t for t in texts), page
        if page == "pages/playing_to_win.py":
            assert any("more: Explore" in t for t in texts)
        if page == "pages/defense.py":
            assert any("The 25 with most contacts of 41" in t for t in texts)
            team = next(df.value for df in at.dataframe if "Team" in df.value.columns)
            assert len(team) == 26 and team["Team"].iloc[-1] == "Other (16 more)"


@pytest.mark.usefixtures("app_env")
def test_explore_keeps_every_reason_in_its_table(monkeypatch, db: Path) -> None:
    at = open_app(monkeypatch, db)
    for key, values in {"period": ["All time"], "x_metrics": ["Contacts", "CSAT"],
                        "x_by": ["Reason"]}.items():  # fmt: skip
        at.query_params[key] = values
    at.switch_page("pages/explore.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    assert len(table) == GROUPS and table["contacts"].sum() == TOTAL
    bars = [s for s in _chart_specs(at).values() if s["data"][0].get("type") == "bar"]
    assert bars and all(len(s["data"][0]["y"]) <= explore_charts.MAX_BARS + 1 for s in bars)
