"""The SQL of a custom metric, checked without any store: DuckDB's own parser
(`json_serialize_sql`) on a scratch in-memory database with file access off reads the text;
the tree must be exactly one expression of allowed functions over the period's contact
columns, every column inside an aggregate; DuckDB's rendering of the checked tree
(`json_deserialize_sql`) is what is kept. `cxdash.metrics.custom` reads the file and
`cxdash.metrics.custom_probe` binds what passed on the store."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from cxdash.metrics.catalogue import PERIOD_CONTACT_COLUMNS

MAX_SQL = 2000
DOCS = "docs/METRICS.md"


def _words(text: str) -> list[str]:
    return text.split()


# Aggregates a custom metric may use (DuckDB names, aliases included).
AGGREGATES = frozenset(_words("""
    count count_star count_if countif sum fsum avg mean favg min max median mode quantile
    quantile_cont quantile_disc approx_quantile reservoir_quantile approx_count_distinct
    stddev stddev_samp stddev_pop variance var_samp var_pop bool_and bool_or product corr
    covar_pop covar_samp regr_slope regr_intercept regr_r2 regr_count kurtosis skewness
    entropy arg_min arg_max argmin argmax min_by max_by
"""))
# Scalar functions and operators: arithmetic, comparison, conditionals, dates. Nothing that
# reads files, the environment or settings, and no table functions: they are simply not here.
SCALARS = frozenset(_words("""
    + - * / // % ** ^ ~~ !~~ ~~* !~~* abs round floor ceil ceiling trunc even sign sqrt
    cbrt ln log log2 log10 exp pow power greatest least nullif if isnan isinf isfinite
    date_diff datediff date_sub datesub date_part datepart date_trunc datetrunc epoch
    epoch_ms second minute hour day dayofmonth dayofweek isodow dayofyear week weekofyear
    month quarter year to_seconds to_minutes to_hours to_days to_weeks length lower upper
    lcase ucase starts_with ends_with prefix suffix contains
"""))
# Expression kinds of DuckDB's parse tree that may appear (any other is refused).
_ALLOWED_CLASSES = frozenset({
    "FUNCTION", "COLUMN_REF", "CONSTANT", "CAST", "CASE", "COMPARISON", "CONJUNCTION",
    "OPERATOR", "BETWEEN", "TYPE",
})  # fmt: skip
_REFUSED_CLASSES = {
    "SUBQUERY": "sql contains a subquery; a custom metric is one aggregate over the period's "
                "contacts and cannot read other rows or tables",
    "WINDOW": "sql uses a window function (OVER …), which gives one value per contact; "
              "use a plain aggregate",
    "PARAMETER": "sql uses a parameter ($…); write the value into the expression",
    "LAMBDA": "sql uses a lambda; custom metrics cannot use list functions",
    "STAR": "sql uses *; only count(*) may",
    "COLUMNS": "sql uses COLUMNS(…); name the columns",
}  # fmt: skip
# Everything DuckDB's parse tree holds for a plain `SELECT <expression>`; any other key is a
# clause this module does not know, so the expression is refused rather than guessed at.
_SELECT_KEYS = frozenset({
    "type", "modifiers", "cte_map", "select_list", "from_table", "where_clause",
    "group_expressions", "group_sets", "aggregate_handling", "having", "sample", "qualify",
})  # fmt: skip


@dataclass
class _Walk:
    columns: set[str] = dataclasses.field(default_factory=set)
    unknown_columns: list[str] = dataclasses.field(default_factory=list)
    bare_columns: list[str] = dataclasses.field(default_factory=list)
    functions: list[str] = dataclasses.field(default_factory=list)
    refused: list[str] = dataclasses.field(default_factory=list)
    aggregates: int = 0
    nested: bool = False


def check_sql(source: str, parser: duckdb.DuckDBPyConnection) -> tuple[
    str | None, frozenset[str], list[str]
]:  # fmt: skip
    """(the expression to keep, the columns it reads, problems) for one metric's SQL.

    `parser` is a scratch connection (see `scratch_parser`); nothing here reads a store."""
    if len(source) > MAX_SQL:
        return None, frozenset(), [f"sql is {len(source):,} characters; at most {MAX_SQL:,}"]
    tree, serialized, problems = _parse(source, parser)
    if tree is None:
        return None, frozenset(), problems
    walk = _visited(tree)
    problems = _walk_problems(walk)
    if problems:
        return None, frozenset(walk.columns), problems
    canonical = _render(serialized, parser)
    # What DuckDB printed must pass the same checks (it is what will run).
    again, _, _ = _parse(canonical, parser)
    if again is None or _walk_problems(_visited(again)):
        return None, frozenset(), ["sql could not be checked; write it more plainly"]
    return canonical, frozenset(walk.columns), []


# A node of DuckDB's json_serialize_sql parse tree, as json.loads gives it.
_Node = dict[str, Any]


class _NotOneExpression(Exception):
    pass


def _parse(source: str, parser: duckdb.DuckDBPyConnection) -> tuple[_Node | None, str, list[str]]:
    """The one select-list expression of `SELECT <source>` and the statement serialized, or
    why it is not one expression."""
    # The newline ends a trailing -- comment; the statement is only parsed, never run.
    rows = parser.execute("SELECT json_serialize_sql($q)", {"q": f"SELECT {source}\n"})
    serialized = str(rows.fetchall()[0][0])
    try:
        return _one_expression(json.loads(serialized)), serialized, []
    except _NotOneExpression as exc:
        return None, serialized, [str(exc)]


def _one_expression(doc: _Node) -> _Node:
    if doc.get("error"):
        message = str(doc.get("error_message", "")).strip().splitlines()
        first = message[0] if message else "unknown error"
        if "Only SELECT statements" in first:
            raise _NotOneExpression(
                "sql must be one expression, not a statement: found ';' followed by a "
                "statement, or a command (DROP, INSERT, COPY, ATTACH, PRAGMA, SET, CALL …), "
                "which a metric may not run"
            )
        raise _NotOneExpression(f"sql does not parse as an expression: {first}")
    statements = doc.get("statements") or []
    if len(statements) != 1:
        raise _NotOneExpression(
            f"sql must be one expression; ';' makes it {len(statements)} statements"
        )
    node: _Node = statements[0].get("node", {})
    select: list[_Node] = node.get("select_list") or []
    extra = [
        what
        for what, present in (
            ("FROM", (node.get("from_table") or {}).get("type") != "EMPTY"),
            ("WHERE", node.get("where_clause") is not None),
            ("GROUP BY", bool(node.get("group_expressions") or node.get("group_sets"))
             or node.get("aggregate_handling") != "STANDARD_HANDLING"),
            ("HAVING", node.get("having") is not None),
            ("QUALIFY", node.get("qualify") is not None),
            ("DISTINCT, ORDER BY or LIMIT", bool(node.get("modifiers"))),
            ("WITH", bool((node.get("cte_map") or {}).get("map"))),
            ("SAMPLE", node.get("sample") is not None),
            ("other clauses", bool(set(node) - _SELECT_KEYS)),
        )
        if present
    ]
    if node.get("type") != "SELECT_NODE":
        extra = ["UNION, INTERSECT or EXCEPT"]
    if extra:
        raise _NotOneExpression(
            f"sql must be one aggregate expression, without {', '.join(extra)}; "
            "the period's contacts are its only input"
        )
    if len(select) != 1:
        raise _NotOneExpression(f"sql must be one expression; the commas make it {len(select)}")
    if select[0].get("alias"):
        raise _NotOneExpression(
            f"sql must not name its result (AS {select[0]['alias']}); the id names it"
        )
    return select[0]


def _visited(tree: _Node) -> _Walk:
    walk = _Walk()
    _visit(tree, walk, in_aggregate=False)
    return walk


def _children(node: Any) -> Iterator[_Node]:
    """Every expression directly below `node`, wherever the parse tree keeps it."""
    values = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for value in values:
        if isinstance(value, dict):
            if "class" in value:
                yield value
            else:
                yield from _children(value)
        elif isinstance(value, list):
            yield from _children(value)


def _visit(node: _Node, walk: _Walk, *, in_aggregate: bool) -> None:
    kind = node.get("class")
    if kind not in _ALLOWED_CLASSES:
        walk.refused.append(_REFUSED_CLASSES.get(
            str(kind), f"sql uses {str(kind).lower().replace('_', ' ')}, which a custom metric "
                       "may not use"))  # fmt: skip
        return
    if kind == "COLUMN_REF":
        names = node.get("column_names") or []
        column = ".".join(names)
        if len(names) != 1 or names[0] not in PERIOD_CONTACT_COLUMNS:
            walk.unknown_columns.append(column)
        else:
            walk.columns.add(names[0])
            if not in_aggregate:
                walk.bare_columns.append(column)
        return
    if kind == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        qualified = ".".join(p for p in (node.get("catalog"), node.get("schema"), name) if p)
        if qualified != name or node.get("export_state"):
            walk.functions.append(qualified)
        elif name in AGGREGATES:
            walk.aggregates += 1
            walk.nested = walk.nested or in_aggregate
            in_aggregate = True
        elif name not in SCALARS:
            walk.functions.append(name)
    for child in _children(node):
        _visit(child, walk, in_aggregate=in_aggregate)


def _walk_problems(walk: _Walk) -> list[str]:
    problems = list(dict.fromkeys(walk.refused))
    if walk.unknown_columns:
        names = ", ".join(repr(c) for c in dict.fromkeys(walk.unknown_columns))
        problems.append(f"sql uses unknown column {names}; it can use: "
                        f"{', '.join(PERIOD_CONTACT_COLUMNS)}")  # fmt: skip
    for name in dict.fromkeys(walk.functions):
        problems.append(f"sql calls {name}(), which custom metrics may not call: only "
                        f"aggregates and common arithmetic, comparison and date functions "
                        f"(see {DOCS})")  # fmt: skip
    if walk.nested:
        problems.append("sql puts one aggregate inside another; DuckDB cannot compute that")
    if not problems and walk.bare_columns:
        names = ", ".join(repr(c) for c in dict.fromkeys(walk.bare_columns))
        problems.append(f"sql is not an aggregate: column {names} is outside any aggregate "
                        "function, which would give one value per contact; wrap it, e.g. "
                        f"avg({walk.bare_columns[0]})")  # fmt: skip
    elif not problems and not walk.aggregates:
        problems.append("sql is not an aggregate: use an aggregate function such as count(*), "
                        "avg(…), sum(…) or quantile_cont(…, 0.9)")  # fmt: skip
    return problems


def _render(serialized: str, parser: duckdb.DuckDBPyConnection) -> str:
    """DuckDB's own text for the checked statement's expression (comments, layout dropped)."""
    rows = parser.execute("SELECT json_deserialize_sql($j)", {"j": serialized}).fetchall()
    rendered = str(rows[0][0]).strip()
    if not rendered.startswith("SELECT "):
        raise AssertionError(f"unexpected rendering {rendered!r}")
    return rendered.removeprefix("SELECT ").strip()


@contextlib.contextmanager
def scratch_parser() -> Iterator[duckdb.DuckDBPyConnection]:
    """A scratch in-memory DuckDB that only parses: no store, no file or network access."""
    con = duckdb.connect(":memory:", config={"enable_external_access": False, "threads": 1})
    try:
        yield con
    finally:
        con.close()


_KEYWORDS: frozenset[str] | None = None


def reserved_keywords(parser: duckdb.DuckDBPyConnection) -> frozenset[str]:
    global _KEYWORDS
    if _KEYWORDS is None:
        rows = parser.execute(
            "SELECT keyword_name FROM duckdb_keywords()"
            " WHERE keyword_category IN ('reserved', 'type_function')"
        ).fetchall()
        _KEYWORDS = frozenset(r[0].lower() for r in rows)
    return _KEYWORDS
