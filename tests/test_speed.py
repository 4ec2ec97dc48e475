"""Speed-to-happiness funnel and frictions by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cxdash import store
from cxdash.analysis.speed import funnel_and_frictions
from cxdash.metrics.request import MetricRequest, Period
from cxdash.settings import Settings
from tests.storebuilder import build_store, ts


def test_funnel_by_hand(tmp_path: Path) -> None:
    # targets: first response 4 h, happy 24 h.
    # a: answered 1 h, resolved 3 h, clean, csat 5 → passes every step (happy).
    # b: answered 6 h (slow) → stops at step 1; resolved 10 h otherwise fine.
    # c: self-served, resolved in 5 min → counts as responded; happy.
    # d: answered 1 h, resolved 2 h, 1 transfer → stops at "no transfer or reopen".
    # e: answered 2 h, resolved 30 h → smooth but not happy (slow resolution).
    # f: answered 1 h, never resolved.
    def c(cid, fr=None, res=None, **kw):
        t0 = ts("2026-03-02 09:00")
        return {"contact_id": cid, "created_at": t0,
                "first_response_at": t0 + dt.timedelta(hours=fr) if fr is not None else None,
                "resolved_at": t0 + dt.timedelta(hours=res) if res is not None else None, **kw}

    path = build_store(tmp_path / "s.duckdb", [
        c("a", 1, 3, csat=5), c("b", 6, 10), c("c", None, 1 / 12, self_served=True),
        c("d", 1, 2, transfers=1), c("e", 2, 30), c("f", 1),
    ])  # fmt: skip
    con = store.open_read(path)
    request = MetricRequest(Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    settings = Settings(first_response_target_hours=4, happy_hours=24)
    funnel, friction = funnel_and_frictions(con, request, store.inspect(con), settings)
    assert funnel["contacts"].to_list() == [6, 5, 4, 3, 2]  # −b, −f, −d, −e
    blocked = dict(zip(friction["friction"], friction["contacts"], strict=True))
    # not happy in the end: b, d, e, f. b slow first response; f unresolved; e slow resolution;
    # d transferred.
    assert blocked == {"slow_first_response": 1, "unresolved": 1, "slow_resolution": 1,
                       "transferred": 1, "reopened": 0, "unhappy": 0}  # fmt: skip
