"""DuckDB SQL → Spark SQL: SQLGlot's transpiler plus the rewrite rules it needs to be exact.

The query layer writes DuckDB SQL once; `to_spark` turns a statement and its `$params` into
Spark SQL and the `args` of `spark.sql(sql, args=...)`. SQLGlot (read="duckdb",
write="spark") does most of it, and the Spark tests verify each construct it translates on
PySpark: `date_trunc('week'|'month'|'day', …)` (weeks start on Monday in both), `GROUP BY ALL`,
`avg(…) FILTER (WHERE …)`, `x::DOUBLE`, `INTERVAL n DAY|WEEK|MONTH`, `date_diff('microsecond'
| 'day', a, b)` (to `DATEDIFF(unit, a, b)`), `IS NOT DISTINCT FROM`, `unnest(list)` (to
`explode`), list indexes (1-based → 0-based),
`TIMESTAMP '…'` (to `TIMESTAMP_NTZ`), `date - 1`, `bool_or`, `greatest`/`least`, `NULLIF`.

Where SQLGlot's output would be wrong or not exact, a named rule rewrites the tree first
(each is unit-tested on the SQL text, and verified on Spark by tests/engines/test_spark.py):

- `parameters`: `$name` → Spark's named parameter `:name`. A `datetime` travels as ISO text
  inside `CAST(:name AS TIMESTAMP_NTZ)`: PySpark turns a naive `datetime` into an instant in
  the *Python process's* time zone, which would shift every period boundary off UTC. Dates,
  numbers, text, lists and `timedelta`s (Spark's day-time interval) pass as they are.
- `exact_percentile`: `quantile_cont(x, q)` and `percentile_cont(q) WITHIN GROUP (ORDER BY x)`
  → Spark's exact `percentile(x, q)` (q may be a list: an array comes back), and `median(x)`
  → `percentile(x, 0.5)`. SQLGlot writes `PERCENTILE_CONT(x, q)`, which Spark refuses, and
  turns the WITHIN GROUP form into `PERCENTILE_APPROX`, which is approximate. Both engines
  interpolate linearly between the two nearest ranks (SPEC §3).
- `discrete_percentile`: DuckDB's `quantile_disc(x, q)` and `quantile(x, q)` (an alias of
  quantile_disc — SQLGlot maps it to the *continuous* percentile) → `percentile_disc(q)
  WITHIN GROUP (ORDER BY x)`: the smallest value whose cumulative share reaches q, in both.
- `double_literals`: `1000.0` is a DECIMAL in both engines, but DuckDB divides decimals into a
  DOUBLE while Spark keeps a DECIMAL of limited scale (`1000.0 * 7 / 3` would round to 6
  places); such literals become `CAST(1000.0 AS DOUBLE)`, which gives DuckDB's double result.
- `any_list`: `x = ANY($list)` → `array_contains($list, x)`, with the same answer when x or
  a list item is NULL (NULL). SQLGlot writes `exists($list, x -> … = x)`, whose lambda
  variable `x` would hide a column named x.
- `list_has_any`: `list_has_any(a, b)` → `arrays_overlap(a, b)` (SQLGlot writes `a && b`,
  which Spark does not parse); true when the lists share a non-NULL item, in both (the
  masking of names in the weekly review uses it).
- `generate_series`: `FROM generate_series(a, b, step) AS t(g)` → `FROM explode(sequence(a, b,
  step)) AS t(g)` (both include b); SQLGlot's own output for it does not parse in Spark.
- `date_part_boundaries`: DuckDB's `date_diff(part, a, b)` counts the part's boundaries
  between a and b (16:50:00.9 → 16:50:01.1 is 1 second), Spark's `DATEDIFF(part, a, b)` the
  whole parts elapsed (0): for millisecond, second, minute, hour, day, month, quarter and year
  both ends are truncated to the part first (`date_trunc`), after which the two agree — the
  SLA at-risk backlog's hours left (`date_diff('second', now, due_at)`) differed by a second.
  Microseconds need nothing; DuckDB's weeks are days // 7, as Spark's.
- QUALIFY is kept as written (Spark 4 has it; SQLGlot's rewrite applied ORDER BY and LIMIT
  before the QUALIFY filter): the SQL is written by `CxdashSpark`, SQLGlot's Spark dialect
  with that one transform left out.

Refused with a DialectError naming the construct, rather than run with a different answer:
approximate or tie-dependent aggregates (approx_quantile, reservoir_quantile,
approx_count_distinct, mode, arg_min/arg_max, kurtosis, skewness), `AS MATERIALIZED` and
`ASOF` joins (only the per-query derived columns of `cxdash.derived` use them; a lake written
by `cxdash export-parquet` carries those columns), and a parameter without a value.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp, transforms
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

READ = "duckdb"


class _Generator(SparkGenerator):
    # SQLGlot rewrites QUALIFY for Spark as a subquery that keeps the ORDER BY and LIMIT
    # *inside* it, so the limit cuts rows before QUALIFY filters them (the weekly review's
    # one-comment-per-text query came out wrong). Spark 4 has QUALIFY: keep it as written.
    TRANSFORMS = {  # noqa: RUF012 - SQLGlot's own class attribute, extended
        **SparkGenerator.TRANSFORMS,
        exp.Select: transforms.preprocess([
            transforms.eliminate_distinct_on, transforms.unnest_to_explode,
            transforms.any_to_exists,
        ]),
    }  # fmt: skip


class CxdashSpark(Spark):
    """Spark 4's SQL as SQLGlot writes it, but with QUALIFY kept (see _Generator)."""

    Generator = _Generator


WRITE = CxdashSpark


class DialectError(ValueError):
    """A construct that would not give DuckDB's answer on Spark; the message names it."""


@dataclass(frozen=True)
class SparkStatement:
    sql: str
    args: dict[str, object]  # for spark.sql(sql, args=...)


# ---- rules ------------------------------------------------------------------------------------
Rule = Callable[[exp.Expression], exp.Expression]


def _parameters(types: Mapping[str, str]) -> Rule:
    def rule(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Placeholder):
            return node
        name = node.name
        if name not in types:
            raise DialectError(f"parameter ${name} has no value")
        marker = exp.Placeholder(this=name)
        if types[name] == "datetime":
            return exp.cast(marker, exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
        return marker

    return rule


def _percentile(column: exp.Expression, q: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="percentile", expressions=[column, q])


def exact_percentile(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return _percentile(node.this, node.expression)  # quantile_cont(x, q)
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        return _percentile(_order_column(node), node.this.this)
    if isinstance(node, exp.Median):
        return _percentile(node.this, exp.Literal.number("0.5"))
    return node


def _order_column(node: exp.WithinGroup) -> exp.Expression:
    order = node.expression
    keys = order.expressions if isinstance(order, exp.Order) else []
    if len(keys) != 1 or keys[0].args.get("desc"):
        raise DialectError("a percentile WITHIN GROUP needs exactly one ascending ORDER BY key")
    return cast(exp.Expression, keys[0].this)  # an Ordered's `this` is the key expression


def discrete_percentile(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Quantile | exp.PercentileDisc):
        q = node.args.get("quantile") or node.expression
        if q is None:  # the ordered-set form: percentile_disc(q) WITHIN GROUP (…)
            return node
        if not isinstance(q, exp.Literal):
            raise DialectError("quantile_disc on Spark takes one quantile, not a list")
        # SQLGlot writes a WITHIN GROUP PercentileDisc as PERCENTILE_APPROX: spell it out.
        order = exp.Order(expressions=[exp.Ordered(this=node.this, desc=False)])
        return exp.WithinGroup(this=exp.Anonymous(this="percentile_disc", expressions=[q]),
                               expression=order)  # fmt: skip
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileDisc):
        _order_column(node)
        return exp.WithinGroup(this=exp.Anonymous(this="percentile_disc",
                                                  expressions=[node.this.this]),
                               expression=node.expression)  # fmt: skip
    return node


def double_literals(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal) and not node.is_string and not node.is_int:
        if isinstance(node.parent, exp.Cast):
            return node
        return exp.cast(node.copy(), exp.DataType.build("DOUBLE"))
    return node


def any_list(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        values = node.expression.this
        values = values.this if isinstance(values, exp.Paren) else values
        return exp.Anonymous(this="array_contains", expressions=[values, node.this])
    return node


def list_has_any(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    return node


def generate_series(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
        series = node.this
        if series.args.get("is_end_exclusive"):
            raise DialectError("range(…) excludes its end; use generate_series on Spark")
        sequence = exp.Anonymous(
            this="sequence",
            expressions=[series.args["start"], series.args["end"],
                         *([series.args["step"]] if series.args.get("step") else [])],
        )  # fmt: skip
        return exp.Table(this=exp.Anonymous(this="explode", expressions=[sequence]),
                         alias=node.args.get("alias"))  # fmt: skip
    return node


# date_diff parts DuckDB counts as boundaries crossed (its weeks are elapsed days // 7)
_BOUNDARY_PARTS = frozenset({"MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "MONTH",
                             "QUARTER", "YEAR"})  # fmt: skip


def date_part_boundaries(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.DateDiff) or not node.args.get("date_part_boundary"):
        return node
    unit = node.args.get("unit")
    part = unit.name.upper() if unit is not None else "DAY"  # date_diff's default: days
    if part not in _BOUNDARY_PARTS:
        return node

    def trunc(value: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this="date_trunc", expressions=[exp.Literal.string(part),
                                                              value.copy()])  # fmt: skip

    return exp.DateDiff(this=trunc(node.this), expression=trunc(node.expression),
                        unit=exp.var(part))  # fmt: skip


_REFUSED: dict[type[exp.Expression], str] = {
    exp.ApproxQuantile: "approx_quantile is approximate",
    exp.ApproxDistinct: "approx_count_distinct is approximate and its sketch differs on Spark",
    exp.Mode: "mode breaks ties differently on Spark",
    exp.ArgMax: "arg_max/max_by breaks ties differently on Spark",
    exp.ArgMin: "arg_min/min_by breaks ties differently on Spark",
    exp.Kurtosis: "kurtosis is the sample statistic in DuckDB and the population one in Spark",
    exp.Skewness: "skewness is the sample statistic in DuckDB and the population one in Spark",
}
_REFUSED_NAMES = {"reservoir_quantile": "reservoir_quantile is approximate"}


def refuse_inexact(node: exp.Expression) -> exp.Expression:
    for kind, why in _REFUSED.items():
        if isinstance(node, kind):
            raise DialectError(f"not run on Spark: {why}")
    if isinstance(node, exp.Anonymous) and node.name.lower() in _REFUSED_NAMES:
        raise DialectError(f"not run on Spark: {_REFUSED_NAMES[node.name.lower()]}")
    if isinstance(node, exp.CTE) and node.args.get("materialized"):
        raise DialectError("not run on Spark: a MATERIALIZED CTE (the per-query derived "
                           "columns); write the lake with `cxdash export-parquet`")  # fmt: skip
    if isinstance(node, exp.Join) and str(node.args.get("method") or "").upper() == "ASOF":
        raise DialectError("not run on Spark: an ASOF join (the per-query derived columns); "
                           "write the lake with `cxdash export-parquet`")  # fmt: skip
    return node


# In order: refusals first (on DuckDB's tree), then the rewrites.
RULES: tuple[tuple[str, Rule], ...] = (
    ("refuse_inexact", refuse_inexact),
    ("exact_percentile", exact_percentile),
    ("discrete_percentile", discrete_percentile),
    ("double_literals", double_literals),
    ("any_list", any_list),
    ("list_has_any", list_has_any),
    ("generate_series", generate_series),
    ("date_part_boundaries", date_part_boundaries),
)


# ---- entry point ------------------------------------------------------------------------------
def _kind(value: object) -> str:
    if isinstance(value, dt.datetime):
        return "datetime"
    return type(value).__name__


def _arg(value: object) -> object:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise DialectError("timestamps are wall-clock times in the reporting zone; got "
                               f"one with a time zone ({value.isoformat()})")  # fmt: skip
        return value.isoformat(sep=" ")
    return value


def to_spark(sql: str, params: Mapping[str, object] | None = None) -> SparkStatement:
    """The Spark SQL for a DuckDB statement and the `args` for its `$params`."""
    params = dict(params or {})
    types = tuple(sorted((name, _kind(value)) for name, value in params.items()))
    text, used = _translate(sql, types)
    return SparkStatement(text, {name: _arg(params[name]) for name in used})


@functools.lru_cache(maxsize=512)
def _translate(sql: str, types: tuple[tuple[str, str], ...]) -> tuple[str, tuple[str, ...]]:
    try:
        tree = sqlglot.parse_one(sql, read=READ)
    except sqlglot.errors.ParseError as exc:
        raise DialectError(f"SQLGlot could not read the statement: {exc}") from exc
    for _name, rule in RULES:
        tree = tree.transform(rule)
    tree = tree.transform(_parameters(dict(types)))
    used = tuple(dict.fromkeys(p.name for p in tree.find_all(exp.Placeholder)))
    text = tree.sql(dialect=WRITE)
    upper = text.upper()
    if "PERCENTILE_APPROX" in upper or "APPROX_PERCENTILE" in upper:
        raise DialectError("the Spark statement would use an approximate percentile")
    return text, used
