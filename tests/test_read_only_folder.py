"""A store's folder the user may not write in: every writer stops in one line that names the
folder, exits 2 and changes nothing, before anything is written.

Root writes anywhere, so the command line runs in a subprocess that may not: as `nobody`, or
(where `nobody` cannot reach this Python, as here under /root) as root without the
capabilities that override file permissions (CAP_DAC_OVERRIDE and friends), for whom a 0555
folder it owns is read-only as for anyone. Skipped only where neither works.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storebuilder import build_store, ts

CXDASH = [sys.executable, "-m", "cxdash"]
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable"]

ONE = [{"contact_id": f"c{i}", "created_at": ts("2026-03-02 09:00") + dt.timedelta(hours=i)}
       for i in range(20)]  # fmt: skip


def _refused_in(prefix: list[str], folder: Path) -> bool:
    """Whether a process started with `prefix` runs cxdash's Python and may not write in the
    0555 `folder`."""
    probe = ("import cxdash, pathlib, sys\n"
             "try:\n"
             f"    pathlib.Path({str(folder)!r}, 'probe').write_text('x')\n"
             "except PermissionError:\n"
             "    sys.exit(0)\n"
             "sys.exit(1)\n")  # fmt: skip
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", probe], capture_output=True,
                              timeout=60, cwd="/")  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="module")
def place() -> Iterator[Path]:
    """A folder everyone can reach (pytest's own is private to the user running it)."""
    folder = Path(tempfile.mkdtemp(prefix="cxdash-ro-"))
    folder.chmod(0o755)
    yield folder
    for root, dirs, _ in os.walk(folder):
        for name in dirs:
            (Path(root) / name).chmod(0o755)
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def unprivileged(place: Path) -> list[str]:
    """The command prefix that runs without the right to write in a 0555 folder."""
    probe = place / "probe"
    probe.mkdir(mode=0o555)
    probe.chmod(0o555)
    candidates = [[]] if os.geteuid() != 0 else []
    if shutil.which("setpriv"):
        candidates += [AS_NOBODY, NO_OVERRIDE]
    for prefix in candidates:
        if _refused_in(prefix, probe):
            return prefix
    pytest.skip("no way to run the command line without the right to write everywhere")


def _cxdash(prefix: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXDASH_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([*prefix, *CXDASH, *args], capture_output=True, text=True,
                          timeout=300, cwd="/", env=env)  # fmt: skip


def _digest(folder: Path) -> dict[str, str]:
    """Every file below `folder` and its contents (the writers' empty lock file aside)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}  # fmt: skip


def _one_line(done: subprocess.CompletedProcess[str], folder: Path) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("cxdash: error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"cxdash: error: cannot write in the folder {folder} ("), lines[0]
    assert ".lock" not in lines[0] and ".tmp-" not in lines[0] and ".read-" not in lines[0]
    return lines[0]


@pytest.fixture
def sealed(place: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, Path, Path]]:
    """A store in a folder of mode 0555, a CSV and a backup beside it (outside)."""
    folder = place / request.node.name.replace("[", "-").replace("]", "")
    db = build_store(folder / "store" / "s.duckdb", ONE)
    csv = folder / "new.csv"
    csv.write_text("contact_id,created_at\nn1,2026-03-05 10:00\n")
    backup = folder / "kept.duckdb"
    shutil.copyfile(db, backup)
    for path in (db, csv, backup):
        path.chmod(0o644)
    for path in (folder, db.parent):
        path.chmod(0o755)
    db.parent.chmod(0o555)
    yield db, csv, backup
    db.parent.chmod(0o755)


WRITERS = [
    ("import", lambda db, csv, kept: ["import", str(csv), "--db", str(db), "--quiet"]),
    ("import --replace", lambda db, csv, kept: ["import", str(csv), "--db", str(db), "--quiet",
                                                "--replace"]),
    ("backup", lambda db, csv, kept: ["backup", "--db", str(db)]),
    ("backup --out elsewhere", lambda db, csv, kept: ["backup", "--db", str(db), "--out",
                                                      str(kept.with_name("out.duckdb"))]),
    ("demo", lambda db, csv, kept: ["demo", "--db", str(db), "--contacts", "1000"]),
    ("restore", lambda db, csv, kept: ["restore", str(kept), "--db", str(db)]),
    ("a new store below it", lambda db, csv, kept: ["import", str(csv), "--db",
                                                    str(db.parent / "sub" / "s.duckdb")]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "argv"), WRITERS, ids=[w[0] for w in WRITERS])
def test_a_read_only_store_folder_stops_every_writer_in_one_line(
    unprivileged: list[str], sealed: tuple[Path, Path, Path], name, argv
) -> None:
    db, csv, kept = sealed
    before = _digest(db.parent)
    line = _one_line(_cxdash(unprivileged, *argv(db, csv, kept)), db.parent)
    assert "nothing was changed" in line
    assert _digest(db.parent) == before
    assert not kept.with_name("out.duckdb").exists()


def test_a_read_only_backups_folder_is_named_and_an_append_still_works(
    unprivileged: list[str], sealed: tuple[Path, Path, Path]
) -> None:
    db, csv, _ = sealed
    db.parent.chmod(0o777)  # writable for whoever runs the command line
    folder = db.parent / "backups"
    folder.mkdir(mode=0o555)
    folder.chmod(0o555)
    before = _digest(db.parent)
    for argv in (["backup", "--db", str(db)],
                 ["import", str(csv), "--db", str(db), "--quiet", "--replace"]):  # fmt: skip
        _one_line(_cxdash(unprivileged, *argv), folder)
        assert _digest(db.parent) == before  # the replace kept the store as it was
    done = _cxdash(unprivileged, "import", str(csv), "--db", str(db), "--quiet")
    assert done.returncode == 0, done.stderr  # an append keeps no backup: it needs none


def test_another_users_lock_file_does_not_stop_a_writer_but_an_unreadable_one_is_named(
    unprivileged: list[str], sealed: tuple[Path, Path, Path]
) -> None:
    db, csv, _ = sealed
    db.parent.chmod(0o777)
    lock = db.with_name(f".{db.name}.lock")
    lock.touch()
    lock.chmod(0o444)  # readable: a lock needs no more
    done = _cxdash(unprivileged, "import", str(csv), "--db", str(db), "--quiet")
    assert done.returncode == 0, done.stderr
    lock.chmod(0o000)
    done = _cxdash(unprivileged, "import", str(csv), "--db", str(db), "--quiet")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"cxdash: error: cannot open the lock file {lock} ")


def test_the_lake_export_names_the_folder(
    unprivileged: list[str], sealed: tuple[Path, Path, Path]
) -> None:
    db, _, _ = sealed
    _one_line(_cxdash(unprivileged, "export-parquet", "--db", str(db), "--out",
                      str(db.parent / "lake")), db.parent)  # fmt: skip
