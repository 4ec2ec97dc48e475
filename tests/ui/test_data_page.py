"""The Data page's import section through AppTest: a real upload, the real importer, a real
store. Every number below is counted by hand from the CSV text in this file."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

import pytest
import xlsxwriter
from streamlit.testing.v1 import AppTest

from cxdash import store
from tests.apptest import open_app
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.usefixtures("app_env")

# Three tickets; row 4 (the header is row 1) has CSAT 9 (outside 1–5) and a resolution an hour
# before it was created. "Notes" matches no field.
TICKETS = (
    b"Ticket ID,Created,Channel,Team,Resolved,CSAT,Notes\n"
    b"T1,2026-06-01 09:00,chat,A,2026-06-01 10:00,5,first\n"
    b"T2,2026-06-02 09:00,email,B,,4,second\n"
    b"T3,2026-06-03 09:00,phone,A,2026-06-03 08:00,9,third\n"
)
CLEAN = (
    b"Ticket ID,Created,Channel,CSAT\n"
    b"T1,2026-06-01 09:00,chat,5\n"
    b"T2,2026-06-02 09:00,email,4\n"
    b"c0,2026-06-03 09:00,phone,3\n"  # same id as a stored contact: replaced by an upsert
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Five stored contacts, c0–c4, so an import is visibly added to (or replaces) them."""
    t0 = ts("2026-05-01 09:00")
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(days=i),
                 "channel": "chat"} for i in range(5)]  # fmt: skip
    return build_store(tmp_path / "store" / "cxdash.duckdb", contacts)


def data_page(monkeypatch: pytest.MonkeyPatch, db: Path) -> AppTest:
    at = open_app(monkeypatch, db)
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, body: bytes, mime: str = "text/csv") -> AppTest:
    at.file_uploader[0].upload(name, body, mime).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The first table on the page (read-only or editor) that has `column`."""
    return next(t.value for t in at.dataframe if column in t.value.columns)


def mapping(at: AppTest) -> dict[str, str | None]:
    """field → source column as the editor shows it (before edits)."""
    frame = at.data_editor[0].value
    return {f: (None if s in (None, "", "—") or s != s else s)
            for f, s in zip(frame["field"], frame["source column"], strict=True)}  # fmt: skip


def edit_mapping(at: AppTest, changes: dict[str, dict[str, str | None]]) -> AppTest:
    """Cell edits by field name, as the browser sends them (row position → column → value)."""
    editor = at.data_editor[0]
    fields = list(editor.value["field"])
    edited = {str(fields.index(f)): cells for f, cells in changes.items()}
    at.session_state[editor.key] = {"edited_rows": edited, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def import_button(at: AppTest):  # type: ignore[no-untyped-def]
    return at.button(key="import_go")


def count(db: Path, sql: str) -> list[tuple]:
    with contextlib.closing(store.open_read(db)) as con:
        return con.execute(sql).fetchall()


def uploads_left(db: Path) -> list[str]:
    return [p.name for p in db.parent.iterdir() if p.name.startswith(".cxdash-upload-")]


def test_upload_shows_first_rows_and_the_suggested_mapping(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "tickets.csv", TICKETS)
    preview = table_with(at, "Ticket ID")
    assert list(preview["row"]) == [2, 3, 4]  # rows as numbered in the file
    assert list(preview["Ticket ID"]) == ["T1", "T2", "T3"]
    shown = mapping(at)
    assert shown["contact_id"] == "Ticket ID"
    assert shown["created_at"] == "Created"
    assert (shown["channel"], shown["team"], shown["csat"]) == ("Channel", "Team", "CSAT")
    assert shown["resolved_at"] == "Resolved"
    assert shown["customer_id"] is None
    required = dict(zip(at.data_editor[0].value["field"], at.data_editor[0].value["required"],
                        strict=True))  # fmt: skip
    assert [f for f, r in required.items() if r] == ["contact_id", "created_at"]
    notes = dict(zip(at.data_editor[0].value["field"], at.data_editor[0].value["notes"],
                     strict=True))  # fmt: skip
    assert notes["csat"] == ("2 of 3 answers are whole numbers 1–5; the other 1 is reported "
                             "row by row")  # fmt: skip
    assert metrics(at)["Rows read"] == "3"
    assert any(c.value == "Columns not imported (no field uses them): Notes" for c in at.caption)
    limit = next(c.value for c in at.caption if "MB" in c.value)
    assert "200 MB" in limit and "cxdash import FILE" in limit
    assert uploads_left(db) == []  # the temporary copy is gone once checked


def test_a_bad_value_is_named_by_row_and_blocks_the_import(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "tickets.csv", TICKETS)
    shown = metrics(at)
    assert (shown["Problems"], shown["Rows with problems"], shown["Rows ready to import"]) == (
        "2", "1", "2")  # fmt: skip
    problems = table_with(at, "why")
    assert list(problems["row"]) == [4, 4]
    assert set(problems["file"]) == {"tickets.csv"}
    by_column = dict(zip(problems["column"], zip(problems["value"], problems["why"],
                                                  strict=True), strict=True))  # fmt: skip
    assert by_column["CSAT"] == ("9", "must satisfy csat BETWEEN 1 AND 5")
    assert by_column["Resolved"] == ("2026-06-03 08:00", "is before created_at")
    assert import_button(at).disabled
    # Skipping the bad row enables the import of the other two.
    at.checkbox(key="import_skip").check().run()
    assert not import_button(at).disabled
    assert import_button(at).label == "Import 2 rows into contacts"
    import_button(at).click().run()
    assert not at.exception
    assert "2 of 3 rows written to contacts" in at.success[0].value
    assert "1 rows with problems were skipped" in at.success[0].value
    assert count(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'T%'") == [(2,)]


def test_editing_the_mapping_takes_effect(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "tickets.csv", TICKETS)
    # CSAT not imported, Notes as the comment: one problem left (the early resolution).
    edit_mapping(at, {"csat": {"source column": None}, "comment": {"source column": "Notes"}})
    assert metrics(at)["Problems"] == "1"
    assert any(c.value == "Columns not imported (no field uses them): CSAT" for c in at.caption)
    # …and resolved_at from nothing: no problems, the import is allowed.
    edit_mapping(at, {"csat": {"source column": None}, "comment": {"source column": "Notes"},
                      "resolved_at": {"source column": ""}})  # fmt: skip
    assert metrics(at)["Problems"] == "0"
    assert at.get("download_button")[0].proto.label == "Download this mapping (TOML)"
    import_button(at).click().run()
    assert not at.exception
    rows = count(db, "SELECT contact_id, comment, csat, resolved_at FROM contacts "
                     "WHERE contact_id LIKE 'T%' ORDER BY 1")  # fmt: skip
    assert rows == [("T1", "first", None, None), ("T2", "second", None, None),
                    ("T3", "third", None, None)]  # fmt: skip


def test_required_fields_without_a_column_are_asked_for(monkeypatch, db: Path) -> None:
    orders = b"Order,When,Total\nO1,2026-06-01,10.5\nO2,2026-06-02,7\n"
    at = upload(data_page(monkeypatch, db), "orders.csv", orders)
    at.selectbox(key="import_table").select("orders").run()
    assert "order_id, ordered_at" in at.warning[0].value
    assert mapping(at)["amount"] == "Total"  # matched by name; "Order" and "When" are not
    assert import_button_absent(at)
    edit_mapping(at, {"order_id": {"source column": "Order"},
                      "ordered_at": {"source column": "When"}})  # fmt: skip
    assert not at.warning
    assert metrics(at)["Rows read"] == "2"
    import_button(at).click().run()
    assert count(db, "SELECT order_id, ordered_at, amount FROM orders ORDER BY 1") == [
        ("O1", dt.datetime(2026, 6, 1), 10.5), ("O2", dt.datetime(2026, 6, 2), 7.0)]


def import_button_absent(at: AppTest) -> bool:
    return all(b.key != "import_go" for b in at.button)


def test_import_writes_rows_and_the_history_shows_it(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "clean.csv", CLEAN)
    assert metrics(at)["Contacts stored"] == "5"
    assert import_button(at).label == "Import 3 rows into contacts"
    import_button(at).click().run()
    assert not at.exception
    assert at.success[0].value == ("Imported clean.csv: 3 of 3 rows written to contacts "
                                   "(added or updated by id).")  # fmt: skip
    assert at.toast[0].value == at.success[0].value  # seen even when scrolled to the bottom
    # Upsert: T1 and T2 added, c0 replaced → 5 + 2 contacts, c0 now a phone contact.
    assert count(db, "SELECT count(*) FROM contacts") == [(7,)]
    assert count(db, "SELECT channel FROM contacts WHERE contact_id = 'c0'") == [("phone",)]
    # The page shows the new store version without a restart.
    assert metrics(at)["Contacts stored"] == "7"
    assert not at.file_uploader[0].value  # a fresh uploader for the next file
    history = table_with(at, "sha256")
    assert list(history["file"]) == ["clean.csv"]
    assert history["target"][0] == "contacts"
    assert (history["rows_read"][0], history["rows_written"][0], history["rows_rejected"][0]) \
        == (3, 3, 0)
    assert len(history["sha256"][0]) == 12
    assert uploads_left(db) == []

    upload(at, "again.csv", CLEAN)  # the same rows again: replaced, not duplicated
    import_button(at).click().run()
    assert count(db, "SELECT count(*) FROM contacts") == [(7,)]
    history = table_with(at, "sha256")
    assert list(history["file"]) == ["again.csv", "clean.csv"]  # newest first
    assert history["sha256"][0] == history["sha256"][1]  # same content, same hash


def test_replace_mode_empties_the_table_first(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "clean.csv", CLEAN)
    at.radio(key="import_mode").set_value("replace").run()
    assert "deletes the 5 rows in contacts" in at.warning[0].value
    import_button(at).click().run()
    assert not at.exception
    assert "after emptying it" in at.success[0].value
    assert count(db, "SELECT contact_id FROM contacts ORDER BY 1") == [("T1",), ("T2",), ("c0",)]
    assert metrics(at)["Contacts stored"] == "3"


def test_unreadable_file_is_an_error_not_a_traceback(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "headers.csv", b"Ticket ID,Created\n")
    assert not at.exception
    # Named as uploaded; our temporary copy's path never shows.
    assert at.error[0].value == ("headers.csv: the file has a header (Ticket ID, Created) "
                                 "but no rows")  # fmt: skip
    assert uploads_left(db) == []


def test_names_from_the_file_are_shown_literally(monkeypatch, db: Path) -> None:
    body = b"id,created,$net*,a_b\nA,2026-06-01,1,2\n"
    at = upload(data_page(monkeypatch, db), "x.csv", body)
    # Escaped for Markdown: "$…" would be maths, "*" emphasis.
    assert any(c.value == r"Columns not imported (no field uses them): \$net\*, a\_b"
               for c in at.caption)  # fmt: skip


def test_a_workbook_with_two_sheets_offers_a_sheet_picker(monkeypatch, db: Path) -> None:
    body = io.BytesIO()
    book = xlsxwriter.Workbook(body, {"in_memory": True})
    for name, rows in (("Summary", [["Total"], ["2"]]),
                       ("Tickets", [["Ticket ID", "Created"], ["X1", "2026-06-01 09:00"],
                                    ["X2", "2026-06-02 10:30"]])):  # fmt: skip
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
    book.close()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = upload(data_page(monkeypatch, db), "export.xlsx", body.getvalue(), xlsx)
    picker = at.selectbox(key=next(k for k in at.session_state if k.startswith("import_sheet_")))
    assert picker.options == ["Summary", "Tickets"]
    warned = [w.value for w in at.warning]
    assert "only one column ('Total'" in warned[0]  # the suggestion cannot read "Summary"…
    assert any("contact_id, created_at" in w for w in warned)  # …nor can matching by name
    picker.select("Tickets").run()
    assert list(table_with(at, "Ticket ID")["Ticket ID"]) == ["X1", "X2"]
    assert mapping(at)["contact_id"] == "Ticket ID"
    import_button(at).click().run()
    assert count(db, "SELECT count(*) FROM contacts WHERE contact_id LIKE 'X%'") == [(2,)]


def test_a_preset_prefills_its_columns_and_rules(monkeypatch, db: Path) -> None:
    zendesk = (b"Id,Created at,Via,Satisfaction Score,First reply time in minutes\n"
               b"Z1,2026-06-01 09:00,email,Good,30\nZ2,2026-06-01 10:00,web,Bad,\n")  # fmt: skip
    at = upload(data_page(monkeypatch, db), "zendesk.csv", zendesk)
    at.selectbox(key="import_preset_contacts").select("zendesk").run()
    shown = mapping(at)
    assert (shown["contact_id"], shown["channel"], shown["csat"]) == (
        "Id", "Via", "Satisfaction Score")  # fmt: skip
    assert shown["team"] is None  # Zendesk's "Group" is not in this export
    notes = dict(zip(at.data_editor[0].value["field"], at.data_editor[0].value["notes"],
                     strict=True))  # fmt: skip
    assert notes["first_response_at"] == "created_at + 'First reply time in minutes' in minutes"
    assert notes["csat"] == "8 values translated"
    import_button(at).click().run()
    assert count(db, "SELECT contact_id, csat, first_response_at FROM contacts "
                     "WHERE contact_id LIKE 'Z%' ORDER BY 1") == [
        ("Z1", 5, dt.datetime(2026, 6, 1, 9, 30)), ("Z2", 1, None)]  # fmt: skip


def test_an_empty_store_imports_from_the_welcome_page(monkeypatch, tmp_path: Path) -> None:
    db = tmp_path / "new" / "cxdash.duckdb"
    at = open_app(monkeypatch, db)
    assert at.title[0].value == "Welcome to cxdash"
    upload(at, "clean.csv", CLEAN)
    import_button(at).click().run()
    assert not at.exception
    assert count(db, "SELECT count(*) FROM contacts") == [(3,)]
    assert at.title[0].value == "Scoreboard"  # the whole app, on the imported data
    assert metrics(at)["Contacts"] == "3"


# Two causes; row 3 names a reason neither the contacts (all "Unknown") nor a catalog has.
# Row 2's notes start with an apostrophe the export adds before a would-be formula.
REGISTER = (
    b"cause_id,title,reasons,owner,status,identified_on,fixed_on,notes\n"
    b"RC1,Chat queue too long,Unknown,Ops,eliminated,2026-05-02,2026-05-20,'=not a formula\n"
    b"RC2,Wrong colour,Wrong colour,Ops,identified,2026-05-03,,\n"
)


def test_a_register_csv_is_checked_by_its_rules_and_imported(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "register.csv", REGISTER)
    at.selectbox(key="import_table").select("root_causes").run()
    assert not at.exception
    shown = mapping(at)
    assert (shown["cause_id"], shown["reasons"], shown["fixed_on"]) == (
        "cause_id", "reasons", "fixed_on")  # fmt: skip
    problems = table_with(at, "why")
    assert list(problems["row"]) == [3] and list(problems["column"]) == ["reasons"]
    assert problems["why"][0] == ("reason(s) 'Wrong colour' are neither in the contacts nor in "
                                  "the driver catalog")  # fmt: skip
    assert import_button(at).disabled
    at.checkbox(key="import_skip").check().run()
    assert import_button(at).label == "Import 1 rows into root_causes"
    import_button(at).click().run()
    assert not at.exception
    assert "1 of 2 rows written to root_causes" in at.success[0].value
    assert count(db, "SELECT cause_id, reasons, status, fixed_on, notes FROM root_causes") == [
        ("RC1", ["Unknown"], "eliminated", dt.date(2026, 5, 20), "=not a formula")]
    assert count(db, "SELECT DISTINCT changed_by FROM root_cause_changes") == [
        ("import: register.csv",)]
    assert table_with(at, "sha256")["target"][0] == "root_causes"
    # A second upload: replacing the register would delete the one cause stored now.
    upload(at, "register.csv", REGISTER)
    at.selectbox(key="import_table").select("root_causes").run()
    at.radio(key="import_mode").set_value("replace").run()
    assert "deletes the 1 rows in root_causes" in at.warning[0].value


def test_problems_only_the_import_finds_are_listed_and_nothing_is_written(
    monkeypatch, db: Path, tmp_path: Path
) -> None:
    """The check passed, then the store changed under it (the reason a cause names left the
    driver catalog): the import finds the problem itself and the page lists it as the check
    would have, from the importer's Problem fields."""
    from cxdash.importer.run import import_file

    catalog = tmp_path / "catalog.csv"
    catalog.write_text("reason,value_to_customer\nInvoice copy,high\n")
    import_file(catalog, db, "reasons")
    at = upload(data_page(monkeypatch, db), "causes.csv", b"cause_id,reasons\nRC1,Invoice copy\n")
    at.selectbox(key="import_table").select("root_causes").run()
    assert metrics(at)["Problems"] == "0" and not import_button(at).disabled
    catalog.write_text("reason,value_to_customer\nRefund,high\n")
    import_file(catalog, db, "reasons", mode="replace")
    import_button(at).click().run()
    assert not at.exception
    assert at.error[0].value == "1 problem(s) in 1 row(s); nothing was imported"
    problems = table_with(at, "why")
    assert problems.to_dict("records") == [{
        "file": "causes.csv", "row": 2, "column": "reasons", "value": "Invoice copy",
        "why": "reason(s) 'Invoice copy' are neither in the contacts nor in the driver catalog",
    }]  # fmt: skip
    assert count(db, "SELECT count(*) FROM root_causes") == [(0,)]
    assert uploads_left(db) == []


COMCAST_LIKE = (b"Ticket #,Date,Time,Status,Received Via\n"
                b"250635,22-04-2015,3.53.50 PM,Closed,Internet\n"
                b"223441,04-08-2015,10.22.56 AM,Open,Customer Care Call\n"
                b"242732,18-04-2015,9.55.47 AM,Solved,Internet\n")  # fmt: skip


def test_the_suggestion_prefills_the_mapping_with_its_reasons(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "comcast.csv", COMCAST_LIKE)
    assert at.selectbox(key="import_preset_contacts").value == "suggested"  # the default
    assert not at.exception, [e.value for e in at.exception]
    shown = mapping(at)
    # Named nothing like "Ticket ID": chosen because it is unique on every row.
    assert (shown["contact_id"], shown["created_at"], shown["status"]) == (
        "Ticket #", "Date", "Status")
    frame = at.data_editor[0].value
    row = {f: i for i, f in enumerate(frame["field"])}
    assert frame["second column"][row["created_at"]] == "Time"
    assert frame["format"][row["created_at"]] == "%d-%m-%Y %I.%M.%S %p"
    assert "unique and never empty on 3 of 3 rows" in frame["notes"][row["contact_id"]]
    assert metrics(at)["Rows read"] == "3"
    import_button(at).click().run()
    assert count(db, "SELECT count(*), min(created_at) FROM contacts WHERE contact_id "
                     "IN ('250635', '223441', '242732')") == [
        (3, dt.datetime(2015, 4, 18, 9, 55, 47))]  # fmt: skip


TWEETS = (b"tweet_id,author_id,inbound,created_at,text,in_response_to_tweet_id\n"
          b"1,c1,True,Tue Oct 31 22:08:27 +0000 2017,@brand my router is down again,\n"
          b"2,brand,False,Tue Oct 31 22:10:47 +0000 2017,@c1 sorry! please DM us,1\n"
          b"3,c1,True,Tue Oct 31 22:11:45 +0000 2017,@brand done,2.0\n"
          b"4,brand,False,Tue Oct 31 23:00:00 +0000 2017,@all we are back online,\n")  # fmt: skip


def test_a_conversation_log_is_suggested_and_becomes_contacts(monkeypatch, db: Path) -> None:
    at = upload(data_page(monkeypatch, db), "tweets.csv", TWEETS)
    assert any("looks like messages (a conversation log" in i.value for i in at.info)
    at.selectbox(key="import_table").select("messages").run()
    assert not any("looks like" in i.value for i in at.info)
    assert not at.exception, [e.value for e in at.exception]
    shown = mapping(at)
    assert (shown["message_id"], shown["inbound"], shown["reply_to"]) == (
        "tweet_id", "inbound", "in_response_to_tweet_id")  # fmt: skip
    assert import_button(at).label == "Import 4 messages into contacts"
    import_button(at).click().run()
    done = at.success[0].value
    assert "4 messages became 1 contacts" in done
    assert "1 of 2 conversations were started by the company" in done
    assert count(db, "SELECT created_at, first_response_at, channel FROM contacts "
                     "WHERE contact_id = '1'") == [
        (dt.datetime(2017, 10, 31, 22, 8, 27), dt.datetime(2017, 10, 31, 22, 10, 47),
         "social")]  # fmt: skip


def test_an_import_says_how_many_contacts_joined_the_accepted_drivers(
        monkeypatch, tmp_path: Path) -> None:  # fmt: skip
    from cxdash.cli import main
    from tests.drivers.test_assign import LATER, STRANGE
    from tests.drivers.test_discover import VARIANTS, _contacts

    texts = [v for vs in VARIANTS.values() for v in vs]
    db = build_store(tmp_path / "store" / "cxdash.duckdb", _contacts(160, texts))
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["drivers", "discover", "--db", str(db), "--drivers", "4", "--apply"]) == 0
    body = "Ticket ID,Created,Reason\n" + "".join(
        f"L{i},2026-04-0{1 + i},{text}\n" for i, text in enumerate([*LATER, STRANGE]))
    at = upload(data_page(monkeypatch, db), "later.csv", body.encode())
    import_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    done = at.success[0].value
    # 5 near an accepted driver, "zebra giraffe hippopotamus" near none
    assert ("6 new contacts placed among the accepted drivers: 5 in the nearest driver, 1 new, "
            "not yet seen (review them on the Driver catalog page).") in done
    assert count(db, "SELECT driver FROM contacts WHERE contact_id = 'L5'") == [
        ("New, not yet seen",)]
