"""The root-cause register and the driver catalog as CSV (issue 5): imported through the
importer's row checks and the register's own rules, all or nothing, every change recorded;
exported in the layout the importer reads back, exactly."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from cxdash import cause_register, exports, store
from cxdash.cause_register import RootCause
from cxdash.cli import main
from cxdash.importer.cells import (
    join_list,
    neutralise,
    restore,
    restore_sql,
    split_list,
    split_list_sql,
)
from cxdash.importer.results import RowsRejected
from cxdash.importer.run import check_file, import_file
from tests.storebuilder import build_store, ts

D = dt.date
CONTACTS = [
    {"contact_id": "c1", "created_at": ts("2026-03-01 09:00"), "reason": "Late delivery"},
    {"contact_id": "c2", "created_at": ts("2026-03-02 09:00"), "reason": "=odd; reason"},
]
CATALOG = [{"reason": "Invoice copy", "value_to_customer": "high", "value_to_business": "low",
            "preventable": True, "external": False}]  # fmt: skip

# Row 2: a cause of two reasons, one from the contacts and one from the catalog. Row 3: the
# fewest cells a cause needs (an empty status is "identified").
REGISTER = """cause_id,title,reasons,owner,status,identified_on,fixed_on,notes
RC1,Carrier scans late,Late delivery;Invoice copy,Ops,eliminated,2026-03-02,2026-04-01,scan
RC2,,,,,,,
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_store(tmp_path / "s.duckdb", CONTACTS, reasons=CATALOG)


def rows(db: Path, sql: str) -> list[tuple]:
    with contextlib.closing(store.open_read(db)) as con:
        return con.execute(sql).fetchall()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_register_csv_is_imported_and_every_field_change_recorded(
    tmp_path: Path, db: Path, capsys
) -> None:
    src = write(tmp_path, "cause_register.csv", REGISTER)
    assert main(["import", str(src), "--table", "root_causes", "--db", str(db), "--quiet"]) == 0
    assert "2 rows read, 2 written to root_causes, 0 rejected" in capsys.readouterr().out
    assert rows(db, "SELECT * FROM root_causes ORDER BY cause_id") == [
        ("RC1", "Carrier scans late", ["Late delivery", "Invoice copy"], "Ops", "eliminated",
         D(2026, 3, 2), D(2026, 4, 1), "scan"),
        ("RC2", None, [], None, "identified", None, None, None),
    ]  # fmt: skip
    # A new cause: each field it has, from nothing (as cause_register.save records a new cause).
    changes = rows(db, "SELECT cause_id, changed_by, field, old_value, new_value FROM "
                       "root_cause_changes ORDER BY cause_id, field")  # fmt: skip
    assert changes == [
        ("RC1", "import: cause_register.csv", "cause_id", None, "RC1"),
        ("RC1", "import: cause_register.csv", "fixed_on", None, "2026-04-01"),
        ("RC1", "import: cause_register.csv", "identified_on", None, "2026-03-02"),
        ("RC1", "import: cause_register.csv", "notes", None, "scan"),
        ("RC1", "import: cause_register.csv", "owner", None, "Ops"),
        ("RC1", "import: cause_register.csv", "reasons", None, "Late delivery, Invoice copy"),
        ("RC1", "import: cause_register.csv", "status", None, "eliminated"),
        ("RC1", "import: cause_register.csv", "title", None, "Carrier scans late"),
        ("RC2", "import: cause_register.csv", "cause_id", None, "RC2"),
        ("RC2", "import: cause_register.csv", "status", None, "identified"),
    ]
    assert rows(db, "SELECT file, target, rows_read, rows_written, rows_rejected FROM "
                    "import_history") == [(str(src), "root_causes", 2, 2, 0)]  # fmt: skip

    # Upsert by id: RC1 changes owner and loses a reason, RC3 is new, RC2 is kept as it was.
    update = write(tmp_path, "update.csv",
                   "cause_id,reasons,owner,status,identified_on,fixed_on,title,notes\n"
                   "RC1,Late delivery,Logistics,eliminated,2026-03-02,2026-04-01,Carrier scans "
                   "late,scan\n"
                   "RC3,,,in_progress,2026-05-01,,New,\n")  # fmt: skip
    report = import_file(update, db, "root_causes")
    assert (report.rows_read, report.rows_written, report.target) == (2, 2, "root_causes")
    assert rows(db, "SELECT cause_id, reasons, owner FROM root_causes ORDER BY 1") == [
        ("RC1", ["Late delivery"], "Logistics"), ("RC2", [], None), ("RC3", [], None)]
    assert rows(db, "SELECT field, old_value, new_value FROM root_cause_changes WHERE "
                    "changed_by = 'import: update.csv' AND cause_id = 'RC1' ORDER BY field") == [
        ("owner", "Ops", "Logistics"),
        ("reasons", "Late delivery, Invoice copy", "Late delivery"),
    ]  # fmt: skip
    with contextlib.closing(store.open_read(db)) as con:
        assert cause_register.changes(con, "RC3")[-1][1:] == ("import: update.csv", "title", None,
                                                        "New")  # fmt: skip

    # The same file again changes nothing, so nothing more is recorded.
    before = rows(db, "SELECT count(*) FROM root_cause_changes")
    import_file(update, db, "root_causes")
    assert rows(db, "SELECT count(*) FROM root_cause_changes") == before

    # Replace: the register becomes the file. RC2 is not in it, so it goes, field by field
    # (here recorded as by a signed-in user); RC1 and RC3 are unchanged, so nothing else.
    import_file(update, db, "root_causes", mode="replace", changed_by="ana@example.com")
    assert rows(db, "SELECT cause_id FROM root_causes ORDER BY 1") == [("RC1",), ("RC3",)]
    assert rows(db, "SELECT cause_id, field, old_value, new_value FROM root_cause_changes "
                    "WHERE changed_by = 'ana@example.com' ORDER BY field") == [
        ("RC2", "cause_id", "RC2", None), ("RC2", "status", "identified", None)]  # fmt: skip
    import_file(write(tmp_path, "only_rc1.csv", "cause_id,status\nRC1,identified\n"), db,
                "root_causes", mode="replace")  # fmt: skip
    assert rows(db, "SELECT cause_id, status, owner FROM root_causes") == [
        ("RC1", "identified", None)]
    assert rows(db, "SELECT cause_id, field, old_value, new_value FROM root_cause_changes "
                    "WHERE changed_by = 'import: only_rc1.csv' ORDER BY cause_id, field") == [
        ("RC1", "fixed_on", "2026-04-01", None),
        ("RC1", "identified_on", "2026-03-02", None),
        ("RC1", "notes", "scan", None),
        ("RC1", "owner", "Logistics", None),
        ("RC1", "reasons", "Late delivery", None),
        ("RC1", "status", "eliminated", "identified"),
        ("RC1", "title", "Carrier scans late", None),
        ("RC3", "cause_id", "RC3", None),
        ("RC3", "identified_on", "2026-05-01", None),
        ("RC3", "status", "in_progress", None),
        ("RC3", "title", "New", None),
    ]  # fmt: skip


def test_the_register_rules_and_bad_values_are_named_by_file_row_and_column(
    tmp_path: Path, db: Path, capsys
) -> None:
    bad = write(tmp_path, "bad.csv", (
        "Cause ID,Title,Reasons,Status,Identified on,Fixed on\n"
        "RC1,a,Late delivery,done,2026-03-02,\n"             # 2: unknown status
        "RC2,b,,eliminated,2026-03-02,\n"                    # 3: eliminated, not fixed
        "RC3,c,,in_progress,2026-03-02,2026-03-01\n"         # 4: fixed before identified
        "RC4,d,Wrong colour; Invoice copy,identified,,\n"    # 5: a reason nobody knows
        "RC5,e,,eliminated,2026-02-30,soon\n"                # 6: two bad dates (only those)
        "RC6,f,Late delivery,identified,2026-03-02,\n"       # 7: fine
    ))  # fmt: skip
    before = db.read_bytes()
    assert main(["import", str(bad), "--table", "root_causes", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "6 problem(s) in 5 row(s); nothing was imported" in err
    for line in (
        f"{bad}:2: column 'Status' value 'done': status must be one of identified, "
        "in_progress, eliminated, wont_fix",
        f"{bad}:3: column 'Fixed on': an eliminated cause needs the date it was fixed "
        "(fixed_on)",
        f"{bad}:4: column 'Fixed on' value '2026-03-01': fixed_on 2026-03-01 is before "
        "identified_on 2026-03-02",
        f"{bad}:5: column 'Reasons' value 'Wrong colour; Invoice copy': reason(s) "
        "'Wrong colour' are neither in the contacts nor in the driver catalog",
        f"{bad}:6: column 'Fixed on' value 'soon': not a date (write YYYY-MM-DD)",
        f"{bad}:6: column 'Identified on' value '2026-02-30': not a date (write YYYY-MM-DD)",
    ):
        assert line in err
    assert db.read_bytes() == before  # nothing written, not even the history
    # The Data page's check says the same before anything is written.
    report, _ = check_file(bad, db, "root_causes")
    assert len(report.problems) == 6 and report.rows_rejected == 5
    # --skip-bad-rows imports the one good cause.
    assert main(["import", str(bad), "--table", "root_causes", "--db", str(db),
                 "--skip-bad-rows", "--quiet"]) == 0  # fmt: skip
    assert rows(db, "SELECT cause_id FROM root_causes") == [("RC6",)]


def test_a_catalog_imported_into_the_store_makes_its_reasons_known(
    tmp_path: Path
) -> None:
    db = build_store(tmp_path / "s.duckdb", CONTACTS)
    cause = write(tmp_path, "cause_register.csv", "cause_id,reasons\nRC1,Invoice copy\n")
    with pytest.raises(RowsRejected) as rejected:
        import_file(cause, db, "root_causes")
    assert "'Invoice copy' are neither in the contacts" in rejected.value.problems[0].why
    report, _ = check_file(cause, db, "root_causes")
    assert report.rows_rejected == 1
    catalog = write(tmp_path, "catalog.csv", "reason,value_to_customer\nInvoice copy,high\n")
    import_file(catalog, db, "reasons")
    assert check_file(cause, db, "root_causes")[0].problems == ()
    import_file(cause, db, "root_causes")
    assert rows(db, "SELECT reasons FROM root_causes") == [(["Invoice copy"],)]
    # Without any store, no reason is known yet.
    assert check_file(cause, tmp_path / "none.duckdb", "root_causes")[0].rows_rejected == 1


TRICKY = [
    "", "plain", "=SUM(A1)", "+1", "-1", "@home", "'=x", "''+y", "'quoted'", "''", "'", "a=b",
    " =lead", "Billing; refunds", ";", "a;;b", "end;", "x\ny",
    # white space a spreadsheet skips, or takes as a formula's start (issue 19)
    "\t=x", "\tplain", "\r1", "\n=cmd|' /C calc'!A0", "\r\n+1", "  @x", "'\t", " plain",
]


@pytest.mark.parametrize("text", TRICKY)
def test_cell_rules_invert_exactly_in_python_and_in_sql(text: str) -> None:
    assert restore(neutralise(text)) == text
    cell = neutralise(text)
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet sees no formula
    assert cell.lstrip()[:1] not in ("=", "+", "-", "@")  # not after white space either
    sql = f"SELECT {restore_sql('$c')}, {split_list_sql('$c')}"
    got_text, got_list = duckdb.execute(sql, {"c": cell}).fetchall()[0]
    assert got_text == restore(cell)
    assert got_list == split_list(cell)


def test_lists_survive_semicolons_in_their_items() -> None:
    items = ["Billing; refunds", "end;", ";start", "a;;b", "Late delivery"]
    assert join_list(items) == "Billing;; refunds; end;;; ;;start; a;;;;b; Late delivery"
    assert split_list(join_list(items)) == items
    assert split_list("a;b ;  c;") == ["a", "b", "c"]  # typed by hand


ODD_NOTE = 'Seen by "carrier", twice,\nthen fixed'


def _full_store(path: Path) -> Path:
    """A register and a catalog with every awkward value: formula-like text, a reason with a
    semicolon, notes with a comma, quotes and a newline, empty and set dates."""
    db = build_store(path, CONTACTS, reasons=[
        *CATALOG,
        {"reason": "-5 % off", "value_to_customer": "low", "value_to_business": None,
         "preventable": False, "external": True},
        {"reason": "Return label", "value_to_customer": None, "value_to_business": "high",
         "preventable": None, "external": None},
    ])  # fmt: skip
    for cause in (
        RootCause("RC1", "=HYPERLINK(\"x\")", ("Late delivery", "=odd; reason"), "+Ops",
                  "eliminated", D(2026, 3, 2), D(2026, 4, 1), ODD_NOTE),
        RootCause("RC2", "'=already quoted", ("-5 % off",), "@ops", "wont_fix", D(2026, 3, 5),
                  None, "plain"),
        RootCause("RC3"),
    ):  # fmt: skip
        cause_register.save(db, cause, by="ana")
    return db


def test_export_then_import_into_a_fresh_store_gives_identical_tables(tmp_path: Path) -> None:
    source = _full_store(tmp_path / "source.duckdb")
    with contextlib.closing(store.open_read(source)) as con:
        register_bytes, catalog_bytes = exports.register_csv(con), exports.catalog_csv(con)
    text = register_bytes.decode("utf-8")
    assert text.startswith("\ufeffcause_id,title,reasons,owner,status,identified_on,fixed_on,"
                           "notes\r\n")  # fmt: skip
    lines = text.split("\r\n")
    assert lines[1] == ("RC1,\"'=HYPERLINK(\"\"x\"\")\",Late delivery; =odd;; reason,'+Ops,"
                        "eliminated,2026-03-02,2026-04-01,\"Seen by \"\"carrier\"\", twice,\n"
                        "then fixed\"")  # fmt: skip
    assert lines[2] == "RC2,''=already quoted,'-5 % off,'@ops,wont_fix,2026-03-05,,plain"
    assert lines[3] == "RC3,,,,identified,,,"
    assert catalog_bytes.decode("utf-8").split("\r\n") == [
        "\ufeffreason,value_to_customer,value_to_business,preventable,external",
        "'-5 % off,low,,false,true",
        "Invoice copy,high,low,true,false",
        "Return label,,high,,",
        "",
    ]
    fresh = build_store(tmp_path / "fresh.duckdb", CONTACTS)
    (tmp_path / "catalog.csv").write_bytes(catalog_bytes)
    (tmp_path / "cause_register.csv").write_bytes(register_bytes)
    assert main(["import", str(tmp_path / "catalog.csv"), "--table", "reasons", "--db",
                 str(fresh), "--quiet"]) == 0  # fmt: skip
    assert main(["import", str(tmp_path / "cause_register.csv"), "--table", "root_causes", "--db",
                 str(fresh), "--quiet"]) == 0  # fmt: skip
    for table, key in (("root_causes", "cause_id"), ("reasons", "reason")):
        sql = f"SELECT * FROM {table} ORDER BY {key}"
        assert rows(fresh, sql) == rows(source, sql), table
    # …and exporting the imported store gives the same bytes.
    with contextlib.closing(store.open_read(fresh)) as con:
        assert exports.register_csv(con) == register_bytes
        assert exports.catalog_csv(con) == catalog_bytes


def test_cli_export_to_a_file_and_to_stdout(tmp_path: Path, capsys) -> None:
    db = _full_store(tmp_path / "s.duckdb")
    out = tmp_path / "cause_register.csv"
    assert main(["export", "--table", "root_causes", "--db", str(db), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 3 rows of root_causes to {out}\n"
    with contextlib.closing(store.open_read(db)) as con:
        assert out.read_bytes() == exports.register_csv(con)
        plain = exports.catalog_csv(con, bom=False)
    assert main(["export", "--table", "reasons", "--db", str(db), "--out", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.encode("utf-8") == plain and not captured.out.startswith("\ufeff")
    assert captured.out.startswith("reason,value_to_customer,")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--table", "contacts", "--out", "-"], "invalid choice: 'contacts'"),
        (["--table", "reasons"], "the following arguments are required: --out"),
        (["--table", "reasons", "--out", "{tmp}/no/such/dir/x.csv"], "No such file or directory"),
        (["--table", "reasons", "--out", "-", "--db", "{tmp}/missing.duckdb"], "no store at"),
    ],
)
def test_cli_export_bad_input_exits_2_with_one_line(
    tmp_path: Path, db: Path, capsys, args: list[str], needle: str
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--db" not in args:
        args += ["--db", str(db)]
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cxdash: error: ") and needle in err and err.count("\n") == 1


def test_export_of_a_store_without_the_tables_is_the_header_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    with contextlib.closing(duckdb.connect(str(path))) as con:
        con.execute("CREATE TABLE contacts (contact_id VARCHAR, created_at TIMESTAMP)")
    with contextlib.closing(store.open_read(path)) as con:
        assert exports.register_csv(con, bom=False) == (
            b"cause_id,title,reasons,owner,status,identified_on,fixed_on,notes\r\n")
        assert cause_register.known_reasons(con) == set()
