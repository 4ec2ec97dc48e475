"""Files built to break the reader: columns named like its row number, numbers beyond any
type, UTF-8 and Latin-1 in one file, and files that ask for more than a reader should give
(issue 19, points 4 and 7). Each must import correctly, or be refused row by row with the
file's own row numbers, or be refused whole in one sentence — never lose or blame rows."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import polars as pl
import pytest

from cxdash import store
from cxdash.cli import main


def _contacts(db: Path, cols: str = "contact_id, csat") -> list[tuple]:
    con = store.open_read(db)
    try:
        return con.execute(f"SELECT {cols} FROM contacts ORDER BY contact_id").fetchall()
    finally:
        con.close()


def _header_rows(name: str) -> str:
    # rows 2 and 4 are good; row 3 has a CSAT that is not a number
    return (f"{name},Ticket ID,Created At,CSAT\n"
            "9,T1,2026-03-02 09:00,5\n"
            "9,T2,2026-03-02 10:00,five\n"
            "x,T3,2026-03-03 09:00,4\n")  # fmt: skip


@pytest.mark.parametrize("name", ["rowid", "ROWID", "RowId", "_row", "_ROW", "row", "problems"])
def test_a_column_named_like_the_row_number_keeps_every_row(tmp_path: Path, capsys,
                                                            name: str) -> None:  # fmt: skip
    src = tmp_path / "own_rows.csv"
    src.write_text(_header_rows(name))
    db, rejects = tmp_path / "s.duckdb", tmp_path / "rejects.csv"
    assert main(["import", str(src), "--db", str(db), "--skip-bad-rows",
                 "--rejects", str(rejects)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "3 rows read, 2 written to contacts, 1 rejected" in out
    assert f"{src}:3: column 'CSAT' value 'five'" in out  # the file's row 3, not "row 9"
    assert _contacts(db) == [("T1", 5), ("T3", 4)]
    bad = pl.read_csv(rejects, infer_schema=False)
    # the user's column keeps its name and values; cxdash's own columns step aside
    assert bad[name].to_list() == ["9"] and bad["Ticket ID"].to_list() == ["T2"]
    row_col = "row (cxdash)" if name == "row" else "row"
    why_col = "problems (cxdash)" if name == "problems" else "problems"
    assert bad[row_col].to_list() == ["3"]
    assert bad[why_col].to_list() == ["column 'CSAT' value 'five': not a whole number "
                                      "(or too large)"]  # fmt: skip


def test_a_parquet_rowid_of_text_mapped_as_the_id(tmp_path: Path, capsys) -> None:
    src = tmp_path / "own.parquet"
    pl.DataFrame({"rowid": ["a-1", "b-2", "c-3", "d-4"], "_row": [7, 7, 7, 7],
                  "Created At": ["2026-03-02 09:00"] * 4,
                  "CSAT": ["5", "1", "many", "3"]}).write_parquet(src)  # fmt: skip
    mapping = tmp_path / "m.toml"
    mapping.write_text('[fields]\ncontact_id = "rowid"\ncreated_at = "Created At"\n'
                       'csat = "CSAT"\n')  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--mapping", str(mapping),
                 "--skip-bad-rows"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "4 rows read, 3 written to contacts, 1 rejected" in out
    assert f"{src}:3: column 'CSAT' value 'many'" in out  # Parquet rows count from 1
    assert _contacts(db) == [("a-1", 5), ("b-2", 1), ("d-4", 3)]


def test_rowid_in_a_file_only_the_fallback_reader_reads(tmp_path: Path, capsys) -> None:
    """A bare carriage return inside an unquoted field sends the file to polars."""
    src = tmp_path / "bare_cr.csv"
    src.write_bytes(b"rowid,_row,Ticket ID,Created At,Comment,CSAT\n"
                    b"1,1,T1,2026-03-02 09:00,line\rbreak,5\n"
                    b"1,1,T2,2026-03-02 10:00,ok,zero\n"
                    b"1,1,T3,2026-03-03 09:00,ok,2\n")  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--skip-bad-rows"]) == 0
    out = capsys.readouterr().out
    assert "3 rows read, 2 written" in out and f"{src}:3: column 'CSAT' value 'zero'" in out
    assert _contacts(db) == [("T1", 5), ("T3", 2)]


def test_rowid_in_a_workbook(tmp_path: Path, capsys) -> None:
    src = tmp_path / "book.xlsx"
    pl.DataFrame({"ROWID": ["1", "1", "1"], "Ticket ID": ["T1", "T2", "T3"],
                  "Created At": ["2026-03-02 09:00"] * 3,
                  "CSAT": ["4", "x", "2"]}).write_excel(src)  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--skip-bad-rows"]) == 0
    assert f"{src}:3: column 'CSAT' value 'x'" in capsys.readouterr().out
    assert _contacts(db) == [("T1", 4), ("T3", 2)]


@pytest.mark.parametrize("name", ["_cxdash_row", "_CXDASH_ROW", "_cxdash_col_3"])
def test_cxdash_s_own_column_names_are_refused_in_one_line(tmp_path: Path, capsys,
                                                            name: str) -> None:  # fmt: skip
    src = tmp_path / "reserved.csv"
    src.write_text(_header_rows(name))
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{src}: column '{name}' has a name cxdash keeps for itself" in err
    said = [line for line in err.splitlines() if not line.startswith("[")]  # not progress
    assert len(said) == 1 and said[0].startswith("cxdash: error: ") and not db.exists()


def test_numbers_beyond_every_type_are_bad_rows_not_a_failed_import(tmp_path: Path,
                                                                    capsys) -> None:  # fmt: skip
    src = tmp_path / "huge.csv"
    src.write_text("Ticket ID,Created At,CSAT,Handle seconds,Hold seconds\n"
                   "T1,2026-03-02 09:00,5,30,2\n"
                   "T2,2026-03-02 10:00,99999999999999999999999,40,3\n"  # > int64
                   "T3,2026-03-03 09:00,4,1e400,1\n"  # beyond a double: inf
                   "T4,2026-03-03 09:00,-9223372036854775809,nan,4\n"  # < int64, NaN
                   "T5,2026-03-03 09:00,3,-inf,Infinity\n"
                   "T6,2026-03-03 09:00,2147483648,20,1\n"  # fits int64: CSAT's range says no
                   "T7,2026-03-04 09:00,4,50,5\n")  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--skip-bad-rows"]) == 0
    out = capsys.readouterr().out
    assert "7 rows read, 2 written to contacts, 5 rejected" in out
    assert f"{src}:3: column 'CSAT' value '99999999999999999999999': not a whole number" in out
    assert f"{src}:4: column 'Handle seconds' value '1e400': not a number" in out
    assert f"{src}:5: column 'CSAT' value '-9223372036854775809'" in out
    assert f"{src}:5: column 'Handle seconds' value 'nan'" in out
    assert f"{src}:6: column 'Handle seconds' value '-inf'" in out
    assert f"{src}:6: column 'Hold seconds' value 'Infinity'" in out
    assert f"{src}:7: column 'CSAT' value '2147483648'" in out
    assert _contacts(db, "contact_id, csat, handle_seconds") == [("T1", 5, 30.0),
                                                                 ("T7", 4, 50.0)]  # fmt: skip


def _mixed_bytes() -> bytes:
    return (b"Ticket ID,Created At,Reason\n"
            + "T1,2026-03-02 09:00,Zurück gesendet\n".encode()
            + "T2,2026-03-02 10:00,Größe falsch\n".encode("latin-1")
            + "T3,2026-03-03 09:00,naïve café ☕\n".encode()
            + "T4,2026-03-03 09:00,Señor, 5 € zu viel\n".replace(", 5", " 5").encode("cp1252")
            + "T5,2026-03-04 09:00,\"zwei\nZeilen ö\"\n".encode())  # fmt: skip


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_file_mixing_utf8_and_latin1_reads_each_line_right(tmp_path: Path, capsys,
                                                             suffix: str) -> None:  # fmt: skip
    src = tmp_path / f"mixed{suffix}"
    data = _mixed_bytes()
    src.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "5 rows read, 5 written" in out
    assert ("note: the file is UTF-8 but 2 line(s) are Latin-1 / Windows-1252 (lines 3, 5); "
            "each line was read in its own encoding") in out  # fmt: skip
    assert _contacts(db, "contact_id, reason") == [
        ("T1", "Zurück gesendet"), ("T2", "Größe falsch"), ("T3", "naïve café ☕"),
        ("T4", "Señor 5 € zu viel"), ("T5", "zwei\nZeilen ö")]  # fmt: skip


def test_a_latin1_file_is_still_read_whole_as_latin1_without_a_note(tmp_path: Path,
                                                                    capsys) -> None:  # fmt: skip
    src = tmp_path / "latin.csv"
    src.write_bytes("Ticket ID,Created At,Reason\nT1,2026-03-02 09:00,Größe\n"
                    "T2,2026-03-02 09:00,Ärger\n".encode("latin-1"))  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 0
    assert "note:" not in capsys.readouterr().out
    assert _contacts(db, "contact_id, reason") == [("T1", "Größe"), ("T2", "Ärger")]


@pytest.mark.parametrize(("delimiter", "columns"), [(",", 100_000), (";", 5_000),
                                                    ("\t", 4_097)])
def test_a_header_wider_than_any_export_is_refused_at_once(tmp_path: Path, capsys,
                                                           delimiter: str,
                                                           columns: int) -> None:  # fmt: skip
    src = tmp_path / "wide.csv"
    src.write_text(delimiter.join(f"c{i}" for i in range(columns)) + "\n"
                   + delimiter.join("1" for _ in range(columns)) + "\n")  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"{src}: has {columns:,} columns; cxdash reads at most 4,096" in err
    assert not db.exists()


def test_a_wide_but_real_header_imports(tmp_path: Path, capsys) -> None:
    extra = 4_000  # a help desk with thousands of custom fields, quoted commas in names
    src = tmp_path / "wide_ok.csv"
    src.write_text("Ticket ID,Created At," + ",".join(f'"field, {i}"' for i in range(extra))
                   + "\nT1,2026-03-02 09:00," + ",".join("x" for _ in range(extra)) + "\n")
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "1 rows read, 1 written" in out and "and 3,970 more" in out  # 30 named


def test_a_first_line_of_megabytes_is_not_a_header(tmp_path: Path, capsys) -> None:
    src = tmp_path / "one_line.csv"
    src.write_text("x" * (2 << 20) + "\n1\n")
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb")]) == 2
    assert "the first line is longer than 1 MB" in capsys.readouterr().err


def test_a_gzip_bomb_is_refused_before_it_expands(tmp_path: Path, capsys) -> None:
    src = tmp_path / "bomb.csv.gz"
    with gzip.open(src, "wb", compresslevel=9) as out:
        out.write(b"Ticket ID,Created At,Reason\n")
        for _ in range(40):  # 2M rows, 44 MB from about 100 KB
            out.write(b"T1,2026-03-02 09:00,x\n" * 50_000)
    assert src.stat().st_size < 200_000
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert f"{src}: expands more than 100× (16 MB from " in err
    assert "decompress it and import the CSV" in err


def test_a_real_gzip_export_imports(tmp_path: Path, capsys) -> None:
    src = tmp_path / "real.csv.gz"
    rows = "".join(f"T{i},2026-03-02 {i % 24:02d}:{i % 60:02d},reason {i % 97}\n"
                   for i in range(200_000))  # fmt: skip
    src.write_bytes(gzip.compress(("Ticket ID,Created At,Reason\n" + rows).encode()))
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb")]) == 0
    assert "200,000 rows read, 200,000 written" in capsys.readouterr().out


def test_a_workbook_whose_sheet_is_a_zip_bomb_is_refused_unread(tmp_path: Path,
                                                                capsys) -> None:  # fmt: skip
    src = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(src, "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", b" " * (64 << 20))
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert f"{src}: its part xl/worksheets/sheet1.xml expands to 64 MB" in err


def test_a_ten_megabyte_cell_is_a_bad_row_and_its_message_stays_short(tmp_path: Path,
                                                                      capsys) -> None:  # fmt: skip
    src = tmp_path / "cell.csv"
    src.write_text("Ticket ID,Created At,Reason,CSAT\n"
                   "T1,2026-03-02 09:00," + "x" * 10_000_000 + ",5\n"
                   "T2,2026-03-02 09:00,fine," + "9" * 5_000 + "\n"
                   "T3,2026-03-02 09:00," + "y" * 100_000 + ",4\n")  # exactly the limit: kept
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--skip-bad-rows"]) == 0
    out = capsys.readouterr().out
    assert (f"{src}:2: column 'Reason' value '10000000 characters': longer than 100,000 "
            "characters, the most a field holds") in out  # fmt: skip
    assert f"{src}:3: column 'CSAT' value '{'9' * 200}…': not a whole number" in out
    assert len(out) < 3_000  # neither value printed whole
    assert _contacts(db, "contact_id, length(reason)") == [("T3", 100_000)]
