"""The compiled SQL of a few representative requests, byte for byte, against checked-in files.

A change to the compiler shows up here as a diff of tests/metrics/golden/*.sql (and of the
parameters it sends, *.params.json) to review like any other code. After a deliberate change,
regenerate them and read the diff before committing:

    CXDASH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/metrics/test_compiler_golden.py

The store is described by hand (a StoreInfo for a store cxdash wrote, with every table and
column, fresh derived facts, orders and a driver catalog), so no store is built and the whole
module runs in well under a second.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from cxdash.metrics.compiler import compile_request, contacts_avoided_by_cause
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.schema import TABLES
from cxdash.settings import Settings
from cxdash.store import StoreInfo

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CXDASH_UPDATE_GOLDEN") == "1"

MAY = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
AS_OF = MAY.previous().end  # the stores below do not know their newest contact: L = 0
INFO = StoreInfo(
    columns={t.name: {c.name: c.sql_type for c in t.columns} for t in TABLES},
    derived_fresh=True,
    orders_rows=1_000,
    reasons_rows=12,
    contacts_rows=10_000,
)
# The same store with the repurchase baseline stored for May and April (cxdash.metrics.rollups).
INFO_STORED = StoreInfo(
    columns=INFO.columns,
    derived_fresh=True,
    orders_rows=1_000,
    reasons_rows=12,
    contacts_rows=10_000,
    baseline_periods=frozenset({(MAY.start, MAY.end, None),
                                (MAY.previous().start, MAY.previous().end, AS_OF)}),
)

REQUESTS: dict[str, tuple[MetricRequest, StoreInfo]] = {
    "all_metrics": (MetricRequest(MAY), INFO),
    "with_previous": (MetricRequest(MAY, with_previous=True), INFO),
    "with_previous_stored_baseline": (
        MetricRequest(MAY, metrics=("contacts", "repurchase_baseline_90d"), with_previous=True),
        INFO_STORED,
    ),
    "by_reason_weekly": (MetricRequest(MAY, by=("reason",), grain="week"), INFO),
    "channel_product_filter_contact_rate": (
        MetricRequest(
            MAY,
            Filters.of({"channel": ["chat", "email"], "product": ["Shoes"]}),
            metrics=("contacts", "contact_rate", "repurchase_baseline_90d"),
        ),
        INFO,
    ),
    "no_orders": (MetricRequest(MAY), StoreInfo(columns=INFO.columns, derived_fresh=True)),
}


def _param(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return f"{type(value).__name__} {value.isoformat()}"
    if isinstance(value, dt.timedelta):
        return f"timedelta {value.total_seconds():g} s"
    if isinstance(value, list | tuple):
        return [_param(v) for v in value]
    return value


def _check(name: str, sql: str, params: dict[str, object]) -> None:
    got = {
        ".sql": sql + "\n",
        ".params.json": json.dumps({k: _param(v) for k, v in params.items()}, indent=2) + "\n",
    }
    for suffix, text in got.items():
        path = GOLDEN / f"{name}{suffix}"
        if UPDATE:
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            continue
        assert path.exists(), f"{path} missing: run with CXDASH_UPDATE_GOLDEN=1 and review it"
        assert text == path.read_text(encoding="utf-8"), (
            f"{path.name} differs from the compiled {name!r}; if the change is meant, "
            "regenerate with CXDASH_UPDATE_GOLDEN=1 and review the diff"
        )


@pytest.mark.parametrize("name", REQUESTS)
def test_compiled_sql_matches_golden(name: str) -> None:
    request, info = REQUESTS[name]
    compiled = compile_request(request, info, Settings())
    _check(name, compiled.sql, compiled.params)


def test_contacts_avoided_by_cause_matches_golden() -> None:
    request = MetricRequest(MAY, Filters.of({"channel": ["chat"]}), metrics=("contacts_avoided",))
    sql, params = contacts_avoided_by_cause(request, INFO, Settings())
    _check("contacts_avoided_by_cause", sql, params)
