"""`cxdash backup`, `cxdash restore` and `cxdash backups`: copies of the store and the way back.

A backup is a consistent copy: it is taken under the writers' lock (`store.writer_lock`), so
no new version is swapped in while it is copied, and it is read back (opened read-only, every
block of every table read, its contacts counted) before it is reported. A restore checks that
the file is a cxdash store whose every block reads, copies it beside the live store, syncs
it, reads the copy back and swaps it in with one `os.replace` under the same lock: running
readers, the app too, pick the restored version up as they would an import. The store it
replaces is kept as an automatic backup.

Where backups go, their names and how many automatic ones are kept: `cxdash.backups`
(`backups/` beside the store; the newest 10 automatic ones; those taken by hand stay). A
restore is published like any new version (`cxdash.publish.swap_finished`: its first page
prepared, the replaced store kept).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cxdash import backups, diagnosis, files, publish, store
from cxdash.store import StoreError

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    contacts: int


@dataclass(frozen=True)
class RestoreResult:
    store: Path
    source: Path
    contacts: int
    kept: Path | None  # the store it replaced, kept as an automatic backup (None: there was none)
    kept_readable: bool


@dataclass(frozen=True)
class Listed:
    backup: backups.Backup
    contacts: int | None  # None: it does not read as a cxdash store
    problem: str | None


def count_contacts(path: Path, *, every_block: bool = False) -> int:
    """Open a store read-only and count its contacts (StoreError when it does not read);
    `every_block` reads every row of every table first, so damage anywhere shows."""
    con = store.open_read(path)
    try:
        if every_block:
            diagnosis.read_every_block(con)
        return int(con.execute("SELECT count(*) FROM contacts").fetchall()[0][0])
    except duckdb.Error as exc:
        raise StoreError(diagnosis.from_error(path, exc).message) from exc
    finally:
        con.close()


def take_backup(path: Path, out: Path | None = None) -> BackupResult:
    """Copy the store at `path` to `out` (default: a new name in its backups folder) under the
    writers' lock, and read the copy back. Leftovers of killed writers go first."""
    found = diagnosis.problem(path)
    if found is not None:
        if found.kind == "missing":
            raise StoreError(f"no store at {path}: nothing to back up")
        raise StoreError(f"cannot back up: {found.message}")
    if out is not None and out.exists():
        raise StoreError(f"--out {out} already exists: name a new file")
    with store.writer_lock(path):
        files.remove_stale_temps(path)
        target = out if out is not None else backups.new_backup_path(path)
        files.copy_durably(path, target, f"the backup {target}",
                           "write the backup to another disk with --out")  # fmt: skip
    try:
        contacts = count_contacts(target, every_block=True)
    except StoreError as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        # Damage the first check did not reach is the store's own: name it, with its way back.
        found = diagnosis.problem(path, thorough=True)
        why = found.message if found is not None else str(exc)
        raise StoreError(f"cannot back up: the copy {target} did not read back, so it was "
                         f"removed: {why}") from exc
    return BackupResult(target, target.stat().st_size, contacts)


def restore(path: Path, source: Path, progress: Progress | None = None) -> RestoreResult:
    """Make the backup `source` the store at `path`. The file must read as a cxdash store;
    the store it replaces (if any) is kept as an automatic backup, readable or not."""
    say = progress or (lambda _msg: None)
    if not source.is_file():
        raise StoreError(f"{source}: no such file")
    if path.exists() and os.path.samefile(source, path):
        raise StoreError(f"{source} is the store itself: name a backup to restore")
    say(f"checking {source}")
    found = diagnosis.classify_file(source, thorough=True)
    if found is not None:
        why = diagnosis.StoreProblem(*found, path=source).predicate
        raise StoreError(f"cannot restore {source}: it {why}; nothing was changed")
    path.parent.mkdir(parents=True, exist_ok=True)
    with store.writer_lock(path), store.temp_version(path, "the restored copy of") as tmp:
        say(f"copying it beside {path}")
        shutil.copyfile(source, tmp)
        say("reading the copy back")
        contacts = count_contacts(tmp)
        readable = path.exists() and diagnosis.classify_file(path) is None
        say("swapping it in")
        kept = publish.swap_finished(tmp, path, keep="restore")
    backups.prune_backups(path, exclude=(source,))
    return RestoreResult(path, source, contacts, kept, readable)


def listed(path: Path) -> list[Listed]:
    """The store's backups, newest first, each read back (contacts, or what is wrong)."""
    out = []
    for backup in backups.list_backups(path):
        found = diagnosis.classify_file(backup.path)
        if found is not None:
            problem = diagnosis.StoreProblem(*found, path=backup.path)
            out.append(Listed(backup, None, f"it {problem.predicate}"))
            continue
        try:
            out.append(Listed(backup, count_contacts(backup.path), None))
        except StoreError as exc:
            out.append(Listed(backup, None, str(exc)))
    return out
