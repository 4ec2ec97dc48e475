"""`--skip-bad-rows` and `--rejects`: the good rows imported, exactly the bad ones rejected, each
problem named by file, row, column and why — in the report, on the command line and in the
rejects file. Every expected value below was worked out by hand from the file in the test."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cxdash import store
from cxdash.cli import main
from cxdash.importer.results import Problem
from cxdash.importer.run import import_file
from tests.storebuilder import build_store, ts

# Row numbers as in the file: the header is row 1.
MIXED = '''id,created,customer,channel,resolved,csat,note
c1,2026-03-02 09:00,k1,chat,2026-03-02 10:00,5,fine
c2,,k2,email,,,no date
c3,yesterday,k3,phone,,4,bad date
c4,2026-03-03 09:00,k4,chat,2026-03-03 08:00,7,"two, problems"
c5,2026-03-04 09:00,k5,chat,,5 stars,it's
c6,2026-03-05 09:00,k6,email,,3,first of two
c6,2026-03-06 09:00,k6,email,,2,second of two
c7,2026-03-07T10:00:00+02:00,k7,phone,,1,"a ""quoted"" note"
c8,2026-03-08 09:00,k8,chat,,,"line one
line two"
c9,2026-03-09 09:00,k9,email,2026-03-09 12:00,4,
'''

WHEN = "not a date and time (write YYYY-MM-DD HH:MM:SS, optionally with +HH:MM)"


def _expected(src: Path) -> list[Problem]:
    f = str(src)
    return [
        Problem(f, 3, "created", None, "is empty but created_at is required"),
        Problem(f, 4, "created", "yesterday", WHEN),
        Problem(f, 5, "csat", "7", "must satisfy csat BETWEEN 1 AND 5"),
        Problem(f, 5, "resolved", "2026-03-03 08:00", "is before created_at"),
        Problem(f, 6, "csat", "5 stars", "not a whole number (or too large)"),
        Problem(f, 7, "id", "c6", "duplicate id in this file"),
        Problem(f, 8, "id", "c6", "duplicate id in this file"),
    ]


def _contacts(db: Path) -> list[tuple]:
    con = store.open_read(db)
    try:
        return con.execute("SELECT contact_id, created_at, customer_id, channel, resolved_at, "
                           "csat FROM contacts ORDER BY 1").fetchall()  # fmt: skip
    finally:
        con.close()


def _history(db: Path) -> list[tuple]:
    con = store.open_read(db)
    try:
        return con.execute("SELECT rows_read, rows_written, rows_rejected FROM import_history"
                           ).fetchall()  # fmt: skip
    finally:
        con.close()


def test_skip_bad_rows_imports_the_good_and_reports_exactly_the_bad(tmp_path: Path) -> None:
    src = tmp_path / "mixed.csv"
    src.write_text(MIXED)
    db = tmp_path / "s.duckdb"
    rejects = tmp_path / "out" / "rejects.csv"
    report = import_file(src, db, skip_bad_rows=True, rejects=rejects)
    assert list(report.problems) == _expected(src)
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (10, 4, 6)
    assert _contacts(db) == [
        ("c1", ts("2026-03-02 09:00"), "k1", "chat", ts("2026-03-02 10:00"), 5),
        ("c7", ts("2026-03-07 08:00"), "k7", "phone", None, 1),  # +02:00 in UTC
        ("c8", ts("2026-03-08 09:00"), "k8", "chat", None, None),
        ("c9", ts("2026-03-09 09:00"), "k9", "email", ts("2026-03-09 12:00"), 4),
    ]
    assert _history(db) == [(10, 4, 6)]

    got = pl.read_csv(rejects, infer_schema=False)
    assert got.columns == ["row", "id", "created", "customer", "channel", "resolved", "csat",
                           "note", "problems"]  # fmt: skip
    assert got.rows() == [
        ("3", "c2", None, "k2", "email", None, None, "no date",
         "column 'created': is empty but created_at is required"),
        ("4", "c3", "yesterday", "k3", "phone", None, "4", "bad date",
         f"column 'created' value 'yesterday': {WHEN}"),
        ("5", "c4", "2026-03-03 09:00", "k4", "chat", "2026-03-03 08:00", "7", "two, problems",
         "column 'csat' value '7': must satisfy csat BETWEEN 1 AND 5; "
         "column 'resolved' value '2026-03-03 08:00': is before created_at"),
        ("6", "c5", "2026-03-04 09:00", "k5", "chat", None, "5 stars", "it's",
         "column 'csat' value '5 stars': not a whole number (or too large)"),
        ("7", "c6", "2026-03-05 09:00", "k6", "email", None, "3", "first of two",
         "column 'id' value 'c6': duplicate id in this file"),
        ("8", "c6", "2026-03-06 09:00", "k6", "email", None, "2", "second of two",
         "column 'id' value 'c6': duplicate id in this file"),
    ]  # fmt: skip


def test_the_command_line_says_the_same_and_upserts_beside_the_store(
    tmp_path: Path, capsys
) -> None:
    db = build_store(tmp_path / "s.duckdb", [
        {"contact_id": "c1", "created_at": ts("2026-01-01"), "customer_id": "old"},
        {"contact_id": "c3", "created_at": ts("2026-01-02"), "customer_id": "kept"},
    ])  # fmt: skip
    src = tmp_path / "mixed.csv"
    src.write_text(MIXED)
    rejects = tmp_path / "rejects.csv"
    args = ["import", str(src), "--db", str(db), "--rejects", str(rejects), "--quiet"]
    assert main(args) == 2  # without --skip-bad-rows: nothing imported, rejects written
    assert "7 problem(s) in 6 row(s); nothing was imported" in capsys.readouterr().err
    assert pl.read_csv(rejects, infer_schema=False)["row"].to_list() == ["3", "4", "5", "6",
                                                                        "7", "8"]  # fmt: skip
    rejects.unlink()
    assert main([*args, "--skip-bad-rows"]) == 0
    out = capsys.readouterr().out
    assert f"{src}: 10 rows read, 4 written to contacts, 6 rejected" in out
    for p in _expected(src):
        value = f" value {p.value!r}" if p.value is not None else ""
        assert f"  rejected: {p.file}:{p.row}: column {p.column!r}{value}: {p.why}\n" in out
    ids = [(r[0], r[2]) for r in _contacts(db)]
    # c1 replaced by the file's row; c3 rejected, so the store's own c3 stays as it was.
    assert ids == [("c1", "k1"), ("c3", "kept"), ("c7", "k7"), ("c8", "k8"), ("c9", "k9")]
    assert _history(db) == [(10, 4, 6)]
    assert pl.read_csv(rejects, infer_schema=False).height == 6


def test_a_file_where_every_row_is_bad_writes_nothing_but_the_rejects(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("id,created\na,\nb,soon\n")
    db = tmp_path / "s.duckdb"
    rejects = tmp_path / "rejects.csv"
    report = import_file(src, db, skip_bad_rows=True, rejects=rejects)
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (2, 0, 2)
    assert _contacts(db) == []
    assert pl.read_csv(rejects, infer_schema=False).rows() == [
        ("2", "a", None, "column 'created': is empty but created_at is required"),
        ("3", "b", "soon", f"column 'created' value 'soon': {WHEN}"),
    ]


def test_a_clean_file_gives_an_empty_rejects_file(tmp_path: Path) -> None:
    src = tmp_path / "good.csv"
    src.write_text("id,created\na,2026-03-02 09:00\n")
    rejects = tmp_path / "rejects.csv"
    report = import_file(src, tmp_path / "s.duckdb", skip_bad_rows=True, rejects=rejects)
    assert report.rows_rejected == 0
    assert rejects.read_text().splitlines() == ["row,id,created,problems"]


def test_an_event_log_leaves_out_the_rejected_events(tmp_path: Path) -> None:
    src = tmp_path / "events.csv"
    src.write_text("case,at,state\n"
                   "A,2026-04-01 09:00,open\n"
                   "A,later,solved\n"  # row 3: bad timestamp, so A is never resolved
                   "B,2026-04-01 10:00,open\n"
                   "B,2026-04-01 12:00,solved\n")  # fmt: skip
    mapping = tmp_path / "events.toml"
    mapping.write_text('table = "events"\n[fields]\ncase_id = "case"\ntimestamp = "at"\n'
                       'activity = "state"\n[events]\nresolved = ["solved"]\n')  # fmt: skip
    db = tmp_path / "s.duckdb"
    rejects = tmp_path / "rejects.csv"
    assert main(["import", str(src), "--db", str(db), "--mapping", str(mapping),
                 "--skip-bad-rows", "--rejects", str(rejects), "--quiet"]) == 0  # fmt: skip
    got = {r[0]: r for r in _contacts(db)}
    assert got["A"][1] == ts("2026-04-01 09:00") and got["A"][4] is None
    assert got["B"][4] == ts("2026-04-01 12:00")
    assert pl.read_csv(rejects, infer_schema=False).rows() == [
        ("3", "A", "later", "solved", f"column 'at' value 'later': {WHEN}"),
    ]
