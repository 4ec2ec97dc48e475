"""What driver discovery reads: the reasons, when they are free text or too many to be drivers,
or the text of the contacts that have no usable reason (`--text comment`). Each text comes
with the contacts it stands for, so a title used by 40 contacts weighs 40.

Bad input gets one sentence saying what is missing and what to import; nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from cxdash.drivers import words
from cxdash.schema import CONTACTS

TOO_MANY = 60  # distinct reasons beyond which they are free text, not a list of drivers
MIN_TEXTS = 50  # fewer contacts than this give no groups worth naming
MAX_CHARS = 2_000  # longer texts are cut for embedding (never a reason to fail)
UNUSABLE = ("", "unknown", "none", "n/a", "na", "null", "-", "other")
TEXT_FIELDS = tuple(c.name for c in CONTACTS.contract_columns if c.sql_type == "VARCHAR")


class NothingToDiscover(ValueError):
    """The store gives discovery nothing to read, or the reasons need no discovery."""


@dataclass(frozen=True)
class Texts:
    """The texts to group: `frame` has text (as written), key (what a driver maps: the raw
    reason, or a contact id) and contacts (how many contacts the text stands for)."""

    source: str  # "reasons" or the text fields, e.g. "comment"
    frame: pl.DataFrame
    contacts: int  # contacts covered
    total: int  # contacts in the store

    @property
    def from_reasons(self) -> bool:
        return self.source == "reasons"


def free_text(distinct: int, once: int, reasons: Sequence[str] = ()) -> bool:
    """Reasons that are free text rather than a list: many, most of them used once, or some
    the same reason written two ways ("Data caps" / "data cap")."""
    if distinct > TOO_MANY or (distinct >= 10 and once > distinct / 2):
        return True
    plain = {" ".join(words.tokens(r)) for r in reasons}
    return len(plain) < len(set(reasons))


def select(con: duckdb.DuckDBPyConnection, fields: Sequence[str] = ()) -> Texts:
    total = int(con.execute("SELECT count(*) FROM contacts").fetchall()[0][0])
    usable = f"lower(trim(coalesce(reason, ''))) NOT IN {UNUSABLE}"
    if not fields:
        distinct, once, with_reason = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE n = 1), coalesce(sum(n), 0) FROM (
                SELECT reason, count(*) AS n FROM contacts WHERE {usable} GROUP BY reason)
        """).fetchall()[0]  # fmt: skip
        if not distinct:
            raise NothingToDiscover(
                "No contact has a reason to group: import a reason column, or name a text "
                "field to read with --text (e.g. --text comment).")
        listed = [r for (r,) in con.execute(
            f"SELECT DISTINCT reason FROM contacts WHERE {usable} LIMIT {TOO_MANY + 1}"
        ).fetchall()]  # fmt: skip
        if not free_text(int(distinct), int(once), listed):
            raise NothingToDiscover(
                f"The {distinct:,} reasons already read as a list of drivers (at most "
                f"{TOO_MANY}, most used more than once, none another's variant): nothing to "
                "discover. To group the "
                "text of contacts without a reason, name it with --text (e.g. --text comment).")
        frame = con.sql(f"""
            SELECT left(reason, {MAX_CHARS}) AS text, reason AS key, count(*) AS contacts
            FROM contacts WHERE {usable} GROUP BY reason ORDER BY contacts DESC, reason
        """).pl()  # fmt: skip
        _enough(int(with_reason), "reasons")
        return Texts("reasons", frame, int(with_reason), total)
    unknown = [f for f in fields if f not in TEXT_FIELDS]
    if unknown:
        raise NothingToDiscover(f"--text {unknown[0]}: not a text field of contacts; choose from "
                                f"{', '.join(TEXT_FIELDS)}")  # fmt: skip
    joined = " || ' ' || ".join(f"coalesce({f}, '')" for f in fields)
    frame = con.sql(f"""
        SELECT left(trim({joined}), {MAX_CHARS}) AS text, contact_id AS key, 1 AS contacts
        FROM contacts WHERE NOT ({usable}) AND trim({joined}) <> ''
        ORDER BY contact_id
    """).pl()  # fmt: skip
    label = " + ".join(fields)
    if frame.is_empty():
        raise NothingToDiscover(f"No contact without a reason has any {label} text: import it "
                                "(a comment, subject or description column).")
    worded = frame.filter(pl.col("text").str.contains(r"[^\W\d_]{2,}"))
    if worded.is_empty():
        raise NothingToDiscover(f"The {label} text holds no words (only numbers or symbols): "
                                "name a field with the customers' own words.")
    _enough(worded.height, f"{label} texts")
    return Texts(label, worded.with_columns(pl.col("contacts").cast(pl.Int64)), worded.height,
                 total)  # fmt: skip


def _enough(n: int, what: str) -> None:
    if n < MIN_TEXTS:
        raise NothingToDiscover(f"Only {n:,} contacts with {what}: discovery needs at least "
                                f"{MIN_TEXTS} to find groups worth naming; import more contacts.")
