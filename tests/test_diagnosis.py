"""A missing, damaged, foreign or too new store: named, with the way back, the same everywhere."""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from cxdash import backups, diagnosis, publish, store
from cxdash.cli import main
from cxdash.schema import create_schema
from tests.storebuilder import build_store, ts

ONE = [{"contact_id": "a", "created_at": ts("2026-03-02 09:00")}]
PERIOD = ["--start", "2026-03-01", "--end", "2026-03-31"]
CATALOGUE = 3 * 4096 + 100  # inside the first block after the three headers


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _checksum(block: bytes) -> int:
    """DuckDB's block checksum (src/common/checksum.cpp): 64-bit words, multiplied, xor-ed."""
    result = 5381
    for (word,) in struct.iter_unpack("<Q", block):
        result ^= (word * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    return result


def _with_storage_version(data: bytes, version: int) -> bytes:
    """The main header (first 4 KiB: checksum, b"DUCK", storage version …) of a newer DuckDB."""
    header = bytearray(data[:4096])
    assert header[8:12] == b"DUCK"
    header[12:20] = struct.pack("<Q", version)
    header[0:8] = struct.pack("<Q", _checksum(bytes(header[8:])))
    return bytes(header) + data[4096:]


def _flipped(data: bytes, start: int, length: int) -> bytes:
    out = bytearray(data)
    out[start:start + length] = bytes(b ^ 0xFF for b in out[start:start + length])
    return bytes(out)


def _foreign(path: Path, ddl: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(ddl)


def _newer_schema(path: Path) -> None:
    build_store(path, ONE)
    with store.new_version(path, from_existing=True) as con:
        con.execute("UPDATE cxdash_meta SET value = '2' WHERE key = 'schema_version'")


CASES: list[tuple[str, Callable[[Path, bytes], None], str, str]] = [
    ("missing", lambda p, good: None, "missing", "no store at {p}"),
    ("empty", lambda p, good: p.write_bytes(b""), "not_duckdb",
     "is not a DuckDB database file (the file is empty)"),
    ("text", lambda p, good: p.write_text("id,created\n1,2026-01-01\n" * 50), "not_duckdb",
     "is not a DuckDB database file (DuckDB does not recognise its header)"),
    ("zeroed header", lambda p, good: p.write_bytes(b"\0" * 4096 + good[4096:]), "not_duckdb",
     "is not a DuckDB database file"),
    ("truncated", lambda p, good: p.write_bytes(good[:4096]), "corrupt",
     "is damaged (Could not read enough bytes"),
    ("bad checksum", lambda p, good: p.write_bytes(_flipped(good, CATALOGUE, 100)), "corrupt",
     "is damaged (Corrupt database file: computed checksum"),
    ("no contacts table", lambda p, good: _foreign(p, "CREATE TABLE tickets (id INT)"),
     "not_cxdash", "is a DuckDB file but not a cxdash store (no contacts table; its tables: "
                   "tickets)"),
    ("no tables", lambda p, good: _foreign(p, "SELECT 1"), "not_cxdash",
     "is a DuckDB file but not a cxdash store (it holds no tables)"),
    ("contacts without created_at", lambda p, good: _foreign(
        p, "CREATE TABLE contacts (contact_id VARCHAR)"), "not_cxdash",
     "not a cxdash store (its contacts table has no created_at)"),
    ("newer DuckDB", lambda p, good: p.write_bytes(_with_storage_version(good, 1000)), "version",
     "was written by a newer version (DuckDB storage version 1000; this cxdash's DuckDB "),
    ("newer cxdash", lambda p, good: _newer_schema(p), "version",
     "was written by a newer version (cxdash schema 2; this cxdash reads up to 1)"),
]  # fmt: skip


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return build_store(tmp_path_factory.mktemp("good") / "g.duckdb", ONE).read_bytes()


@pytest.mark.parametrize(("name", "make", "kind", "says"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_named_with_the_way_back(tmp_path: Path, capsys, good_bytes: bytes,
                                                 name, make, kind, says) -> None:  # fmt: skip
    path = tmp_path / "s.duckdb"
    make(path, good_bytes)
    found = diagnosis.problem(path)
    assert found is not None and found.kind == kind
    message = diagnosis.diagnose(path)
    assert message == store.diagnose(path) == found.message
    assert says.format(p=path) in message and str(path) in message and "\n" not in message
    assert f"`cxdash demo --db {path}`" in message  # no backup: rebuild
    if found.unreadable:
        assert found.commands()[1] == f"mv {path} {path}.damaged && cxdash import FILE --db {path}"
    else:
        assert found.commands() == [f"cxdash demo --db {path}", f"cxdash import FILE --db {path}"]
    # the command line says the same in one line, and exits 2
    for args in (["metrics", *PERIOD], ["report", "--week", "2026-W10", "--out",
                                         str(tmp_path / "r.html")]):  # fmt: skip
        code, out, err = run(capsys, *args, "--db", str(path))
        assert (code, out, err) == (2, "", f"cxdash: error: {message}\n"), name


def test_a_readable_store_has_no_problem(tmp_path: Path) -> None:
    path = build_store(tmp_path / "s.duckdb", [])  # empty is not broken: the welcome page
    assert diagnosis.diagnose(path) is None
    assert diagnosis.problem(path, thorough=True) is None


def test_the_way_back_is_the_newest_backup_that_reads(tmp_path: Path, capsys) -> None:
    path = build_store(tmp_path / "s.duckdb", ONE)
    assert run(capsys, "backup", "--db", str(path))[0] == 0
    [good] = backups.list_backups(path)
    unreadable = tmp_path / "backups" / "s-20991231-235959-before-demo.duckdb"  # newer
    unreadable.write_bytes(b"garbage")
    path.write_bytes(b"\0" * 10_000)
    found = diagnosis.problem(path)
    assert found is not None and [b.path for b in found.backups] == [unreadable, good.path]
    assert found.good_backup == good
    assert found.commands() == [f"cxdash restore {good.path} --db {path}",
                                f"cxdash backups --db {path}"]  # fmt: skip
    assert found.message == (
        f"the store {path} is not a DuckDB database file (DuckDB does not recognise its "
        f"header): restore the newest good backup with `cxdash restore {good.path} --db "
        f"{path}` (2 backups: `cxdash backups --db {path}` lists them)")  # fmt: skip
    code, _, err = run(capsys, "metrics", "--db", str(path), *PERIOD)
    assert code == 2 and err == f"cxdash: error: {found.message}\n"
    assert run(capsys, "restore", str(good.path), "--db", str(path), "--quiet")[0] == 0
    assert diagnosis.diagnose(path) is None


def test_a_missing_store_with_backups_points_to_them(tmp_path: Path, capsys) -> None:
    path = build_store(tmp_path / "s.duckdb", ONE)
    assert run(capsys, "backup", "--db", str(path))[0] == 0
    [good] = backups.list_backups(path)
    path.unlink()
    message = diagnosis.diagnose(path)
    assert message is not None and message.startswith(f"no store at {path}: restore the newest")
    assert f"`cxdash restore {good.path} --db {path}`" in message


def test_paths_with_spaces_are_quoted_in_commands(tmp_path: Path) -> None:
    path = tmp_path / "my store.duckdb"
    path.write_text("nope")
    found = diagnosis.problem(path)
    assert found is not None
    assert found.commands()[0] == f"cxdash demo --db '{path}'"


def _damaged_data_block(tmp_path: Path) -> Path:
    """A store that opens and counts, but one of whose data blocks `cxdash metrics` reads no
    longer does."""
    path = tmp_path / "s.duckdb"
    with publish.new_version(path, from_existing=False) as draft:
        con = draft.con
        create_schema(con)
        con.execute("""INSERT INTO contacts (contact_id, created_at, customer_id, comment)
                       SELECT 'c' || i, TIMESTAMP '2026-03-01' + to_seconds(i * 20),
                              'k' || (i % 5000), md5(i::VARCHAR) FROM range(100000) t(i)""")
        draft.rows_changed()
    good = path.read_bytes()
    header, block = 3 * 4096, 256 * 1024
    for n in range(1, (len(good) - header) // block):  # block 0 holds the catalogue
        path.write_bytes(_flipped(good, header + n * block + 100, 100))
        if diagnosis.problem(path) is not None:
            continue
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            if main(["metrics", "--db", str(path), "--json", "--by", "channel"]) == 2:
                return path
    raise AssertionError("no data block of contacts found")


def test_damage_inside_the_data_is_named_too(tmp_path: Path, capsys) -> None:
    path = _damaged_data_block(tmp_path)
    assert diagnosis.problem(path) is None  # the cheap check reads the catalogue only
    found = diagnosis.problem(path, thorough=True)
    assert found is not None and found.kind == "corrupt"
    assert "Corrupt database file" in found.detail
    code, out, err = run(capsys, "metrics", "--db", str(path), "--json", "--by", "channel")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"cxdash: error: the store {path} is damaged (Corrupt database file")
    assert f"`cxdash demo --db {path}`" in err
    code, _, err = run(capsys, "backup", "--db", str(path))  # a backup reads every block back
    assert code == 2 and "did not read back, so it was removed" in err
    # the way back is the store's, not the removed copy's
    assert f"the store {path} is damaged" in err and f"`cxdash demo --db {path}`" in err
    assert backups.list_backups(path) == []


def test_an_import_into_a_damaged_store_changes_nothing(tmp_path: Path, capsys,
                                                        good_bytes: bytes) -> None:  # fmt: skip
    path = tmp_path / "s.duckdb"
    path.write_bytes(_flipped(good_bytes, CATALOGUE, 100))
    before = path.read_bytes()
    src = tmp_path / "x.csv"
    src.write_text("id,created\nx,2026-03-05 10:00\n")
    for extra in ([], ["--replace"]):
        code, _, err = run(capsys, "import", str(src), "--db", str(path), "--quiet", *extra)
        assert code == 2 and err == f"cxdash: error: {diagnosis.diagnose(path)}\n"
    assert path.read_bytes() == before and backups.list_backups(path) == []
    assert not list(tmp_path.glob(".s.duckdb.tmp-*"))


BLOCK = 262_144  # DuckDB's block size


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.95, -BLOCK, -5000])
def test_a_store_cut_short_is_named_as_given_everywhere_on_the_command_line(
    demo_store: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, keep: float
) -> None:
    """A store cut short (a copy or a disk that stopped early) whose catalogue still reads:
    every command says it is damaged, in one line naming the store as the user gave it —
    relative too — never the private link it was read through (`.<name>.read-<pid>-…`)."""
    whole = demo_store.stat().st_size
    size = int(whole * keep) if keep > 0 else whole + int(keep)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cut.duckdb").write_bytes(demo_store.read_bytes()[:size])
    monkeypatch.chdir(tmp_path)
    given = "data/cut.duckdb"
    found = diagnosis.problem(Path(given))  # the cheap check: the file's length
    assert found is not None and found.kind == "corrupt", keep
    assert found.message.startswith(f"the store {given} is damaged (Could not read enough "
                                    f'bytes from file "{given}"')  # fmt: skip
    for args in (["metrics", "--start", "2026-06-01", "--end", "2026-06-30"],
                 ["metrics", "--json", "--by", "channel", "--start", "2026-06-01",
                  "--end", "2026-06-30"],
                 ["backup"],
                 ["report", "--week", "2026-W26", "--out", "r.html"],
                 ["export-parquet", "--out", "lake"],
                 ["import", str(tmp_path / "x.csv"), "--quiet"]):  # fmt: skip
        (tmp_path / "x.csv").write_text("id,created\nx,2026-06-05 10:00\n")
        code, out, err = run(capsys, *args, "--db", given)
        assert code == 2 and err.count("\n") == 1, (args, out, err)
        assert f"the store {given} is damaged" in err, (args, err)
        assert ".read-" not in err and ".tmp-" not in err, (args, err)
    assert backups.list_backups(Path(given)) == []


def test_the_private_read_link_is_never_named() -> None:
    path = Path("data/s.duckdb")
    for text in ('Could not read enough bytes from file "data/.s.duckdb.read-123-0a1b2c3d4e5f"',
                 "IO Error: /abs/data/.s.duckdb.read-9-ffff: short read",
                 "'.s.duckdb.read-77-abc' and \".s.duckdb.read-1-2\""):  # fmt: skip
        named = diagnosis.name_the_store(path, text)
        assert ".read-" not in named and str(path) in named
    assert diagnosis.name_the_store(path, "other.duckdb.read-1-2") == "other.duckdb.read-1-2"
