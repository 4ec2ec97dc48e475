"""Conversation logs (`--table messages`, SPEC §2): one contact per customer-initiated
conversation, every value worked out by hand on small logs; the rules of docs/IMPORT.md
("Conversation logs") one by one; then the Twitter customer-care sample, whose threads are
followed here with plain Python, independently of the importer."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cxdash import store
from cxdash.importer.mapping import Mapping, MappingError
from cxdash.importer.run import ImportFailed, RowsRejected, import_file
from cxdash.importer.suggest import suggest

REAL = Path(__file__).parents[3] / "shared" / "realdata"
HEADER = ["id", "at", "who", "inbound", "body", "reply_to"]

# A: customer c1, answered by x, then by y after the customer wrote again (one transfer),
#    last message the company's → resolved at 11:00.
# B: the company's announcement and a customer's reply → started by the company: no contact.
# C: answered, then the customer wrote last → unresolved.
# D: a reply to message 999, which is not in the file → a conversation of its own.
# E: 11 says it replies to 12, but 12 was written after it (and replies to 11): the link
#    back in time is not followed, so 11 starts the conversation and 12 answers it.
# Ids as pandas saves a column with gaps ("2.0") link as whole numbers.
LOG = [
    ["1", "2026-03-02 10:00:00", "c1", "True", "my order is late", ""],
    ["2", "2026-03-02 10:30:00", "x", "False", "sorry, checking", "1.0"],
    ["3", "2026-03-02 10:40:00", "c1", "True", "any news?", "2"],
    ["4", "2026-03-02 11:00:00", "y", "False", "it ships today", "3.0"],
    ["5", "2026-03-02 09:00:00", "brand", "False", "we are open on Sunday", ""],
    ["6", "2026-03-02 09:30:00", "c2", "True", "great", "5"],
    ["7", "2026-03-02 12:00:00", "c3", "True", "wrong size", ""],
    ["8", "2026-03-02 12:05:00", "x", "False", "send it back", "7"],
    ["9", "2026-03-02 12:10:00", "c3", "True", "how?", "8"],
    ["10", "2026-03-02 13:00:00", "c4", "True", "still waiting", "999"],
    ["11", "2026-03-02 14:00:00", "c5", "True", "refund please", "12"],
    ["12", "2026-03-02 14:30:00", "x", "False", "done", "11"],
]
MAPPING = """
table = "messages"
[fields]
message_id = "id"
created_at = "at"
author = "who"
inbound = "inbound"
text = "body"
reply_to = "reply_to"
"""


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)
    return path


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _contacts(db: Path) -> dict[str, tuple]:
    with contextlib.closing(store.open_read(db)) as con:
        rows = con.execute(
            "SELECT contact_id, created_at, customer_id, first_response_at, resolved_at, agent, "
            "transfers, comment, reopens, status FROM contacts ORDER BY contact_id"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _import(tmp_path: Path, rows: list[list[str]], extra: str = "", **kw) -> tuple:  # type: ignore[no-untyped-def]
    path = _write(tmp_path / "log.csv", rows)
    mapping = Mapping.parse(tomllib.loads(MAPPING + extra))
    db = tmp_path / "s.duckdb"
    report = import_file(path, db, mapping=mapping, **kw)
    return report, _contacts(db)


def test_each_customer_started_conversation_becomes_one_contact(tmp_path: Path) -> None:
    report, got = _import(tmp_path, LOG)
    assert sorted(got, key=int) == ["1", "7", "10", "11"]
    assert got["1"] == (_ts("2026-03-02 10:00"), "c1", _ts("2026-03-02 10:30"),
                        _ts("2026-03-02 11:00"), "x", 1, "my order is late", None, None)
    assert got["7"] == (_ts("2026-03-02 12:00"), "c3", _ts("2026-03-02 12:05"), None, "x", 0,
                        "wrong size", None, None)  # the customer wrote last: unresolved
    assert got["10"] == (_ts("2026-03-02 13:00"), "c4", None, None, None, 0, "still waiting",
                         None, None)  # fmt: skip
    assert got["11"] == (_ts("2026-03-02 14:00"), "c5", _ts("2026-03-02 14:30"),
                         _ts("2026-03-02 14:30"), "x", 0, "refund please", None, None)
    assert (report.table, report.target) == ("messages", "contacts")
    assert (report.rows_read, report.rows_written, report.rows_rejected) == (12, 4, 0)
    assert report.notes == (
        "1 of 5 conversations were started by the company, not the customer: they are not "
        "contacts",
        "1 replies answer a message that is not in the file: each starts a conversation of "
        "its own",
        "1 replies answer a message written after them (a clock went backwards): each starts "
        "a conversation of its own",
    )


def test_resolution_rules_are_set_in_the_mapping(tmp_path: Path) -> None:
    # quiet_hours = 1: the log ends 14:30, so only replies by 13:30 count as the end.
    _, got = _import(tmp_path, LOG, "[messages]\nquiet_hours = 1\n")
    assert (got["1"][3], got["11"][3]) == (_ts("2026-03-02 11:00"), None)
    (tmp_path / "s.duckdb").unlink()
    _, got = _import(tmp_path, LOG, '[messages]\nresolved = "never"\n')
    assert {c[3] for c in got.values()} == {None}
    with pytest.raises(MappingError, match=r"\[messages\] resolved must be one of"):
        Mapping.parse({"messages": {"resolved": "sometimes"}})
    with pytest.raises(MappingError, match=r"\[messages\] has no setting wait"):
        Mapping.parse({"messages": {"wait": 3}})


def test_a_long_thread_is_followed_to_its_first_message(tmp_path: Path) -> None:
    """100 messages, each replying to the one before, agents a, a, b, b, a, a …: one contact,
    transfers = changes of the outbound author (a→b→a… : 24 changes over 50 replies); the
    company wrote last, so it is resolved then."""
    start = dt.datetime(2026, 3, 2, 8)
    rows = []
    for i in range(100):
        inbound = i % 2 == 0
        who = "c9" if inbound else "ab"[(i // 4) % 2]
        at = (start + dt.timedelta(minutes=i)).isoformat(sep=" ")
        rows.append([str(i + 1), at, who, str(inbound), f"m{i}", str(i) if i else ""])
    _, got = _import(tmp_path, rows)
    outbound = [r[2] for r in rows if r[3] == "False"]
    changes = sum(a != b for a, b in itertools.pairwise(outbound))
    assert changes == 24
    assert list(got) == ["1"]
    assert got["1"][:6] == (start, "c9", start + dt.timedelta(minutes=1),
                            start + dt.timedelta(minutes=99), "a", changes)  # fmt: skip


def test_a_conversation_id_links_messages_and_sender_types_are_suggested(tmp_path: Path) -> None:
    """An Intercom-like export: conversation ids and a sender type (user/admin); the
    suggestion proposes [values.inbound] and imports it unedited."""
    path = _write(tmp_path / "chat.csv", [
        ["p1", "conv-1", "2026-03-02 10:00:00", "user", "u1", "I cannot log in to my account"],
        ["p2", "conv-1", "2026-03-02 10:02:00", "admin", "ann", "Try resetting the password"],
        ["p3", "conv-2", "2026-03-02 11:00:00", "admin", "bob", "Your renewal is due next week"],
        ["p4", "conv-1", "2026-03-02 10:05:00", "user", "u1", "That worked, thanks a lot!"],
        ["p5", "conv-3", "2026-03-02 12:00:00", "user", "u2", "Where is my parcel from March?"],
    ], ["part_id", "conversation_id", "created_at", "author_type", "author_id", "body"])
    proposal = suggest(path)
    got = tomllib.loads(proposal.text)
    assert got["table"] == "messages"
    assert got["fields"]["conversation_id"] == "conversation_id"
    assert got["fields"]["inbound"] == "author_type"
    assert got["values"]["inbound"] == {"user": "true", "admin": "false"}
    mapping = tmp_path / "m.toml"
    mapping.write_text(proposal.text)
    db = tmp_path / "s.duckdb"
    proc = subprocess.run([sys.executable, "-m", "cxdash", "import", str(path), "--db", str(db),
                           "--mapping", str(mapping), "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "5 messages read, 2 written to contacts" in proc.stdout
    assert "1 of 3 conversations were started by the company" in proc.stdout
    rows = _contacts(db)
    assert rows["p1"][:6] == (_ts("2026-03-02 10:00"), "u1", _ts("2026-03-02 10:02"), None,
                              "ann", 0)  # the customer wrote last (a thank-you): unresolved
    assert rows["p5"][:4] == (_ts("2026-03-02 12:00"), "u2", None, None)


def test_reimporting_a_log_replaces_its_contacts(tmp_path: Path) -> None:
    _import(tmp_path, LOG)
    _, got = _import(tmp_path, LOG[:4])
    assert sorted(got, key=int) == ["1", "7", "10", "11"]  # upsert: the others are kept
    _, got = _import(tmp_path, LOG[:2], mode="replace")
    assert list(got) == ["1"] and got["1"][3] == _ts("2026-03-02 10:30")


def test_bad_logs_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    path = _write(tmp_path / "nolink.csv", [r[:5] for r in LOG], HEADER[:5])
    unlinked = Mapping.parse(tomllib.loads(MAPPING.replace('reply_to = "reply_to"', "")))
    with pytest.raises(ImportFailed, match="needs conversation_id or reply_to") as caught:
        import_file(path, db, mapping=unlinked)
    assert str(path) in str(caught.value) and not db.exists()
    dup = _write(tmp_path / "dup.csv", [*LOG, LOG[0]])
    with pytest.raises(RowsRejected) as rejected:
        import_file(dup, db, mapping=Mapping.parse(tomllib.loads(MAPPING)))
    assert {(p.row, p.why) for p in rejected.value.problems} == {
        (2, "duplicate id in this file"), (14, "duplicate id in this file")}
    assert not db.exists()


def test_without_a_mapping_the_columns_are_matched_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", [[r[0], r[1], r[2], r[3], r[4], r[5]] for r in LOG],
                  ["tweet_id", "created_at", "author_id", "inbound", "text",
                   "in_response_to_tweet_id"])  # fmt: skip
    report = import_file(path, tmp_path / "s.duckdb", table="messages")
    assert report.rows_written == 4
    assert report.matched["reply_to"] == "'in_response_to_tweet_id'"


# ---- the Twitter customer-care sample --------------------------------------------------
def _threads(path: Path) -> tuple[int, int, dt.date, dt.date]:
    """Customer-initiated threads of a twcs file, by the SPEC's rule written out plainly:
    follow in_response_to_tweet_id back (only to an earlier tweet present in the file) to the
    first tweet; a thread is a contact when that tweet is inbound. Returns contacts,
    contacts with a company reply, first and last creation day."""
    # A tweet in twcs_first5000 holds a bare carriage return outside quotes: one line of the
    # file, as DuckDB reads it, but a line break to the csv module.
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", " ")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))

    def key(text: str) -> str:
        return text[:-2] if text.endswith(".0") else text

    when = {key(r["tweet_id"]): dt.datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y")
            for r in rows}  # fmt: skip
    order = {key(r["tweet_id"]): i for i, r in enumerate(rows)}
    parent = {}
    for r in rows:
        me, up = key(r["tweet_id"]), key(r["in_response_to_tweet_id"])
        if up in when and (when[up], order[up]) < (when[me], order[me]):
            parent[me] = up
    root = {}
    for me in when:
        top = me
        while top in parent:
            top = parent[top]
        root[me] = top
    inbound = {key(r["tweet_id"]): r["inbound"] == "True" for r in rows}
    contacts = {r for r in set(root.values()) if inbound[r]}
    answered = {root[m] for m in when if not inbound[m] and root[m] in contacts}
    days = [when[c].date() for c in contacts]
    return len(contacts), len(answered), min(days), max(days)


@pytest.mark.xdist_group("suggest-real")
@pytest.mark.parametrize("name", ["sample.csv", "twcs_first5000.csv"])
def test_twitter_customer_care_imports_one_contact_per_customer_thread(
    tmp_path: Path, name: str
) -> None:
    path = REAL / "twcs" / name
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared/realdata is only beside the repo)")
    want = _threads(path)
    proposal = subprocess.run([sys.executable, "-m", "cxdash", "import", str(path), "--suggest"],
                              capture_output=True, text=True)  # fmt: skip
    assert proposal.returncode == 0, proposal.stderr
    mapping = tmp_path / "twcs.toml"
    mapping.write_text(proposal.stdout)  # unedited
    db = tmp_path / "s.duckdb"
    done = subprocess.run([sys.executable, "-m", "cxdash", "import", str(path), "--db", str(db),
                           "--mapping", str(mapping), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with contextlib.closing(store.open_read(db)) as con:
        got = con.execute("SELECT count(*), count(first_response_at), min(created_at)::DATE, "
                          "max(created_at)::DATE, count(*) FILTER (WHERE channel = 'social') "
                          "FROM contacts").fetchall()[0]  # fmt: skip
    assert got[:4] == want
    assert got[4] == want[0]


@pytest.mark.slow
def test_a_log_larger_than_the_memory_limit_streams(tmp_path: Path, monkeypatch) -> None:
    """80 MB of messages through a writer limited to 64 MB: linking and the conversation
    aggregate spill like any import. 200,000 conversations of four messages (customer,
    company, customer, company), every tenth started by the company."""
    monkeypatch.setenv("CXDASH_WRITE_MEMORY", "64MB")
    big = tmp_path / "big.csv"
    start = dt.datetime(2026, 1, 1)
    with big.open("w") as handle:
        handle.write(",".join(HEADER) + "\n")
        for conv in range(200_000):
            company = conv % 10 == 0
            for i in range(4):
                inbound = (i % 2 == 0) != company
                at = (start + dt.timedelta(seconds=conv * 60 + i * 7)).isoformat(sep=" ")
                who = f"u{conv}" if inbound else f"agent{(conv + i // 2) % 50}"
                reply = f"{conv * 4 + i - 1}" if i else ""
                handle.write(f"{conv * 4 + i},{at},{who},{inbound},a message long enough to "
                             f"take some room in the file {conv} {i},{reply}\n")  # fmt: skip
    assert big.stat().st_size > 64_000_000
    db = tmp_path / "s.duckdb"
    report = import_file(big, db, mapping=Mapping.parse(tomllib.loads(MAPPING)))
    assert (report.rows_read, report.rows_written) == (800_000, 180_000)
    with contextlib.closing(store.open_read(db)) as con:
        got = con.execute("SELECT count(*), count(resolved_at), sum(transfers), "
                          "count(DISTINCT customer_id) FROM contacts").fetchall()[0]  # fmt: skip
    # Company replies by agent (conv + 0) % 50 then (conv + 1) % 50: one transfer each.
    assert got == (180_000, 180_000, 180_000, 180_000)
