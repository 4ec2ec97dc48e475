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

The checks live in three modules: this one reads the file and its keys, `custom_sql` checks
the SQL with no store, `custom_probe` binds it on the store.

Invalid metrics are left out; the valid ones in the same file still join the catalogue
(`LoadResult.catalogue`).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import duckdb

from cxdash import store
from cxdash.metrics import catalogue
from cxdash.metrics.catalogue import Direction, Metric, Side, Unit
from cxdash.metrics.custom_probe import probe
from cxdash.metrics.custom_sql import check_sql, reserved_keywords, scratch_parser
from cxdash.metrics.dimensions import DIMENSION_IDS, GRAINS
from cxdash.metrics.request import RequestError
from cxdash.settings import Settings
from cxdash.store import StoreInfo

ENV_METRICS = "CXDASH_METRICS"
FILE_NAME = "metrics.toml"

KEYS = ("id", "label", "side", "sql", "format", "direction", "description")
SIDES: tuple[str, ...] = get_args(Side)
UNITS: tuple[str, ...] = get_args(Unit)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
_ID = re.compile(r"[a-z][a-z0-9_]*")
MAX_ID, MAX_LABEL = 40, 60
# Names the compiled statement and the CLI's JSON already use for their own columns.
RESERVED_IDS = frozenset({"bucket", *DIMENSION_IDS, *GRAINS})


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
    with scratch_parser() as parser:
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
            checked, refused = probe(metric, con, info, settings)
            if refused is not None:
                problems.append(Problem(path, refused, metric.id, line))
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
    if metric_id in reserved_keywords(parser):
        return [f"id {metric_id!r} is an SQL keyword; choose another id"]
    if metric_id in seen:
        where = f" at line {seen[metric_id]}" if seen[metric_id] else ""
        return [f"id {metric_id!r} is already defined{where}; ids must be unique"]
    return []
