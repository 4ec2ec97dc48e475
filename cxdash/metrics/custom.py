"""Custom metrics: a team's own aggregates over the period's contacts, read from a TOML file.

    [[metric]]
    id = "avg_handle_minutes"
    label = "Handle time (avg)"
    side = "defense"                    # offense | defense | happiness
    sql = "avg(handle_seconds) / 60"    # one aggregate over the period's contact columns
    format = "minutes"                  # count | rate | per_1000 | hours | minutes | score | number
    direction = "down"                  # up | down: which way is better
    description = "Mean handle time of the period's contacts, in minutes."

The file is `$CXDASH_METRICS`, else `metrics.toml` beside the store; no file, no custom metrics.
Every metric is checked before it joins the catalogue, and each problem is one message naming the
file, the line of its `[[metric]]` table and its id:

1. the keys and their values (side, format, direction, an id that is new, snake_case, not a
   dimension, time grain or SQL keyword);
2. the SQL, parsed by DuckDB's own parser (`json_serialize_sql`) — the parser that will run it
   — on a scratch in-memory database with file access off. It must be exactly one expression,
   not a statement or several, with no FROM, subquery, window, parameter or lambda; only
   columns of `catalogue.PERIOD_CONTACT_COLUMNS`; only functions on an allow-list (aggregates
   and common arithmetic, comparison and date functions — no table functions, no file or
   environment access); every column inside an aggregate, so it gives one value per group;
3. the expression DuckDB prints back from the checked tree (`json_deserialize_sql`) — not the
   text as typed — is what joins the catalogue, so what runs is what was checked, comments and all
   dropped; it goes through `compiler.contact_metric_probe` on the store's read-only
   connection: the very blocks a request compiles to, bound by DuckDB and run with LIMIT 0, which
   catches type errors; the result must be a number.

Invalid metrics are left out; the valid ones in the same file still join the catalogue
(`LoadResult.catalogue`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import duckdb

from cxdash import store
from cxdash.metrics import catalogue
from cxdash.metrics.catalogue import PERIOD_CONTACT_COLUMNS, Direction, Metric, Side, Unit
from cxdash.metrics.compiler import contact_metric_probe
from cxdash.metrics.dimensions import DIMENSION_IDS, GRAINS
from cxdash.metrics.request import Period, RequestError
from cxdash.settings import Settings
from cxdash.store import StoreInfo

ENV_METRICS = "CXDASH_METRICS"
FILE_NAME = "metrics.toml"
DOCS = "docs/METRICS.md"

KEYS = ("id", "label", "side", "sql", "format", "direction", "description")
SIDES: tuple[str, ...] = get_args(Side)
UNITS: tuple[str, ...] = get_args(Unit)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
_ID = re.compile(r"[a-z][a-z0-9_]*")
MAX_ID, MAX_LABEL, MAX_SQL = 40, 60, 2000
# Names the compiled statement and the CLI's JSON already use for their own columns.
RESERVED_IDS = frozenset({"bucket", *DIMENSION_IDS, *GRAINS})


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
_NUMERIC = re.compile(
    r"(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT"
    r"|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))"
)
# Everything DuckDB's parse tree holds for a plain `SELECT <expression>`; any other key is a
# clause this module does not know, so the expression is refused rather than guessed at.
_SELECT_KEYS = frozenset({
    "type", "modifiers", "cte_map", "select_list", "from_table", "where_clause",
    "group_expressions", "group_sets", "aggregate_handling", "having", "sample", "qualify",
})  # fmt: skip
_CATALOG_COLUMNS = frozenset({"preventable", "external"})
NULL_MEANS = "no contacts in the period that this metric can measure"


class MetricsFileError(RequestError):
    """A custom metrics file with problems (the CLI exits 2 with these messages)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a metrics file: where, which metric, and what to do."""

    file: Path
    message: str
    metric: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        who = f" metric {self.metric!r}:" if self.metric else ""
        return f"{where}:{who} {self.message}"


@dataclass(frozen=True)
class LoadResult:
    """The metrics a file defines that passed every check, and every problem found."""

    path: Path
    metrics: tuple[Metric, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def refused(self) -> tuple[str, ...]:
        """Ids of metrics left out because of a problem (in file order, no repeats)."""
        return tuple(dict.fromkeys(p.metric for p in self.problems if p.metric))

    @property
    def catalogue(self) -> catalogue.Catalogue:
        """The built-in metrics and the valid ones of this file, as one immutable value."""
        return catalogue.Catalogue(self.metrics)


# ---- where the file is --------------------------------------------------------------------
def metrics_path(db_path: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The metrics file and whether it was named explicitly ($CXDASH_METRICS).

    Without the variable it is `metrics.toml` beside the store (`store.resolve_db_path`)."""
    env = os.environ.get(ENV_METRICS, "").strip()
    if env:
        return Path(env), True
    return store.resolve_db_path(db_path).parent / FILE_NAME, False


# ---- loading --------------------------------------------------------------------------------
def load(
    path: Path,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    info: StoreInfo | None = None,
    settings: Settings | None = None,
    missing_ok: bool = True,
) -> LoadResult:
    """Read and check the metrics file at `path`; with `con` (a read-only store connection)
    also run each metric against the store. Registers nothing."""
    if not path.exists():
        if missing_ok:
            return LoadResult(path)
        why = f"no such file (named by {ENV_METRICS}); create it or unset the variable"
        return LoadResult(path, problems=(Problem(path, why),))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadResult(path, problems=(Problem(path, f"cannot be read ({exc})"),))
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return LoadResult(path, problems=(Problem(path, f"is not valid TOML: {exc}"),))

    problems: list[Problem] = [
        Problem(path, f"unknown top-level key {key!r}; each metric is a [[metric]] table")
        for key in doc
        if key != "metric"
    ]
    entries = doc.get("metric", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(Problem(path, "'metric' must be [[metric]] tables, one per metric"))
        return LoadResult(path, problems=tuple(problems))

    lines = _table_lines(text, len(entries))
    candidates: list[tuple[Metric, int | None]] = []
    seen: dict[str, int | None] = {}
    with _parser() as parser:
        for n, entry in enumerate(entries):
            line = lines[n] if lines else None
            metric, found = _check_entry(path, entry, line, n, seen, parser)
            problems += found
            if metric is not None:
                candidates.append((metric, line))

    metrics: list[Metric] = []
    if con is not None and candidates:
        info = info if info is not None else store.inspect(con)
        settings = settings if settings is not None else Settings()
        for metric, line in candidates:
            checked, problem = _probe(path, metric, line, con, info, settings)
            if problem is not None:
                problems.append(problem)
            elif checked is not None:
                metrics.append(checked)
    else:
        metrics = [m for m, _ in candidates]
    problems.sort(key=lambda p: p.line or 0)  # file order; stable within a metric
    return LoadResult(path, tuple(metrics), tuple(problems))


def load_for_store(
    con: duckdb.DuckDBPyConnection,
    db_path: str | os.PathLike[str] | None = None,
    *,
    info: StoreInfo | None = None,
    settings: Settings | None = None,
) -> LoadResult:
    """Load the metrics file that belongs to the store (see `metrics_path`) and check it
    against the store on `con`; `LoadResult.catalogue` is what requests then carry."""
    path, explicit = metrics_path(db_path)
    return load(path, con, info=info, settings=settings, missing_ok=not explicit)


def _table_lines(text: str, count: int) -> list[int] | None:
    """Line numbers of the `[[metric]]` headers, when they account for every entry."""
    found = [
        n
        for n, line in enumerate(text.splitlines(), start=1)
        if re.match(r"\s*\[\[\s*metric\s*\]\]\s*(#.*)?$", line)
    ]
    return found if len(found) == count else None


# ---- one entry ------------------------------------------------------------------------------
def _check_entry(
    path: Path,
    entry: Mapping[str, Any],
    line: int | None,
    index: int,
    seen: dict[str, int | None],
    parser: duckdb.DuckDBPyConnection,
) -> tuple[Metric | None, list[Problem]]:
    raw_id = entry.get("id")
    name = raw_id if isinstance(raw_id, str) and raw_id else f"#{index + 1}"
    problems: list[str] = []

    for key in entry:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; keys are: {', '.join(KEYS)}"
            problems.append(f"unknown key {key!r}{hint}")
    for key in KEYS:
        if key not in entry:
            problems.append(f"missing key {key!r}")
        elif not isinstance(entry[key], str) or not entry[key].strip():
            problems.append(f"{key!r} must be a non-empty string")

    def text(key: str) -> str | None:
        value = entry.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    metric_id, label = text("id"), text("label")
    if metric_id is not None:
        problems += _id_problems(metric_id, seen, parser)
        if metric_id not in seen:
            seen[metric_id] = line
    if label is not None and len(label) > MAX_LABEL:
        problems.append(f"label is {len(label)} characters; keep it to {MAX_LABEL} (a tile)")
    for key, allowed in (("side", SIDES), ("format", UNITS), ("direction", DIRECTIONS)):
        value = text(key)
        if value is not None and value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{key} {value!r} must be one of: {', '.join(allowed)}{hint}")

    sql, columns = None, frozenset[str]()
    source = text("sql")
    if source is not None:
        sql, columns, sql_problems = check_sql(source, parser)
        problems += sql_problems

    if problems:
        return None, [Problem(path, p, name, line) for p in problems]
    assert metric_id and label and sql is not None
    metric = Metric(
        metric_id, label, entry["side"].strip(), entry["format"].strip(),
        entry["direction"].strip(), entry["description"].strip(), family="contacts", sql=sql,
        null_means=NULL_MEANS, needs_catalog=bool(columns & _CATALOG_COLUMNS),
        origin=str(path),
    )  # fmt: skip
    return metric, []


def _id_problems(
    metric_id: str, seen: Mapping[str, int | None], parser: duckdb.DuckDBPyConnection
) -> list[str]:
    if not _ID.fullmatch(metric_id) or len(metric_id) > MAX_ID:
        return [f"id {metric_id!r} must be snake_case: a–z, 0–9 and _, starting with a letter, "
                f"at most {MAX_ID} characters"]  # fmt: skip
    if metric_id in catalogue.BUILTIN_BY_ID:
        return [f"id {metric_id!r} is a built-in metric; choose another id"]
    if metric_id in RESERVED_IDS:
        return [f"id {metric_id!r} is the name of a dimension or time grain; choose another id"]
    if metric_id in _reserved_keywords(parser):
        return [f"id {metric_id!r} is an SQL keyword; choose another id"]
    if metric_id in seen:
        where = f" at line {seen[metric_id]}" if seen[metric_id] else ""
        return [f"id {metric_id!r} is already defined{where}; ids must be unique"]
    return []


# ---- the SQL --------------------------------------------------------------------------------
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

    `parser` is a scratch connection (see `_parser`); nothing here reads a store."""
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


class _NotOneExpression(Exception):
    pass


def _parse(source: str, parser: duckdb.DuckDBPyConnection) -> tuple[dict | None, str, list[str]]:
    """The one select-list expression of `SELECT <source>` and the statement serialized, or
    why it is not one expression."""
    # The newline ends a trailing -- comment; the statement is only parsed, never run.
    rows = parser.execute("SELECT json_serialize_sql($q)", {"q": f"SELECT {source}\n"})
    serialized = str(rows.fetchall()[0][0])
    try:
        return _one_expression(json.loads(serialized)), serialized, []
    except _NotOneExpression as exc:
        return None, serialized, [str(exc)]


def _one_expression(doc: dict) -> dict:
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
    node = statements[0].get("node", {})
    select = node.get("select_list") or []
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


def _visited(tree: dict) -> _Walk:
    walk = _Walk()
    _visit(tree, walk, in_aggregate=False)
    return walk


def _children(node: Any) -> Iterator[dict]:
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


def _visit(node: dict, walk: _Walk, *, in_aggregate: bool) -> None:
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
def _parser() -> Iterator[duckdb.DuckDBPyConnection]:
    """A scratch in-memory DuckDB that only parses: no store, no file or network access."""
    con = duckdb.connect(":memory:", config={"enable_external_access": False, "threads": 1})
    try:
        yield con
    finally:
        con.close()


_KEYWORDS: frozenset[str] | None = None


def _reserved_keywords(parser: duckdb.DuckDBPyConnection) -> frozenset[str]:
    global _KEYWORDS
    if _KEYWORDS is None:
        rows = parser.execute(
            "SELECT keyword_name FROM duckdb_keywords()"
            " WHERE keyword_category IN ('reserved', 'type_function')"
        ).fetchall()
        _KEYWORDS = frozenset(r[0].lower() for r in rows)
    return _KEYWORDS


# ---- against the store ----------------------------------------------------------------------
def _probe(
    path: Path,
    metric: Metric,
    line: int | None,
    con: duckdb.DuckDBPyConnection,
    info: StoreInfo,
    settings: Settings,
) -> tuple[Metric | None, Problem | None]:
    """Bind and run (LIMIT 0) the metric's compiled blocks on the store; a DECIMAL result is
    kept as DOUBLE (JSON and the formatter want plain numbers)."""
    day = dt.date(2000, 1, 1)
    sql, params = contact_metric_probe(metric, Period(day, day), info, settings)
    try:
        with con.cursor() as cur:
            rel = cur.sql(sql, params=params)
            result_type = str(rel.types[0])
            rel.fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, Problem(path, f"sql does not run on the store: {first}", metric.id, line)
    if not _NUMERIC.fullmatch(result_type):
        why = (f"sql gives a {result_type}, not a number; a metric must be numeric "
               "(for a share of true/false, avg(condition::DOUBLE))")  # fmt: skip
        return None, Problem(path, why, metric.id, line)
    if result_type.startswith("DECIMAL"):
        metric = dataclasses.replace(metric, sql=f"CAST({metric.sql} AS DOUBLE)")
    return metric, None
