"""The store's write path: atomic swaps, failures that change nothing, readers of new versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxdash import store
from cxdash.schema import create_schema
from tests.storebuilder import build_store, ts


def _contacts(path: Path) -> list[str]:
    con = store.open_read(path)
    try:
        return [r[0] for r in con.execute("SELECT contact_id FROM contacts ORDER BY 1").fetchall()]
    finally:
        con.close()


def test_a_reader_in_this_process_sees_the_swapped_in_version(tmp_path: Path) -> None:
    path = build_store(tmp_path / "s.duckdb", [{"contact_id": "a", "created_at": ts("2026-01-01")}])
    old_reader = store.open_read(path)  # stays open, as the app's connection does
    with store.new_version(path, from_existing=True) as con:
        con.execute("INSERT INTO contacts (contact_id, created_at) VALUES ('b', '2026-01-02')")
    assert _contacts(path) == ["a", "b"]
    assert old_reader.execute("SELECT count(*) FROM contacts").fetchall()[0][0] == 1
    old_reader.close()
    assert not list(tmp_path.glob(".s.duckdb.read-*")), "private links are removed"


def test_a_failed_write_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = build_store(tmp_path / "s.duckdb", [{"contact_id": "a", "created_at": ts("2026-01-01")}])
    before = path.read_bytes()
    with pytest.raises(RuntimeError), store.new_version(path, from_existing=True) as con:
        con.execute("DELETE FROM contacts")
        raise RuntimeError("boom half-way")
    assert path.read_bytes() == before
    assert _contacts(path) == ["a"]
    assert not list(tmp_path.glob(".s.duckdb.tmp-*"))


def test_a_new_store_appears_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with pytest.raises(RuntimeError), store.new_version(path, from_existing=False) as con:
        create_schema(con)
        raise RuntimeError("killed")
    assert not path.exists()


def test_resolve_db_path_order(monkeypatch) -> None:
    monkeypatch.delenv("CXDASH_DB", raising=False)
    assert store.resolve_db_path() == Path("data/cxdash.duckdb")
    monkeypatch.setenv("CXDASH_DB", "/x/env.duckdb")
    assert store.resolve_db_path() == Path("/x/env.duckdb")
    assert store.resolve_db_path("/x/cli.duckdb") == Path("/x/cli.duckdb")


def test_a_last_day_cut_short_is_told_apart_from_a_whole_one(tmp_path: Path) -> None:
    import datetime as dt

    # Ten days whose last contact comes at 22:00, then an export taken at 11:30 on day 11.
    rows = [{"contact_id": f"c{d}{h}", "created_at": dt.datetime(2026, 3, 1 + d, h)}
            for d in range(10) for h in (9, 15, 22)]  # fmt: skip
    whole = build_store(tmp_path / "whole.duckdb", rows)
    cut = build_store(tmp_path / "cut.duckdb",
                      [*rows, {"contact_id": "x", "created_at": dt.datetime(2026, 3, 11, 11, 30)}])
    late = build_store(tmp_path / "late.duckdb",  # 21:30: within the hour of the usual 22:00
                       [*rows, {"contact_id": "y", "created_at": dt.datetime(2026, 3, 11, 21, 30)}])
    got = {}
    for name, path in (("whole", whole), ("cut", cut), ("late", late)):
        con = store.open_read(path)
        got[name] = store.last_day_ends_early(con)
        con.close()
    assert got == {"whole": None, "cut": dt.datetime(2026, 3, 11, 11, 30), "late": None}


def test_a_read_only_store_is_not_replaced_by_a_writable_one(tmp_path: Path, capsys) -> None:
    """`chmod 444` on the store: a writer refuses in one line and the file stays as it was,
    read-only (a rename would otherwise swap a writable copy in, even for root; issue 19)."""
    import stat

    from cxdash.cli import main
    from tests.storebuilder import build_store, ts

    db = build_store(tmp_path / "s.duckdb", [{"contact_id": "c1",
                                              "created_at": ts("2026-03-02 09:00")}])
    db.chmod(0o444)
    before = (db.read_bytes(), db.stat().st_ino)
    new = tmp_path / "new.csv"
    new.write_text("contact_id,created_at\nc2,2026-03-03 10:00\n")
    assert main(["import", str(new), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err == (f"cxdash: error: the store {db} is read-only (mode 444): nothing was written; "
                   f"make it writable (chmod u+w {db}) to change it\n")
    assert (db.read_bytes(), db.stat().st_ino) == before
    assert stat.S_IMODE(db.stat().st_mode) == 0o444
