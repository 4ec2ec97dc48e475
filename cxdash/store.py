"""Where the store lives, how it is opened, and how a new version replaces the old one.

DuckDB lets many processes read a file but only one write it, and the dashboard keeps a
read-only connection open. So nothing ever writes the live file in place: a writer builds the
next version in a temporary file beside it and `os.replace`s it in one atomic step. Readers
that still hold the old file keep a consistent snapshot; the app notices the new inode and
reopens. A writer that dies half-way leaves only a temporary file behind, never a broken store.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
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


def open_read(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the current version of a store read-only, as its own DuckDB instance.

    DuckDB hands a second `connect()` to the same path the instance already open in this
    process — after a swap that is the *old* file. So we connect through a private hard link
    to the file now at `path` (removed right after opening; the open file keeps it alive).
    """
    if not path.exists():
        raise StoreError(
            f"no store at {path}: run `cxdash demo --db {path}` for demo data "
            f"or `cxdash import FILE --db {path}` for your own"
        )
    link = path.with_name(f".{path.name}.read-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    try:
        os.link(path, link)
        target = link
    except OSError:  # no hard links here (another filesystem): fall back to the path itself
        target = path
    try:
        con = duckdb.connect(str(target), read_only=True, config=READ_CONFIG)
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot open the store {path} ({_first_line(exc)}); if it is damaged, restore a "
            f"backup or rebuild it with `cxdash demo --db {path}`"
        ) from exc
    finally:
        if target is link:
            with contextlib.suppress(OSError):
                link.unlink()
    return con


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@dataclass(frozen=True)
class StoreInfo:
    """What a store holds, so the query layer can adapt to stores written by other tools."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> type
    derived_fresh: bool = False
    orders_rows: int = 0
    reasons_rows: int = 0
    contacts_rows: int = 0

    def has_table(self, name: str) -> bool:
        return name in self.columns

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, {})


def inspect(con: duckdb.DuckDBPyConnection) -> StoreInfo:
    """Read the catalogue of a store: which contract tables and columns exist, and row counts."""
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
    return StoreInfo(
        columns=columns,
        derived_fresh=fresh,
        orders_rows=count("orders"),
        reasons_rows=count("reasons"),
        contacts_rows=count("contacts"),
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


@contextlib.contextmanager
def new_version(path: Path, *, from_existing: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to the next version of the store at `path`.

    The work happens on a copy (or a fresh file) beside `path`; on success the copy is
    checkpointed, closed and atomically renamed over `path`. On any error — or Ctrl-C, or a
    kill — the live store is untouched and the temporary file is removed (or, after a kill,
    left as an inert `.tmp-*` file that the next writer cleans up).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with _writer_lock(path):
        yield from _build_and_swap(path, from_existing=from_existing)


@contextlib.contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    """One writer at a time: two copy-and-swap writers would silently drop one's change."""
    lock_path = path.with_name(f".{path.name}.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_and_swap(path: Path, *, from_existing: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    _remove_stale_temps(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.tmp-{os.getpid()}-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    try:
        if from_existing and path.exists():
            shutil.copyfile(path, tmp)
        con = duckdb.connect(
            str(tmp),
            config={"threads": 2, "preserve_insertion_order": True,
                    # Writers stream and spill past this (files larger than memory import);
                    # CXDASH_WRITE_MEMORY lowers it on small machines.
                    "memory_limit": os.environ.get("CXDASH_WRITE_MEMORY", WRITE_MEMORY)},
        )
        try:
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}.wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _remove_stale_temps(path: Path) -> None:
    """Delete temporary versions left by writers that were killed (their pid is gone)."""
    for stale in path.parent.glob(f".{path.name}.tmp-*"):
        pid_text = stale.name.split(".tmp-", 1)[1].split("-", 1)[0]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            stale.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
