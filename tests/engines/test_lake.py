"""`cxdash export-parquet`: the store as the Parquet layout the spark engine reads.

Read back here with DuckDB and pyarrow (no Spark): the month partitions, every row and value,
the types Spark will see, and the refusals. tests/engines/test_spark.py runs the metrics on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from cxdash import cli, store
from cxdash.engines import lake
from cxdash.engines.lake import LakeError, export_parquet
from cxdash.metrics.sources import build_sources
from cxdash.schema import TABLES, TABLES_BY_NAME
from tests.engines import driver_store as ds


@pytest.fixture(scope="module")
def exported(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lake") / "lake"
    export_parquet(demo_store, out)
    return out


def _files(folder: Path) -> str:
    return f"{folder}/**/*.parquet"


def test_layout_contacts_and_orders_by_month(exported: Path, demo_store: Path) -> None:
    con = store.open_read(demo_store)
    try:
        for table, ts in lake.PARTITIONED.items():
            months = {r[0] for r in con.execute(
                f"SELECT DISTINCT strftime({ts}, '%Y-%m') FROM {table}").fetchall()}  # fmt: skip
            folders = {p.name for p in (exported / table).iterdir()}
            assert folders == {f"month={m}" for m in months}, table
            assert len(months) >= 12  # a year of demo data
            for folder in (exported / table).iterdir():  # each month's rows, and only those
                got = duckdb.sql(f"SELECT DISTINCT strftime({ts}, '%Y-%m') "
                                 f"FROM read_parquet('{_files(folder)}')").fetchall()  # fmt: skip
                assert got == [(folder.name.removeprefix("month="),)]
    finally:
        con.close()
    for table in TABLES:
        if table.name not in lake.PARTITIONED:
            assert [p.name for p in (exported / table.name).iterdir()] == ["data_0.parquet"]


def test_every_row_and_value_as_in_the_store(exported: Path, demo_store: Path) -> None:
    manifest = json.loads((exported / lake.MANIFEST).read_text())
    con = duckdb.connect()
    con.execute(f"ATTACH '{demo_store}' AS s (READ_ONLY)")
    for table in TABLES:
        if table.name == "cxdash_meta":
            continue
        cols = ", ".join(c.name for c in table.columns)
        stored = f"SELECT {cols} FROM s.{table.name}"
        written = f"SELECT {cols} FROM read_parquet('{_files(exported / table.name)}')"
        n = con.execute(f"SELECT count(*) FROM s.{table.name}").fetchall()[0][0]
        assert con.execute(f"SELECT count(*) FROM ({written})").fetchall()[0][0] == n
        assert manifest["rows"][table.name] == n
        for a, b in ((stored, written), (written, stored)):
            assert con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchall() == [(0,)]
    assert manifest["rows"]["contacts"] > 19_000 and manifest["rows"]["root_causes"] == 7
    meta = dict(con.execute(
        f"SELECT key, value FROM read_parquet('{_files(exported / 'cxdash_meta')}')").fetchall())
    assert meta["derived_for"] == f"{manifest['rows']['contacts']}:{manifest['rows']['orders']}"


def test_types_spark_reads(exported: Path) -> None:
    """Timestamps without a zone (Spark: TIMESTAMP_NTZ, wall-clock time as in the store)."""
    month = next((exported / "contacts").iterdir())
    schema = pq.read_schema(next(month.iterdir()))
    for name in ("created_at", "resolved_at", "next_contact_at"):
        assert str(schema.field(name).type) == "timestamp[us]", name
    assert [f.name for f in schema] == [c.name for c in TABLES_BY_NAME["contacts"].columns]
    causes = pq.read_schema(exported / "root_causes" / "data_0.parquet")
    assert str(causes.field("reasons").type) == "list<element: string>"
    assert str(causes.field("fixed_on").type) == "date32[day]"


def test_a_store_another_tool_wrote_gets_its_derived_columns(
    worked_store: Path, worked_bare_store: Path, tmp_path: Path
) -> None:
    """Contract columns only: the export computes the look-ahead columns and the rollup with
    the writers' SQL, so both lakes hold the same derived facts (the bare store's empty
    reopens and the like stay empty: the metrics read them as 0)."""
    export_parquet(worked_store, tmp_path / "a")
    export_parquet(worked_bare_store, tmp_path / "b")
    for table in ("contacts", "orders", "orders_daily"):
        t = TABLES_BY_NAME[table]
        cols = ", ".join(c.name for c in t.columns if c.derived or c.name == t.unique_id)
        a, b = (f"SELECT {cols} FROM read_parquet('{_files(tmp_path / x / table)}')"
                for x in "ab")  # fmt: skip
        assert duckdb.sql(f"({a} EXCEPT ALL {b}) UNION ALL ({b} EXCEPT ALL {a})").fetchall() == []
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{_files(tmp_path / 'b' / 'contacts')}')"
                      " WHERE next_contact_at IS NOT NULL").fetchall()[0][0] > 0  # fmt: skip


def test_refuses_a_missing_store_and_a_folder_in_use(tmp_path: Path, demo_store: Path) -> None:
    with pytest.raises(store.StoreError, match=r"no store at .*nope\.duckdb.*cxdash demo"):
        export_parquet(tmp_path / "nope.duckdb", tmp_path / "lake")
    assert not (tmp_path / "lake").exists()
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    with pytest.raises(LakeError, match=r"is not empty \(1 entry\).*never overwrites"):
        export_parquet(demo_store, used)
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(LakeError, match="is a file"):
        export_parquet(demo_store, tmp_path / "file")
    empty = tmp_path / "empty"
    empty.mkdir()
    export_parquet(demo_store, empty)  # an empty folder is fine
    assert (empty / lake.MANIFEST).is_file()


def test_a_failed_export_leaves_nothing(
    tmp_path: Path, demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lake, "_write_tables", fail)
    with pytest.raises(LakeError, match="no space left on device while writing the lake"):
        export_parquet(demo_store, tmp_path / "lake")
    assert list(tmp_path.iterdir()) == []


def test_cli(tmp_path: Path, demo_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lake"
    assert cli.main(["export-parquet", "--db", str(demo_store), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out}: ") and " contacts (12 months), " in printed
    assert f"cxdash metrics --engine spark --lake {out}" in printed
    assert cli.main(["export-parquet", "--db", str(demo_store), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cxdash: error: --out ")
    assert cli.main(["export-parquet", "--db", str(tmp_path / "x.duckdb"), "--out",
                     str(tmp_path / "other")]) == 2  # fmt: skip
    assert "no store at" in capsys.readouterr().err


def test_reading_a_folder_that_is_not_a_lake(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match=r"no lake at .*cxdash export-parquet"):
        lake.read_manifest(str(tmp_path / "none"))
    with pytest.raises(LakeError, match="is not a cxdash lake"):
        lake.read_manifest(str(tmp_path))


# ---- drivers (SPEC §2 `driver`) --------------------------------------------------------------
def _lake_rows(out: Path, sql: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        for table in TABLES:
            con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM "
                        f"read_parquet('{_files(out / table.name)}')")  # fmt: skip
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_lake_carries_each_contacts_driver_and_the_driver_map(tmp_path: Path) -> None:
    """Reasons "bill" ×2 and "Billing dispute" ×3 mapped to Billing, a reasonless contact
    assigned Late delivery from its text: the lake holds the driver per contact, the map, the
    assignments and the map's history, as the store does."""
    db = ds.driver_store(tmp_path / "s.duckdb")
    export_parquet(db, tmp_path / "lake")
    out = tmp_path / "lake"
    assert dict(_lake_rows(out, "SELECT contact_id, driver FROM contacts")) == ds.DRIVERS
    assert _lake_rows(out, "SELECT driver, count(*) FROM contacts GROUP BY ALL ORDER BY 1") == \
        [("Billing", 5), ("Late delivery", 5), ("Unknown", 1)]  # fmt: skip
    assert sorted(_lake_rows(out, "SELECT reason, driver FROM driver_map")) == \
        [("Billing dispute", "Billing"), ("bill", "Billing")]  # fmt: skip
    assert _lake_rows(out, "SELECT contact_id, driver, similarity FROM contact_drivers") == \
        [("c10", "Late delivery", 0.9)]  # fmt: skip
    assert sorted(_lake_rows(out, "SELECT reason, changed_by, old_driver, new_driver "
                                  "FROM driver_map_changes")) == [
        ("Billing dispute", "ana", None, "Billing"), ("bill", "ana", None, "Billing")]
    manifest = json.loads((out / lake.MANIFEST).read_text())
    assert {t: manifest["rows"][t] for t in ("driver_map", "contact_drivers",
                                             "driver_map_changes")} == \
        {"driver_map": 2, "contact_drivers": 1, "driver_map_changes": 2}  # fmt: skip
    month = next((out / "contacts").iterdir())
    assert str(pq.read_schema(next(month.iterdir())).field("driver").type) == "string"
    for table in ("driver_map", "contact_drivers", "driver_map_changes"):  # schema order, types
        schema = pq.read_schema(out / table / "data_0.parquet")
        assert [f.name for f in schema] == [c.name for c in TABLES_BY_NAME[table].columns]


def test_a_stale_store_exports_the_driver_the_query_layer_reads(tmp_path: Path) -> None:
    """A contact appended by another tool makes the derived data stale: the export takes the
    driver from the same relation DuckDB's query layer reads (cxdash.metrics.sources), so the
    lake counts each contact under the driver DuckDB counts it under, and keeps the map."""
    db = ds.driver_store(tmp_path / "s.duckdb")
    ds.add_behind_cxdashs_back(db)
    con = store.open_read(db)
    try:
        info = store.inspect(con)
        assert not info.derived_fresh
        src = build_sources(info)
        on_duck = dict(con.execute(
            f"WITH {', '.join(src.ctes)} SELECT contact_id, "
            f"coalesce(driver, reason, 'Unknown') FROM {src.contacts}").fetchall())  # fmt: skip
    finally:
        con.close()
    export_parquet(db, tmp_path / "lake")
    out = tmp_path / "lake"
    in_lake = dict(_lake_rows(out, "SELECT contact_id, driver FROM contacts"))
    assert len(in_lake) == 12 and in_lake == on_duck
    assert sorted(_lake_rows(out, "SELECT reason, driver FROM driver_map")) == \
        [("Billing dispute", "Billing"), ("bill", "Billing")]  # fmt: skip
