"""The same metrics on Apache Spark: PySpark in local mode against DuckDB, on the demo store
exported with `cxdash export-parquet`.

Every SPEC metric, without filters, with filters and a dimension, with the previous period and
each time grain — the request shapes whose statements tests/engines/test_dialect.py shows to cover
every construct the compiler emits — must equal DuckDB's values (floats within 1e-9
relative) and types. One Spark session for the module (it takes 5–10 s to start); slow.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from cxdash import cli, store
from cxdash.engines import lake
from cxdash.engines.lake import LakeError, export_parquet
from cxdash.engines.spark import SparkConnection, open_lake
from cxdash.metrics import runner
from cxdash.metrics.catalogue import METRIC_IDS
from cxdash.metrics.compiler import contacts_avoided_by_cause
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.schema import SLA_COLUMNS
from tests import worked_example as we
from tests.engines import driver_store as ds
from tests.engines import sla_store as ss

pytestmark = pytest.mark.slow

MASTER = "local[2]"
# The demo store of conftest ends on 2026-06-30; a root cause was fixed on 2026-04-20, two
# before it, so April has causes eliminated and all three add to the contacts avoided.
APRIL = Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30))
LAST_28 = Period(dt.date(2026, 6, 3), dt.date(2026, 6, 30))


@pytest.fixture(scope="module")
def lake_dir(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spark") / "lake"
    export_parquet(demo_store, out)
    return out


@pytest.fixture(scope="module")
def duck(demo_store: Path) -> Iterator[tuple[object, store.StoreInfo]]:
    con = store.open_read(demo_store)
    yield con, store.inspect(con)
    con.close()


@pytest.fixture(scope="module")
def spark(lake_dir: Path) -> SparkConnection:
    return open_lake(str(lake_dir), MASTER)


def same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)  # type: ignore[arg-type]
    return a == b


def assert_frames_equal(d: pl.DataFrame, s: pl.DataFrame, *, types: bool = True) -> None:
    if types:
        assert d.schema == s.schema
    else:
        assert d.columns == s.columns
    assert d.height == s.height
    for n, (rd, rs) in enumerate(zip(d.iter_rows(named=True), s.iter_rows(named=True),
                                     strict=True)):  # fmt: skip
        bad = {k: (rd[k], rs[k]) for k in rd if not same(rd[k], rs[k])}
        assert not bad, f"row {n}: {bad}"


def both(duck: tuple, spark: SparkConnection, request: MetricRequest) -> tuple[pl.DataFrame, ...]:
    con, info = duck
    started = time.monotonic()
    on_spark = runner.compute(spark, request, spark.inspect())
    print(f"spark {request.by or ''} {request.grain or ''}: {time.monotonic() - started:.1f} s")
    return runner.compute(con, request, info), on_spark


def test_the_lake_reads_as_the_store(duck: tuple, spark: SparkConnection) -> None:
    con, info = duck
    got = spark.inspect()
    assert got.derived_fresh
    assert (got.contacts_rows, got.orders_rows, got.reasons_rows) == \
        (info.contacts_rows, info.orders_rows, info.reasons_rows)  # fmt: skip
    for table in ("contacts", "orders", "orders_daily", "root_causes", "reasons"):
        assert got.columns[table] == info.columns[table], table  # same names and types
    # the stored repurchase baselines of the preset periods: read on Spark as on the store
    assert got.baseline_periods == info.baseline_periods and info.baseline_periods
    assert spark.settings() == store_settings(con)


def store_settings(con: object) -> object:
    from cxdash import settings

    return settings.load(con)  # type: ignore[arg-type]


@pytest.mark.parametrize("period", [APRIL, LAST_28], ids=["april", "last28"])
def test_every_metric_without_filters(duck: tuple, spark: SparkConnection, period: Period) -> None:
    d, s = both(duck, spark, MetricRequest(period))
    assert_frames_equal(d, s)
    row = d.row(0, named=True)
    assert set(METRIC_IDS) <= set(row)
    assert all(row[m] is not None for m in METRIC_IDS), row  # nothing trivially null
    if period == APRIL:
        assert row["causes_eliminated"] == 1 and row["contacts_avoided"] != 0


@pytest.mark.parametrize("request_", [
    MetricRequest(APRIL, Filters.of({"channel": ["chat", "email"]}), ("reason",)),
    MetricRequest(APRIL, by=("team",)),
    MetricRequest(APRIL, Filters.of({"team": ["Overflow"]}), ("product",)),
], ids=["channel-by-reason", "by-team", "team-by-product"])  # fmt: skip
def test_every_metric_with_a_filter_and_a_dimension(
    duck: tuple, spark: SparkConnection, request_: MetricRequest
) -> None:
    d, s = both(duck, spark, request_)
    assert d.height > 3
    assert_frames_equal(d, s)


def test_a_product_region_filter_narrows_orders_on_both(duck: tuple, spark: SparkConnection,
                                                        demo_store: Path) -> None:  # fmt: skip
    con, _ = duck
    region = con.execute("SELECT min(region) FROM orders").fetchall()[0][0]
    request_ = MetricRequest(APRIL, Filters.of({"region": [region]}), ("product", "channel"))
    d, s = both(duck, spark, request_)
    assert d["contact_rate"].drop_nulls().len() > 0
    assert_frames_equal(d, s)


@pytest.mark.parametrize("request_", [
    MetricRequest(APRIL, with_previous=True),
    MetricRequest(APRIL, grain="week"),
    MetricRequest(Period(dt.date(2026, 1, 15), dt.date(2026, 6, 30)), grain="month"),
    MetricRequest(LAST_28, Filters.of({"channel": ["phone"]}), ("reason",), "day"),
], ids=["previous", "week", "month", "day-by-reason"])  # fmt: skip
def test_previous_period_and_every_grain(
    duck: tuple, spark: SparkConnection, request_: MetricRequest
) -> None:
    d, s = both(duck, spark, request_)
    assert_frames_equal(d, s)


def test_contacts_avoided_per_cause(duck: tuple, spark: SparkConnection) -> None:
    """The Root causes page's terms come from the metric's own blocks: equal on Spark too."""
    con, info = duck
    sql, params = contacts_avoided_by_cause(MetricRequest(APRIL), info)
    d = con.sql(sql, params=params).pl()  # type: ignore[attr-defined]
    s = spark.sql(sql, params).pl()
    assert d.height == 3
    # DuckDB sums BIGINTs into a HUGEINT (a Decimal here), Spark into a BIGINT: same values.
    assert_frames_equal(d, s, types=False)


def test_period_boundaries_do_not_follow_the_process_time_zone(
    duck: tuple, spark: SparkConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PySpark reads a naive datetime in the Python process's zone: the dialect sends text."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        d, s = both(duck, spark, MetricRequest(APRIL, metrics=("contacts", "backlog")))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert_frames_equal(d, s)


def test_the_worked_example_on_spark(worked_store: Path, tmp_path: Path) -> None:
    export_parquet(worked_store, tmp_path / "lake")
    con = open_lake(str(tmp_path / "lake"), MASTER)
    row = runner.compute(con, MetricRequest(Period(we.START, we.END))).row(0, named=True)
    for metric_id, expected in we.EXPECTED.items():
        assert row[metric_id] == pytest.approx(expected, abs=5e-7), metric_id


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert cli.main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _same_json(a: object, b: object) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return same(a, b) and type(a) is type(b)


@pytest.mark.parametrize("extra", [
    ["--start", "2026-04-01", "--end", "2026-04-30"],
    ["--start", "2026-04-01", "--end", "2026-04-30", "--filter", "channel=chat",
     "--filter", "channel=email", "--by", "reason"],
    ["--by", "week", "--metric", "contacts", "--metric", "resolution_hours_p90"],
], ids=["all", "filter-by-reason", "default-period-by-week"])  # fmt: skip
def test_cli_metrics_on_spark_equal_duckdb(
    extra: list[str], demo_store: Path, lake_dir: Path, spark: SparkConnection,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for var in ("CXDASH_ENGINE", "CXDASH_LAKE", "CXDASH_SPARK_MASTER", "CXDASH_METRICS"):
        monkeypatch.delenv(var, raising=False)
    on_duck = _json(capsys, ["metrics", "--db", str(demo_store), *extra, "--json"])
    on_spark = _json(capsys, ["metrics", "--engine", "spark", "--lake", str(lake_dir),
                              "--spark-master", MASTER, *extra, "--json"])  # fmt: skip
    assert _same_json(on_duck, on_spark), (on_duck, on_spark)
    monkeypatch.setenv("CXDASH_ENGINE", "spark")  # the same through the environment
    monkeypatch.setenv("CXDASH_LAKE", str(lake_dir))
    monkeypatch.setenv("CXDASH_SPARK_MASTER", MASTER)
    assert _same_json(on_duck, _json(capsys, ["metrics", *extra, "--json"]))


def test_cli_bad_lakes_exit_2_with_one_line(
    tmp_path: Path, lake_dir: Path, spark: SparkConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    def error(*argv: str) -> str:
        assert cli.main(["metrics", *argv, "--json"]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1
        return captured.err

    assert "no lake at" in error("--engine", "spark", "--lake", str(tmp_path / "none"),
                                 "--spark-master", MASTER)  # fmt: skip
    with pytest.MonkeyPatch.context() as env:  # custom metrics are DuckDB's: said, not dropped
        env.setenv("CXDASH_METRICS", str(tmp_path / "metrics.toml"))
        assert cli.main(["metrics", "--engine", "spark", "--lake", str(tmp_path / "none")]) == 2
        err = capsys.readouterr().err
        assert "$CXDASH_METRICS run on DuckDB only" in err and "no lake at" in err
    assert "is not a cxdash lake" in error("--engine", "spark", "--lake", str(tmp_path),
                                           "--spark-master", MASTER)  # fmt: skip
    assert "--lake DIR" in error("--engine", "spark", "--db", "x.duckdb", "--lake", "y")
    assert "are for --engine spark" in error("--engine", "duckdb", "--lake", str(lake_dir))
    assert "cannot switch to local[1]" in error("--engine", "spark", "--lake", str(lake_dir),
                                                "--spark-master", "local[1]")  # fmt: skip
    # A lake whose rows changed after its derived columns were computed is refused.
    changed = tmp_path / "changed"
    shutil.copytree(lake_dir, changed)
    shutil.rmtree(next((changed / "contacts").iterdir()))
    assert "derived columns were computed for" in error(
        "--engine", "spark", "--lake", str(changed), "--spark-master", MASTER)


def test_opening_a_lake_refuses_what_is_not_one(tmp_path: Path, spark: SparkConnection) -> None:
    (tmp_path / lake.MANIFEST).write_text('{"format": "other"}')
    with pytest.raises(LakeError, match="not a lake layout"):
        open_lake(str(tmp_path), MASTER)


def test_java_is_there() -> None:
    """Spark needs Java 17 or newer (README's test command runs this module)."""
    assert shutil.which("java") or os.environ.get("JAVA_HOME")


# ---- each rule on Spark, beside DuckDB -------------------------------------------------------
_X = "(VALUES (1.0::DOUBLE), (2.0), (3.0), (10.0), (NULL)) AS t(x)"
RULE_STATEMENTS = {
    "exact_percentile": "SELECT quantile_cont(x, 0.9) AS a, percentile_cont(0.1) WITHIN GROUP "
                        f"(ORDER BY x) AS c, median(x) AS d FROM {_X}",
    "percentile_list": f"SELECT q[1] AS a, q[2] AS b FROM (SELECT quantile_cont(x, [0.25, 0.5]) "
                       f"AS q FROM {_X})",
    "discrete_percentile": f"SELECT quantile_disc(x, 0.75) AS a, quantile(x, 0.9) AS b, "
                           f"quantile_disc(x, 0.5) AS c FROM {_X}",
    "double_literals": "SELECT 1000.0 * 7 / 3 AS a, 10 / 3600000000.0 AS b, (6 + 1) / 56.0 AS c",
    "any_list": "SELECT count(*) FILTER (WHERE v = ANY($vals)) AS a, count(*) FILTER (WHERE NOT "
                "(v = ANY($vals))) AS b FROM (VALUES ('a'), ('b'), (NULL)) AS t(v)",
    "list_has_any": "SELECT list_has_any(string_split(lower('Ann Lee'), ' '), $names) AS a, "
                    "list_has_any(string_split('x y', ' '), $names) AS b",
    "generate_series": "SELECT count(*) AS n, min(g) AS lo, max(g) AS hi FROM generate_series("
                       "CAST(date_trunc('week', $day) AS TIMESTAMP), CAST($last AS TIMESTAMP), "
                       "INTERVAL 1 week) AS t(g)",
    "qualify": "SELECT v FROM (VALUES ('a', 3), ('a', 1), ('b', 2), ('c', 5)) AS t(v, k) "
               "QUALIFY row_number() OVER (PARTITION BY v ORDER BY k) = 1 ORDER BY v DESC LIMIT 2",
    "parameters": "SELECT CAST($at AS TIMESTAMP) + $span AS a, $day AS b, $factor * 2 AS c",
    "date_part_boundaries": "SELECT date_diff('second', TIMESTAMP '2026-03-19 16:50:00.9', "
                            "TIMESTAMP '2026-03-19 16:50:01.1') AS s, date_diff('minute', "
                            "TIMESTAMP '2026-03-19 16:50:59', "
                            "TIMESTAMP '2026-03-19 16:51:01') AS m, "
                            "date_diff('hour', TIMESTAMP '2026-03-19 17:00:01', "
                            "TIMESTAMP '2026-03-19 16:59:59') AS h, date_diff('day', "
                            "TIMESTAMP '2026-03-19 23:00', TIMESTAMP '2026-03-20 01:00') AS d, "
                            "date_diff('day', DATE '2026-03-19', DATE '2026-03-21') AS dd, "
                            "date_diff('month', DATE '2026-03-31', DATE '2026-04-01') AS mo, "
                            "date_diff('millisecond', TIMESTAMP '2026-03-19 16:50:00.0009', "
                            "TIMESTAMP '2026-03-19 16:50:00.0011') AS ms, date_diff('week', "
                            "DATE '2026-03-15', DATE '2026-03-16') AS w",
}
RULE_PARAMS = {"vals": ["a"], "names": ["lee"], "span": dt.timedelta(hours=168),
               "day": dt.date(2026, 6, 28), "last": dt.date(2026, 7, 31),
               "at": dt.datetime(2026, 6, 28, 23, 30), "factor": 1.5}


@pytest.mark.parametrize("rule", RULE_STATEMENTS)
def test_each_rule_gives_duckdbs_answer_on_spark(rule: str, spark: SparkConnection) -> None:
    import duckdb

    sql = RULE_STATEMENTS[rule]
    used = {k: v for k, v in RULE_PARAMS.items() if re.search(rf"\${k}\b", sql)}
    on_duck = duckdb.connect().sql(sql, params=used).fetchall()
    on_spark = spark.sql(sql, used).fetchall()
    assert on_duck and len(on_duck) == len(on_spark), (on_duck, on_spark)
    for a, b in zip(on_duck, on_spark, strict=True):
        assert len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True)), (a, b)


# ---- the dashboard on Spark ---------------------------------------------------------------------
PAGES = ("pages/scoreboard.py", "pages/playing_to_win.py", "pages/defense.py",
         "pages/speed_to_happiness.py", "pages/root_causes.py", "pages/driver_catalog.py",
         "pages/explore.py", "pages/weekly_review.py")  # fmt: skip


def _shown(at: object) -> dict[str, object]:
    """What a page shows, as data: tiles, tables, text, how many charts."""
    return {
        "exceptions": [e.value for e in at.exception],  # type: ignore[attr-defined]
        "titles": [t.value for t in at.title],  # type: ignore[attr-defined]
        "tiles": [(m.label, m.value, m.delta) for m in at.metric  # type: ignore[attr-defined]
                  if m.label != "Store written"],  # the file's time, not a value
        "tables": [d.value for d in at.dataframe],  # type: ignore[attr-defined]
        "text": [m.value for m in at.markdown] + [c.value for c in at.caption],  # type: ignore[attr-defined]
        "alerts": [e.value for e in (*at.error, *at.warning)],  # type: ignore[attr-defined]
        "charts": len(at.get("plotly_chart")),  # type: ignore[attr-defined]
    }


def _visit(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, dict]:
    from tests.apptest import APP, AppTest

    for var in ("CXDASH_DB", "CXDASH_ENGINE", "CXDASH_LAKE", "CXDASH_SPARK_MASTER"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    seen: dict[str, dict] = {}
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params["x_by"] = "Channel"  # Explore: one dimension and a grain
    at.query_params["x_grain"] = "Week"
    at.run()
    for page in PAGES:
        at.switch_page(page).run()
        seen[page] = _shown(at)
    for n in range(1, 6):  # the weekly review's other five screens
        at.button(key="next_screen").click().run()
        seen[f"review screen {n + 1}"] = _shown(at)
    at.switch_page("pages/playing_to_win.py").run()  # the contacts behind a Pareto bar
    at.session_state["pareto"] = {"selection": {"points": [{"x": "Refund"}],
                                                "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    seen["drill-down"] = _shown(at)
    return seen


@pytest.mark.usefixtures("app_env")
def test_the_dashboard_on_spark_shows_what_duckdb_shows(
    demo_store: Path, lake_dir: Path, spark: SparkConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CXDASH_ENGINE=spark: every metric page, the six review screens and a drill-down show
    the same tiles, tables and words as on the DuckDB store the lake came from."""
    import pandas as pd
    import streamlit as st

    on_duck = _visit(monkeypatch, {"CXDASH_DB": str(demo_store)})
    st.cache_data.clear()
    st.cache_resource.clear()
    started = time.monotonic()
    on_spark = _visit(monkeypatch, {"CXDASH_ENGINE": "spark", "CXDASH_LAKE": str(lake_dir),
                                    "CXDASH_SPARK_MASTER": MASTER})  # fmt: skip
    print(f"dashboard on spark: {time.monotonic() - started:.0f} s")
    assert on_duck.keys() == on_spark.keys()
    for page, duck_view in on_duck.items():
        spark_view = on_spark[page]
        assert not spark_view["exceptions"], (page, spark_view["exceptions"])
        assert duck_view["titles"], page
        for key in ("titles", "tiles", "text", "alerts", "charts"):
            assert duck_view[key] == spark_view[key], (page, key)
        assert len(duck_view["tables"]) == len(spark_view["tables"]), page
        for a, b in zip(duck_view["tables"], spark_view["tables"], strict=True):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                          check_dtype=False, rtol=1e-9)  # fmt: skip
    assert any(tiles for view in on_spark.values() for tiles in [view["tiles"]])
    assert "Contacts behind: Refund" in " ".join(on_spark["drill-down"]["text"])


@pytest.mark.usefixtures("app_env")
def test_the_dashboard_on_spark_is_read_only(
    lake_dir: Path, spark: SparkConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.apptest import APP, AppTest

    for var, value in {"CXDASH_ENGINE": "spark", "CXDASH_LAKE": str(lake_dir),
                       "CXDASH_SPARK_MASTER": MASTER}.items():  # fmt: skip
        monkeypatch.setenv(var, value)
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any("(Parquet on Spark, local[2])" in c.value for c in at.caption)
    assert any("is read-only" in i.value for i in at.info)  # no import section
    assert not at.get("file_uploader")
    next(b for b in at.button if b.label == "Save targets").click().run()
    assert any("Not saved" in e.value and "read-only" in e.value for e in at.error)
    assert not list(lake_dir.parent.glob("*.duckdb"))  # nothing was written anywhere near


@pytest.mark.usefixtures("app_env")
def test_the_dashboard_names_a_lake_it_cannot_read(
    tmp_path: Path, spark: SparkConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.apptest import APP, AppTest

    monkeypatch.setenv("CXDASH_ENGINE", "spark")
    monkeypatch.setenv("CXDASH_LAKE", str(tmp_path / "missing"))
    monkeypatch.setenv("CXDASH_SPARK_MASTER", MASTER)
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["The lake cannot be read"]
    assert "no lake at" in at.error[0].value and "export-parquet" in at.error[0].value


# ---- drivers (SPEC §2 `driver`) ------------------------------------------------------------------
DRIVER_METRICS = ("contacts", "resolution_rate", "preventable_share")


def test_per_driver_values_on_spark_equal_duckdb(tmp_path: Path) -> None:
    """Several raw reasons counted under one driver: grouped by and filtered on the reason
    dimension (which reads the driver), Spark on the lake gives DuckDB's numbers — known by
    hand: Billing = "bill" ×2 + "Billing dispute" ×3 = 5 contacts, 4 resolved."""
    db = ds.driver_store(tmp_path / "s.duckdb")
    export_parquet(db, tmp_path / "lake")
    on_lake = open_lake(str(tmp_path / "lake"), MASTER)
    con = store.open_read(db)
    try:
        duck_ = (con, store.inspect(con))
        by_driver = MetricRequest(ds.MARCH, by=("reason",), metrics=DRIVER_METRICS)
        d, s = both(duck_, on_lake, by_driver)
        assert_frames_equal(d, s)
        rows = {r["reason"]: (r["contacts"], r["resolution_rate"], r["preventable_share"])
                for r in s.iter_rows(named=True)}  # fmt: skip
        assert rows == {"Billing": (5, 0.8, 1.0), "Late delivery": (5, 0.4, 0.0),
                        "Unknown": (1, 0.0, 0.0)}  # fmt: skip
        billing = Filters.of({"reason": ["Billing"]})
        d, s = both(duck_, on_lake, MetricRequest(ds.MARCH, billing, ("reason",),
                                                  metrics=DRIVER_METRICS))  # fmt: skip
        assert_frames_equal(d, s)
        assert s.select("reason", "contacts", "resolution_rate").rows() == [("Billing", 5, 0.8)]
        d, s = both(duck_, on_lake, MetricRequest(ds.MARCH, billing, ("channel",),
                                                  metrics=DRIVER_METRICS))  # fmt: skip
        assert_frames_equal(d, s)
        assert sorted(s.select("channel", "contacts", "resolution_rate").rows()) == \
            [("chat", 3, 1.0), ("email", 2, 0.5)]  # fmt: skip
        # A raw reason that the map folds into Billing is no longer a value of the dimension.
        d, s = both(duck_, on_lake, MetricRequest(ds.MARCH, Filters.of({"reason": ["bill"]}),
                                                  metrics=("contacts",)))  # fmt: skip
        assert_frames_equal(d, s)
        assert s["contacts"].to_list() == [0]
    finally:
        con.close()


def test_per_driver_values_of_a_stale_store_on_spark_equal_duckdb(tmp_path: Path) -> None:
    """Derived data stale (a contact appended by another tool): the export derives the driver
    as the query layer does on the store — the map still applies, so the appended "bill"
    counts under Billing — and Spark's per-driver numbers equal DuckDB's."""
    db = ds.driver_store(tmp_path / "s.duckdb")
    ds.add_behind_cxdashs_back(db)
    export_parquet(db, tmp_path / "lake")
    on_lake = open_lake(str(tmp_path / "lake"), MASTER)
    con = store.open_read(db)
    try:
        duck_ = (con, store.inspect(con))
        assert not duck_[1].derived_fresh
        d, s = both(duck_, on_lake, MetricRequest(ds.MARCH, by=("reason",),
                                                  metrics=DRIVER_METRICS))  # fmt: skip
        assert_frames_equal(d, s)
        contacts = dict(s.select("reason", "contacts").rows())
        assert contacts == {"Billing": 6, "Late delivery": 5, "Unknown": 1}  # x1 joins Billing
        d, s = both(duck_, on_lake, MetricRequest(ds.MARCH, Filters.of({"reason": ["Billing"]}),
                                                  ("channel",), metrics=DRIVER_METRICS))
        assert_frames_equal(d, s)
        assert dict(s.select("channel", "contacts").rows()) == {"chat": 4, "email": 2}
    finally:
        con.close()


# ---- business hours and SLAs (SPEC §3) -----------------------------------------------------------
SLA_METRICS = tuple(ss.EXPECTED)


@pytest.fixture(scope="module")
def sla_pair(tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[tuple[object, store.StoreInfo], SparkConnection]]:  # fmt: skip
    """The hand-worked store of tests/engines/sla_store.py (schedules imported), on DuckDB and
    exported to a lake on Spark."""
    folder = tmp_path_factory.mktemp("sla")
    db = ss.sla_store(folder / "s.duckdb")
    export_parquet(db, folder / "lake")
    on_lake = open_lake(str(folder / "lake"), MASTER)
    con = store.open_read(db)
    yield (con, store.inspect(con)), on_lake
    con.close()


def test_the_lake_carries_the_sla_columns(sla_pair: tuple) -> None:
    """Publishing derives them (ASOF joins over the business calendar, DuckDB's alone); the
    export writes them with the rows, value for value and type for type."""
    (con, info), on_lake = sla_pair
    assert on_lake.inspect().columns["contacts"] == info.columns["contacts"]
    sql = f"SELECT contact_id, {', '.join(SLA_COLUMNS)} FROM contacts ORDER BY contact_id"
    d, s = con.sql(sql).pl(), on_lake.sql(sql).pl()
    assert d.height == len(ss.CONTACTS) and d["first_response_due_at"].null_count() == 1  # C7
    assert_frames_equal(d, s)


@pytest.mark.parametrize(("request_", "expected"), [
    (MetricRequest(ss.CURRENT, metrics=SLA_METRICS),
     {(): ss.EXPECTED}),
    (MetricRequest(ss.CURRENT, by=("team",), metrics=SLA_METRICS),
     {("Billing",): {"sla_first_response_rate": 1.0, "sla_resolution_rate": 0.0,
                     "sla_breaches": 2, "sla_at_risk": 0},  # C3 and C5
      ("Support",): {"sla_first_response_rate": 0.5, "sla_resolution_rate": 2 / 3,
                     "sla_breaches": 2, "sla_at_risk": 1}}),  # C1, C2, C4, C6, C8
    (MetricRequest(ss.CURRENT, Filters.of({"channel": ["chat"]}), metrics=SLA_METRICS),
     {(): {"sla_first_response_rate": 0.5, "sla_resolution_rate": 0.5, "sla_breaches": 2,
           "sla_at_risk": 0, "first_response_business_hours_median": 1 / 6}}),  # C4, C5
    (MetricRequest(ss.CURRENT, metrics=SLA_METRICS, with_previous=True),
     {(ss.CURRENT.start,): ss.EXPECTED,
      (ss.CURRENT.previous().start,): ss.EXPECTED_PREVIOUS}),
    (MetricRequest(ss.CURRENT, by=("team",), with_previous=True), {}),  # every metric
], ids=["overall", "by-team", "chat", "previous", "all-by-team-previous"])  # fmt: skip
def test_sla_metrics_on_spark_equal_duckdb(sla_pair: tuple, request_: MetricRequest,
                                           expected: dict) -> None:  # fmt: skip
    """Outcomes read against the newest data time (a scalar subquery), FILTER counts, exact
    percentiles of business hours and the like-for-like cut of due times: Spark's values are
    DuckDB's, and both are the ones worked by hand."""
    duck_, on_lake = sla_pair
    d, s = both(duck_, on_lake, request_)
    assert_frames_equal(d, s)
    keys = [*(["bucket"] if request_.with_previous else []), *request_.by]
    rows = {tuple(r[k] for k in keys): r for r in s.iter_rows(named=True)}
    for key, values in expected.items():
        for metric_id, value in values.items():
            assert rows[key][metric_id] == pytest.approx(value, abs=1e-9), (key, metric_id)


def test_the_sla_at_risk_backlog_on_spark_equals_duckdb(sla_pair: tuple) -> None:
    """The Defense page's list of open contacts closest to a due time: the same rows, hours
    left and risk on Spark. C6 is answered by 17:00 or late (10 min left, at risk from 16:45);
    C8's resolution is due Friday 16:10 (23 h 20 min left, at risk from Friday 14:10)."""
    from cxdash.analysis.sla import at_risk_backlog

    (con, info), on_lake = sla_pair
    request = MetricRequest(ss.CURRENT)
    d = at_risk_backlog(con, request, info, store_settings(con))  # type: ignore[arg-type]
    s = at_risk_backlog(on_lake, request, on_lake.inspect(), on_lake.settings())  # type: ignore[arg-type]
    assert_frames_equal(d, s)
    assert s.select("contact_id", "hours_left", "at_risk", "business_hours").rows() == [
        ("C6", pytest.approx(1 / 6), True, True), ("C8", pytest.approx(70 / 3), False, True)]


def test_the_newest_sla_schedules_on_spark_are_duckdbs(tmp_path: Path) -> None:
    """Two versions of the schedules saved at the same moment: the later one written is in
    force (DuckDB's rowid breaks the tie, cxdash.sla.derive.current); Spark has no rowid, so
    the lake's sla_config view numbers its rows in the order they were exported."""
    from cxdash import publish
    from cxdash.sla.derive import current

    db = ss.sla_store(tmp_path / "s.duckdb")
    at = dt.datetime.now() + dt.timedelta(days=1)  # after the import's own version
    with publish.new_version(db) as draft:
        for hours in ("2h", "3h"):  # the second, written last, is the one in force
            draft.con.execute("INSERT INTO sla_config VALUES ($t, $at, 'test')",
                              {"t": ss.SLA.replace('first_response = "1h"',
                                                   f'first_response = "{hours}"'), "at": at})
        draft.sla_rewritten()
    export_parquet(db, tmp_path / "lake")
    con = store.open_read(db)
    try:
        on_duck = current(con)
    finally:
        con.close()
    on_spark = current(open_lake(str(tmp_path / "lake"), MASTER))  # type: ignore[arg-type]
    assert on_duck is not None and on_duck.policies[1].first_response_minutes == 180
    assert on_spark == on_duck


@pytest.mark.parametrize("sql", [
    # the newest data time: greatest over the maxima, one of them NULL (nothing resolved)
    "WITH sla_now AS (SELECT greatest(max(a), max(b)) AS t FROM (VALUES "
    "(TIMESTAMP '2026-03-19 16:50', CAST(NULL AS TIMESTAMP))) AS v(a, b)) "
    "SELECT (SELECT t FROM sla_now) AS now, count(*) FILTER (WHERE CASE WHEN due IS NULL "
    "THEN false WHEN due < (SELECT t FROM sla_now) THEN true ELSE false END) AS breached "
    "FROM (VALUES (TIMESTAMP '2026-03-19 16:49'), (TIMESTAMP '2026-03-19 16:50'), "
    "(NULL)) AS d(due)",
    # greatest and least skip NULLs in both; NULL only when every argument is
    "SELECT greatest(1, NULL, 3) AS a, least(NULL, 2) AS b, "
    "greatest(CAST(NULL AS INTEGER), NULL) AS c",
    # the at-risk backlog's hours left: whole seconds between timestamps with fractions
    "SELECT date_diff('second', TIMESTAMP '2026-03-19 16:50:00.900', "
    "TIMESTAMP '2026-03-19 16:50:01.100') AS a, date_diff('second', "
    "TIMESTAMP '2026-03-19 16:50:01.100', TIMESTAMP '2026-03-19 16:50:00.900') AS b, "
    "date_diff('second', TIMESTAMP '2026-03-19 16:50:00', TIMESTAMP '2026-03-20 16:10:00') AS c",
], ids=["sla_now", "sla_greatest_nulls", "sla_seconds_left"])  # fmt: skip
def test_sla_constructs_give_duckdbs_answer_on_spark(sla_pair: tuple, sql: str) -> None:
    import duckdb

    on_duck = duckdb.connect().sql(sql).fetchall()
    on_spark = sla_pair[1].sql(sql).fetchall()
    assert on_duck == on_spark, (on_duck, on_spark)
