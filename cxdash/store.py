"""Where the store lives, how it is opened, and how a new version replaces the old one.

DuckDB lets many processes read a file but only one write it, and the dashboard keeps a
read-only connection open. So nothing ever writes the live file in place: a writer builds the
next version in a temporary file beside it and `os.replace`s it in one atomic step. Readers
that still hold the old file keep a consistent snapshot; the app notices the new inode and
reopens. A writer that dies half-way leaves only a temporary file behind, never a broken store;
the next writer (or backup) removes it. A full disk fails the write in one line, the store
unchanged.

This module is the file mechanics only: the lock, the temporary file, the checkpoint, fsync
and swap, opening and inspecting. What a new version carries besides the writer's rows (the
derived columns, the rollups, the first page) and which version is kept as a backup is
`cxdash.publish`, which hands its steps in as the hook run just before the swap. What is wrong
with a store that does not read, and the way back: `cxdash.diagnosis`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import duckdb

from cxdash import derived, diagnosis
from cxdash.files import (
    READ_CONFIG,
    StoreError,
    connect_read,
    fsync_path,
    no_space,
    no_space_message,
    remove_stale_temps,
    remove_temp,
    require_writable,
)
from cxdash.schema import TABLES_BY_NAME

__all__ = ["READ_CONFIG", "StoreError", "connect_read", "fsync_path", "no_space_message",
           "require_writable"]

DEFAULT_DB = Path("data") / "cxdash.duckdb"
BeforeSwap = Callable[[Path], None]
ENV_DB = "CXDASH_DB"

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
    return diagnosis.diagnose(path)


def open_read(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the current version of a store read-only, as its own DuckDB instance.

    DuckDB hands a second `connect()` to the same path the instance already open in this
    process — after a swap that is the *old* file. So we connect through a private hard link
    to the file now at `path` (removed right after opening; the open file keeps it alive).
    A store that is missing or cannot be opened raises StoreError with what is wrong and the
    way back (`diagnose`).
    """
    if not path.exists():
        raise StoreError(diagnosis.StoreProblem("missing", "", path).message)
    try:
        return connect_read(path)
    except duckdb.Error as exc:
        found = diagnosis.problem(path) or diagnosis.from_error(path, exc)
        raise StoreError(found.message) from exc


def open_checked(path: Path) -> duckdb.DuckDBPyConnection:
    """`open_read`, and the store must be one cxdash reads: a contacts table with its
    required columns, written by this cxdash's schema version or an older one, and no data
    lost to a file cut short."""
    con = open_read(path)
    try:
        found = diagnosis.contract_problem(con)
        if found is None:  # cut short: read every block, so lost data shows now
            diagnosis.check_length(con, path.stat().st_size)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(diagnosis.from_error(path, exc).message) from exc
    if found is not None:
        con.close()
        raise StoreError(diagnosis.StoreProblem(*found, path=path).message)
    return con


@dataclass(frozen=True)
class StoreInfo:
    """What a store holds, so the query layer can adapt to stores written by other tools."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> type
    derived_fresh: bool = False
    orders_rows: int = 0
    reasons_rows: int = 0
    contacts_rows: int = 0
    # (start, end, as_of) of the periods cxdash.metrics.rollups holds the repurchase baseline
    # for (as_of None: measured on the data as it stands)
    baseline_periods: frozenset[tuple[dt.date, dt.date, dt.date | None]] = frozenset()
    # Contacts with a value, per contract column of contacts (SPEC §3 "not in your data");
    # None when not known: every column there is then taken as provided.
    field_contacts: dict[str, int] | None = None
    newest_contact_day: dt.date | None = None  # the newest created_at's day (like for like)

    def has_table(self, name: str) -> bool:
        return name in self.columns

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, {})

    def provides(self, column: str) -> bool:
        """Whether any contact holds a value in `column`: a store without one cannot say
        anything about it (a metric on it is "not in your data", never 0 %)."""
        if not self.has_column("contacts", column):
            return False
        return self.field_contacts is None or self.field_contacts.get(column, 0) > 0


def contact_days(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    """First and last day with contacts; None when there are none."""
    first, last = con.execute(
        "SELECT CAST(min(created_at) AS DATE), CAST(max(created_at) AS DATE) FROM contacts"
    ).fetchall()[0]
    return None if first is None else (first, last)


def last_day_ends_early(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The newest contact's time when the data's last day looks cut short — its newest
    contact came more than an hour earlier in the day than on most of the 28 days before
    (an export taken at noon) — else None. Period presets ending on it say so."""
    row = con.execute(
        """WITH last_at AS (
             SELECT CAST(created_at AS DATE) AS day, max(created_at) AS last_ts FROM contacts
             WHERE created_at >= (SELECT CAST(max(created_at) AS DATE) - 28 FROM contacts)
             GROUP BY ALL)
           SELECT (SELECT max(last_ts) FROM last_at),
                  median(epoch(last_ts) - epoch(CAST(day AS TIMESTAMP)))
                    FILTER (WHERE day < (SELECT max(day) FROM last_at)),
                  count(*) FILTER (WHERE day < (SELECT max(day) FROM last_at))
           FROM last_at"""
    ).fetchall()[0]
    newest, usual, days = row
    if newest is None or not days or days < 7 or usual is None:
        return None
    into_day = (newest - dt.datetime.combine(newest.date(), dt.time())).total_seconds()
    return newest if into_day < float(usual) - 3600 else None


def inspect(con: duckdb.DuckDBPyConnection) -> StoreInfo:
    """Read the catalogue of a store: which contract tables and columns exist, and row counts.
    A lake on Spark (`cxdash.engines.spark.SparkConnection`) answers from its Parquet files."""
    if callable(own := getattr(con, "inspect", None)):
        return cast(StoreInfo, own())  # SparkConnection.inspect
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
                "next_contact_at", "next_order_after_resolved_at", "next_order_after_created_at",
                "driver",
            )
        )
        and {"next_ordered_at", "prev_ordered_at"} <= set(columns.get("orders", {}))
        and derived.is_fresh(con)
    )
    # A store written before the rollup was measured like for like (no as_of) computes live.
    baselines = frozenset(
        (start, end, as_of) for start, end, as_of in con.execute(
            "SELECT period_start, period_end, as_of FROM repurchase_baselines"
        ).fetchall()
    ) if fresh and "as_of" in columns.get("repurchase_baselines", {}) else frozenset()  # fmt: skip
    # Stamped when the version was published; counted now for a store cxdash did not write.
    known = derived.stamped_contact_fields(con) if fresh else None
    fields, newest = known or (derived.contact_fields(con, columns["contacts"])
                               if "contacts" in columns else ({}, None))  # fmt: skip
    return StoreInfo(
        columns=columns,
        derived_fresh=fresh,
        orders_rows=count("orders"),
        reasons_rows=count("reasons"),
        contacts_rows=count("contacts"),
        baseline_periods=baselines,
        field_contacts=fields,
        newest_contact_day=newest,
    )


# What a writer puts in the store's folder, for the one line that refuses a folder the user
# may not write in (`cxdash.files.require_writable`).
WRITTEN_THERE = ("cxdash writes the store's lock, its next version (swapped in by a rename) "
                 "and its backups there")  # fmt: skip

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


def refuse_read_only(path: Path) -> None:
    """A store someone made read-only (`chmod a-w`) is not to be replaced by a writable copy:
    a version is swapped in by a rename, which the file's own mode does not stop (nor does
    root's access check), so its write bits are asked."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & 0o222:
        raise StoreError(f"the store {path} is read-only (mode {mode & 0o777:o}): nothing was "
                         f"written; make it writable (chmod u+w {path}) to change it")


@contextlib.contextmanager
def new_version(
    path: Path, *, from_existing: bool, before_swap: BeforeSwap | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to the next version of the store at `path`.

    The work happens on a copy (or a fresh file) beside `path`; on success the copy is
    checkpointed, closed, synced and atomically renamed over `path`. On any error — or Ctrl-C,
    or a kill — the live store is untouched and the temporary file is removed (or, after a
    kill, left as an inert `.tmp-*` file that the next writer or backup cleans up). A full
    disk raises StoreError ("no space left on device …; the store is unchanged").
    `before_swap(tmp)` runs on the finished, closed file under the lock, right before it is
    synced and swapped in (`cxdash.publish`: the first page, the backup of the old version).
    """
    require_writable(path.parent, WRITTEN_THERE)
    path.parent.mkdir(parents=True, exist_ok=True)
    refuse_read_only(path)
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
            if existing and not no_space(exc):  # the copy is byte for byte the store
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
                    and not no_space(exc):
                raise StoreError(_damaged(path, exc, tmp)) from exc
            raise
        swap_in(tmp, path, before_swap)


def _damaged(path: Path, exc: BaseException, alias: Path) -> str:
    return diagnosis.write_failure_message(path, exc, alias)


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """One writer at a time: two copy-and-swap writers would silently drop one's change.
    Backups hold it too, so no version is swapped in while one is copied."""
    require_writable(path.parent, WRITTEN_THERE)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(f".{path.name}.lock")
    with _open_lock(lock_path) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _open_lock(lock_path: Path) -> IO[str]:
    """The lock file, made if need be. Another user's lock file (not writable for this one)
    is opened for reading: locking it needs no more."""
    try:
        return lock_path.open("a")
    except PermissionError:
        try:
            return lock_path.open("r")
        except PermissionError as exc:
            raise StoreError(f"cannot open the lock file {lock_path} (this user may not read "
                             "it): writers take it before they change the store; nothing was "
                             "changed") from exc  # fmt: skip


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
        if no_space(exc):
            raise StoreError(no_space_message(f"{what} {path}")) from exc
        raise
    finally:
        remove_temp(tmp)


def swap_in(tmp: Path, path: Path, before_swap: BeforeSwap | None = None) -> None:
    """Make the finished file `tmp` the store at `path`, durably and in one step, running
    `before_swap(tmp)` first (under the caller's writer lock: nothing else is swapped in
    meanwhile). A rename keeps the inode, time and size the new version is keyed by."""
    if before_swap is not None:
        before_swap(tmp)
    fsync_path(tmp)
    os.replace(tmp, path)
    fsync_path(path.parent)
