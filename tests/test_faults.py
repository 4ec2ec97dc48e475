"""Faults: a full disk during a write, and kill -9 at random points of an import or a restore.

Each leaves the store as it was (byte for byte) or, when the kill came after the swap, as the
finished command leaves it; nothing but what the next writer (or `cxdash backup`) clears is
left beside it; the store opens and `cxdash metrics` answers.

Kill points seen in one run (seed 20261122, this 2-core machine shared with other work; each
run prints its own counts, and every trial with `pytest -rP`). Import of a 400,000-row CSV,
full run 2.2 s upsert / 1.3 s replace, 30 random trials and 4 at the swap: starting Python 5,
reading 2, checking 3, writing 11, saving (checkpoint, sync) 5, after the swap 5 (1 random,
4 targeted), finished before the kill 3. Restore of a 44 MB backup, full run 0.9 s, 12 random
and 2 at the swap: starting 3, checking (every block read) 3, copying 1, reading the copy back
2, swapping 2, after the swap 2, finished first 1. The import test takes 60–100 s, the restore
test 15–40 s (both `slow`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cxdash import backups, publish, store
from cxdash.cli import main
from cxdash.importer.run import ImportFailed, import_file
from cxdash.schema import create_schema
from tests.storebuilder import build_store, ts

SEED = 20261122
OLD = [{"contact_id": f"old{i}", "created_at": ts("2026-02-01 09:00"), "customer_id": f"k{i}"}
       for i in range(50)]  # fmt: skip


def cxdash(*args: str) -> list[str]:
    return [sys.executable, "-m", "cxdash", *args]


def big_csv(path: Path, rows: int, comment: bool = False) -> Path:
    """Contacts as CSV, written by DuckDB (quick); `comment` adds 64 hex characters a row,
    which compress poorly, so the store grows with the file."""
    extra = ", md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS comment" if comment else ""
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT 'c' || i AS id, TIMESTAMP '2026-02-01' + to_seconds(i * 5)
                              AS created, ['chat', 'email', 'phone'][1 + i % 3] AS channel,
                              'k' || (i % 40000) AS customer, 1 + i % 5 AS csat {extra}
                              FROM range({rows}) t(i)) TO '{path}' (HEADER)""")  # fmt: skip
    return path


def leftovers(folder: Path, name: str = "s.duckdb") -> set[str]:
    """What is beside the store besides the store, its lock file, its first page's reads
    (`cxdash.first_view`) and its backups folder."""
    own = {name, f".{name}.lock", f".{name}.first-view.json", "backups"}
    return {p.name for p in folder.iterdir()} - own


def set_bytes(path: Path, data: bytes) -> None:
    """Put the store back as it was, the way a writer would (whole file, one rename)."""
    tmp = path.with_name(f"{path.name}.reset")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- a full disk ---------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 16 MB filesystem (tmpfs), mounted for the test and unmounted after it."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("the full-disk tests mount a 16 MB tmpfs, which needs root and mount(8)")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}): the full-disk tests "
                    "need a small real filesystem")  # fmt: skip
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Take all but `leave` bytes of the disk."""
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


def no_space(what: str, elsewhere: str = "put the store on another one with --db") -> str:
    return (f"cxdash: error: no space left on device while writing {what}; the store is "
            f"unchanged (free some space on that disk, or {elsewhere})\n")  # fmt: skip


@pytest.mark.slow  # 12 s: not in `dev.py test --fast`
def test_an_import_that_fills_the_disk_fails_cleanly(small_disk: Path, tmp_path: Path,
                                                      capsys, monkeypatch) -> None:  # fmt: skip
    monkeypatch.setenv("CXDASH_FIRST_VIEW_MIN_CONTACTS", "0")  # the snapshot survives too
    db = build_store(small_disk / "s.duckdb", OLD)
    before, used = db.read_bytes(), shutil.disk_usage(small_disk).used
    first_view = small_disk / ".s.duckdb.first-view.json"
    saved = first_view.read_bytes()
    big = big_csv(tmp_path / "big.csv", 500_000, comment=True)  # a store of ~30 MB
    assert big.stat().st_size > 16e6
    for extra in ([], ["--replace"]):
        proc = subprocess.run(cxdash("import", str(big), "--db", str(db), "--quiet", *extra),
                              capture_output=True, text=True)  # fmt: skip
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr == no_space(f"the new version of {db}")
        assert db.read_bytes() == before and first_view.read_bytes() == saved
        assert leftovers(small_disk) == set() and not (small_disk / "backups").exists()
        assert shutil.disk_usage(small_disk).used == used  # every temporary byte given back
    with pytest.raises(ImportFailed, match=r"^no space left on device while writing"):
        import_file(big, db, mode="replace")  # the Data page's path: the same words
    assert main(["metrics", "--db", str(db), "--json"]) == 0
    capsys.readouterr()


def test_a_store_too_big_to_copy_fails_before_anything_else(small_disk: Path, tmp_path: Path,
                                                            capsys) -> None:  # fmt: skip
    db = build_store(small_disk / "s.duckdb", OLD)
    before = db.read_bytes()
    fill(small_disk, len(before) // 2)  # room for half a copy
    src = tmp_path / "one.csv"
    src.write_text("id,created\nz,2026-03-01 10:00\n")
    assert main(["import", str(src), "--db", str(db), "--replace", "--quiet"]) == 2
    assert capsys.readouterr().err == no_space(f"the new version of {db}")
    assert db.read_bytes() == before and leftovers(small_disk) == {"filler"}
    assert not (small_disk / "backups").exists()


@pytest.mark.slow  # 4 s: a 100,000-contact demo in its own process
def test_demo_on_a_full_disk_fails_cleanly(small_disk: Path) -> None:
    db = build_store(small_disk / "s.duckdb", OLD)
    before = db.read_bytes()
    proc = subprocess.run(cxdash("demo", "--db", str(db), "--contacts", "100000", "--end",
                                 "2026-06-30"), capture_output=True, text=True)  # fmt: skip
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == no_space(f"the new version of {db}")
    assert db.read_bytes() == before and leftovers(small_disk) == set()
    assert not (small_disk / "backups").exists()  # kept only when the demo swaps in


def test_backup_and_restore_on_a_full_disk_fail_cleanly(small_disk: Path, tmp_path: Path,
                                                        capsys) -> None:  # fmt: skip
    db = build_store(small_disk / "s.duckdb", OLD)
    before = db.read_bytes()
    other = build_store(tmp_path / "other.duckdb", OLD[:3])
    fill(small_disk, len(before) // 2)
    assert main(["backup", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cxdash: error: no space left on device while writing the backup ")
    assert err.endswith("; the store is unchanged (free some space on that disk, or write the "
                        "backup to another disk with --out)\n")  # fmt: skip
    assert list((small_disk / "backups").iterdir()) == []  # no half-written backup
    assert main(["restore", str(other), "--db", str(db), "--quiet"]) == 2
    assert capsys.readouterr().err == no_space(f"the restored copy of {db}")
    assert db.read_bytes() == before and leftovers(small_disk) == {"filler"}
    (small_disk / "filler").unlink()
    assert main(["backup", "--db", str(db)]) == 0  # with room again, both work
    assert main(["restore", str(other), "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()


# ---- kill -9 -------------------------------------------------------------------------------
def fingerprint(db: Path) -> tuple:
    """Row counts and a checksum of a canonical query over every contact (all columns, derived
    ones too): equal for two stores that hold the same data, whatever their bytes."""
    con = store.open_read(db)
    try:
        counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                       for t in ("contacts", "orders", "reasons", "import_history"))  # fmt: skip
        check = con.execute("SELECT md5(string_agg(CAST(c AS VARCHAR), chr(10) "
                            "ORDER BY contact_id)) FROM contacts c").fetchall()[0][0]  # fmt: skip
    finally:
        con.close()
    return (*counts, check)


def killed_at(delay: float, args: list[str]) -> tuple[bool, list[str]]:
    """Start a command and SIGKILL it after `delay` seconds; whether the kill came before it
    finished, and the progress lines it printed until then."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=delay)
    if proc.returncode is None:
        os.kill(proc.pid, signal.SIGKILL)  # (it may have exited just now: then it ends 0)
    proc.wait()
    assert proc.stderr is not None
    lines = [line.split("] ", 1)[-1] for line in proc.stderr.read().splitlines()]
    proc.stderr.close()
    assert proc.returncode in (0, -signal.SIGKILL), lines
    return proc.returncode == -signal.SIGKILL, lines


def killed_at_swap(args: list[str], store_file: Path) -> tuple[bool, list[str]]:
    """Start a command and SIGKILL it the moment a new version of the store is swapped in
    (its inode changes): the kill lands between the swap and the exit."""
    inode = store_file.stat().st_ino
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed = False
    while proc.poll() is None:
        with contextlib.suppress(FileNotFoundError):
            if store_file.stat().st_ino != inode:
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
        time.sleep(0.001)
    proc.wait()
    assert proc.stderr is not None
    lines = [line.split("] ", 1)[-1] for line in proc.stderr.read().splitlines()]
    proc.stderr.close()
    return killed and proc.returncode == -signal.SIGKILL, lines


def timeline(args: list[str], store_file: Path) -> tuple[float, dict[str, float], float]:
    """One full run: how long it takes from start to exit, when each progress line came, and
    when the new version was swapped in (the store file's inode changed)."""
    inode = store_file.stat().st_ino
    swapped: list[float] = []

    def watch() -> None:
        while proc.poll() is None and not swapped:
            with contextlib.suppress(FileNotFoundError):
                if store_file.stat().st_ino != inode:
                    swapped.append(time.monotonic() - started)
            time.sleep(0.002)

    started = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watcher = threading.Thread(target=watch)
    watcher.start()
    assert proc.stderr is not None
    seen = {line.split("] ", 1)[-1].strip(): time.monotonic() - started for line in proc.stderr}
    assert proc.wait() == 0, seen
    took = time.monotonic() - started
    watcher.join()
    return took, seen, swapped[0] if swapped else took


IMPORT_PHASES = (("saving", "saving"), ("refreshing", "writing"), ("writing", "writing"),
                 ("checking", "checking"), ("reading", "reading"))  # fmt: skip


def phase(lines: list[str], phases: tuple[tuple[str, str], ...]) -> str:
    """The last progress line printed before the kill names the phase it hit."""
    for line in reversed(lines):
        for start, name in phases:
            if line.startswith(start):
                return name
    return "starting"


def report(capsys: pytest.CaptureFixture[str], title: str,
           seen: list[tuple[str, str, float]]) -> None:  # fmt: skip
    """The distribution of kill points in the test output; each trial in its captured output
    (shown on failure, or with `pytest -rP`)."""
    for name, mode, delay in seen:
        when = "at the swap" if delay < 0 else f"after {delay:5.2f} s"
        print(f"  {mode:<8} kill -9 {when}: {name}")
    counts = Counter(name for name, _, _ in seen)
    with capsys.disabled():
        print(f"\n{title}: {len(seen)} trials, kill points: "
              + ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))


@pytest.mark.slow
def test_kill_9_at_random_points_of_an_import(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "store"
    db = build_store(folder / "s.duckdb", OLD)
    before = db.read_bytes()
    big = big_csv(tmp_path / "big.csv", 400_000)
    expected, duration, swap = {}, {}, {}
    for mode in ("upsert", "replace"):  # full runs of each: the time and what it leaves
        extra = ["--replace"] if mode == "replace" else []
        runs = []
        for _ in range(2):  # the first is cold (caches, bytecode): the faster one counts
            runs.append(timeline(cxdash("import", str(big), "--db", str(db), *extra), db))
            expected[mode] = fingerprint(db)
            set_bytes(db, before)
        duration[mode], _, swap[mode] = min(runs, key=lambda run: run[0])
    assert expected["upsert"][0] == 400_050 and expected["replace"][0] == 400_000
    rng = random.Random(SEED)
    seen: list[tuple[str, str, float]] = []
    left: set[str] = set()
    for trial in range(34):
        mode = "replace" if trial % 3 == 2 else "upsert"
        set_bytes(db, before)
        extra = ["--replace"] if mode == "replace" else []
        args = cxdash("import", str(big), "--db", str(db), *extra)
        if trial >= 30:  # and four killed the moment the new version is in, before exiting
            delay = -1.0
            killed, lines = killed_at_swap(args, db)
        else:  # over the whole run and its exit; one in five from just before the swap
            start = swap[mode] - 0.1 if trial % 5 == 4 else 0
            delay = rng.uniform(start, 1.05 * duration[mode])
            killed, lines = killed_at(delay, args)
        where = phase(lines, IMPORT_PHASES)
        if any(line.startswith("reading") for line in lines):  # it had the lock: it cleared
            assert not (left & leftovers(folder)), f"{left} survived the next writer"
        if db.read_bytes() == before:
            assert killed, "a finished import must have changed the store"
        else:
            assert fingerprint(db) == expected[mode], f"{mode} killed at {delay:.2f} s ({where})"
            where = "after the swap" if killed else "finished first"
        seen.append((where, mode, delay))
        left = leftovers(folder)
        assert all(n.startswith((".s.duckdb.tmp-", ".s.duckdb.read-")) for n in left), left
        for kept in backups.list_backups(db):  # a replace keeps the store as it was, whole
            assert kept.before == "import" and kept.path.read_bytes() == before
        assert main(["metrics", "--db", str(db), "--json"]) == 0, capsys.readouterr().err
        capsys.readouterr()
    assert main(["backup", "--db", str(db)]) == 0  # clears what the last kill left
    assert leftovers(folder) == set()
    capsys.readouterr()
    report(capsys, f"kill -9 during cxdash import (full run: upsert {duration['upsert']:.2f} s, "
           f"swap at {swap['upsert']:.2f} s; replace {duration['replace']:.2f} s, swap at "
           f"{swap['replace']:.2f} s)", seen)
    mid = [s for s in seen if s[0] in ("reading", "checking", "writing", "saving")]
    assert sum(s[0] != "finished first" for s in seen) >= 20 and len(mid) >= 5, seen
    assert any(s[0] == "after the swap" for s in seen), seen


def backup_store(path: Path, rows: int) -> Path:
    """A cxdash store of some size (~44 MB at 300,000 rows), so that copying it takes time."""
    with publish.new_version(path, from_existing=False) as draft:
        con = draft.con
        create_schema(con)
        con.execute(f"""INSERT INTO contacts (contact_id, created_at, customer_id, comment)
                        SELECT 'b' || i, TIMESTAMP '2026-01-01' + to_seconds(i * 20),
                               'k' || (i % 50000), md5(i::VARCHAR) || md5((i + 1)::VARCHAR)
                               || md5((i + 2)::VARCHAR) || md5((i + 3)::VARCHAR)
                               || md5((i + 4)::VARCHAR) || md5((i + 5)::VARCHAR)
                        FROM range({rows}) t(i)""")  # fmt: skip
        draft.rows_changed()
    return path


RESTORE_PHASES = (("swapping", "swapping"), ("reading the copy", "reading back"),
                  ("copying", "copying"), ("checking", "checking"))  # fmt: skip


@pytest.mark.slow
def test_kill_9_at_random_points_of_a_restore(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "store"
    db = build_store(folder / "s.duckdb", OLD)
    before = db.read_bytes()
    source = backup_store(tmp_path / "saved" / "big.duckdb", 300_000)
    restored = digest(source)
    duration, lines, _ = timeline(cxdash("restore", str(source), "--db", str(db)), db)
    assert digest(db) == restored
    copying = next(t for line, t in lines.items() if line.startswith("copying"))
    rng = random.Random(SEED)
    seen: list[tuple[str, str, float]] = []
    left: set[str] = set()
    trial = 0
    # Random kills until 12 landed before the end (a run can be quicker than the measured one,
    # so some finish first), at most 40; then two the moment the restored version is in.
    while trial < 42:
        random_kills = sum(s[0] != "finished first" and s[2] >= 0 for s in seen)
        if trial < 40 and random_kills >= 12:
            trial = 40
        set_bytes(db, before)
        args = cxdash("restore", str(source), "--db", str(db))
        if trial >= 40:  # two killed the moment the restored version is in
            delay = -1.0
            killed, lines = killed_at_swap(args, db)
        else:  # half over the whole run; half from the copy on, which is short next to
            # starting Python and reading every block of the backup first
            delay = rng.uniform(0 if trial % 2 else copying - 0.05, 1.05 * duration)
            killed, lines = killed_at(delay, args)
        where = phase(lines, RESTORE_PHASES)
        if any(line.startswith("copying") for line in lines):
            assert not (left & leftovers(folder)), f"{left} survived the next restore"
        if db.read_bytes() != before:
            assert digest(db) == restored, f"killed at {delay:.2f} s ({where})"
            where = "after the swap" if killed else "finished first"
        else:
            assert killed
        seen.append((where, "restore", delay))
        left = leftovers(folder)
        assert all(n.startswith((".s.duckdb.tmp-", ".s.duckdb.read-", "..s.duckdb.tmp-"))
                   for n in left), left  # fmt: skip
        for kept in backups.list_backups(db):
            assert kept.before == "restore" and kept.size in (len(before), source.stat().st_size)
        assert main(["metrics", "--db", str(db), "--json"]) == 0, capsys.readouterr().err
        capsys.readouterr()
        trial += 1
    assert main(["backup", "--db", str(db)]) == 0
    assert leftovers(folder) == set()
    capsys.readouterr()
    report(capsys, f"kill -9 during cxdash restore (full run {duration:.1f} s, copying from "
           f"{copying:.2f} s)", seen)
    assert digest(source) == restored  # the backup itself is only read
    assert sum(s[0] != "finished first" for s in seen) >= 14, seen
    assert any(s[0] == "after the swap" for s in seen), seen
