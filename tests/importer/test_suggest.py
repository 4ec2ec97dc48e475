"""`cxdash import FILE --suggest`: the proposed mapping, taken as it is, imports the file.

Files of our own making for each inferred layout and table kind; then the real exports in
../shared/realdata (skipped with the reason when absent), whose contact counts and first and
last creation days are worked out from the file here, independently of the importer.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cxdash import store
from cxdash.importer.suggest import SuggestFailed, suggest

REAL = Path(__file__).parents[3] / "shared" / "realdata"


def _write(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, delimiter=delimiter)
        out.writerow(header)
        out.writerows(rows)
    return path


def _mapping(path: Path) -> dict:
    return tomllib.loads(suggest(path).text)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cxdash", *args], capture_output=True,
                          text=True)  # fmt: skip


def _import_suggested(tmp_path: Path, source: Path) -> tuple[int, dt.date, dt.date]:
    proposal = _cli("import", str(source), "--suggest")
    assert proposal.returncode == 0, proposal.stderr
    mapping = tmp_path / "suggested.toml"
    mapping.write_text(proposal.stdout)
    db = tmp_path / "s.duckdb"
    done = _cli("import", str(source), "--db", str(db), "--mapping", str(mapping), "--quiet")
    assert done.returncode == 0, done.stderr
    with contextlib.closing(store.open_read(db)) as con:
        n, first, last = con.execute("SELECT count(*), min(created_at)::DATE, "
                                     "max(created_at)::DATE FROM contacts").fetchall()[0]
    return n, first, last


# ---- layouts, by hand ---------------------------------------------------------------------
@pytest.mark.parametrize(("values", "layout"), [
    (["8/30/2013", "9/13/2013", "12/1/2013"], "%m/%d/%Y"),  # 9/13 only reads month first
    (["22/04/2015 14:05", "03/05/2015 09:00", "30/12/2015 23:59"], "%d/%m/%Y %H:%M"),
    (["10/21/2019 11:49:49 AM", "10/21/2019 01:02:03 PM", "1/2/2020 12:00:00 AM"],
     "%m/%d/%Y %I:%M:%S %p"),
    (["Tue Oct 31 22:10:47 +0000 2017", "Wed Nov 01 01:00:00 +0000 2017",
      "Thu Nov 02 09:30:15 +0000 2017"], "%a %b %d %H:%M:%S %z %Y"),
    (["05 Mar 2026 10:00", "17 Apr 2026 08:30", "01 May 2026 12:00"], "%d %b %Y %H:%M"),
])  # fmt: skip
def test_a_timestamp_layout_is_read_from_the_values(tmp_path: Path, values, layout) -> None:
    path = _write(tmp_path / "t.csv", ["Ref", "Opened"],
                  [[f"R{i}", v] for i, v in enumerate(values)])  # fmt: skip
    got = _mapping(path)
    assert got["fields"]["created_at"] == "Opened"
    assert got["formats"]["created_at"] == layout


def test_iso_needs_no_format_and_a_day_month_tie_is_said(tmp_path: Path) -> None:
    iso = _write(tmp_path / "iso.csv", ["id", "created"], [["a", "2026-03-01 10:00:00"],
                                                           ["b", "2026-03-02T11:00:00+01:00"]])
    assert "formats" not in _mapping(iso)
    # 03/04 and 05/06 read both ways: a layout is proposed and the alternative is said.
    tie = _write(tmp_path / "tie.csv", ["id", "created"], [["a", "03/04/2026"],
                                                           ["b", "05/06/2026"]])  # fmt: skip
    text = suggest(tie).text
    assert "also reads as %d/%m/%Y" in text or "also reads as %m/%d/%Y" in text


def test_a_date_and_a_time_in_two_columns_are_joined(tmp_path: Path) -> None:
    # The Comcast layout: 22-04-2015 and 3.53.50 PM.
    path = _write(tmp_path / "c.csv", ["Ticket #", "Date", "Time", "Status"], [
        ["250635", "22-04-2015", "3.53.50 PM", "Closed"],
        ["223441", "04-08-2015", "10.22.56 AM", "Open"],
        ["242732", "18-04-2015", "9.55.47 AM", "Solved"],
    ])  # fmt: skip
    got = _mapping(path)
    assert got["fields"]["contact_id"] == "Ticket #"  # unique on every row, not named "id"
    assert got["fields"]["created_at"] == ["Date", "Time"]
    assert got["formats"]["created_at"] == "%d-%m-%Y %I.%M.%S %p"
    assert got["fields"]["status"] == "Status"


def test_statuses_that_mean_resolved_are_mapped(tmp_path: Path) -> None:
    statuses = ["Closed with explanation", "Closed with monetary relief", "In progress",
                "Closed", "Untimely response", "Completed"]  # fmt: skip
    path = _write(tmp_path / "s.csv", ["complaint_id", "date_received", "status"],
                  [[str(100 + i), f"2026-03-0{i + 1}", s] for i, s in enumerate(statuses)])
    got = _mapping(path)
    assert got["values"]["status"] == {"Closed with explanation": "closed",
                                       "Closed with monetary relief": "closed",
                                       "Completed": "closed"}  # fmt: skip


def test_an_event_log_is_told_by_its_repeating_case_id(tmp_path: Path) -> None:
    rows = [[case, f"2026-03-0{day} 10:00:00", status]
            for case, days in (("SR-1", (1, 2, 3)), ("SR-2", (2, 4))) for day in days
            for status in (["Queued", "Completed"][day % 2],)]  # fmt: skip
    got = _mapping(_write(tmp_path / "e.csv", ["SR Number", "Changed", "Status"], rows))
    assert got["table"] == "events"
    assert (got["fields"]["case_id"], got["fields"]["timestamp"]) == ("SR Number", "Changed")
    assert got["events"]["resolved"] == ["Completed"]


@pytest.mark.parametrize(("header", "rows", "needle"), [
    (["only"], [["a"], ["b"]], "only one column ('only'"),
    (["who", "when"], [["a", "2026-03-01"], ["a", "2026-03-01"], ["b", "2026-03-02"]],
     "no column is unique on every row"),
    (["id", "when"], [["a", "yesterday"], ["b", "last week"]], "no column reads as dates"),
])  # fmt: skip
def test_bad_input_gets_one_line_naming_the_file_and_the_way_on(
    tmp_path: Path, header, rows, needle
) -> None:
    path = _write(tmp_path / "bad.csv", header, rows)
    with pytest.raises(SuggestFailed, match=re.escape(needle)) as caught:
        suggest(path)
    assert str(path) in str(caught.value)
    proc = _cli("import", str(path), "--suggest", "--db", str(tmp_path / "none.duckdb"))
    assert proc.returncode == 2 and needle.split("(")[0].strip() in proc.stderr
    assert proc.stdout == "" and not (tmp_path / "none.duckdb").exists()  # nothing written


# ---- real exports: the suggestion as it is imports the file -------------------------------
def _real(relative: str) -> Path:
    path = REAL / relative
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared/realdata is only beside the repo)")
    return path


def _expected(path: Path, id_col: str, parse, delimiter: str = ",") -> tuple[int, dt.date, dt.date]:  # type: ignore[no-untyped-def]
    """Contacts and first/last creation day, read from the file with the csv module."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    days = [parse(r) for r in rows]
    assert len({r[id_col] for r in rows}) == len(rows)
    return len(rows), min(days), max(days)


REAL_CASES = {
    "comcast": ("comcast_complaints/Comcast_telecom_complaints_data.csv", "Ticket #",
                lambda r: dt.datetime.strptime(r["Date"], "%d-%m-%Y").date(), "\t"),
    "cfpb": ("cfpb_complaints/Consumer_Complaints_sample.csv", "complaint_id",
             lambda r: dt.datetime.strptime(r["date_received"], "%m/%d/%Y").date(), ","),
    "boston311": ("boston311/boston311-100.csv", "case_enquiry_id",
                  lambda r: dt.date.fromisoformat(r["open_dt"][:10]), ","),
    "baltimore311": ("baltimore311/311_Customer_Service_Requests.csv", "ServiceRequestNum",
                     lambda r: dt.datetime.strptime(r["CreatedDate"],
                                                    "%m/%d/%Y %I:%M:%S %p").date(), ","),
}  # fmt: skip


@pytest.mark.xdist_group("suggest-real")
@pytest.mark.parametrize("name", list(REAL_CASES))
def test_a_real_export_imports_from_its_unedited_suggestion(tmp_path: Path, name: str) -> None:
    relative, id_col, parse, delimiter = REAL_CASES[name]
    path = _real(relative)
    assert _import_suggested(tmp_path, path) == _expected(path, id_col, parse, delimiter)


@pytest.mark.xdist_group("suggest-real")
def test_the_volvo_incident_log_is_suggested_as_events(tmp_path: Path) -> None:
    path = _real("bpi2013_volvo_incidents/VINST-new.csv")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    first_event: dict[str, dt.date] = {}
    for r in rows:
        day = dt.date.fromisoformat(r["Change Date+Time"][:10])
        first_event[r["SR Number"]] = min(day, first_event.get(r["SR Number"], day))
    want = (len(first_event), min(first_event.values()), max(first_event.values()))
    assert _import_suggested(tmp_path, path) == want


def test_a_date_that_does_not_parse_names_the_format_that_would(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["Ticket ID", "Created"],
                  [["T1", "22-04-2015 14:05"], ["T2", "03-05-2015 09:00"]])  # fmt: skip
    proc = _cli("import", str(path), "--db", str(tmp_path / "s.duckdb"), "--quiet")
    assert proc.returncode == 2
    assert (f"{path}:2: column 'Created' value '22-04-2015 14:05': not a date and time"
            in proc.stderr)  # fmt: skip
    assert 'try [formats] created_at = "%d-%m-%Y %H:%M" in the mapping (it reads 2 of 2' \
        in proc.stderr  # fmt: skip
    assert not (tmp_path / "s.duckdb").exists()  # nothing written
