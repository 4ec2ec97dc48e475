"""The backups folder beside a store: names, listing, keeping the replaced version, pruning.

Backups live in `backups/` beside the store, named <store stem>-YYYYmmdd-HHMMSS.duckdb (by
hand: `cxdash backup`) or <stem>-YYYYmmdd-HHMMSS-before-<import|demo|restore>.duckdb (kept
automatically by a writer that replaces the store's contents, `cxdash.publish`). Only the
newest KEEP_AUTOMATIC automatic ones are kept; backups taken by hand are never deleted. Taking
and restoring them: `cxdash.backup_restore`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cxdash.files import copy_durably, fsync_path

BACKUP_DIR = "backups"
KEEP_AUTOMATIC = 10
ENV_KEEP = "CXDASH_KEEP_BACKUPS"
BEFORE = ("import", "demo", "restore")
_STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class Backup:
    path: Path
    taken: dt.datetime
    size: int
    before: str | None  # "import", "demo", "restore": kept automatically; None: by hand
    seq: int = 0  # a second backup within the same second

    @property
    def automatic(self) -> bool:
        return self.before is not None

    @property
    def kind(self) -> str:
        if self.before == "import":
            return "automatic, before an import --replace"
        if self.before == "demo":
            return "automatic, before cxdash demo"
        if self.before == "restore":
            return "automatic, before a restore"
        return "taken by hand"


def backup_dir(path: Path) -> Path:
    return path.parent / BACKUP_DIR


def _backup_name(path: Path) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(path.stem)}-(\d{{8}}-\d{{6}})"
                      rf"(?:-before-({'|'.join(BEFORE)}))?(?:-(\d+))?\.duckdb")  # fmt: skip


def list_backups(path: Path) -> list[Backup]:
    """The store's backups in its backups folder, newest first."""
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    pattern = _backup_name(path)
    found = []
    for entry in folder.iterdir():
        match = pattern.fullmatch(entry.name)
        if match is None or not entry.is_file():
            continue
        try:
            taken = dt.datetime.strptime(match.group(1), _STAMP)
            info = entry.stat()
        except (ValueError, OSError):
            continue
        found.append(Backup(entry, taken, info.st_size, match.group(2), int(match.group(3) or 0)))
    return sorted(found, key=lambda b: (b.taken, b.seq), reverse=True)


def new_backup_path(path: Path, before: str | None = None) -> Path:
    """A name in the backups folder no backup has yet: the time now, which kind, and a
    sequence number after the first within the same second (the list's order). Run under
    `store.writer_lock`, so no other writer picks the same name."""
    folder = backup_dir(path)
    now = dt.datetime.now().replace(microsecond=0)
    same_second = [b.seq for b in list_backups(path) if b.taken == now]
    seq = max(same_second) + 1 if same_second else 0
    base = f"{path.stem}-{now.strftime(_STAMP)}" + (f"-before-{before}" if before else "")
    while (folder / (name := f"{base}-{seq}.duckdb" if seq else f"{base}.duckdb")).exists():
        seq += 1
    return folder / name


def keep_old_version(path: Path, before: str) -> Path:
    """Keep the store now at `path` as an automatic backup; run under `store.writer_lock`,
    right before a new version replaces it. Nothing writes a version in place, so a hard link
    *is* a backup (no copy, no space); across filesystems it is copied."""
    target = new_backup_path(path, before)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(path, target)
    except OSError:
        copy_durably(path, target, f"the backup {target}")
    fsync_path(target.parent)
    return target


def keep_automatic() -> int:
    """How many automatic backups are kept: CXDASH_KEEP_BACKUPS (at least 1), else 10."""
    try:
        return max(1, int(os.environ.get(ENV_KEEP, KEEP_AUTOMATIC)))
    except ValueError:
        return KEEP_AUTOMATIC


def prune_backups(
    path: Path, keep: int | None = None, exclude: tuple[Path, ...] = ()
) -> list[Path]:
    """Delete automatic backups beyond the newest `keep` (CXDASH_KEEP_BACKUPS, else 10)."""
    keep = keep_automatic() if keep is None else keep
    spared = {p.resolve() for p in exclude}
    automatic = [b for b in list_backups(path) if b.automatic]
    removed = []
    for old in automatic[keep:]:
        if old.path.resolve() in spared:
            continue
        with contextlib.suppress(FileNotFoundError):
            old.path.unlink()
            removed.append(old.path)
    return removed
