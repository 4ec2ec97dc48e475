"""The file operations under the store: durable copies and renames, temporary names and what
killed processes left behind, and opening a DuckDB file read-only through a private link.

Nothing here knows what a cxdash store holds; `cxdash.store` (versions), `cxdash.backups`
(the backups folder) and `cxdash.diagnosis` (what is wrong with a file) build on it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from pathlib import Path

import duckdb

# Leave room for Streamlit, Polars copies and caches next to DuckDB (ENGINEERING §2.1).
# Readers only query the store: no SQL on a read connection may touch other files (read_csv,
# COPY, ATTACH, glob …) — a second wall behind the custom-metric checks. Spilling still works.
# The value type is duckdb.connect's `config` parameter's (a dict is invariant in it).
READ_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "threads": 2, "memory_limit": "4GB", "enable_external_access": False,
}  # fmt: skip


class StoreError(Exception):
    """A store that is missing, empty, corrupt or locked; the message says what to do."""


def connect_read(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file now at `path` read-only, as its own DuckDB instance.

    DuckDB hands a second `connect()` to the same path the instance already open in this
    process — after a swap that is the *old* file. So we connect through a private hard link
    to the file now at `path` (removed right after opening; the open file keeps it alive)."""
    link = path.with_name(f".{path.name}.read-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    try:
        os.link(path, link)
        target = link
    except OSError:  # no hard links here (another filesystem): fall back to the path itself
        target = path
    try:
        return duckdb.connect(str(target), read_only=True, config=READ_CONFIG)
    except duckdb.Error as exc:
        if target is link:  # name the store, not our private link, in the message
            text = str(exc).replace(os.path.abspath(link), str(path)).replace(str(link), str(path))
            exc.args = (text, *exc.args[1:])
        raise
    finally:
        if target is link:
            with contextlib.suppress(OSError):
                link.unlink()


def fsync_path(path: Path) -> None:
    """Flush a file's data, or a folder's entries (a rename), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_temp(tmp: Path) -> None:
    """Remove a temporary version with everything DuckDB made for it (WAL, spill folder)."""
    for leftover in (tmp, Path(f"{tmp}.wal"), Path(f"{tmp}.tmp")):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete what killed processes left beside the store: temporary versions (with their WAL
    and spill folders) and private read links, when the pid in their name is gone. Returns
    what was removed."""
    removed = []
    for pattern in (f".{path.name}.tmp-*", f".{path.name}.read-*", f"..{path.name}.tmp-*"):
        for stale in path.parent.glob(pattern):
            if owner_alive(stale.name):
                continue
            remove_temp(stale)
            removed.append(stale)
    return removed


def owner_alive(name: str) -> bool:
    """`.x.tmp-<pid>-…` / `.x.read-<pid>-…`: is that process still running?"""
    rest = name.split(".tmp-", 1)[1] if ".tmp-" in name else name.split(".read-", 1)[-1]
    pid_text = rest.split("-", 1)[0]
    return pid_text.isdigit() and _alive(int(pid_text))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def no_space(exc: BaseException) -> bool:
    """Whether an error is a full disk (or quota), whoever raised it."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text


ELSEWHERE = "put the store on another one with --db"


def no_space_message(what: str, elsewhere: str = ELSEWHERE) -> str:
    return (f"no space left on device while writing {what}; the store is unchanged (free "
            f"some space on that disk, or {elsewhere})")  # fmt: skip


def require_writable(folder: Path, what: str) -> None:
    """Refuse, in one line naming the folder, to write where this user may not (a folder
    without write permission for them, or on a read-only file system), before anything is
    written. For a folder still to be made, the nearest one that exists is asked. `what`
    says what would have been written there."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or os.access(existing, os.W_OK | os.X_OK):
        return  # a file in the way fails on its own, naming it
    try:
        read_only_fs = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    except OSError:
        read_only_fs = False
    why = "it is on a read-only file system" if read_only_fs else "this user may not write in it"
    raise StoreError(f"cannot write in the folder {existing} ({why}): {what}; nothing was "
                     "changed (make the folder writable for this user, or use one that is)")


def copy_durably(source: Path, target: Path, what: str, elsewhere: str = "") -> None:
    """Copy to a temporary name beside `target`, sync, then rename: `target` appears whole or
    not at all. A full disk raises StoreError; nothing is left behind. So does a folder this
    user may not write in (`require_writable`)."""
    require_writable(target.parent, f"{what} is written there")
    target.parent.mkdir(parents=True, exist_ok=True)
    for pattern in (".*.tmp-*", ".*.read-*"):  # copies and read links of killed processes
        for stale in target.parent.glob(pattern):
            if not owner_alive(stale.name):
                remove_temp(stale)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        shutil.copyfile(source, tmp)
        fsync_path(tmp)
        os.replace(tmp, target)
        fsync_path(target.parent)
    except BaseException as exc:
        remove_temp(tmp)
        if no_space(exc):
            raise StoreError(no_space_message(what, elsewhere or ELSEWHERE)) from exc
        raise
