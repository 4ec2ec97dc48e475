"""`cxdash import FILE --suggest`: a mapping proposed from the file itself (SPEC §5).

A new user's export never names its columns the way a preset expects (`Ticket #`,
`complaint_id`, `case_enquiry_id`), nor writes dates as ISO (`22-04-2015` + `3.53.50 PM`,
`8/30/2013`). Names alone guess wrong, so every choice here is made from the values too and
says why in a comment:

- **ids**: unique and never empty on every row (a column that repeats is a case id: the file
  is an event log, one row per ticket event);
- **timestamps**: the strptime layout that reads (nearly) every value, with its range; a date
  column and a time-only column side by side are joined; day/month order is decided by values
  that only read one way, and a column that reads both ways is said, with the alternative;
- **small vocabularies** (status, channel, priority): their values with counts; statuses that
  mean resolved (closed, solved, completed …) mapped onto `closed` in `[values.status]`;
- **text** (reason, comment): by name, the longest free text as the comment.

It reads the file as the importer does (`read.load_raw`) into a scratch in-memory database and
writes nothing anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cxdash.importer.fields import normalise
from cxdash.importer.mapping import ReadOptions
from cxdash.importer.read import columns_of, load_raw
from cxdash.importer.sql import ident

PROBE_ROWS = 50_000  # formats and vocabularies are judged on the first rows; ids on all
ENOUGH = 0.95  # share of non-empty values a layout must read to be proposed
VOCABULARY = 40  # at most this many distinct values: a category (status, channel, priority)

# Whole timestamps, then dates, then times of day (for a date and a time in two columns).
DATETIMES = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%d/%m/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%m-%d-%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%a %b %d %H:%M:%S %z %Y",
    "%d %b %Y %H:%M:%S", "%d %b %Y %H:%M", "%b %d, %Y %I:%M %p",
)  # fmt: skip
DATES = ("%m/%d/%Y", "%d/%m/%Y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y",
         "%d %B %Y", "%b %d, %Y", "%B %d, %Y")  # fmt: skip
# (No digits-only layouts such as %Y%m%d: ids and amounts would read as dates.)
TIMES = ("%I.%M.%S %p", "%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M", "%H.%M.%S")
ISO = "ISO"

# Words in a column's name that point at a field (normalised names, as substrings).
HINTS: dict[str, tuple[str, ...]] = {
    "contact_id": ("ticket", "case", "complaint", "enquiry", "request", "incident", "sr", "id",
                   "number", "num", "key", "ref"),
    "created_at": ("created", "opened", "open", "received", "submitted", "start", "date",
                   "time", "reported", "logged"),
    "resolved_at": ("closed", "resolved", "solved", "completed", "close", "end"),
    "first_response_at": ("firstresponse", "firstreply", "responded", "acknowledged"),
    "status": ("status", "state", "outcome", "response"),
    "channel": ("channel", "via", "method", "source", "submittedvia", "received", "medium",
                "origin"),
    "reason": ("complaint", "issue", "reason", "type", "category", "subject", "topic",
               "title", "driver", "problem"),
    "region": ("state", "region", "neighborhood", "neighbourhood", "borough", "city",
               "country", "district", "zip"),
    "team": ("team", "queue", "department", "agency", "group"),
    "agent": ("agent", "assignee", "owner", "assigned", "resource", "rep"),
    "product": ("product",),
    "priority": ("priority", "severity", "urgency", "impact"),
    "customer_id": ("customer", "client", "requester", "caller", "author", "user"),
    "comment": ("narrative", "comment", "description", "text", "feedback", "details", "body"),
    "csat": ("csat", "satisfaction", "rating"),
    "ces": ("ces", "effort"),
    "message_id": ("tweetid", "messageid", "msgid", "message", "tweet", "id"),
    "inbound": ("inbound", "direction", "fromcustomer", "incoming", "sendertype", "authortype",
                "role", "side", "outbound"),
    "conversation_id": ("conversation", "thread", "chat", "ticket", "session", "case"),
    "author": ("author", "sender", "from", "user", "writer", "screenname"),
    "text": ("text", "body", "message", "content"),
}  # fmt: skip
# Sender types of conversation exports: True = from the customer (inbound).
SIDES = {"customer": True, "user": True, "contact": True, "lead": True, "visitor": True,
         "requester": True, "end-user": True, "inbound": True, "incoming": True, "in": True,
         "agent": False, "admin": False, "bot": False, "operator": False, "teammate": False,
         "staff": False, "support": False, "outbound": False, "outgoing": False, "out": False,
         "system": False}  # fmt: skip
# Hints too short to find inside a name ("ces" is in "services"): a word of it, or nothing.
WHOLE_WORDS = frozenset({"ces"})
RESOLVED_WORDS = ("closed", "solved", "resolved", "completed", "complete", "done", "fixed",
                  "finished")  # fmt: skip
OPEN_WORDS = ("open", "pending", "new", "progress", "waiting", "hold", "assigned", "queued",
              "accepted", "untimely")  # fmt: skip


class SuggestFailed(ValueError):
    """The file gives nothing to propose (one column, no id, no timestamp): the message says
    which file and column and what to do."""


@dataclass
class Profile:
    name: str
    values: int  # non-empty values, all rows
    distinct: int  # distinct non-empty values, all rows
    top: list[tuple[str, int]] = field(default_factory=list)  # most frequent, probe rows
    layout: str | None = None  # ISO or a strptime layout reading ≥ ENOUGH of the values
    read: int = 0  # values the layout reads (probe rows)
    probed: int = 0  # non-empty values in the probe rows
    both_ways: str | None = None  # the day/month alternative reading as many values
    kind: str = "text"  # datetime | date | time | text
    first: str = ""  # range of the parsed values, as text
    last: str = ""
    longest: float = 0.0  # average length of a value


@dataclass
class Suggestion:
    table: str
    lines: list[str]  # TOML, comments included
    reasons: dict[str, str] = field(default_factory=dict)  # field → why it was chosen

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def suggest(path: Path, table: str | None = None, sheet: str | None = None) -> Suggestion:
    con = duckdb.connect(":memory:")
    try:
        load_raw(con, path, ReadOptions(), sheet)
        rows = int(con.execute("SELECT count(*) FROM raw").fetchall()[0][0])
        profiles = [_profile(con, c) for c in columns_of(con)]
        if len(profiles) < 2:
            raise SuggestFailed(f"{path}: only one column ({profiles[0].name!r} if any): a "
                                "table of contacts needs at least an id and a creation time; "
                                "check the delimiter (a ; or tab separated file read as one "
                                "column)")  # fmt: skip
        proposal = _Proposer(con, path, rows, profiles, table)
        made = proposal.propose()
    finally:
        con.close()
    made.reasons = {name: why for name, (_, why) in proposal.fields.items()}
    for name, (_, why) in proposal.formats.items():
        made.reasons[name] = f"{made.reasons.get(name, '')}; format: {why}".lstrip("; ")
    return made


def _profile(con: duckdb.DuckDBPyConnection, name: str) -> Profile:
    col = ident(name)
    text = f"nullif(trim({col}), '')"
    values, distinct = con.execute(
        f"SELECT count({text}), count(DISTINCT {text}) FROM raw").fetchall()[0]
    probe = f"(SELECT {text} AS x FROM raw LIMIT {PROBE_ROWS}) p"
    top = con.execute(f"SELECT x, count(*) AS n FROM {probe} WHERE x IS NOT NULL "
                      "GROUP BY x ORDER BY n DESC, x LIMIT 12").fetchall()  # fmt: skip
    longest = con.execute(f"SELECT avg(length(x)) FROM {probe}").fetchall()[0][0] or 0.0
    profile = Profile(name, int(values), int(distinct), [(str(v), int(n)) for v, n in top],
                      longest=float(longest))  # fmt: skip
    if values:
        _layout(con, probe, profile)
    return profile


def _layout(con: duckdb.DuckDBPyConnection, probe: str, p: Profile) -> None:
    """The timestamp, date or time-of-day layout that reads the most values, if enough do."""
    iso = "(TRY_CAST(x AS TIMESTAMP) IS NOT NULL OR TRY_CAST(x AS TIMESTAMPTZ) IS NOT NULL)"
    candidates = [(ISO, "datetime"), *((f, "datetime") for f in DATETIMES),
                  *((f, "date") for f in DATES), *((f, "time") for f in TIMES)]  # fmt: skip
    counts = [f"count(*) FILTER (WHERE {iso} AND regexp_matches(x, '^\\d{{4}}-'))"]
    counts += [f"count(TRY_STRPTIME(x, '{f}'))" for f, _ in candidates[1:]]
    row = con.execute(f"SELECT count(x), {', '.join(counts)} FROM {probe}").fetchall()[0]
    p.probed, reads = int(row[0]), [int(n) for n in row[1:]]
    best = max(range(len(candidates)), key=lambda i: (reads[i], -i))
    if not p.probed or reads[best] < ENOUGH * p.probed:
        return
    p.layout, p.kind = candidates[best]
    p.read = reads[best]
    swapped = _swap(p.layout)
    if swapped:
        twin = next((i for i, (f, _) in enumerate(candidates) if f == swapped), None)
        if twin is not None and reads[twin] == reads[best]:
            p.both_ways = swapped
    parsed = ("TRY_CAST(TRY_CAST(x AS TIMESTAMPTZ) AS TIMESTAMP)" if p.layout == ISO
              else f"TRY_STRPTIME(x, '{p.layout}')")  # fmt: skip
    if p.kind != "time":
        lo, hi = con.execute(f"SELECT min({parsed}), max({parsed}) FROM {probe}").fetchall()[0]
        p.first, p.last = str(lo)[:10], str(hi)[:10]


def best_layout(
    con: duckdb.DuckDBPyConnection, probe: str, params: dict[str, object] | None = None
) -> tuple[str, int, int] | None:
    """(strptime layout, values it reads, values) of the non-ISO timestamp or date layout
    that reads at least ENOUGH of the text column `x` of the relation `probe`; None if none
    does. For the importer's messages: the fix to propose for a column that does not parse."""
    layouts = (*DATETIMES, *DATES)
    counts = ", ".join(f"count(TRY_STRPTIME(x, '{f}'))" for f in layouts)
    row = con.execute(f"SELECT count(x), {counts} FROM {probe}", params or {}).fetchall()[0]
    seen, reads = int(row[0]), [int(n) for n in row[1:]]
    if not seen:
        return None
    best = max(range(len(layouts)), key=lambda i: (reads[i], -i))
    return (layouts[best], reads[best], seen) if reads[best] >= ENOUGH * seen else None


def _swap(layout: str | None) -> str | None:
    """The same layout with day and month swapped (None when it has no such pair)."""
    if not layout or "%d" not in layout or "%m" not in layout:
        return None
    return layout.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _hint(field_name: str, column: str) -> int:
    """How well a column's name points at a field: 0 none, higher better (earlier hint)."""
    norm = normalise(column)
    words = HINTS.get(field_name, ())
    parts = set(re.split(r"[^a-z0-9]+", column.lower()))
    scores = [len(words) - i + (len(words) if norm == word else 0)
              for i, word in enumerate(words)
              if (word in parts if word in WHOLE_WORDS else word in norm)]  # fmt: skip
    return max(scores, default=0)


class _Proposer:
    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, rows: int,
                 profiles: list[Profile], table: str | None):  # fmt: skip
        self.con, self.path, self.rows, self.table = con, path, rows, table
        self.profiles = profiles
        self.used: set[str] = set()
        self.fields: dict[str, tuple[list[str], str]] = {}  # field → (columns, why)
        self.formats: dict[str, tuple[str, str]] = {}  # field → (layout, why)
        self.values: dict[str, list[tuple[str, str, str]]] = {}  # field → (from, to, why)
        self.constants: dict[str, tuple[str, str]] = {}  # field → (value, why)
        self.notes: list[str] = []

    # -- helpers
    def _free(self) -> list[Profile]:
        return [p for p in self.profiles if p.name not in self.used]

    def _take(self, name: str, cols: list[str], why: str) -> None:
        self.fields[name] = (cols, why)
        self.used.update(cols)

    def _best(self, name: str, ok: Iterable[Profile]) -> Profile | None:
        ranked = sorted(ok, key=lambda p: -_hint(name, p.name))
        return next((p for p in ranked if _hint(name, p.name) > 0), None)

    # -- the proposal
    def propose(self) -> Suggestion:
        kind = self.table or self._kind()
        if kind == "messages":
            return self._messages()
        if kind == "events":
            return self._events()
        self._id("contact_id")
        self._created()
        for name, hint_only in (("resolved_at", True), ("first_response_at", True)):
            self._timestamp(name, hint_only)
        self._status()
        for name in ("channel", "priority", "team", "agent", "product", "region"):
            self._category(name)
        self._reason()
        for name, low, high in (("csat", 1, 5), ("ces", 1, 7)):
            self._score(name, low, high)
        self._customer()
        self._comment()
        return Suggestion("contacts", self._render("contacts"))

    def _kind(self) -> str:
        sided = [p for p in self.profiles if _hint("inbound", p.name) and 1 < p.distinct <= 3]
        if sided:  # who wrote each row: a conversation log, if its rows link up
            unique = [p for p in self.profiles if p.values == self.rows
                      and p.distinct == self.rows and p.kind == "text"]  # fmt: skip
            ident_ = self._best("message_id", unique) or (unique[0] if unique else None)
            stamps = [p for p in self.profiles if p.kind == "datetime"]
            if ident_ is not None and stamps:
                stamp = self._best("created_at", stamps) or stamps[0]
                if stamp.layout != ISO:
                    self.formats["created_at"] = (str(stamp.layout), "")
                linked = self._links(ident_.name, [stamp.name])
                self.formats.clear()
                if linked or any(_hint("conversation_id", p.name) for p in self.profiles):
                    return "messages"
        if not any(p.values == self.rows and p.distinct == self.rows for p in self.profiles):
            repeated = [p for p in self.profiles if p.values == self.rows
                        and 1 < p.distinct < 0.7 * self.rows and _hint("contact_id", p.name)]
            stamped = [p for p in self.profiles if p.kind == "datetime"]
            if repeated and stamped:
                return "events"
        return "contacts"

    def _id(self, name: str) -> None:
        unique = [p for p in self._free() if p.values == self.rows and p.distinct == self.rows
                  and p.kind == "text"]  # fmt: skip
        if not unique:
            repeats = max(self.profiles, key=lambda p: p.distinct)
            raise SuggestFailed(
                f"{self.path}: no column is unique on every row, so none can be {name} (the "
                f"most distinct, {repeats.name!r}, has {repeats.distinct:,} values in "
                f"{self.rows:,} rows); if each row is an event of a ticket, use --table "
                "events, else add an id column")
        chosen = self._best(name, unique) or unique[0]
        why = f"unique and never empty on {self.rows:,} of {self.rows:,} rows"
        others = [p.name for p in unique if p is not chosen][:3]
        if others:
            why += f"; also unique: {', '.join(others)}"
        self._take(name, [chosen.name], why)

    def _created(self) -> None:
        stamps = [p for p in self._free() if p.kind == "datetime"]
        dates = [p for p in self._free() if p.kind == "date"]
        times = [p for p in self._free() if p.kind == "time"]
        pick = self._best("created_at", stamps) or (stamps[0] if stamps else None)
        if pick is None and dates:
            day = self._best("created_at", dates) or dates[0]
            clock = self._best("created_at", times) or (times[0] if times else None)
            if clock is not None:
                layout = f"{day.layout} {clock.layout}"
                self._take("created_at", [day.name, clock.name],
                           f"date and time of day in two columns, joined with a space; "
                           f"{day.first} – {day.last}")  # fmt: skip
                self.formats["created_at"] = (layout, self._layout_why(day, "dates") +
                                              f"; times read as {clock.layout}")  # fmt: skip
                return
            pick = day
        if pick is None:
            raise SuggestFailed(
                f"{self.path}: no column reads as dates in a known layout, so there is no "
                "created_at; give its layout in a mapping ([formats] created_at = "
                "\"%d/%m/%Y %H:%M\") or convert the column to YYYY-MM-DD HH:MM:SS")
        self._stamp("created_at", pick)

    def _layout_why(self, p: Profile, what: str = "values") -> str:
        why = f"reads {p.read:,} of {p.probed:,} {what}"
        if p.both_ways:
            why += (f"; every value also reads as {p.both_ways} (day and month swapped): "
                    "check which the export uses")
        return why

    def _stamp(self, name: str, p: Profile) -> None:
        self._take(name, [p.name], f"{p.first} – {p.last}")
        if p.layout != ISO:
            self.formats[name] = (str(p.layout), self._layout_why(p))

    def _timestamp(self, name: str, hint_only: bool) -> None:
        stamps = [p for p in self._free() if p.kind in ("datetime", "date")]
        pick = self._best(name, stamps)
        if pick is not None:
            self._stamp(name, pick)

    def _status(self) -> None:
        small = [p for p in self._free() if 1 < p.distinct <= VOCABULARY and p.kind == "text"]
        pick = self._best("status", small)
        if pick is None:
            return
        self._take("status", [pick.name], self._vocab(pick))
        mapped = []
        for value, n in pick.top:
            low = value.strip().lower()
            if low in ("closed", "solved", "resolved"):
                continue  # resolved as it is (the default resolved statuses)
            if any(w in low for w in RESOLVED_WORDS) and not any(w in low for w in OPEN_WORDS):
                mapped.append((value, "closed", f"{n:,} rows: means resolved"))
        if mapped:
            self.values["status"] = mapped
        rest = [v for v, _ in pick.top if (v, "closed") not in {(a, b) for a, b, _ in mapped}
                and v.strip().lower() not in ("closed", "solved", "resolved")]
        if rest:
            self.notes.append(f"status: not resolved: {', '.join(rest[:8])} (change "
                              "[values.status] or the resolved statuses on Data and settings "
                              "if one of them means resolved)")

    @staticmethod
    def _vocab(p: Profile) -> str:
        shown = ", ".join(f"{v} {n:,}" for v, n in p.top[:6])
        more = f" and {p.distinct - 6} more" if p.distinct > 6 else ""
        return f"{p.distinct} values: {shown}{more}"

    def _category(self, name: str) -> None:
        most = 500 if name == "region" else 80  # neighbourhoods and zip codes are many
        small = [p for p in self._free() if 1 <= p.distinct <= most and p.kind == "text"]
        pick = self._best(name, small)
        if pick is not None:
            self._take(name, [pick.name], self._vocab(pick))

    def _reason(self) -> None:
        text = [p for p in self._free() if p.kind == "text" and p.values]
        pick = self._best("reason", text)
        if pick is None:
            return
        why = self._vocab(pick) if pick.distinct <= VOCABULARY else (
            f"{pick.distinct:,} distinct values: free text (`cxdash drivers discover` groups "
            "them into drivers)")  # fmt: skip
        self._take("reason", [pick.name], why)

    def _score(self, name: str, low: int, high: int) -> None:
        """A survey answer: a column named like one whose values are nearly all whole
        numbers in low–high, most of them (the others are kept, to be reported row by row)."""
        for p in sorted(self._free(), key=lambda p: -_hint(name, p.name)):
            if not _hint(name, p.name) or not p.values or p.distinct > 3 * (high - low + 1):
                continue
            x = f"nullif(trim({ident(p.name)}), '')"
            seen, within = self.con.execute(
                f"SELECT count({x}), count(*) FILTER (WHERE TRY_CAST({x} AS DOUBLE) BETWEEN "
                f"{low} AND {high} AND TRY_CAST({x} AS DOUBLE) = round(TRY_CAST({x} AS DOUBLE)))"
                f" FROM raw").fetchall()[0]  # fmt: skip
            if seen and within >= 0.5 * seen:  # named so, and most read: the rest is bad data
                why = f"{within:,} of {seen:,} answers are whole numbers {low}–{high}"
                if within < seen:
                    rest = seen - within
                    why += (f"; the other {rest:,} {'is' if rest == 1 else 'are'} reported row "
                            "by row")  # fmt: skip
                self._take(name, [p.name], why)
                return

    def _customer(self) -> None:
        text = [p for p in self._free() if p.kind == "text" and p.values
                and p.distinct < p.values]  # fmt: skip
        pick = self._best("customer_id", text)
        if pick is not None:
            self._take("customer_id", [pick.name],
                       f"{pick.distinct:,} distinct values on {pick.values:,} rows: repeats, "
                       "as a customer does")  # fmt: skip

    def _comment(self) -> None:
        text = [p for p in self._free() if p.kind == "text" and p.longest >= 30]
        pick = self._best("comment", text)
        if pick is not None:
            self._take("comment", [pick.name],
                       f"free text, {pick.longest:.0f} characters on average; "
                       f"{pick.values:,} rows have one")  # fmt: skip

    def _events(self) -> Suggestion:
        repeating = [p for p in self.profiles if p.values == self.rows and p.kind == "text"
                     and 1 < p.distinct < 0.7 * self.rows]  # fmt: skip
        case = max(repeating, key=lambda p: (_hint("contact_id", p.name), p.distinct))
        self._take("case_id", [case.name], f"{case.distinct:,} cases in {self.rows:,} rows: "
                   "one row per event of a case")  # fmt: skip
        stamps = [p for p in self._free() if p.kind == "datetime"]
        stamp = self._best("created_at", stamps) or stamps[0]
        self._stamp("timestamp", stamp)
        small = [p for p in self._free() if 1 < p.distinct <= VOCABULARY and p.kind == "text"]
        activity = self._best("status", small) or (small[0] if small else None)
        resolved: list[str] = []
        if activity is not None:
            self._take("activity", [activity.name], self._vocab(activity))
            resolved = [v for v, _ in activity.top
                        if any(w in v.lower() for w in RESOLVED_WORDS)]  # fmt: skip
        for name in ("channel", "priority", "product", "region"):
            self._category(name)
        lines = self._render("events")
        if resolved:
            lines += ["", "[events]", f"resolved = {_toml_list(resolved)}  # activities that "
                      "mean the case is resolved"]  # fmt: skip
        return Suggestion("events", lines)

    def _messages(self) -> Suggestion:
        """A conversation log: the message id (unique), its time, the side (inbound), the
        link (the column whose values are ids of *earlier* messages of this file, else a
        repeating conversation id), the author and the text."""
        unique = [p for p in self._free() if p.values == self.rows and p.distinct == self.rows
                  and p.kind == "text"]  # fmt: skip
        if not unique:
            raise SuggestFailed(f"{self.path}: no column is unique on every row, so none can "
                                "be message_id; a conversation log needs one id per message")
        ident_ = self._best("message_id", unique) or unique[0]
        self._take("message_id", [ident_.name],
                   f"unique and never empty on {self.rows:,} of {self.rows:,} rows")
        self._created()
        self.fields["created_at"] = self.fields.pop("created_at")  # keep the contract order
        side = self._side()
        if side is None:
            raise SuggestFailed(f"{self.path}: no column says which messages are from the "
                                "customer (inbound True/False, or a sender type such as "
                                "customer/agent); map inbound in a mapping")  # fmt: skip
        stamp = self.fields["created_at"][0]
        links = self._links(ident_.name, stamp)
        if links:
            best, share, earlier = links[0]
            why = (f"{share:.0%} of its values are message ids of this file, "
                   f"{earlier:.0%} of them earlier messages: what each message replies to")
            others = [f"{name!r} also links to messages, {e:.0%} earlier"
                      for name, _, e in links[1:3]]  # fmt: skip
            self._take("reply_to", [best], "; ".join([why, *others]))
            self.used.update(name for name, *_ in links[1:])
        else:
            repeating = [p for p in self._free() if p.kind == "text" and 1 < p.distinct
                         < 0.9 * p.values and _hint("conversation_id", p.name)]  # fmt: skip
            conv = self._best("conversation_id", repeating)
            if conv is None:
                raise SuggestFailed(f"{self.path}: no column links the messages (no column "
                                    "holds ids of other messages, none names a conversation); "
                                    "map reply_to or conversation_id in a mapping")
            self._take("conversation_id", [conv.name],
                       f"{conv.distinct:,} conversations in {conv.values:,} messages")
        authors = [p for p in self._free() if p.kind == "text" and 1 < p.distinct < p.values]
        author = self._best("author", authors)
        if author is not None:
            self._take("author", [author.name], f"{author.distinct:,} distinct authors in "
                       f"{author.values:,} messages: the customer, and who answered")
        texts = [p for p in self._free() if p.kind == "text" and p.longest >= 20]
        body = self._best("text", texts) or max(texts, key=lambda p: p.longest, default=None)
        if body is not None:
            self._take("text", [body.name], f"free text, {body.longest:.0f} characters on "
                       "average: the first message becomes the contact's comment")
        if "tweet" in normalise(ident_.name):
            self.constants["channel"] = ("social", "the messages are tweets")
        lines = self._render("messages")
        lines += ["", "[messages]",
                  '# resolved = "last_outbound": a conversation whose last message is the '
                  'company\'s is resolved then; "never" leaves every contact unresolved',
                  'resolved = "last_outbound"',
                  "quiet_hours = 0  # hours of the log that must follow that reply"]
        return Suggestion("messages", lines)

    def _side(self) -> Profile | None:
        """inbound: a column of two values that says who wrote (True/False, or customer /
        agent), proposed with [values.inbound] when the values are not true/false."""
        for p in sorted(self._free(), key=lambda p: -_hint("inbound", p.name)):
            vals = {v.lower(): v for v, _ in p.top}
            if not 1 <= len(vals) <= 3 or p.distinct > 3:
                continue
            flags = set(vals) <= {"true", "false", "t", "f", "yes", "no", "1", "0"}
            sides = {v: SIDES[v] for v in vals if v in SIDES}
            if flags and _hint("inbound", p.name):
                self._take("inbound", [p.name], self._vocab(p) + ": true is from the customer")
                return p
            if sides and len(sides) == len(vals):
                self._take("inbound", [p.name], self._vocab(p) + ": who wrote")
                self.values["inbound"] = [
                    (vals[v], "true" if side else "false",
                     "from the customer" if side else "from the company")
                    for v, side in sides.items()]  # fmt: skip
                return p
        return None

    def _links(self, id_col: str, stamp: list[str]) -> list[tuple[str, float, float]]:
        """Columns whose values are ids of other messages of this file: (column, share of
        its values that are ids, share of those that are earlier messages), best first. A
        reply link points back in time; a list of replies (twcs' response_tweet_id) forward."""
        out = []
        key = "regexp_replace({x}, '^(-?[0-9]+)\\.0+$', '\\1')"
        at = " || ' ' || ".join(f"CAST({ident(c)} AS VARCHAR)" for c in stamp)
        layout = self.formats.get("created_at", (None, ""))[0]
        when = (f"TRY_STRPTIME({at}, '{layout}')" if layout else f"TRY_CAST({at} AS TIMESTAMPTZ)")
        for p in self._free():
            if p.kind != "text" or not 0 < p.values < self.rows or p.longest > 40:
                continue
            x = f"nullif(trim({ident(p.name)}), '')"
            share, earlier = self.con.execute(f"""
                WITH ids AS (SELECT {key.format(x=ident(id_col))} AS k, {when} AS t FROM raw),
                     probe AS (SELECT {key.format(x=x)} AS k, {when} AS t FROM raw
                               WHERE {x} IS NOT NULL LIMIT {PROBE_ROWS})
                SELECT count(ids.k) / count(*), count(*) FILTER (WHERE ids.t < probe.t)
                       / greatest(count(ids.k), 1)
                FROM probe LEFT JOIN ids USING (k)""").fetchall()[0]  # fmt: skip
            if share and share >= 0.3:
                out.append((p.name, float(share), float(earlier)))
        return sorted(out, key=lambda x: (-(x[2] >= 0.5), -x[2] * x[1]))

    # -- TOML
    def _render(self, table: str) -> list[str]:
        out = [f"# Suggested by `cxdash import {self.path.name} --suggest` from the file's "
               f"{self.rows:,} rows:", "# every choice says why; check them, then",
               f"#   cxdash import {self.path.name} --mapping THIS.toml",
               f'table = "{table}"', "", "[fields]"]  # fmt: skip
        for name, (cols, why) in self.fields.items():
            source = _toml(cols[0]) if len(cols) == 1 else _toml_list(cols)
            out.append(f"{name} = {source}  # {why}")
        if self.formats:
            out += ["", "[formats]"]
            out += [f"{name} = {_toml(fmt)}  # {why}" for name, (fmt, why) in self.formats.items()]
        if self.constants:
            out += ["", "[constants]"]
            out += [f"{name} = {_toml(v)}  # {why}" for name, (v, why) in self.constants.items()]
        for name, pairs in self.values.items():
            out += ["", f"[values.{name}]"]
            out += [f"{_toml(a)} = {_toml(b)}  # {why}" for a, b, why in pairs]
        ignored = [p.name for p in self.profiles if p.name not in self.used]
        if ignored or self.notes:
            out.append("")
        out += [f"# {note}" for note in self.notes]
        if ignored:
            out.append(f"# not mapped: {', '.join(ignored)}")
        return out


def _toml(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_toml(i) for i in items) + "]"
