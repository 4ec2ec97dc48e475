"""Mappings, presets and event logs: each rule checked against values worked out by hand."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cxdash import store
from cxdash.cli import main
from cxdash.importer.mapping import Mapping, MappingError
from tests.storebuilder import build_store, ts

COLS = ("contact_id", "created_at", "first_response_at", "resolved_at", "status", "reopens",
        "transfers", "team", "agent", "channel")  # fmt: skip


def contacts(db: Path, cols: tuple[str, ...] = COLS) -> dict[str, dict]:
    con = store.open_read(db)
    try:
        rows = con.execute(f"SELECT {', '.join(cols)} FROM contacts ORDER BY 1").fetchall()
    finally:
        con.close()
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}


EVENTS = """case,when,state,group,agent
A,2026-03-02 09:00,New,L1,
A,2026-03-02 10:00,Active,L1,ann
A,2026-03-02 12:00,Active,L2,bob
A,2026-03-02 13:00,Resolved,L2,bob
A,2026-03-03 09:00,Active,L2,bob
A,2026-03-03 11:00,Resolved,L1,cat
A,2026-03-04 09:00,Closed,L1,cat
B,2026-03-05 08:00,New,,
B,2026-03-05 09:30,Resolved,L1,dan
B,2026-03-05 09:31,Resolved,L1,dan
C,2026-03-06 10:00,New,L1,
C,2026-03-06 11:00,Resolved,L1,eve
C,2026-03-06 12:00,Active,L1,eve
"""
EVENT_MAPPING = """table = "events"
[fields]
case_id = "case"
timestamp = "when"
activity = "state"
group = "group"
actor = "agent"
[events]
resolved = ["Resolved", "Closed"]
responded = ["Active"]
"""


def _import_events(tmp_path: Path, extra: str = "", db: Path | None = None) -> Path:
    src = tmp_path / "events.csv"
    src.write_text(EVENTS)
    mapping = tmp_path / "events.toml"
    mapping.write_text(EVENT_MAPPING + extra)
    db = db or tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--mapping", str(mapping)]) == 0
    return db


def test_event_log_becomes_one_contact_per_case_by_the_documented_rules(tmp_path, capsys):
    got = contacts(_import_events(tmp_path))
    assert "13 events read, 3 written to contacts" in capsys.readouterr().out
    # A: picked up at 10:00; L1→L2→L1 is two transfers; resolved 13:00, reopened, resolved
    # again 03-03 11:00 and closed (still resolved): one reopen, resolved at the last entry.
    assert got["A"] == {
        "contact_id": "A", "created_at": ts("2026-03-02 09:00"),
        "first_response_at": ts("2026-03-02 10:00"), "resolved_at": ts("2026-03-03 11:00"),
        "status": "Closed", "reopens": 1, "transfers": 2, "team": "L1", "agent": "cat",
        "channel": None,
    }  # fmt: skip
    # B: resolved without being picked up (the resolution is the first response); the first
    # group assignment is no transfer; two resolve events a minute apart are one resolution.
    assert got["B"]["first_response_at"] == ts("2026-03-05 09:30")
    assert got["B"]["resolved_at"] == ts("2026-03-05 09:30")
    assert (got["B"]["reopens"], got["B"]["transfers"], got["B"]["status"]) == (0, 0, "Resolved")
    # C: resolved, then reopened and still open: unresolved, one reopen.
    assert got["C"]["resolved_at"] is None
    assert (got["C"]["reopens"], got["C"]["status"]) == (1, "Active")


def test_event_rules_are_configurable(tmp_path: Path) -> None:
    got = contacts(_import_events(tmp_path, 'reopen = "resolved_again"\ntransfer_on = "actor"\n'))
    # resolved_again: A re-entered the resolved set once; C never did.
    assert {k: v["reopens"] for k, v in got.items()} == {"A": 1, "B": 0, "C": 0}
    # actor changes: ann→bob→cat in A; B and C keep one actor.
    assert {k: v["transfers"] for k, v in got.items()} == {"A": 2, "B": 0, "C": 0}


def test_events_update_the_tickets_already_in_the_store(tmp_path: Path) -> None:
    db = build_store(tmp_path / "s.duckdb", [
        {"contact_id": "A", "created_at": ts("2026-03-02 08:30"), "channel": "chat",
         "resolved_at": ts("2026-03-02 13:00"), "reopens": 0},
        {"contact_id": "Z", "created_at": ts("2026-03-01 08:00"), "channel": "email"},
    ])  # fmt: skip
    got = contacts(_import_events(tmp_path, db=db))
    assert got["A"]["created_at"] == ts("2026-03-02 08:30")  # the ticket's own, earlier
    assert got["A"]["channel"] == "chat"  # kept: the events do not carry it
    assert (got["A"]["resolved_at"], got["A"]["reopens"]) == (ts("2026-03-03 11:00"), 1)
    assert got["Z"]["channel"] == "email" and set(got) == {"A", "B", "C", "Z"}


def test_long_field_history_reads_fields_from_their_own_rows(tmp_path: Path) -> None:
    src = tmp_path / "history.csv"
    src.write_text("field,ticket,at,value\nstatus,7,2026-04-01 09:00,new\n"
                   "assignee,7,2026-04-01 09:00,u1\nstatus,7,2026-04-01 10:00,pending\n"
                   "assignee,7,2026-04-01 11:00,u2\nstatus,7,2026-04-01 12:00,solved\n"
                   "status,7,2026-04-02 09:00,open\nstatus,7,2026-04-02 10:00,solved\n")
    mapping = tmp_path / "history.toml"
    mapping.write_text('table = "events"\n[fields]\ncase_id = "ticket"\ntimestamp = "at"\n'
                       'activity = "value"\nactor = "value"\n[when.activity]\nfield = "status"\n'
                       '[when.actor]\nfield = "assignee"\n[events]\nresponded = ["pending"]\n'
                       'transfer_on = "actor"\n')  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--mapping", str(mapping)]) == 0
    got = contacts(db)["7"]
    assert got["first_response_at"] == ts("2026-04-01 10:00")
    assert got["resolved_at"] == ts("2026-04-02 10:00")
    assert (got["reopens"], got["transfers"], got["agent"]) == (1, 1, "u2")


ZENDESK = """Id,Requester id,Assignee,Group,Subject,Status,Priority,Via,Ticket type,Created at,Solved at,Satisfaction Score,Group stations,Reopens,First reply time in minutes,Tags
101,r1,Ann,Billing,Card declined,closed,normal,Mail,problem,2026-05-04 09:00:00,2026-05-04 15:00:00,Good,1,0,90,x
102,r2,Bob,Tier 2,Where is it,solved,high,Web form,question,2026-05-04 10:00:00,2026-05-05 10:00:00,Bad,3,1,30,y
103,r1,,Billing,Refund,open,low,Chat,incident,2026-05-05 11:00:00,,Offered,1,0,,z
"""  # noqa: E501


def test_zendesk_preset_reads_the_ticket_export(tmp_path: Path, capsys) -> None:
    src = tmp_path / "zendesk.csv"
    src.write_text(ZENDESK)
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--preset", "zendesk"]) == 0
    out = capsys.readouterr().out
    assert "first_response_at ← created_at + 'First reply time in minutes' minutes" in out
    assert "ignored columns: Subject, Tags" in out
    cols = ("contact_id", "customer_id", "first_response_at", "resolved_at", "csat", "transfers",
            "reopens", "channel", "team")  # fmt: skip
    got = contacts(db, cols)
    assert got["101"]["first_response_at"] == ts("2026-05-04 10:30")  # 09:00 + 90 min
    assert [got[i]["csat"] for i in ("101", "102", "103")] == [5, 1, None]
    assert [got[i]["transfers"] for i in ("101", "102", "103")] == [0, 2, 0]  # stations − 1
    assert got["102"]["reopens"] == 1 and got["103"]["resolved_at"] is None


def test_a_preset_leaves_out_optional_columns_the_export_lacks(tmp_path: Path, capsys) -> None:
    src = tmp_path / "freshdesk.csv"
    src.write_text("Ticket ID,Subject,Status,Priority,Source,Type,Group,Created time,"
                   "Resolved time,Initial response time,Survey results\n"
                   "9,Hi,Closed,Low,Email,Question,Support,2026-06-01 08:00:00,"
                   "2026-06-01 12:00:00,2026-06-01 09:00:00,Awesome\n")  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--preset", "freshdesk"]) == 0
    out = capsys.readouterr().out
    assert "not imported: agent (column 'Agent' is not in the file)" in out
    got = contacts(db, ("contact_id", "csat", "first_response_at", "team"))["9"]
    assert (got["csat"], got["first_response_at"], got["team"]) == (
        5, ts("2026-06-01 09:00"), "Support")


def test_unknown_preset_and_bad_mapping_are_named(tmp_path: Path, capsys) -> None:
    src = tmp_path / "x.csv"
    src.write_text("id,created\na,2026-01-01\n")
    assert main(["import", str(src), "--db", str(tmp_path / "s.duckdb"), "--preset", "nope"]) == 2
    assert "no preset 'nope'; choose one of generic, zendesk, freshdesk" in capsys.readouterr().err
    with pytest.raises(MappingError, match=r"\[events\] reopen must be one of"):
        Mapping.parse({"events": {"reopen": "sometimes"}})
    with pytest.raises(MappingError, match=r"\[before_created\] resolved_at"):
        Mapping.parse({"before_created": {"resolved_at": "ignore"}})


def test_durations_conditions_and_clearing_known_bad_clocks(tmp_path: Path, capsys) -> None:
    src = tmp_path / "calls.csv"
    src.write_text("Call,Date,Time,Answer s,Talk,Resolved,Closed\n"
                   "c1,2026-03-02,09:00:00,30,00:02:23,Y,2026-03-02 08:00\n"
                   "c2,2026-03-02,10:00:00,,,N,2026-03-02 11:00\n")  # fmt: skip
    mapping = tmp_path / "calls.toml"
    mapping.write_text('[fields]\ncontact_id = "Call"\ncreated_at = ["Date", "Time"]\n'
                       'handle_seconds = "Talk"\nfirst_contact_resolved = "Resolved"\n'
                       'resolved_at = "Closed"\n[seconds_after_created]\n'
                       'first_response_at = "Answer s"\n[before_created]\nresolved_at = "clear"\n'
                       '[values.first_contact_resolved]\nY = "true"\nN = "false"\n')  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--mapping", str(mapping)]) == 0
    assert "cleared: resolved_at in 1 rows" in capsys.readouterr().out
    got = contacts(db, ("contact_id", "first_response_at", "handle_seconds", "resolved_at",
                        "first_contact_resolved"))  # fmt: skip
    assert got["c1"]["first_response_at"] == ts("2026-03-02 09:00:30")
    assert got["c1"]["handle_seconds"] == 143.0 and got["c1"]["resolved_at"] is None
    assert got["c2"]["resolved_at"] == ts("2026-03-02 11:00")
    assert got["c2"]["first_contact_resolved"] is False


def test_a_matched_name_whose_values_are_not_dates_is_left_out(tmp_path: Path, capsys) -> None:
    src = tmp_path / "calls.csv"
    src.write_text("Call Id,Date,Resolved\nk1,2026-03-02 09:00,Y\nk2,2026-03-02 10:00,N\n")
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "not imported: resolved_at (column 'Resolved' holds values such as" in out
    assert len(contacts(db)) == 2


def test_bare_carriage_return_quoted_newlines_bom_and_gzip(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    bare = tmp_path / "bare_cr.csv"  # DuckDB's sniffer stops on this; polars reads it
    bare.write_bytes(b"id,created,comment\nr1,2026-01-01 09:00,hello\rworld\n"
                     b"r2,2026-01-01 10:00,plain\n")  # fmt: skip
    assert main(["import", str(bare), "--db", str(db)]) == 0
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('id,created,comment\nq1,2026-01-02 09:00,"line one\nline two"\n')
    assert main(["import", str(quoted), "--db", str(db)]) == 0
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffid,created\nb1,2026-01-03 09:00\n".encode())
    assert main(["import", str(bom), "--db", str(db)]) == 0
    zipped = tmp_path / "z.csv.gz"
    zipped.write_bytes(gzip.compress(b"id,created\ng1,2026-01-04 09:00\n"))
    assert main(["import", str(zipped), "--db", str(db)]) == 0
    got = contacts(db, ("contact_id", "comment"))
    assert got["r1"]["comment"] == "hello\rworld" and got["r2"]["comment"] == "plain"
    assert got["q1"]["comment"] == "line one\nline two"
    assert set(got) == {"r1", "r2", "q1", "b1", "g1"}


def test_headerless_file_named_by_the_mapping(tmp_path: Path) -> None:
    src = tmp_path / "noheader.csv"
    src.write_text("1,07/20/2020 10:51:12 AM,Damaged Tree\n2,07/21/2020 02:13:58 PM,Noise\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[read]\nheader = false\nnames = ["Key", "Created", "Type"]\n'
                       '[fields]\ncontact_id = "Key"\ncreated_at = "Created"\nreason = "Type"\n')
    db = tmp_path / "s.duckdb"
    assert main(["import", str(src), "--db", str(db), "--mapping", str(mapping)]) == 0
    got = contacts(db, ("contact_id", "created_at"))
    assert got["2"]["created_at"] == ts("2020-07-21 14:13:58")


def test_replace_empties_the_table_first(tmp_path: Path, capsys) -> None:
    db = build_store(tmp_path / "s.duckdb", [{"contact_id": "old", "created_at": ts("2026-01-01")}])
    src = tmp_path / "new.csv"
    src.write_text("id,created\nn1,2026-02-01 09:00\n")
    assert main(["import", str(src), "--db", str(db)]) == 0
    assert set(contacts(db)) == {"old", "n1"}
    assert main(["import", str(src), "--db", str(db), "--replace"]) == 0
    assert "written to contacts (replaced)" in capsys.readouterr().out
    assert set(contacts(db)) == {"n1"}


def test_excel_time_cells_read_as_times(tmp_path: Path) -> None:
    import datetime as dt

    import xlsxwriter

    book = tmp_path / "calls.xlsx"
    workbook = xlsxwriter.Workbook(str(book))
    sheet = workbook.add_worksheet("Calls")
    stamp = workbook.add_format({"num_format": "hh:mm:ss"})
    for c, name in enumerate(["Call", "Date", "Time", "Talk"]):
        sheet.write(0, c, name)
    sheet.write(1, 0, "x1")
    sheet.write(1, 1, "2026-03-02")
    sheet.write_datetime(1, 2, dt.time(9, 12, 58), stamp)
    sheet.write_datetime(1, 3, dt.time(0, 2, 23), stamp)
    workbook.close()
    mapping = tmp_path / "m.toml"
    mapping.write_text('[fields]\ncontact_id = "Call"\ncreated_at = ["Date", "Time"]\n'
                       'handle_seconds = "Talk"\n')  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(book), "--db", str(db), "--mapping", str(mapping)]) == 0
    got = contacts(db, ("contact_id", "created_at", "handle_seconds"))["x1"]
    assert (got["created_at"], got["handle_seconds"]) == (ts("2026-03-02 09:12:58"), 143.0)


@pytest.mark.slow
def test_file_larger_than_the_memory_limit_streams_with_progress(tmp_path: Path, monkeypatch,
                                                                 capsys) -> None:  # fmt: skip
    """90 MB of CSV through a writer limited to 64 MB of memory: DuckDB streams and spills."""
    monkeypatch.setenv("CXDASH_WRITE_MEMORY", "64MB")
    big = tmp_path / "big.csv"
    with big.open("w") as handle:
        handle.write("id,created,channel,reason,comment\n")
        for i in range(900_000):
            handle.write(f"c{i},2026-02-{1 + i % 28:02d} {i % 24:02d}:00,chat,Refund,"
                         f"a comment long enough to take room {i}\n")  # fmt: skip
    assert big.stat().st_size > 64_000_000
    db = tmp_path / "s.duckdb"
    assert main(["import", str(big), "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "900,000 rows read, 900,000 written" in captured.out
    assert "reading big.csv" in captured.err and "checking every row" in captured.err
    con = store.open_read(db)
    assert con.execute("SELECT count(DISTINCT contact_id) FROM contacts").fetchall() == [(900_000,)]
    con.close()


def test_upsert_refreshes_the_derived_columns_of_the_customers_touched(tmp_path: Path) -> None:
    from cxdash import derived

    db = build_store(
        tmp_path / "s.duckdb",
        [{"contact_id": "c1", "customer_id": "k", "created_at": ts("2026-03-01 09:00")},
         {"contact_id": "c2", "customer_id": "k", "created_at": ts("2026-03-03 09:00")},
         {"contact_id": "x1", "customer_id": "m", "created_at": ts("2026-03-01 09:00")}],
        orders=[{"order_id": "o1", "customer_id": "k", "ordered_at": ts("2026-03-05 09:00")},
                {"order_id": "o2", "customer_id": "n", "ordered_at": ts("2026-03-02 09:00")}],
    )  # fmt: skip
    src = tmp_path / "more.csv"  # c2 moves later; n gets its first contact, before its order
    src.write_text("id,customer,created\nc2,k,2026-03-10 09:00\nn1,n,2026-03-01 12:00\n")
    assert main(["import", str(src), "--db", str(db)]) == 0
    con = store.open_read(db)
    try:
        stored = con.execute("SELECT contact_id, next_contact_at, next_order_after_created_at "
                             "FROM contacts ORDER BY 1").fetchall()  # fmt: skip
        scratch = con.execute(
            "SELECT contact_id, next_contact_at, next_order_after_created_at FROM ("
            + derived.contacts_with_derived_sql(derived.KEY_CONTACTS.format(where=""),
                                                derived.KEY_ORDERS.format(where=""))
            + ") ORDER BY 1").fetchall()  # fmt: skip
        assert derived.is_fresh(con)
    finally:
        con.close()
    assert stored == scratch
    assert stored[0] == ("c1", ts("2026-03-10 09:00"), ts("2026-03-05 09:00"))
    assert stored[2] == ("n1", None, ts("2026-03-02 09:00"))


def test_parquet_orders_and_a_reasons_catalog(tmp_path: Path, capsys) -> None:
    import polars as pl

    orders = tmp_path / "orders.parquet"
    pl.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["k1", "k1"],
                  "order_date": ["2026-03-01 10:00", "2026-03-09 11:00"],
                  "amount": [19.5, 7.25]}).write_parquet(orders)  # fmt: skip
    db = tmp_path / "s.duckdb"
    assert main(["import", str(orders), "--db", str(db), "--table", "orders"]) == 0
    catalog = tmp_path / "reasons.csv"
    catalog.write_text("reason,value_to_customer,value_to_business,preventable,external\n"
                       "Late delivery,low,low,yes,yes\nRefund,high,high,no,no\n")  # fmt: skip
    assert main(["import", str(catalog), "--db", str(db), "--table", "reasons"]) == 0
    bad = tmp_path / "bad_reasons.csv"
    bad.write_text("reason,value_to_customer\nBilling,medium\n")
    assert main(["import", str(bad), "--db", str(db), "--table", "reasons"]) == 2
    assert "value 'medium': must satisfy value_to_customer IN ('high', 'low')" in (
        capsys.readouterr().err)
    con = store.open_read(db)
    try:
        assert con.execute("SELECT order_id, ordered_at, amount, next_ordered_at FROM orders "
                           "ORDER BY 1").fetchall() == [
            ("o1", ts("2026-03-01 10:00"), 19.5, ts("2026-03-09 11:00")),
            ("o2", ts("2026-03-09 11:00"), 7.25, None)]  # fmt: skip
        assert con.execute("SELECT reason, preventable, external FROM reasons ORDER BY 1"
                           ).fetchall() == [("Late delivery", True, True), ("Refund", False, False)]
    finally:
        con.close()
