"""The first page's reads, saved by the store's writers (`cxdash.first_view`), answer exactly
as the live computation does, and only for the version of the store they were computed on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cxdash import cause_register, first_view, store
from cxdash.cause_register import RootCause
from cxdash.demo.generator import generate
from cxdash.metrics import catalogue, runner
from cxdash.metrics.dimensions import distinct_values
from tests.apptest import open_app

METRICS_TOML = """
[[metric]]
id = "long_handle_share"
label = "Long handles"
side = "defense"
sql = "avg(CASE WHEN handle_seconds > 600 THEN 1.0 ELSE 0.0 END)"
format = "rate"
direction = "down"
description = "Share of contacts handled for over 10 minutes."
"""


@pytest.fixture(autouse=True)
def keep_it_for_every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """These stores are small; the rules under test are the same at any size."""
    monkeypatch.setenv(first_view.MIN_CONTACTS_ENV, "0")


@pytest.fixture()
def fresh(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    generate(db, contacts=1_000, seed=11)
    return db


def test_only_a_store_large_enough_keeps_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(first_view.MIN_CONTACTS_ENV)
    assert first_view.MIN_CONTACTS == 500_000
    assert not first_view.worth_keeping(0) and not first_view.worth_keeping(499_999)
    assert first_view.worth_keeping(500_000)
    small = tmp_path / "small.duckdb"
    generate(small, contacts=1_000, seed=11)
    assert not first_view.snapshot_path(small).exists()  # the app computes it live
    monkeypatch.setenv(first_view.MIN_CONTACTS_ENV, "1")  # the next version is kept
    cause_register.save(small, RootCause("RC-1", title="Label printer jams"))
    assert first_view.snapshot_path(small).exists()
    monkeypatch.setenv(first_view.MIN_CONTACTS_ENV, "1001")
    assert not first_view.worth_keeping(1_000) and first_view.worth_keeping(1_001)


def _extent(con) -> tuple:  # type: ignore[no-untyped-def]
    sql = "SELECT min(created_at)::DATE, max(created_at)::DATE FROM contacts"
    return con.sql(sql).fetchall()[0]


def _live(db: Path) -> dict[str, object]:
    """Every first-view read computed now on a fresh connection, as the app computes it."""
    con = store.open_read(db)
    info, out = store.inspect(con), {}
    for kind, request in first_view.reads(*_extent(con)):
        if kind == "dims":
            out[first_view.entry_key(kind, request)] = distinct_values(con, request)
        elif kind == "compare":
            out[first_view.entry_key(kind, request)] = runner.compare(con, request, info)
        else:
            out[first_view.entry_key(kind, request)] = runner.compute(con, request, info)
    con.close()
    return out


def _assert_same(saved: object, live: object) -> None:
    if isinstance(live, pl.DataFrame):
        assert isinstance(saved, pl.DataFrame)
        assert_frame_equal(saved, live)  # dtypes and values, exactly
    elif isinstance(live, list):
        assert [(v.metric.id, v.value, v.previous) for v in saved] == [  # type: ignore[attr-defined]
            (v.metric.id, v.value, v.previous) for v in live
        ]
        # the same Python types: an int count stays an int (the tile shows 61,323, not 61,323.0)
        assert [type(v.value) for v in saved] == [type(v.value) for v in live]  # type: ignore[attr-defined]
    else:
        assert saved == live


def test_a_written_store_carries_its_first_view_and_it_equals_live(fresh: Path) -> None:
    version = store.store_version(fresh)
    body = json.loads(first_view.snapshot_path(fresh).read_text())
    assert body["version"] == list(version)  # the rename kept the key the writer saved under
    live = _live(fresh)
    # dims, the tiles in two cached parts, the sparklines, the drivers now and before
    assert len(live) == 6 and set(body["entries"]) == set(live)
    for key, expected in live.items():
        kind, request = next((k, r) for k, r in first_view.reads(*_first_last(fresh))
                             if first_view.entry_key(k, r) == key)  # fmt: skip
        _assert_same(first_view.saved(fresh, version, kind, request), expected)
    tiles = [v for k, v in live.items() if k.startswith("compare")]
    assert sum(len(t) for t in tiles) == 28  # 24 + 4 SLA tiles  # type: ignore[arg-type]


def _first_last(db: Path) -> tuple:
    con = store.open_read(db)
    try:
        return _extent(con)
    finally:
        con.close()


def test_nothing_answers_for_another_version_or_other_code(fresh: Path) -> None:
    version = store.store_version(fresh)
    kind, request = first_view.reads(*_first_last(fresh))[1]
    assert first_view.saved(fresh, version, kind, request) is not None
    # Any write makes a new version, whose writer saves its own first view.
    cause_register.save(fresh, RootCause("RC-1", title="Label printer jams"))
    newer = store.store_version(fresh)
    assert newer != version
    assert first_view.saved(fresh, version, kind, request) is None
    assert first_view.saved(fresh, newer, kind, request) is not None
    # Saved by other code (another cxdash, DuckDB or Polars): ignored.
    path = first_view.snapshot_path(fresh)
    body = json.loads(path.read_text())
    path.write_text(json.dumps({**body, "code": "0" * 64}))
    assert first_view.saved(fresh, newer, kind, request) is None
    # Not JSON at all, or an entry that does not decode: computed live.
    path.write_text("{not json")
    assert first_view.saved(fresh, newer, kind, request) is None
    broken = {k: {"frame": "bm90IGFycm93"} for k in body["entries"]}
    path.write_text(json.dumps({**body, "entries": broken}))
    weekly = first_view.reads(*_first_last(fresh))[3][1]
    assert first_view.saved(fresh, newer, "compute", weekly) is None


def test_a_store_copied_elsewhere_is_computed_live(fresh: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "s.duckdb"
    copy.parent.mkdir()
    shutil.copy2(fresh, copy)  # same bytes and times, but no snapshot beside it (and a new inode)
    kind, request = first_view.reads(*_first_last(copy))[1]
    assert first_view.saved(copy, store.store_version(copy), kind, request) is None


def test_the_app_reads_the_snapshot_of_its_version_only(
    fresh: Path, app_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof that the app takes the saved tile: one doctored in the file (same version, same
    code) shows — and once the store has a new version, the live number shows again."""
    path = first_view.snapshot_path(fresh)
    body = json.loads(path.read_text())
    key = next(k for k in body["entries"] if k.startswith("compare") and "'contacts'" in k)
    values = body["entries"][key]["values"]
    real = next(v for v in values if v[0] == "contacts")[1]
    for v in values:
        if v[0] == "contacts":
            v[1] = 123_456
    path.write_text(json.dumps(body))
    at = open_app(monkeypatch, fresh)
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Contacts") == "123,456"

    path.unlink()
    cause_register.save(fresh, RootCause("RC-1", title="Label printer jams"))
    at = open_app(monkeypatch, fresh)
    assert next(m.value for m in at.metric if m.label == "Contacts") == f"{real:,}"


def test_custom_metrics_are_in_it_and_the_process_catalogue_is_left_alone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.duckdb"
    (tmp_path / "metrics.toml").write_text(METRICS_TOML)
    assert tuple(catalogue.METRICS_BY_ID) == catalogue.METRIC_IDS
    generate(db, contacts=3_000, seed=5)
    assert tuple(catalogue.METRICS_BY_ID) == catalogue.METRIC_IDS  # a value, never registered
    body = json.loads(first_view.snapshot_path(db).read_text())
    tiles = [v[0] for k, e in body["entries"].items() if k.startswith("compare")
             for v in e["values"]]  # fmt: skip
    assert "long_handle_share" in tiles


def test_a_failing_first_view_never_fails_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> dict:
        raise RuntimeError("no")

    monkeypatch.setattr(first_view, "compute", boom)
    db = tmp_path / "s.duckdb"
    generate(db, contacts=2_000, seed=1)
    assert store.store_version(db) and not first_view.snapshot_path(db).exists()
