"""Conversation logs → one contact per customer-initiated conversation (SPEC §2 `messages`).

One row per message: message id, time, author, inbound (from the customer or not), text, and
either a conversation id or the id of the message it replies to. The rules (docs/IMPORT.md
"Conversation logs"; the settings live in the mapping's `[messages]` table):

- **conversations**: the messages sharing a `conversation_id`; without one, a message belongs
  to the conversation of the message it replies to, followed back to the first message. A
  reply to a message that is not in the file, or to one written after it (a clock that went
  backwards would make a loop), starts a conversation of its own; the report counts both.
- **contacts**: a conversation whose first message (by time, then file order) is inbound is
  one contact: `contact_id` = that message's id, `created_at` its time, `customer_id` its
  author, `comment` its text. Conversations the company started are not contacts (counted).
- **first_response_at**: the first outbound message; **agent** its author.
- **transfers**: the times the outbound author changes after the first response.
- **resolved_at** (`resolved = "last_outbound"`, the default): the last message, when it is
  outbound and at least `quiet_hours` (default 0) of the log follow it; `"never"` leaves every
  contact unresolved (for logs that do not end a conversation with the company's reply).
- other contact fields mapped as attributes: the last non-empty value in the conversation.

Ids written as whole numbers with a zero fraction (`119239.0`, as pandas saves an id column with
gaps) are linked as the whole number. The work is set-based in DuckDB (the reply chains are
followed by pointer doubling: one join per doubling of the longest chain), so a log of millions
of messages streams like any other import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import duckdb

from cxdash.importer.mapping import MessageRules
from cxdash.importer.sql import run_sql
from cxdash.schema import CONTACTS, Column, Table

MESSAGE_FIELDS = (
    Column("message_id", "VARCHAR", required=True),
    Column("created_at", "TIMESTAMP", required=True),
    Column("inbound", "BOOLEAN", required=True),
    Column("author", "VARCHAR"),
    Column("text", "VARCHAR"),
    Column("conversation_id", "VARCHAR"),
    Column("reply_to", "VARCHAR"),
)
# Set by the rules above, never taken from a column of the log.
FROM_MESSAGES = ("contact_id", "created_at", "customer_id", "first_response_at", "resolved_at",
                 "comment", "agent", "transfers", "reopens", "status")  # fmt: skip
ATTRIBUTES = tuple(
    replace(c, required=False) for c in CONTACTS.contract_columns if c.name not in FROM_MESSAGES
)
MESSAGES = Table("messages", MESSAGE_FIELDS + ATTRIBUTES, unique_id="message_id")
LINKS = ("conversation_id", "reply_to")
MAX_ROUNDS = 64  # pointer doubling: 2**64 messages deep is more than any log holds

# An id as the link compares it: "119239.0" (a float column saved by pandas) is "119239".
_KEY = "regexp_replace({x}, '^(-?[0-9]+)\\.0+$', '\\1')"


@dataclass(frozen=True)
class Linked:
    """What linking found, for the report: conversations, those the company started (not
    contacts), replies whose message is not in the file or was written after them."""

    conversations: int
    company_started: int
    missing_parent: int
    later_parent: int

    def notes(self) -> tuple[str, ...]:
        out = []
        if self.company_started:
            out.append(f"{self.company_started:,} of {self.conversations:,} conversations "
                       "were started by the company, not the customer: they are not contacts")
        if self.missing_parent:
            out.append(f"{self.missing_parent:,} replies answer a message that is not in the "
                       "file: each starts a conversation of its own")  # fmt: skip
        if self.later_parent:
            out.append(f"{self.later_parent:,} replies answer a message written after them "
                       "(a clock went backwards): each starts a conversation of its own")
        return tuple(out)


def link(con: duckdb.DuckDBPyConnection, mapped: set[str]) -> Linked:
    """The temp table `conv` (every good message of `typed` with its conversation `conv`)."""
    if "conversation_id" in mapped:
        con.execute(f"""
            CREATE TEMP TABLE conv AS
            SELECT *, coalesce({_KEY.format(x='v_conversation_id')},
                               'message ' || {_KEY.format(x='v_message_id')}) AS conv
            FROM typed""")  # a message without a conversation id is a conversation of its own
        return _linked(con, 0, 0)
    con.execute(f"""
        CREATE TEMP TABLE msg_keys AS
        SELECT _cxdash_row, {_KEY.format(x='v_message_id')} AS key, v_created_at AS ts,
               {_KEY.format(x='v_reply_to') if 'reply_to' in mapped else 'NULL'} AS parent_key
        FROM typed""")
    con.execute("""
        CREATE TEMP TABLE up AS
        SELECT m.key, m.parent_key, p.key AS up,
               p.key IS NULL AND m.parent_key IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM msg_keys q WHERE q.key = m.parent_key) AS missing
        FROM msg_keys m LEFT JOIN msg_keys p
          ON p.key = m.parent_key
             AND (p.ts < m.ts OR (p.ts = m.ts AND p._cxdash_row < m._cxdash_row))""")
    (missing, later) = con.execute(
        "SELECT count(*) FILTER (WHERE missing), "
        "count(*) FILTER (WHERE parent_key IS NOT NULL AND up IS NULL AND NOT missing) FROM up"
    ).fetchall()[0]
    for _ in range(MAX_ROUNDS):  # every link points earlier, so the chains end: no loop
        con.execute("""
            CREATE OR REPLACE TEMP TABLE up AS
            SELECT a.key, coalesce(b.up, a.up) AS up, b.up IS NOT NULL AS moved
            FROM up a LEFT JOIN up b ON b.key = a.up""")
        if not con.execute("SELECT 1 FROM up WHERE moved LIMIT 1").fetchall():
            break
    con.execute(f"""
        CREATE TEMP TABLE conv AS
        SELECT t.*, coalesce(u.up, u.key) AS conv
        FROM typed t JOIN up u ON u.key = {_KEY.format(x='t.v_message_id')}""")
    con.execute("DROP TABLE up; DROP TABLE msg_keys")
    return _linked(con, int(missing), int(later))


def _linked(con: duckdb.DuckDBPyConnection, missing: int, later: int) -> Linked:
    conversations, company = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE NOT v_inbound) FROM (
            SELECT v_inbound, row_number() OVER (PARTITION BY conv {_ORDER}) AS n FROM conv)
        WHERE n = 1""").fetchall()[0]  # fmt: skip
    return Linked(int(conversations), int(company), missing, later)


_ORDER = "ORDER BY v_created_at, _cxdash_row"  # the order of a conversation's messages
_WHOLE = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"


def staged_contacts(con: duckdb.DuckDBPyConnection, mapped: set[str], rules: MessageRules
                    ) -> None:  # fmt: skip
    """The temp table `staged` (contract columns of contacts) from `conv`.

    Window functions only, then the first row of each conversation: DuckDB's windows spill to
    disk, while a hash aggregate holding text per conversation (arg_min of the first message)
    ran out of a 64 MB writer's memory on 200,000 conversations."""
    attrs = [c.name for c in ATTRIBUTES if c.name in mapped]
    picks = "".join(f", last_value(v_{a} IGNORE NULLS) OVER (w {_WHOLE}) AS {a}" for a in attrs)
    author = "author" in mapped
    changed = ("CASE WHEN NOT v_inbound THEN lag(v_author IGNORE NULLS) OVER (PARTITION BY "
               f"conv, v_inbound {_ORDER}) END" if author else "NULL")  # fmt: skip
    transfers = ("count(*) FILTER (WHERE v_author <> prev_out) OVER p" if author else "NULL")
    resolved = ("NULL" if rules.resolved == "never" else
                "CASE WHEN NOT ends_inbound AND last_at + $quiet <= (SELECT max(v_created_at) "
                "FROM conv) THEN last_at END")  # fmt: skip
    run_sql(con, f"""
        CREATE TEMP TABLE staged AS
        WITH a AS (
            SELECT *, {changed} AS prev_out FROM conv
        ), b AS (
            SELECT _cxdash_row, v_message_id, v_created_at, v_inbound,
                   {'v_author' if author else 'NULL'} AS v_author,
                   {'v_text' if 'text' in mapped else 'NULL'} AS v_text,
                   row_number() OVER w AS n,
                   min(v_created_at) FILTER (WHERE NOT v_inbound) OVER p AS first_response_at,
                   first_value(CASE WHEN NOT v_inbound THEN {'v_author' if author else 'NULL'}
                               END IGNORE NULLS) OVER (w {_WHOLE}) AS agent,
                   last_value(v_inbound) OVER (w {_WHOLE}) AS ends_inbound,
                   max(v_created_at) OVER p AS last_at,
                   {transfers} AS transfers
                   {picks}
            FROM a WINDOW p AS (PARTITION BY conv), w AS (PARTITION BY conv {_ORDER})
        )
        SELECT v_message_id AS contact_id, v_created_at AS created_at, v_author AS customer_id,
               first_response_at, {resolved} AS resolved_at, v_text AS comment, agent,
               CAST(transfers AS INTEGER) AS transfers
               {''.join(f', {a}' for a in attrs)}
        FROM b WHERE n = 1 AND v_inbound
    """, {"quiet": dt.timedelta(hours=rules.quiet_hours)} if rules.resolved != "never" else {})
