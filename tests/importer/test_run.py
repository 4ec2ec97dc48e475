"""`cxdash import` (first slice): auto-matched CSV columns, all-or-nothing, upsert, history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxdash import store
from cxdash.cli import main
from cxdash.importer.fields import auto_match
from tests.storebuilder import build_store, ts

GOOD = """Ticket ID,Created At,Customer,Channel,Type,Resolved,CSAT,Notes
T1,2026-03-02 09:00,k1,chat,Refund,2026-03-02 10:00,5,hello
T2,2026-03-02T12:00:00+02:00,k2,email,Late delivery,,,
T3,2026-03-03 09:00,,phone,Refund,2026-03-03 09:30,,
"""


def _ids(db: Path) -> list[tuple]:
    con = store.open_read(db)
    try:
        return con.execute(
            "SELECT contact_id, created_at, customer_id, csat FROM contacts ORDER BY 1"
        ).fetchall()
    finally:
        con.close()


def test_auto_match_names_the_obvious_columns() -> None:
    matched = auto_match("contacts", ["Ticket ID", "Created At", "Customer", "Channel", "Type",
                                      "Resolved", "CSAT", "Notes"])  # fmt: skip
    assert matched == {"contact_id": "Ticket ID", "created_at": "Created At",
                       "customer_id": "Customer", "channel": "Channel", "reason": "Type",
                       "resolved_at": "Resolved", "csat": "CSAT"}  # fmt: skip


def test_import_converts_offsets_and_upserts(tmp_path: Path, capsys) -> None:
    src = tmp_path / "tickets.csv"
    src.write_text(GOOD)
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "contact_id ← 'Ticket ID'" in out and "ignored columns: Notes" in out
    rows = _ids(db)
    assert [r[0] for r in rows] == ["T1", "T2", "T3"]
    assert rows[1][1] == ts("2026-03-02 10:00")  # 12:00+02:00 in the UTC reporting zone
    before = src.read_bytes()
    assert main(["import", str(src), "--db", str(db)]) == 0  # the same file again
    assert _ids(db) == rows and src.read_bytes() == before
    con = store.open_read(db)
    history = con.execute("SELECT rows_read, rows_written, rows_rejected FROM import_history")
    assert history.fetchall() == [(3, 3, 0), (3, 3, 0)]
    con.close()


def test_a_bad_value_imports_nothing_and_names_file_row_column(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", [{"contact_id": "old", "created_at": ts("2026-01-01")}])
    before = db.read_bytes()
    src = tmp_path / "bad.csv"
    src.write_text(GOOD.replace(",5,hello", ",5 stars,hello").replace(
        "T3,2026-03-03 09:00,,phone,Refund,2026-03-03 09:30", "T3,2026-03-03 09:00,,phone,Refund,"
        "2026-03-02 09:30"))  # fmt: skip
    assert main(["import", str(src), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{src}:2: column 'CSAT' value '5 stars': not a whole number" in err
    assert f"{src}:4: column 'Resolved'" in err and "is before created_at" in err
    assert db.read_bytes() == before  # nothing written
    assert main(["import", str(src), "--db", str(db), "--skip-bad-rows"]) == 0
    assert [r[0] for r in _ids(db)] == ["T2", "old"]


def test_missing_required_column_is_named_with_how_to_map_it(tmp_path: Path, capsys) -> None:
    src = tmp_path / "no_dates.csv"
    src.write_text("Ticket ID,Channel\nT1,chat\n")
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "created_at" in err and "[fields]" in err
    assert not (tmp_path / "s.duckdb").exists()


def test_duplicate_ids_in_the_file_are_rejected(tmp_path: Path, capsys) -> None:
    src = tmp_path / "dup.csv"
    src.write_text("id,created\nA,2026-01-01\nA,2026-01-02\n")
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb")]) == 2
    assert "duplicate id in this file" in capsys.readouterr().err


def test_mapping_joins_columns_maps_values_and_sets_constants(tmp_path: Path) -> None:
    src = tmp_path / "calls.csv"
    src.write_text("Call,Day,Time,Esc,Answered\nc1,2026-03-02,09:15:00,Y,Y\nc2,2026-03-03,10:00:00,N,N\n")
    mapping = tmp_path / "calls.toml"
    mapping.write_text(
        '[fields]\ncontact_id = "Call"\ncreated_at = ["Day", "Time"]\nescalated = "Esc"\n'
        '[values.escalated]\nY = "true"\nN = "false"\n[constants]\nchannel = "phone"\n'
    )
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--mapping", str(mapping)]) == 0
    con = store.open_read(db)
    rows = con.execute("SELECT contact_id, created_at, escalated, channel FROM contacts "
                       "ORDER BY 1").fetchall()  # fmt: skip
    con.close()
    assert rows == [("c1", ts("2026-03-02 09:15"), True, "phone"),
                    ("c2", ts("2026-03-03 10:00"), False, "phone")]  # fmt: skip


def test_day_month_order_is_detected_from_the_data(tmp_path: Path) -> None:
    # 31/12/2025 can only be day first, so 03/04/2026 is 3 April.
    src = tmp_path / "eu.csv"
    src.write_text("id,created\na,31/12/2025 10:00\nb,03/04/2026 11:30\n")
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 0
    assert [r[1] for r in _ids(db)] == [ts("2025-12-31 10:00"), ts("2026-04-03 11:30")]
    us = tmp_path / "us.csv"
    us.write_text("id,created\nc,12/31/2025 10:00\nd,03/04/2026 11:30\n")
    assert main(["import", str(us), "--db", str(db)]) == 0
    assert {r[0]: r[1] for r in _ids(db)}["d"] == ts("2026-03-04 11:30")


def test_ambiguous_dates_ask_for_a_format(tmp_path: Path, capsys) -> None:
    src = tmp_path / "ambiguous.csv"
    src.write_text("id,created\na,03/04/2026\nb,05/06/2026\n")
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "both day-first and month-first" in err and "[formats] created_at" in err


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("header_only.csv", b"id,created\n", "has a header (id, created) but no rows"),
        ("binary.csv", bytes(range(256)) * 4, "cannot be read as a table"),
    ],
)
def test_unreadable_files_say_why_and_write_nothing(tmp_path: Path, capsys, name, content,
                                                    needle) -> None:  # fmt: skip
    src = tmp_path / name
    src.write_bytes(content)
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert not db.exists()


def test_tab_separated_latin1_and_headerless_files(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    tabbed = tmp_path / "tabbed.csv"
    tabbed.write_text("id\tcreated\tchannel\nt1\t2026-01-01 09:00\tchat\n")
    assert main(["import", str(tabbed), "--db", str(db)]) == 0
    latin = tmp_path / "latin1.csv"
    text = "id,created,reason\nl1,2026-01-02 09:00,Réclamation livrée\n"
    latin.write_bytes(text.encode("latin-1"))
    assert main(["import", str(latin), "--db", str(db)]) == 0
    bare = tmp_path / "bare.csv"
    bare.write_text("h1,2026-01-03 09:00,chat\nh2,2026-01-04 09:00,email\n")
    mapping = tmp_path / "bare.toml"
    mapping.write_text('[fields]\ncontact_id = "column0"\ncreated_at = "column1"\n'
                       'channel = "column2"\n')  # fmt: skip
    assert main(["import", str(bare), "--db", str(db), "--mapping", str(mapping)]) == 0
    con = store.open_read(db)
    got = con.execute("SELECT contact_id, reason FROM contacts ORDER BY 1").fetchall()
    con.close()
    assert got == [("h1", "Unknown"), ("h2", "Unknown"), ("l1", "Réclamation livrée"),
                   ("t1", "Unknown")]  # fmt: skip


def test_rejects_file_holds_the_bad_rows_with_reasons(tmp_path: Path) -> None:
    import polars as pl

    src = tmp_path / "bad.csv"
    src.write_text(GOOD.replace(",5,hello", ",5 stars,hello"))
    rejects = tmp_path / "out" / "rejects.csv"
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--rejects", str(rejects)]) == 2
    bad = pl.read_csv(rejects, infer_schema=False)
    assert bad["row"].to_list() == ["2"] and bad["Ticket ID"].to_list() == ["T1"]
    assert "not a whole number" in bad["problems"][0]
    assert not db.exists()  # rejects written, nothing imported


def _big_csv(path: Path, rows: int) -> Path:
    """A file that takes the importer a few seconds: time to interrupt it mid-way."""
    with path.open("w") as handle:
        handle.write("id,created,channel,csat\n")
        for i in range(rows):
            handle.write(f"c{i},2026-02-{1 + i % 28:02d} {i % 24:02d}:00,chat,{1 + i % 5}\n")
    return path


@pytest.mark.slow  # a kill trial: not in `dev.py test --fast`
def test_kill_9_mid_import_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    db = build_store(tmp_path / "s.duckdb", [{"contact_id": "old", "created_at": ts("2026-01-01")}])
    before = db.read_bytes()
    big = _big_csv(tmp_path / "big.csv", 400_000)
    for delay in (0.3, 0.9, 1.8):
        proc = subprocess.Popen([sys.executable, "-m", "cxdash", "import", str(big), "--db",
                                 str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.returncode == 0:  # finished before the kill: the import is whole, or nothing
            break
        if db.read_bytes() != before:
            # Killed after the new version was swapped in (between the rename and the exit):
            # the import is whole, never half.
            assert len(_ids(db)) == 400_001, f"store half-changed after kill -9 at {delay} s"
            break
    assert _ids(db)[0][0] in ("c0", "old")


@pytest.mark.slow  # a kill trial: not in `dev.py test --fast`
def test_ctrl_c_mid_import_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    db = build_store(tmp_path / "s.duckdb", [{"contact_id": "old", "created_at": ts("2026-01-01")}])
    before = db.read_bytes()
    big = _big_csv(tmp_path / "big.csv", 1_000_000)
    proc = subprocess.Popen([sys.executable, "-m", "cxdash", "import", str(big), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = ""
    while "checking every row" not in seen:  # mid-import: the copy is being built
        seen += proc.stderr.readline()
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, seen + err
    assert "interrupted; nothing was changed" in err and "Traceback" not in err
    assert db.read_bytes() == before
    assert not list(tmp_path.glob(".s.duckdb.tmp-*"))  # the half-built copy is gone


def test_excel_workbook_with_several_sheets_and_formulas(tmp_path: Path, capsys) -> None:
    import xlsxwriter

    book = tmp_path / "tickets.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    notes = workbook.add_worksheet("Notes")
    notes.write(0, 0, "read me")
    sheet = workbook.add_worksheet("Tickets")
    for r, row in enumerate([["Ticket ID", "Created At", "CSAT"],
                             ["x1", "2026-03-02 09:00", 4], ["x2", "2026-03-03 10:00", None]]):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    sheet.write_formula(2, 2, "=2+3", None, 5)  # a formula cell with its saved value
    workbook.close()
    db = tmp_path / "s.duckdb"
    assert main(["import", str(book), "--db", str(db)]) == 2
    assert "choose one with --sheet" in capsys.readouterr().err
    assert main(["import", str(book), "--db", str(db), "--sheet", "Tickets"]) == 0
    assert [(r[0], r[3]) for r in _ids(db)] == [("x1", 4), ("x2", 5)]


def test_fields_the_file_does_not_give_stay_null(tmp_path: Path, capsys) -> None:
    """SPEC §2: the defaults (0 transfers, not escalated …) apply in the metrics, never in the
    rows, so the store knows the file had no such column and says "not in your data"."""
    src = tmp_path / "tickets.csv"
    src.write_text(GOOD)
    db = tmp_path / "cxdash.duckdb"
    assert main(["import", str(src), "--db", str(db), "--quiet"]) == 0
    con = store.open_read(db)
    try:
        given = con.execute("SELECT count(reopens), count(transfers), count(escalated), "
                            "count(self_served), count(resolved_at) FROM contacts").fetchall()
        info = store.inspect(con)
    finally:
        con.close()
    assert given == [(0, 0, 0, 0, 2)]
    assert not info.provides("transfers") and info.provides("resolved_at")
    capsys.readouterr()
    assert main(["metrics", "--db", str(db), "--start", "2026-03-01", "--end", "2026-03-31",
                 "--json"]) == 0  # fmt: skip
    m = json.loads(capsys.readouterr().out)["metrics"]
    assert (m["transfer_rate"], m["escalation_rate"], m["self_service_rate"]) == (None,) * 3
    assert m["resolution_rate"] == pytest.approx(2 / 3)  # T1, T3
