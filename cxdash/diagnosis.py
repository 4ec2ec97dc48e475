"""What keeps cxdash from reading a store, in words, with the way back.

A store can be missing; not a DuckDB file (or an empty one); a DuckDB file too damaged to
read (a checksum that does not match, a truncated file); a DuckDB file that is not a cxdash
store (no contacts table with its required columns); or written by a newer DuckDB or cxdash.
Each gets one line that names the path and says what to do: restore the newest backup that
itself reads (`cxdash restore …`), or, without one, rebuild with `cxdash demo` / `cxdash
import`. The CLI prints the line; the app shows it with the commands and the backups
(`cxdash.ui.store_health`).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb

from cxdash.backups import Backup, backup_dir, list_backups
from cxdash.files import connect_read
from cxdash.schema import SCHEMA_VERSION, TABLES_BY_NAME

KINDS = ("missing", "not_duckdb", "corrupt", "not_cxdash", "version", "locked")

# What DuckDB says about a file it cannot read as a database.
DAMAGE = re.compile(r"Corrupt database file|Could not read enough bytes|checksum|"
                    r"not a valid DuckDB database file|storage version", re.IGNORECASE)  # fmt: skip
STORAGE_VERSION = re.compile(r"storage version number (\d+), but we can only read storage "
                             r"versions between (\d+) and (\d+)")  # fmt: skip
# DuckDB's file begins with its file header and two database headers, 4 KiB each; its blocks
# follow, so a whole file is at least this plus block_size × total_blocks long.
HEADERS_BYTES = 3 * 4096


@dataclass(frozen=True)
class StoreProblem:
    """Why the store at `path` cannot be read: `kind` is one of KINDS, `detail` a few words."""

    kind: str
    detail: str
    path: Path

    @cached_property
    def backups(self) -> list[Backup]:
        return list_backups(self.path)

    @cached_property
    def good_backup(self) -> Backup | None:
        """The newest backup that is itself a readable cxdash store."""
        return next((b for b in self.backups if classify_file(b.path) is None), None)

    @property
    def predicate(self) -> str:
        """What is wrong, after "the store P" or "it": "is damaged (…)"."""
        return {
            "missing": "does not exist",
            "not_duckdb": f"is not a DuckDB database file ({self.detail})",
            "corrupt": f"is damaged ({self.detail})",
            "not_cxdash": f"is a DuckDB file but not a cxdash store ({self.detail})",
            "version": f"was written by a newer version ({self.detail})",
            "locked": f"is locked by another program ({self.detail})",
        }[self.kind]

    @property
    def what(self) -> str:
        if self.kind == "missing":
            return f"no store at {self.path}"
        return f"the store {self.path} {self.predicate}"

    @property
    def unreadable(self) -> bool:
        """DuckDB cannot open it, so an import cannot start from it (a demo replaces it)."""
        return self.kind in ("not_duckdb", "corrupt", "version")

    def commands(self) -> list[str]:
        """The way back as commands to run: restoring the newest good backup (and listing the
        others) if there is one, else rebuilding."""
        if self.kind == "locked":
            return []
        db = shlex.quote(str(self.path))
        good = self.good_backup
        if good is not None:
            return [f"cxdash restore {shlex.quote(str(good.path))} --db {db}",
                    f"cxdash backups --db {db}"]  # fmt: skip
        if self.unreadable:
            aside = shlex.quote(f"{self.path}.damaged")
            return [f"cxdash demo --db {db}", f"mv {db} {aside} && cxdash import FILE --db {db}"]
        return [f"cxdash demo --db {db}", f"cxdash import FILE --db {db}"]

    @property
    def message(self) -> str:
        """One line: what is wrong, and what to do."""
        db = shlex.quote(str(self.path))
        if self.kind == "locked":
            return f"{self.what}: close it (or wait for it to finish) and try again"
        good = self.good_backup
        if good is not None:
            n = len(self.backups)
            return (f"{self.what}: restore the newest good backup with `cxdash restore "
                    f"{shlex.quote(str(good.path))} --db {db}` ({n} backup{'' if n == 1 else 's'}"
                    f": `cxdash backups --db {db}` lists them)")  # fmt: skip
        if self.kind == "missing":
            return (f"{self.what}: run `cxdash demo --db {db}` for demo data or "
                    f"`cxdash import FILE --db {db}` for your own")  # fmt: skip
        none = f"there is no backup of it in {backup_dir(self.path)}"
        if self.unreadable:
            upgrade = "open it with a newer cxdash, or " if self.kind == "version" else ""
            return (f"{self.what}: {upgrade}rebuild it with `cxdash demo --db {db}` (the file "
                    f"is kept as a backup first), or move it aside and run `cxdash import FILE "
                    f"--db {db}` ({none})")  # fmt: skip
        return (f"{self.what}: import your data with `cxdash import FILE --db {db}` (the "
                f"contract tables are created), or write demo data with `cxdash demo --db {db}` "
                f"({none})")  # fmt: skip


def problem(path: Path, *, thorough: bool = False) -> StoreProblem | None:
    """What keeps cxdash from reading the store at `path`, or None when it reads it."""
    found = classify_file(path, thorough=thorough)
    return None if found is None else StoreProblem(*found, path=path)


def diagnose(path: Path, *, thorough: bool = False) -> str | None:
    """`problem(path).message`, or None when the store reads (it may still be empty)."""
    found = problem(path, thorough=thorough)
    return None if found is None else found.message


def classify_file(path: Path, *, thorough: bool = False) -> tuple[str, str] | None:
    """(kind, detail) of what is wrong with the file at `path` as a cxdash store, or None.
    Cheap by default: it opens the file read-only and reads the catalogue and the contacts'
    row count (DuckDB checks each block it reads against its checksum). `thorough` also reads
    every row of every table — every block — which damage inside the data needs (about a
    second per GB)."""
    if not path.exists():
        return ("missing", "")
    if not path.is_file():
        return ("not_duckdb", "it is a folder")
    if path.stat().st_size == 0:
        return ("not_duckdb", "the file is empty")
    try:
        con = connect_read(path)
    except duckdb.Error as exc:
        found = from_error(path, exc)
        return (found.kind, found.detail)
    try:
        contract = contract_problem(con)
        if contract is None and (thorough or cut_short(con, path.stat().st_size)):
            read_every_block(con)
        return contract
    except duckdb.Error as exc:
        found = from_error(path, exc)
        return (found.kind, found.detail)
    finally:
        con.close()


def contract_problem(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """A store holds SPEC §2's contacts with their required columns, in no newer schema."""
    rows = con.execute(
        """SELECT table_name, column_name FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main'"""
    ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    if "contacts" not in tables:
        if not tables:
            return ("not_cxdash", "it holds no tables")
        listed = ", ".join(sorted(tables)[:6]) + (" …" if len(tables) > 6 else "")
        return ("not_cxdash", f"no contacts table; its tables: {listed}")
    required = [c.name for c in TABLES_BY_NAME["contacts"].contract_columns if c.required]
    lacking = [name for name in required if name not in tables["contacts"]]
    if lacking:
        return ("not_cxdash", f"its contacts table has no {', '.join(lacking)}")
    if "key" in tables.get("cxdash_meta", set()):
        got = con.execute("SELECT value FROM cxdash_meta WHERE key = 'schema_version'").fetchall()
        if got and str(got[0][0]).isdigit() and int(got[0][0]) > SCHEMA_VERSION:
            return ("version", f"cxdash schema {got[0][0]}; this cxdash reads up to "
                               f"{SCHEMA_VERSION}")  # fmt: skip
    con.execute("SELECT count(*) FROM contacts").fetchall()
    return None


def cut_short(con: duckdb.DuckDBPyConnection, size: int) -> bool:
    """The file (`size` bytes) is shorter than DuckDB's own count of its blocks says: a copy
    or a disk that stopped early. Its catalogue may still read; whether rows were lost, only
    reading every block tells (blocks lost at the end may have been free ones)."""
    row = con.execute("SELECT block_size, total_blocks FROM pragma_database_size() "
                      "WHERE database_name = current_database()").fetchone()  # fmt: skip
    return row is not None and size < HEADERS_BYTES + int(row[0]) * int(row[1])


def check_length(con: duckdb.DuckDBPyConnection, size: int) -> None:
    """Raise DuckDB's own error (a short read) when a file cut short has lost blocks that
    hold data; cheap for a whole file."""
    if cut_short(con, size):
        read_every_block(con)


def read_every_block(con: duckdb.DuckDBPyConnection) -> None:
    """Read every row of every table (a hash of each row needs every column), so a damaged
    block raises DuckDB's checksum error."""
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                         "current_database() AND schema_name = 'main'").fetchall()  # fmt: skip
    for (table,) in tables:
        name = '"' + table.replace('"', '""') + '"'
        con.execute(f"SELECT count(*) FROM (SELECT hash(t) AS h FROM {name} t) "
                    "WHERE h IS NOT NULL").fetchall()  # fmt: skip


def name_the_store(path: Path, text: str) -> str:
    """DuckDB's message with the store named as the user gave it: where it names the private
    link the store was read through (`cxdash.files.connect_read`: `.<name>.read-<pid>-<id>`
    beside it), or the store's absolute path for a relative one."""
    link = re.compile(r"(?:[^\s\"']*/)?" + re.escape(f".{path.name}.read-") + r"\d+-[0-9a-f]+")
    text = link.sub(lambda _match: str(path), text)
    if not path.is_absolute():
        text = text.replace(os.path.abspath(path), str(path))
    return text


def from_error(path: Path, exc: BaseException, alias: Path | None = None) -> StoreProblem:
    """Classify DuckDB's error on opening or reading the store (`alias`: a copy of it whose
    name the error may carry instead; the private read link's name is replaced too)."""
    text = name_the_store(path, str(exc))
    if alias is not None:
        text = text.replace(str(alias), str(path))
    lines = text.strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    if "not a valid DuckDB database file" in text:
        return StoreProblem("not_duckdb", "DuckDB does not recognise its header", path)
    version = STORAGE_VERSION.search(text)
    if version is not None:
        return StoreProblem("version", f"DuckDB storage version {version.group(1)}; this "
                            f"cxdash's DuckDB {duckdb.__version__} reads {version.group(2)}–"
                            f"{version.group(3)}", path)  # fmt: skip
    if "lock" in text.lower() and "conflicting" in text.lower():
        return StoreProblem("locked", first, path)
    return StoreProblem("corrupt", first.removeprefix("IO Error: "), path)


def damaged_message(path: Path, exc: BaseException) -> str | None:
    """For an error a query on the store raised: the store's problem in one line if the error
    says the file is damaged, else None (a bug or bad input, reported as it is)."""
    if not DAMAGE.search(str(exc)):
        return None
    return from_error(path, exc).message


def write_failure_message(path: Path, exc: BaseException, alias: Path) -> str:
    """For a writer whose copy of the store (`alias`) did not read: what is wrong with the
    store itself, read thoroughly, in one line with the way back."""
    found = problem(path, thorough=True) or from_error(path, exc, alias)
    return found.message
