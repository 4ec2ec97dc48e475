"""`cxdash backup`, `restore` and `backups`, and the backups writers keep automatically."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cxdash import backup_restore, backups, store
from cxdash.cli import main
from cxdash.importer.run import import_file
from tests.storebuilder import build_bare_store, build_store, ts

ONE = [{"contact_id": "a", "created_at": ts("2026-03-02 09:00")}]
TWO = [*ONE, {"contact_id": "b", "created_at": ts("2026-03-03 09:00")}]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ids(path: Path) -> list[str]:
    con = store.open_read(path)
    try:
        return [r[0] for r in con.execute("SELECT contact_id FROM contacts ORDER BY 1").fetchall()]
    finally:
        con.close()


def csv(tmp_path: Path, *ids_: str) -> Path:
    src = tmp_path / f"import-{'-'.join(ids_)}.csv"
    src.write_text("id,created\n" + "".join(f"{i},2026-03-05 10:00\n" for i in ids_))
    return src


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_backup_is_a_read_back_copy_in_the_backups_folder(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", TWO)
    code, out, err = run(capsys, "backup", "--db", str(db))
    assert code == 0 and err == ""
    [taken] = backups.list_backups(db)
    assert taken.path.parent == tmp_path / "backups" and not taken.automatic
    assert taken.path.name.startswith("s-") and taken.path.suffix == ".duckdb"
    assert out.startswith(f"backed up {db} to {taken.path} (") and "2 contacts; read back" in out
    assert taken.path.read_bytes() == db.read_bytes() and ids(taken.path) == ["a", "b"]
    code, out, _ = run(capsys, "backup", "--db", str(db))  # a second within the same second
    assert code == 0 and len(backups.list_backups(db)) == 2


def test_backup_out_file_and_bad_input(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", ONE)
    out_file = tmp_path / "elsewhere" / "copy.duckdb"
    assert run(capsys, "backup", "--db", str(db), "--out", str(out_file))[0] == 0
    assert ids(out_file) == ["a"]
    for args, needle in [
        (["--out", str(out_file)], "already exists"),
        (["--list", "--out", str(out_file)], "--list takes no --out"),
    ]:
        code, out, err = run(capsys, "backup", "--db", str(db), *args)
        assert code == 2 and out == "" and needle in err and err.count("\n") == 1
    code, _, err = run(capsys, "backup", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "nothing to back up" in err and err.count("\n") == 1
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database" * 50)
    code, _, err = run(capsys, "backup", "--db", str(broken))
    assert code == 2 and "cannot back up" in err and "not a DuckDB database file" in err
    assert err.count("\n") == 1 and not (tmp_path / "backups").exists()


def test_backup_waits_for_a_writer_to_finish(tmp_path: Path) -> None:
    """Taken under the writers' lock: no version is swapped in half-way through the copy."""
    db = build_store(tmp_path / "s.duckdb", ONE)
    done: list[backup_restore.BackupResult] = []
    with store.writer_lock(db):
        worker = threading.Thread(target=lambda: done.append(backup_restore.take_backup(db)))
        worker.start()
        time.sleep(0.5)
        assert not done and backups.list_backups(db) == []
    worker.join(30)
    assert done and done[0].contacts == 1


def test_backup_clears_what_killed_writers_left(tmp_path: Path) -> None:
    db = build_store(tmp_path / "s.duckdb", ONE)
    pid = dead_pid()
    stale = [tmp_path / f".s.duckdb.tmp-{pid}-x1", tmp_path / f".s.duckdb.tmp-{pid}-x1.wal",
             tmp_path / f".s.duckdb.read-{pid}-x2", tmp_path / f"..s.duckdb.tmp-{pid}-x3.read-1"]
    for path in stale:
        path.write_bytes(b"left over")
    spill = tmp_path / f".s.duckdb.tmp-{pid}-x1.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_block").write_bytes(b"spilled")
    live = tmp_path / f".s.duckdb.tmp-{os.getpid()}-mine"  # a running writer's: kept
    live.write_bytes(b"in use")
    (tmp_path / "backups").mkdir()
    partial = tmp_path / "backups" / f".s-20260101-000000.duckdb.tmp-{pid}-ab"
    partial.write_bytes(b"half a copy")
    link = tmp_path / "backups" / f".s-20260101-000000.duckdb.read-{pid}-cd"
    link.write_bytes(b"a reader's link")
    backup_restore.take_backup(db)
    assert not any(p.exists() for p in [*stale, spill, partial, link])
    assert live.exists()


def test_backups_lists_newest_first_with_their_kind(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", ONE)
    assert run(capsys, "backups", "--db", str(db)) == (
        0, f"no backups of {db} in {tmp_path / 'backups'} (`cxdash backup --db {db}` takes "
           "one)\n", "")  # fmt: skip
    assert run(capsys, "backup", "--db", str(db))[0] == 0
    assert run(capsys, "import", str(csv(tmp_path, "x")), "--db", str(db), "--replace",
               "--quiet")[0] == 0  # fmt: skip
    (tmp_path / "backups" / "s-20200101-000000.duckdb").write_bytes(b"not a store")
    (tmp_path / "backups" / "other-20990101-000000.duckdb").write_bytes(b"another store's")
    code, out, _ = run(capsys, "backups", "--db", str(db))
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"backups of {db}, newest first:"
    assert "before-import" in lines[1] and "automatic, before an import --replace; 1 contact" \
        in lines[1]  # fmt: skip
    assert "taken by hand; 1 contact" in lines[2]
    assert "s-20200101-000000" in lines[3] and "does not read: it is not a DuckDB" in lines[3]
    assert lines[4].startswith("3 backups, 1 automatic (the newest 10 automatic ones are kept)")
    assert run(capsys, "backup", "--list", "--db", str(db))[1] == out


def test_restore_swaps_the_backup_in_and_keeps_the_store_it_replaced(tmp_path: Path,
                                                                     capsys) -> None:  # fmt: skip
    db = build_store(tmp_path / "s.duckdb", ONE)
    assert run(capsys, "backup", "--db", str(db))[0] == 0
    [saved] = backups.list_backups(db)
    build_store(tmp_path / "s.duckdb", TWO)
    newer = db.read_bytes()
    reader = store.open_read(db)  # an open reader, as the app holds one
    version = store.store_version(db)
    code, out, err = run(capsys, "restore", str(saved.path), "--db", str(db))
    assert code == 0, err
    assert [line.split("] ", 1)[1] for line in err.splitlines()] == [
        f"checking {saved.path}", f"copying it beside {db}", "reading the copy back",
        "swapping it in"]  # fmt: skip
    kept = next(b for b in backups.list_backups(db) if b.before == "restore")
    assert out.splitlines() == [f"restored {db} from {saved.path} (1 contact)",
                                f"the store it replaced is kept as {kept.path}"]  # fmt: skip
    assert ids(db) == ["a"] and db.read_bytes() == saved.path.read_bytes()
    assert kept.path.read_bytes() == newer
    assert store.store_version(db) != version  # the app's next rerun reopens
    assert reader.execute("SELECT count(*) FROM contacts").fetchall() == [(2,)]  # its snapshot
    reader.close()
    assert not list(tmp_path.glob(".s.duckdb.tmp-*")) and not list(tmp_path.glob("*.read-*"))


def test_restore_refuses_what_is_not_a_cxdash_store(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", ONE)
    before = db.read_bytes()
    text = tmp_path / "notes.duckdb"
    text.write_text("hello")
    foreign = tmp_path / "foreign.duckdb"
    import duckdb

    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    for source, needle in [
        (tmp_path / "nope.duckdb", "no such file"),
        (text, "it is not a DuckDB database file"),
        (foreign, "it is a DuckDB file but not a cxdash store (no contacts table; its tables: t)"),
        (db, "is the store itself"),
    ]:
        code, out, err = run(capsys, "restore", str(source), "--db", str(db), "--quiet")
        assert code == 2 and out == "" and needle in err and err.count("\n") == 1, err
    assert db.read_bytes() == before and backups.list_backups(db) == []


def test_restore_over_a_damaged_store_keeps_the_damaged_file(tmp_path: Path, capsys) -> None:
    good = build_store(tmp_path / "good.duckdb", TWO)
    db = tmp_path / "s.duckdb"
    db.write_bytes(b"\0" * 8192)
    code, out, _ = run(capsys, "restore", str(good), "--db", str(db), "--quiet")
    assert code == 0 and ids(db) == ["a", "b"]
    [kept] = backups.list_backups(db)
    assert kept.path.read_bytes() == b"\0" * 8192
    assert "(it did not read as a cxdash store; kept as it was)" in out


def test_restore_into_a_missing_store(tmp_path: Path, capsys) -> None:
    good = build_store(tmp_path / "good.duckdb", ONE)
    db = tmp_path / "new" / "s.duckdb"
    code, out, _ = run(capsys, "restore", str(good), "--db", str(db), "--quiet")
    assert code == 0 and out == f"restored {db} from {good} (1 contact)\n" and ids(db) == ["a"]


def test_replace_import_keeps_the_store_as_it_was(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", TWO)
    before = db.read_bytes()
    code, out, _ = run(capsys, "import", str(csv(tmp_path, "x")), "--db", str(db), "--quiet")
    assert code == 0 and "kept" not in out and backups.list_backups(db) == []  # upsert: none
    upserted = db.read_bytes()
    code, out, _ = run(capsys, "import", str(csv(tmp_path, "y")), "--db", str(db), "--replace",
                       "--quiet")  # fmt: skip
    [kept] = backups.list_backups(db)
    assert code == 0 and kept.before == "import" and kept.path.read_bytes() == upserted
    assert out.splitlines()[-1] == (
        f"the store as it was before this import is kept as {kept.path} (`cxdash restore "
        f"{kept.path} --db {db}` brings it back)")  # fmt: skip
    assert ids(db) == ["y"]
    assert run(capsys, "restore", str(kept.path), "--db", str(db), "--quiet")[0] == 0
    assert ids(db) == ["a", "b", "x"] and before != upserted


def test_every_table_and_the_data_page_path_keep_a_backup(tmp_path: Path) -> None:
    """import_file is what the Data page calls too: its report names the backup."""
    from cxdash.ui.importing import _done_message

    db = build_store(tmp_path / "s.duckdb", ONE)
    reasons = tmp_path / "reasons.csv"
    reasons.write_text("reason,preventable\nRefund,yes\n")
    report = import_file(reasons, db, "reasons", mode="replace", source_name="reasons.csv")
    assert report.backup is not None and Path(report.backup).exists()
    shown = _done_message("reasons.csv", report)
    assert f"kept as `{report.backup}`" in shown and "cxdash restore" in shown
    upsert = import_file(reasons, db, "reasons")
    assert upsert.backup is None and "kept" not in _done_message("reasons.csv", upsert)


def test_a_failed_replace_import_keeps_no_backup(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", ONE)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,created\nx,not a date\n")
    assert run(capsys, "import", str(bad), "--db", str(db), "--replace", "--quiet")[0] == 2
    assert backups.list_backups(db) == []


def test_demo_over_an_existing_store_keeps_it(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", ONE)
    before = db.read_bytes()
    code, out, _ = run(capsys, "demo", "--db", str(db), "--contacts", "1000", "--end",
                       "2026-06-30")  # fmt: skip
    [kept] = backups.list_backups(db)
    assert code == 0 and kept.before == "demo" and kept.path.read_bytes() == before
    assert out.splitlines()[-1].startswith(f"the store it replaced is kept as {kept.path}")
    fresh = tmp_path / "fresh.duckdb"
    code, out, _ = run(capsys, "demo", "--db", str(fresh), "--contacts", "1000")
    assert code == 0 and len(out.splitlines()) == 1 and backups.list_backups(fresh) == []


def test_automatic_backups_are_bounded_and_hand_taken_ones_stay(tmp_path: Path, capsys,
                                                                monkeypatch) -> None:  # fmt: skip
    monkeypatch.setenv("CXDASH_KEEP_BACKUPS", "3")
    db = build_store(tmp_path / "s.duckdb", ONE)
    assert run(capsys, "backup", "--db", str(db))[0] == 0
    for i in range(5):
        src = csv(tmp_path, f"r{i}")
        assert run(capsys, "import", str(src), "--db", str(db), "--replace", "--quiet")[0] == 0
    found = backups.list_backups(db)
    assert [b.before for b in found] == ["import", "import", "import", None]
    assert ids(found[0].path) == ["r3"] and ids(found[2].path) == ["r1"]  # the newest kept


def test_a_bare_store_from_another_tool_backs_up_and_restores(tmp_path: Path, capsys) -> None:
    db = build_bare_store(tmp_path / "bare.duckdb", ONE)
    assert run(capsys, "backup", "--db", str(db))[0] == 0
    [saved] = backups.list_backups(db)
    assert run(capsys, "restore", str(saved.path), "--db", str(db), "--quiet")[0] == 0
    assert ids(db) == ["a"]
