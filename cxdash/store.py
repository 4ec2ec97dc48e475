"""Where the store lives, how it is opened, and how a new version replaces the old one.

DuckDB lets many processes read a file but only one write it, and the dashboard keeps a
read-only connection open. So nothing ever writes the live file in place: a writer builds the
next version in a temporary file beside it and `os.replace`s it in one atomic step. Readers
that still hold the old file keep a consistent snapshot; the app notices the new inode and
reopens. A writer that dies half-way leaves only a temporary file behind, never a broken store;
the next writer (or backup) removes it. A full disk fails the write in one line, the store
unchanged.

Because no version is ever written in place, the version a writer replaces can be kept as a
backup by a hard link (`KeepReplaced`: an import --replace, `cxdash demo`, a restore), in `backups/`
beside the store with those taken by hand (`cxdash.backups`); the newest 10 automatic ones are
kept. What is wrong with a store that does not read, and the way back: `cxdash.diagnosis`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cxdash import derived
from cxdash.schema import TABLES_BY_NAME

DEFAULT_DB = Path("data") / "cxdash.duckdb"
ENV_DB = "CXDASH_DB"

# Leave room for Streamlit, Polars copies and caches next to DuckDB (ENGINEERING §2.1).
# Readers only query the store: no SQL on a read connection may touch other files (read_csv,
# COPY, ATTACH, glob …) — a second wall behind the custom-metric checks. Spilling still works.
READ_CONFIG = {"threads": 2, "memory_limit": "4GB", "enable_external_access": False}


class StoreError(Exception):
    """A store that is missing, empty, corrupt or locked; the message says what to do."""


def resolve_db_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`--db` wins over `CXDASH_DB`, which wins over data/cxdash.duckdb (relative to the cwd)."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(ENV_DB)
    return Path(env) if env else DEFAULT_DB


def store_version(path: Path) -> tuple[int, int, int]:
    """Changes whenever a new version is swapped in: the key for every cached result."""
    st = path.stat()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def diagnose(path: Path) -> str | None:
    """One line naming the path, what keeps cxdash from reading the store there (missing; not
    a DuckDB file or damaged; no contract tables; a newer version) and the way back; None if
    it reads (it may still be empty). The classification is `cxdash.diagnosis`."""
    from cxdash import diagnosis

    return diagnosis.diagnose(path)


def open_read(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the current version of a store read-only, as its own DuckDB instance.

    DuckDB hands a second `connect()` to the same path the instance already open in this
    process — after a swap that is the *old* file. So we connect through a private hard link
    to the file now at `path` (removed right after opening; the open file keeps it alive).
    A store that is missing or cannot be opened raises StoreError with what is wrong and the
    way back (`diagnose`).
    """
    from cxdash import diagnosis  # only its messages; it reads stores through this module

    if not path.exists():
        raise StoreError(diagnosis.StoreProblem("missing", "", path).message)
    try:
        return connect_read(path)
    except duckdb.Error as exc:
        found = diagnosis.problem(path) or diagnosis.from_error(path, exc)
        raise StoreError(found.message) from exc


def open_checked(path: Path) -> duckdb.DuckDBPyConnection:
    """`open_read`, and the store must be one cxdash reads: a contacts table with its
    required columns, written by this cxdash's schema version or an older one."""
    from cxdash import diagnosis

    con = open_read(path)
    try:
        found = diagnosis.contract_problem(con)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(diagnosis.from_error(path, exc).message) from exc
    if found is not None:
        con.close()
        raise StoreError(diagnosis.StoreProblem(*found, path=path).message)
    return con


def connect_read(path: Path) -> duckdb.DuckDBPyConnection:
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
            exc.args = (str(exc).replace(str(link), str(path)), *exc.args[1:])
        raise
    finally:
        if target is link:
            with contextlib.suppress(OSError):
                link.unlink()


@dataclass(frozen=True)
class StoreInfo:
    """What a store holds, so the query layer can adapt to stores written by other tools."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> type
    derived_fresh: bool = False
    orders_rows: int = 0
    reasons_rows: int = 0
    contacts_rows: int = 0
    # (start, end) of the periods cxdash.metrics.rollups holds the repurchase baseline for
    baseline_periods: frozenset[tuple[dt.date, dt.date]] = frozenset()

    def has_table(self, name: str) -> bool:
        return name in self.columns

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, {})


def contact_days(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """First and last day with contacts; None when there are none."""
    first, last = con.execute(
        "SELECT CAST(min(created_at) AS DATE), CAST(max(created_at) AS DATE) FROM contacts"
    ).fetchall()[0]
    return None if first is None else (first, last)


def inspect(con: duckdb.DuckDBPyConnection) -> StoreInfo:
    """Read the catalogue of a store: which contract tables and columns exist, and row counts.
    A lake on Spark (`cxdash.engines.spark.SparkConnection`) answers from its Parquet files."""
    if callable(own := getattr(con, "inspect", None)):
        return own()
    rows = con.execute(
        """SELECT table_name, column_name, data_type FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main'"""
    ).fetchall()
    columns: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        if table in TABLES_BY_NAME:
            columns.setdefault(table, {})[column] = dtype

    def count(table: str) -> int:
        if table not in columns:
            return 0
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    fresh = (
        "cxdash_meta" in columns
        and all(
            name in columns.get("contacts", {})
            for name in (
                "next_contact_at", "next_order_after_resolved_at", "next_order_after_created_at"
            )
        )
        and {"next_ordered_at", "prev_ordered_at"} <= set(columns.get("orders", {}))
        and derived.is_fresh(con)
    )
    baselines = frozenset(
        (start, end) for start, end in con.execute(
            "SELECT period_start, period_end FROM repurchase_baselines"
        ).fetchall()
    ) if fresh and "repurchase_baselines" in columns else frozenset()  # fmt: skip
    return StoreInfo(
        columns=columns,
        derived_fresh=fresh,
        orders_rows=count("orders"),
        reasons_rows=count("reasons"),
        contacts_rows=count("contacts"),
        baseline_periods=baselines,
    )


WRITE_MEMORY = "3GB"
_UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 2**10, "MIB": 2**20,
          "GIB": 2**30, "TIB": 2**40, "B": 1}  # fmt: skip


def write_memory_bytes() -> float:
    """The writers' memory limit in bytes (CXDASH_WRITE_MEMORY, else 3 GB)."""
    text = os.environ.get("CXDASH_WRITE_MEMORY", WRITE_MEMORY).strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    unit = text[len(number):] or "B"
    try:
        return float(number) * _UNITS[unit]
    except (KeyError, ValueError):
        return float("inf")


@dataclass
class KeepReplaced:
    """Asks a writer to keep the version it replaces as an automatic backup (`before`:
    "import", "demo" or "restore"); after the swap `path` says where it went."""

    before: str
    path: Path | None = None


@contextlib.contextmanager
def new_version(
    path: Path, *, from_existing: bool, keep: KeepReplaced | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to the next version of the store at `path`.

    The work happens on a copy (or a fresh file) beside `path`; on success the copy is
    checkpointed, closed, synced and atomically renamed over `path`. On any error — or Ctrl-C,
    or a kill — the live store is untouched and the temporary file is removed (or, after a
    kill, left as an inert `.tmp-*` file that the next writer or backup cleans up). A full
    disk raises StoreError ("no space left on device …; the store is unchanged"). With
    `keep`, the version being replaced is kept as an automatic backup (a hard link to it:
    no copy, no extra space until it is pruned).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(path), temp_version(path, "the new version of") as tmp:
        existing = from_existing and path.exists()
        if existing:
            shutil.copyfile(path, tmp)
        try:
            con = duckdb.connect(
                str(tmp),
                config={"threads": 2, "preserve_insertion_order": True,
                        # Writers stream and spill past this (files larger than memory import);
                        # CXDASH_WRITE_MEMORY lowers it on small machines.
                        "memory_limit": os.environ.get("CXDASH_WRITE_MEMORY", WRITE_MEMORY)},
            )  # fmt: skip
        except duckdb.Error as exc:
            if existing and not _no_space(exc):  # the copy is byte for byte the store
                raise StoreError(_damaged(path, exc, tmp)) from exc
            raise
        try:
            try:
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()
        except duckdb.Error as exc:  # the copy's blocks do not read: so would the store's
            text = str(exc)
            if existing and ("Corrupt database file" in text or str(tmp) in text) \
                    and not _no_space(exc):
                raise StoreError(_damaged(path, exc, tmp)) from exc
            raise
        swap_in(tmp, path, keep)
        if keep is not None and keep.path is not None:
            prune_backups(path)


# What DuckDB says about a file it cannot read as a database.
DAMAGE = re.compile(r"Corrupt database file|Could not read enough bytes|checksum|"
                    r"not a valid DuckDB database file|storage version", re.IGNORECASE)  # fmt: skip
STORAGE_VERSION = re.compile(r"storage version number (\d+), but we can only read storage "
                             r"versions between (\d+) and (\d+)")  # fmt: skip


def _damaged(path: Path, exc: BaseException, alias: Path) -> str:
    from cxdash import diagnosis

    found = diagnosis.problem(path, thorough=True) or diagnosis.from_error(path, exc, alias)
    return found.message


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """One writer at a time: two copy-and-swap writers would silently drop one's change.
    Backups hold it too, so no version is swapped in while one is copied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(f".{path.name}.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def temp_version(path: Path, what: str = "the new version of") -> Iterator[Path]:
    """A fresh temporary name beside `path` (not created), removed with everything DuckDB
    made for it (WAL, spill folder) when the block ends, however it ends. Run under
    `writer_lock`; first clears what killed writers left behind."""
    remove_stale_temps(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.tmp-{os.getpid()}-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    try:
        yield tmp
    except BaseException as exc:
        if _no_space(exc):
            raise StoreError(no_space_message(f"{what} {path}")) from exc
        raise
    finally:
        _remove_temp(tmp)


def swap_in(tmp: Path, path: Path, keep: KeepReplaced | None = None) -> None:
    """Make the finished file `tmp` the store at `path`, durably and in one step; with `keep`,
    the version it replaces becomes an automatic backup first (the caller prunes old ones).
    The first page's reads of the new version are saved beside it just before
    (`cxdash.first_view`: a rename keeps the inode, time and size they are keyed by)."""
    from cxdash import first_view  # it reads stores through this module

    first_view.prepare(tmp, path)
    fsync_path(tmp)
    if keep is not None and path.exists():
        keep.path = keep_old_version(path, keep.before)
    os.replace(tmp, path)
    fsync_path(path.parent)


def fsync_path(path: Path) -> None:
    """Flush a file's data, or a folder's entries (a rename), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_temp(tmp: Path) -> None:
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
            if _owner_alive(stale.name):
                continue
            _remove_temp(stale)
            removed.append(stale)
    return removed


def _owner_alive(name: str) -> bool:
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


def _no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text


ELSEWHERE = "put the store on another one with --db"


def no_space_message(what: str, elsewhere: str = ELSEWHERE) -> str:
    return (f"no space left on device while writing {what}; the store is unchanged (free "
            f"some space on that disk, or {elsewhere})")  # fmt: skip


# ---- backups ------------------------------------------------------------------------------
# Backups live in `backups/` beside the store, named <store stem>-YYYYmmdd-HHMMSS.duckdb (by
# hand: `cxdash backup`) or <stem>-YYYYmmdd-HHMMSS-before-<import|demo|restore>.duckdb (kept
# automatically by a writer that replaces the store's contents). Only the newest
# KEEP_AUTOMATIC automatic ones are kept; backups taken by hand are never deleted.
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
    `writer_lock`, so no other writer picks the same name."""
    folder = backup_dir(path)
    now = dt.datetime.now().replace(microsecond=0)
    same_second = [b.seq for b in list_backups(path) if b.taken == now]
    seq = max(same_second) + 1 if same_second else 0
    base = f"{path.stem}-{now.strftime(_STAMP)}" + (f"-before-{before}" if before else "")
    while (folder / (name := f"{base}-{seq}.duckdb" if seq else f"{base}.duckdb")).exists():
        seq += 1
    return folder / name


def keep_old_version(path: Path, before: str) -> Path:
    """Keep the store now at `path` as an automatic backup; run under `writer_lock`, right
    before a new version replaces it. Nothing writes a version in place, so a hard link *is*
    a backup (no copy, no space); across filesystems it is copied."""
    target = new_backup_path(path, before)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(path, target)
    except OSError:
        copy_durably(path, target, f"the backup {target}")
    fsync_path(target.parent)
    return target


def copy_durably(source: Path, target: Path, what: str, elsewhere: str = "") -> None:
    """Copy to a temporary name beside `target`, sync, then rename: `target` appears whole or
    not at all. A full disk raises StoreError; nothing is left behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for pattern in (".*.tmp-*", ".*.read-*"):  # copies and read links of killed processes
        for stale in target.parent.glob(pattern):
            if not _owner_alive(stale.name):
                _remove_temp(stale)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        shutil.copyfile(source, tmp)
        fsync_path(tmp)
        os.replace(tmp, target)
        fsync_path(target.parent)
    except BaseException as exc:
        _remove_temp(tmp)
        if _no_space(exc):
            raise StoreError(no_space_message(what, elsewhere or ELSEWHERE)) from exc
        raise


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
