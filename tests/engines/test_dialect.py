"""DuckDB SQL → Spark SQL (cxdash/engines/dialect.py), on the SQL text: no Spark needed.

Each rewrite rule, each construct SQLGlot translates for the compiler, and every statement the
compiler emits for the SPEC metrics. tests/engines/test_spark.py runs the same statements on PySpark
and holds the results to DuckDB's.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cxdash import engines, store
from cxdash.engines import dialect
from cxdash.engines.dialect import DialectError, to_spark
from cxdash.metrics.catalogue import METRIC_IDS
from cxdash.metrics.compiler import compile_request, contacts_avoided_by_cause
from cxdash.metrics.request import Filters, MetricRequest, Period
from tests import worked_example as we


def spark(sql: str, **params: object) -> str:
    return to_spark(sql, params).sql


# ---- the rules ------------------------------------------------------------------------------
def test_parameters_become_named_markers_and_datetimes_travel_as_text() -> None:
    out = to_spark(
        "SELECT * FROM c WHERE c.created_at >= $start_ts AND d <= $end_date "
        "AND c.created_at + $window > x AND h <= $hours",
        {"start_ts": dt.datetime(2026, 5, 1), "end_date": dt.date(2026, 5, 31),
         "window": dt.timedelta(hours=168), "hours": 24.0, "unused": 1},
    )  # fmt: skip
    assert "c.created_at >= CAST(:start_ts AS TIMESTAMP_NTZ)" in out.sql
    assert "d <= :end_date" in out.sql and "+ :window" in out.sql and "<= :hours" in out.sql
    assert "$" not in out.sql
    # A naive datetime would be read in the Python process's zone by PySpark: text instead.
    assert out.args == {"start_ts": "2026-05-01 00:00:00", "end_date": dt.date(2026, 5, 31),
                        "window": dt.timedelta(hours=168), "hours": 24.0}  # fmt: skip


def test_a_parameter_without_a_value_or_with_a_zone_is_refused() -> None:
    with pytest.raises(DialectError, match=r"\$missing has no value"):
        to_spark("SELECT $missing", {})
    with pytest.raises(DialectError, match="time zone"):
        to_spark("SELECT $t", {"t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})


@pytest.mark.parametrize("duck, want", [
    ("quantile_cont(x, 0.9)", "PERCENTILE(x, CAST(0.9 AS DOUBLE))"),
    ("quantile_cont(x, [0.5, 0.9])",
     "PERCENTILE(x, ARRAY(CAST(0.5 AS DOUBLE), CAST(0.9 AS DOUBLE)))"),
    ("percentile_cont(0.9) WITHIN GROUP (ORDER BY x)", "PERCENTILE(x, CAST(0.9 AS DOUBLE))"),
    ("median(x)", "PERCENTILE(x, CAST(0.5 AS DOUBLE))"),
])  # fmt: skip
def test_exact_percentile(duck: str, want: str) -> None:
    out = spark(f"SELECT {duck} FROM t")
    assert out == f"SELECT {want} FROM t"
    assert "APPROX" not in out.upper()


def test_sqlglot_alone_would_not_be_exact() -> None:
    """Why the rule exists (ENGINEERING §5): SQLGlot's own output is invalid or approximate."""
    import sqlglot

    plain = sqlglot.transpile("SELECT quantile_cont(x, 0.9), percentile_cont(0.9) WITHIN GROUP "
                              "(ORDER BY x) FROM t", read="duckdb", write="spark")[0]  # fmt: skip
    assert "PERCENTILE_CONT(x, 0.9)" in plain and "PERCENTILE_APPROX" in plain


def test_a_descending_percentile_is_refused() -> None:
    with pytest.raises(DialectError, match="ascending"):
        spark("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x DESC) FROM t")


@pytest.mark.parametrize("duck", ["quantile_disc(x, 0.25)", "quantile(x, 0.25)",
                                  "percentile_disc(0.25) WITHIN GROUP (ORDER BY x)"])
def test_discrete_percentile(duck: str) -> None:
    # quantile is DuckDB's alias of quantile_disc; SQLGlot maps it to the continuous PERCENTILE.
    out = spark(f"SELECT {duck} FROM t")
    assert out.startswith("SELECT PERCENTILE_DISC(CAST(0.25 AS DOUBLE)) WITHIN GROUP (ORDER BY x")
    assert "APPROX" not in out.upper()


def test_double_literals() -> None:
    out = spark("SELECT 1000.0 * n / NULLIF(d, 0), x / 3600000000.0, n + 1, 'a.5', 0.5::DOUBLE "
                "FROM t")  # fmt: skip
    assert out == ("SELECT CAST(1000.0 AS DOUBLE) * n / NULLIF(d, 0), x / CAST(3600000000.0 AS "
                   "DOUBLE), n + 1, 'a.5', CAST(0.5 AS DOUBLE) FROM t")  # fmt: skip


def test_any_list() -> None:
    out = to_spark("SELECT 1 FROM c WHERE c.channel = ANY($f_channel) AND "
                   "coalesce(c.reason, 'Unknown') = ANY($f_reason)",
                   {"f_channel": ["chat"], "f_reason": ["Refund", "Unknown"]})  # fmt: skip
    assert "ARRAY_CONTAINS(:f_channel, c.channel)" in out.sql
    assert "ARRAY_CONTAINS(:f_reason, COALESCE(c.reason, 'Unknown'))" in out.sql
    assert "EXISTS" not in out.sql and "->" not in out.sql
    assert out.args == {"f_channel": ["chat"], "f_reason": ["Refund", "Unknown"]}


def test_list_has_any() -> None:
    out = spark("SELECT 1 FROM t WHERE list_has_any(string_split(lower(a), ' '), $w)", w=["x"])
    assert "ARRAYS_OVERLAP(SPLIT(LOWER(a), " in out and "&&" not in out


def test_qualify_is_kept_with_order_and_limit_after_it() -> None:
    out = spark("SELECT c.comment FROM contacts c QUALIFY row_number() OVER (PARTITION BY "
                "lower(c.comment) ORDER BY c.csat DESC) = 1 ORDER BY c.csat DESC LIMIT 5")
    assert out == ("SELECT c.comment FROM contacts AS c QUALIFY ROW_NUMBER() OVER (PARTITION BY "
                   "LOWER(c.comment) ORDER BY c.csat DESC) = 1 ORDER BY c.csat DESC LIMIT 5")
    import sqlglot  # SQLGlot's own Spark output limits before it filters

    plain = sqlglot.transpile("SELECT a FROM t QUALIFY row_number() OVER (ORDER BY b) = 1 "
                              "ORDER BY a LIMIT 5", read="duckdb", write="spark")[0]  # fmt: skip
    assert plain.index("LIMIT 5") < plain.index("WHERE _w = 1")


def test_generate_series() -> None:
    out = spark("SELECT g FROM generate_series(CAST($a AS TIMESTAMP), CAST($b AS TIMESTAMP), "
                "INTERVAL 1 week) AS t(g)",
                a=dt.date(2026, 1, 1), b=dt.date(2026, 2, 1))  # fmt: skip
    assert out == ("SELECT g FROM EXPLODE(SEQUENCE(CAST(:a AS TIMESTAMP_NTZ), CAST(:b AS "
                   "TIMESTAMP_NTZ), INTERVAL '1' WEEK)) AS t(g)")  # fmt: skip
    with pytest.raises(DialectError, match="range"):
        spark("SELECT g FROM range(1, 5) AS t(g)")


@pytest.mark.parametrize("duck, want", [
    ("date_diff('second', now, due_at) / 3600.0",
     "DATEDIFF(SECOND, DATE_TRUNC('SECOND', now), DATE_TRUNC('SECOND', due_at)) / "
     "CAST(3600.0 AS DOUBLE)"),
    ("datediff('month', a, b)", "DATEDIFF(MONTH, DATE_TRUNC('MONTH', a), DATE_TRUNC('MONTH', b))"),
    ("date_diff('microsecond', a, b)", "DATEDIFF(MICROSECOND, a, b)"),  # nothing to truncate
    ("date_diff('week', a, b)", "DATEDIFF(WEEK, a, b)"),  # DuckDB's weeks are days // 7
])  # fmt: skip
def test_date_part_boundaries(duck: str, want: str) -> None:
    """DuckDB counts boundaries (16:50:00.9 → 16:50:01.1 is a second), Spark whole units."""
    assert spark(f"SELECT {duck} FROM t") == f"SELECT {want} FROM t"


@pytest.mark.parametrize("duck, why", [
    ("SELECT approx_quantile(x, 0.5) FROM t", "approximate"),
    ("SELECT reservoir_quantile(x, 0.5) FROM t", "approximate"),
    ("SELECT approx_count_distinct(x) FROM t", "approximate"),
    ("SELECT mode(x) FROM t", "ties"),
    ("SELECT arg_max(a, b) FROM t", "ties"),
    ("SELECT kurtosis(x) FROM t", "population"),
    ("WITH s AS MATERIALIZED (SELECT 1) SELECT * FROM s", "MATERIALIZED"),
    ("SELECT * FROM a ASOF LEFT JOIN b ON a.k = b.k AND b.t > a.t", "ASOF"),
])  # fmt: skip
def test_refused_constructs(duck: str, why: str) -> None:
    with pytest.raises(DialectError, match=why):
        spark(duck)


def test_rules_are_named_in_order() -> None:
    assert [name for name, _ in dialect.RULES] == [
        "refuse_inexact", "exact_percentile", "discrete_percentile", "double_literals",
        "any_list", "list_has_any", "generate_series", "date_part_boundaries",
    ]  # fmt: skip


# ---- what SQLGlot translates for the compiler (run on Spark by tests/engines/test_spark.py) ---
@pytest.mark.parametrize("duck, want", [
    ("date_trunc('week', c.created_at)", "DATE_TRUNC('WEEK', c.created_at)"),
    ("date_trunc('month', c.created_at)", "DATE_TRUNC('MONTH', c.created_at)"),
    ("date_trunc('day', c.created_at)", "DATE_TRUNC('DAY', c.created_at)"),
    ("avg(x::DOUBLE) FILTER (WHERE y IS NOT NULL)",
     "AVG(CAST(x AS DOUBLE)) FILTER(WHERE NOT y IS NULL)"),
    ("date_diff('microsecond', a, b) / 3600000000.0",
     "DATEDIFF(MICROSECOND, a, b) / CAST(3600000000.0 AS DOUBLE)"),
    ("date_diff('day', a, b)", "DATEDIFF(DAY, DATE_TRUNC('DAY', a), DATE_TRUNC('DAY', b))"),
    ("r + INTERVAL 90 DAY", "r + INTERVAL '90' DAY"),
    ("CAST(g + INTERVAL 1 month AS DATE) - 1", "CAST(g + INTERVAL '1' MONTH AS DATE) - 1"),
    ("a.x IS NOT DISTINCT FROM b.x", "a.x IS NOT DISTINCT FROM b.x"),
    ("TIMESTAMP '9999-12-31 00:00:00'", "CAST('9999-12-31 00:00:00' AS TIMESTAMP_NTZ)"),
    ("CAST(d AS TIMESTAMP)", "CAST(d AS TIMESTAMP_NTZ)"),
    ("_q0[1]", "_q0[0]"),
    ("_q0[2]", "_q0[1]"),
    ("bool_or(coalesce(p, false))", "BOOL_OR(COALESCE(p, FALSE))"),
    ("greatest(a, b)", "GREATEST(a, b)"),
    ("count(*) FILTER (WHERE r)", "COUNT(*) FILTER(WHERE r)"),
])  # fmt: skip
def test_sqlglot_constructs(duck: str, want: str) -> None:
    assert spark(f"SELECT {duck} FROM t") == f"SELECT {want} FROM t"


def test_group_by_all_and_unnest() -> None:
    assert spark("SELECT a, count(*) FROM t GROUP BY ALL") == \
        "SELECT a, COUNT(*) FROM t GROUP BY ALL"  # fmt: skip
    assert spark("SELECT id, unnest(reasons) AS reason FROM t") == \
        "SELECT id, EXPLODE(reasons) AS reason FROM t"  # fmt: skip


# ---- every statement the compiler emits for the SPEC metrics ---------------------------------
PERIOD = Period(we.START, we.END)
SHAPES = [
    MetricRequest(PERIOD),
    MetricRequest(PERIOD, with_previous=True),
    MetricRequest(PERIOD, Filters.of({"channel": ["chat", "email"]}), ("reason",)),
    MetricRequest(PERIOD, Filters.of({"product": ["p1"], "team": ["t"]}), ("region", "channel")),
    MetricRequest(PERIOD, Filters.of({"region": ["EU"]}), ("product",), "week"),
    MetricRequest(PERIOD, grain="day"),
    MetricRequest(PERIOD, grain="month"),
]


def _constructs(sql: str) -> set[str]:
    found = {name for name, pattern in (
        ("quantile_cont list", r"quantile_cont\(\w+, \["), ("FILTER", r"FILTER \(WHERE"),
        ("= ANY", r"= ANY\(\$"), ("date_trunc", r"date_trunc\('"), ("unnest", r"unnest\("),
        ("generate_series", r"generate_series\("), ("IS NOT DISTINCT FROM", "IS NOT DISTINCT"),
        ("INTERVAL", r"INTERVAL \d+ \w+"), ("date_diff", r"date_diff\('"),
        ("GROUP BY ALL", "GROUP BY ALL"), ("::DOUBLE", "::DOUBLE"), ("NOT EXISTS", "NOT EXISTS"),
        ("TIMESTAMP literal", "TIMESTAMP '"), ("list index", r"_q\d\[\d\]"),
    ) if re.search(pattern, sql)}  # fmt: skip
    return found


@pytest.mark.parametrize("request_", SHAPES, ids=lambda r: f"{r.by}-{r.grain}-{r.with_previous}")
def test_every_compiled_statement_translates(request_: MetricRequest, worked_store: Path) -> None:
    con = store.open_read(worked_store)
    try:
        info = store.inspect(con)
    finally:
        con.close()
    assert request_.metrics == METRIC_IDS
    query = compile_request(request_, info)
    out = to_spark(query.sql, query.params)
    assert "$" not in out.sql and "PERCENTILE_CONT" not in out.sql and "APPROX" not in out.sql
    assert "PERCENTILE(first_response_hours, ARRAY(" in out.sql
    assert set(re.findall(r"(?<!\w):([a-z_]\w*)", out.sql)) == set(out.args)
    if request_.by:
        assert _constructs(query.sql) >= {
            "quantile_cont list", "FILTER", "date_diff", "GROUP BY ALL", "::DOUBLE", "INTERVAL",
            "IS NOT DISTINCT FROM", "unnest", "NOT EXISTS", "list index"}  # fmt: skip


def test_the_shapes_cover_every_construct(worked_store: Path) -> None:
    """Between them the request shapes above (run on Spark by tests/engines/test_spark.py) emit
    every construct the dialect module lists."""
    con = store.open_read(worked_store)
    try:
        info = store.inspect(con)
    finally:
        con.close()
    seen: set[str] = set()
    for request_ in SHAPES:
        seen |= _constructs(compile_request(request_, info).sql)
    assert seen == {"quantile_cont list", "FILTER", "= ANY", "date_trunc", "unnest",
                    "generate_series", "IS NOT DISTINCT FROM", "INTERVAL", "date_diff",
                    "GROUP BY ALL", "::DOUBLE", "NOT EXISTS", "TIMESTAMP literal",
                    "list index"}  # fmt: skip
    sql, params = contacts_avoided_by_cause(SHAPES[2], info)
    assert "ARRAY_CONTAINS" in to_spark(sql, params).sql


def test_a_store_without_derived_columns_is_refused(worked_bare_store: Path) -> None:
    con = store.open_read(worked_bare_store)
    try:
        info = store.inspect(con)
    finally:
        con.close()
    query = compile_request(MetricRequest(PERIOD), info)
    with pytest.raises(DialectError, match="export-parquet"):
        to_spark(query.sql, query.params)


# ---- the engine setting -----------------------------------------------------------------------
def test_engine_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (engines.ENV_ENGINE, engines.ENV_LAKE, engines.ENV_MASTER):
        monkeypatch.delenv(var, raising=False)
    assert engines.resolve() == engines.EngineChoice("duckdb", None, "local[*]")
    monkeypatch.setenv(engines.ENV_ENGINE, "spark")
    with pytest.raises(engines.EngineError, match="--lake DIR or set CXDASH_LAKE"):
        engines.resolve()
    monkeypatch.setenv(engines.ENV_LAKE, "/data/lake")
    monkeypatch.setenv(engines.ENV_MASTER, "spark://head:7077")
    assert engines.resolve() == engines.EngineChoice("spark", "/data/lake", "spark://head:7077")
    assert engines.resolve("duckdb").engine == "duckdb"  # the option wins
    assert engines.resolve(lake="/x", master="local[2]").lake == "/x"
    with pytest.raises(engines.EngineError, match="unknown engine 'trino'"):
        engines.resolve("trino")


def test_without_pyspark_the_message_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from cxdash.engines import spark as spark_mod

    real = builtins.__import__

    def no_pyspark(name: str, *args: object, **kw: object) -> object:
        if name.startswith("pyspark"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(engines.EngineError, match=r"pip install -e '\.\[spark\]'"):
        spark_mod.root_session("local[1]")
