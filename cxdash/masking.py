"""Hide customer data on a shared screen and in the mailed weekly report.

`Masker.mask(text)` replaces, in this order, with fixed tokens (the same input always gives the
same output, so a masked report can be compared with last week's). The text is first read in
Unicode's compatibility form (NFKC): full-width "Ｍｒ. Ｆｉｓｃｈｅｒ" or "ａ＠ｂ．ｃｏｍ" is seen,
and shown, as "Mr. Fischer", "a@b.com".

- **e-mail addresses** → `[email]`: `local@domain.tld`, any local part (dots, plus, digits),
  a quoted one (`"julia larsen"@example.com`), and addresses bracketed to dodge filters
  (`user(at)example.com`, `bo [at] mail [dot] co [dot] uk`).
- **IBANs and card numbers** → `[number]`: two letters, two digits and 4-character groups
  ("DE89 3704 0044 0532 0130 00", "GB82WEST1234…"); four groups of four digits separated by
  spaces or dashes, and Amex's 4-6-5.
- **street addresses** → `[address]`: a house number and up to three capitalised words before
  Street/St/Road/Avenue/Lane/Drive/Way/Court/Place/Square/… ("221B Baker Street"), or a street
  name ending in straße/str./weg/gasse/platz/allee/gracht/straat/… before its number
  ("Hauptstraße 5"), or rue/calle/via/avenida … number.
- **ids after a keyword** → `[id]`: "order 48213", "ticket #A-1193", "customer no. 77812",
  "invoice: INV2026-07" — a token of 4+ characters holding a digit after order, ticket, case,
  customer, client, invoice, account, ref/reference, tracking, booking, contract or member.
- **phone numbers** → `[phone]`: 7–15 digits written as one run or in groups separated by
  spaces, dots, dashes, slashes or a bracketed area code, with or without `+` or `00`:
  "+49 30 1234567", "+1 (555) 123-4567", "(030) 123 45 67", "0171/1234567",
  "555.123.4567", "0044 20 7946 0958", "07700900123". Longer runs (16–19 digits: card or
  account numbers) → `[number]`.
- **id-like tokens** → `[id]`: `#` and 3+ digits ("#10443"); 1–5 letters, an optional `-`/`_`,
  then 4+ digits ("T104432", "ORD-99812", "inv_20260001").
- **the store's own ids** → `[id]`: any token equal to a contact, customer or order id held in
  the store (see `Masker.from_store`); purely numeric ids only from 5 digits on, because
  "24" or "3" in a sentence is far more often a quantity than an id.
- **names** → `[name]`: words that are names held in the store (the agent column's values
  and their first names; the values of any contacts/orders column whose name contains
  "name", such as customer_name, and their first and last words), matched as whole words in
  any case — except a lowercase word that is also an everyday English word ("will", "may",
  "mark"), which is left alone; plus names introduced by a pattern: "my name is X",
  "Mr./Mrs./Ms./Miss/Dr. X Y", "Hi/Hello/Dear X", and a sign-off at the very end
  ("… Regards, X Y", "… Thanks, X"). A single-letter initial after a masked name ("Anna K.")
  goes with it, so do capitalised words right after it ("Julia Fischer", "Julia
  Fischer-Ahmadi": the surname the store may not hold) unless a sentence goes on with them
  ("The", "Thanks", a weekday …), and "[name] [name]" collapses to one.

Not caught, on purpose or by limitation — do not rely on the mask for these:

- names the store does not hold and no pattern introduces ("ask Pedro about it"), lowercase
  names that are also English words, names written with spelling mistakes or nicknames;
- e-mail addresses written out in words without brackets ("julia at example dot com");
- phone numbers with fewer than 7 digits (short internal extensions), or written in words;
  a list of seven or more single digits ("1 2 3 4 5 6 7") is taken for a phone;
- numeric store ids of 1–4 digits, and ids without any digit that the store does not hold;
- street addresses in other shapes (no house number, "the house by the church"), postcodes,
  cities, dates of birth and other personal facts.

Left intact (so a comment still reads): dates ("2026-05-04", "04.05.2026", "4/5/26"), year
ranges ("2019-2026"), times ("10:30"), amounts ("€1,299.00"), decimals ("3.5"), short numbers
("order 3 items", "24 h", "5 stars").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from cxdash.store import StoreInfo

EMAIL, PHONE, NAME, ID, NUMBER = "[email]", "[phone]", "[name]", "[id]", "[number]"
ADDRESS = "[address]"

_EMAIL = re.compile(
    r"(?:(?<![\w.+-])[A-Za-z0-9._%+-]+|\"[^\"\r\n]{1,64}\")"  # local part, or a quoted one
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# "user(at)example.com", "user [at] example [dot] com": the brackets say it is an address
_OPEN, _CLOSE = r"\s*[(\[{<]\s*", r"\s*[)\]}>]\s*"
_HIDDEN_EMAIL = re.compile(
    rf"(?i)(?<![\w.+-])[a-z0-9._%+-]+{_OPEN}at{_CLOSE}[a-z0-9-]+"
    rf"(?:(?:\s*\.\s*|{_OPEN}dot{_CLOSE})[a-z0-9-]+)+"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\d-])(?:\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{5})"
                   r"(?![\d-])")  # fmt: skip
_STREET = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Boulevard|Blvd|Way|Court|Ct|Place"
           r"|Square|Sq|Terrace|Close|Crescent|Highway|Hwy|Parkway|Pkwy)")
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){{1,3}}{_STREET}\b\.?"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|laan"
    r"|straat|gracht|plein|gade|vej)\s+\d{1,4}[a-zA-Z]?\b"
    r"|\b(?i:rue|calle|via|avenida)\s+(?:[\w'’-]+\s+){0,3}[\w'’-]+,?\s+\d{1,4}\b",
)
_KEYWORD_ID = re.compile(
    r"(?i)\b(?:order|ticket|case|customer|client|invoice|account|ref|reference|tracking"
    r"|booking|contract|member)\b(?:\s+(?:no\.?|nr\.?|number|id))?\s*[:#]?\s*"
    r"(?=[\w-]*\d)(?P<id>[A-Za-z0-9][\w-]{3,})"
)
_GROUP = r"(?:\(\d{1,5}\)|\d{1,6})"
_PHONE = re.compile(  # up to 15 groups: a number written digit by digit ("0 1 7 1 2 …")
    rf"(?<![\w+/.\-])(?:\+\s?)?{_GROUP}(?:[ .\-/]?{_GROUP}){{1,14}}(?![\w/\-:]|[.,]\d)"
)
_DATE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}\s?[-/]\s?\d{2,4}"
)
_DECIMAL = re.compile(r"\d+\.\d+")
_HASH_ID = re.compile(r"(?<![\w#])#\d{3,}\b")
_PREFIX_ID = re.compile(r"\b[A-Za-z]{1,5}[-_]?\d{4,}\b")
_TOKEN = re.compile(r"[\w-]+(?:[./][\w-]+)*")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_CAP = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+"
_NAMED = re.compile(
    rf"(?P<lead>(?i:\bmy name is|\bmy name's|\bname:)\s+)(?P<name>{_CAP}(?:\s+{_CAP})?)"
    rf"|(?P<title>\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+)(?P<tname>{_CAP}(?:\s+{_CAP})?)"
    rf"|(?P<greet>(?<!\w)(?:Hi|Hello|Dear|hi|hello|dear)\s+)(?P<gname>{_CAP})"
)
_SIGN_OFF = re.compile(
    rf"(?P<lead>\b(?i:regards|cheers|thanks|thank you|best|sincerely|greetings),?\s+)"
    rf"(?P<name>{_CAP}(?:\s+{_CAP})?)\s*[.!]?\s*$"
)
_INITIAL = re.compile(r"\[name\](?:\s+[A-Z]\.(?!\w))+")
# Capitalised words right after a masked name are its other names ("Julia Fischer" with only
# "Julia" known), unless they are words a sentence goes on with.
_GOES_ON = (r"(?:The|This|That|Thanks|Thank|Please|Today|Yesterday|Tomorrow|Monday|Tuesday"
            r"|Wednesday|Thursday|Friday|Saturday|Sunday|From|And|But|Team|Support|Customer)\b")
_PART = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’]+"
_SURNAME = re.compile(rf"\[name\](?:[ \t]+(?!{_GOES_ON}){_PART}(?:-{_PART})*)+")
_REPEATED = re.compile(r"\[name\](?:\s+\[name\])+")

# Capitalised words the patterns must not take for a name ("Dear Sir", "Thanks, Team").
_NOT_NAMES = frozenset((
    "sir", "madam", "all", "everyone", "everybody", "team", "guys", "folks", "again", "so",
    "very", "for", "the", "a", "an", "you", "your", "it", "this", "that", "support", "service",
    "customer", "customers", "friends", "colleagues", "there", "much", "regards"
))  # fmt: skip
# Everyday English words that are also first names: left alone when written in lowercase.
COMMON_WORDS = frozenset((
    "will", "may", "mark", "hope", "grace", "rose", "june", "april", "august", "bill", "art",
    "chase", "faith", "joy", "dawn", "summer", "sky", "amber", "ruby", "pearl", "jack",
    "frank", "sue", "pat", "guy", "ray", "rich", "gene", "carol", "drew", "wade", "lane",
    "don", "jan", "max", "bob", "eve", "ivy", "holly", "penny", "sandy", "rob", "miles",
    "major", "cash", "hunter", "page", "river"
))  # fmt: skip
# Agent-column values that are roles or systems, not people (the first word is not a name).
_ROLES = frozenset((
    "bot", "system", "team", "support", "queue", "unassigned", "admin", "agent", "auto",
    "automation", "help", "helpdesk", "centre", "center", "service", "desk", "customer", "api",
    "web", "self", "none", "null", "unknown", "n/a"
))  # fmt: skip


def _possessive(word: str) -> tuple[str, str]:
    """("Anna", "'s") for "Anna's"; (word, "") otherwise."""
    if len(word) > 3 and word[-2] in "'’" and word[-1] in "sS":
        return word[:-2], word[-2:]
    return word, ""


def _numeric_id_too_short(token: str) -> bool:
    return token.isdigit() and len(token) < 5


@dataclass(frozen=True)
class Masker:
    """Replaces personal data in free text; `names` are lowercase words, `ids` exact tokens."""

    names: frozenset[str] = field(default_factory=frozenset)
    ids: frozenset[str] = field(default_factory=frozenset)

    def mask(self, text: str | None) -> str | None:
        if text is None:
            return None
        # full-width and other compatibility forms ("Ｍｒ. Ｆｉｓｃｈｅｒ", "ａ＠ｂ．ｃｏｍ") as
        # the plain letters they stand for, so every rule below sees them
        text = unicodedata.normalize("NFKC", text)
        text = _EMAIL.sub(EMAIL, text)
        text = _HIDDEN_EMAIL.sub(EMAIL, text)
        text = _IBAN.sub(NUMBER, text)
        text = _CARD.sub(NUMBER, text)
        text = _ADDRESS.sub(ADDRESS, text)
        text = _KEYWORD_ID.sub(lambda m: m.group(0)[: m.start("id") - m.start()] + ID, text)
        text = _PHONE.sub(self._phone, text)
        text = _HASH_ID.sub(ID, text)
        text = _PREFIX_ID.sub(ID, text)
        if self.ids:
            text = _TOKEN.sub(lambda m: ID if self._is_id(m.group(0)) else m.group(0), text)
        text = _NAMED.sub(self._named, text)
        text = _SIGN_OFF.sub(self._signed, text)
        if self.names:
            text = _WORD.sub(self._word, text)
        text = _INITIAL.sub(NAME, text)
        text = _SURNAME.sub(NAME, text)
        return _REPEATED.sub(NAME, text)

    def _is_id(self, token: str) -> bool:
        return token in self.ids and len(token) >= 2 and not _numeric_id_too_short(token)

    @classmethod
    def _phone(cls, match: re.Match[str]) -> str:
        found = match.group(0)
        digits = sum(ch.isdigit() for ch in found)
        if digits < 7 or _DATE.fullmatch(found) or _DECIMAL.fullmatch(found):
            return found
        date = _DATE.match(found)
        if date and not found[date.end()].isdigit():  # "2026-05-04 3 days": keep the date
            return date.group(0) + _PHONE.sub(cls._phone, found[date.end() :])
        return PHONE if digits <= 15 else NUMBER

    @staticmethod
    def _named(match: re.Match[str]) -> str:
        for lead, name in (("lead", "name"), ("title", "tname"), ("greet", "gname")):
            if match.group(lead) is not None:
                if match.group(name).split()[0].lower() in _NOT_NAMES:
                    return match.group(0)
                return match.group(lead) + NAME
        return match.group(0)  # pragma: no cover - one alternative always matched

    @staticmethod
    def _signed(match: re.Match[str]) -> str:
        if match.group("name").split()[0].lower() in _NOT_NAMES:
            return match.group(0)
        return match.group("lead") + NAME

    def _word(self, match: re.Match[str]) -> str:
        word = match.group(0)
        base, possessive = _possessive(word)
        low = base.lower()
        if low not in self.names or (base.islower() and low in COMMON_WORDS):
            return word
        return NAME + possessive

    def mask_all(self, texts: Iterable[str | None]) -> list[str | None]:
        return [self.mask(t) for t in texts]

    # ---- from a store --------------------------------------------------------------------
    @classmethod
    def from_store(
        cls, con: duckdb.DuckDBPyConnection, info: StoreInfo, texts: Iterable[str | None]
    ) -> Masker:
        """A masker for `texts`: the names and ids the store holds that occur in them.

        Only words that occur in the texts are looked up, so a store with millions of
        customers costs a handful of indexed-free scans, not a name list in memory.
        """
        present = [t for t in texts if t]
        words = sorted({
            _possessive(w)[0].lower() for t in present for w in _WORD.findall(t) if len(w) >= 2
        })  # fmt: skip
        tokens = sorted({
            tok for t in present for tok in _TOKEN.findall(t)
            if len(tok) >= 2 and not _numeric_id_too_short(tok)
        })  # fmt: skip
        names = _store_names(con, info, words) if words else frozenset()
        ids = _store_ids(con, info, tokens) if tokens else frozenset()
        return cls(names, ids)


def name_columns(info: StoreInfo) -> list[tuple[str, str]]:
    """(table, column) pairs that hold people's names: the agent, and any *name* column."""
    found = [("contacts", "agent")] if info.has_column("contacts", "agent") else []
    for table in ("contacts", "orders"):
        for column, dtype in info.columns.get(table, {}).items():
            if "name" in column.lower() and dtype.upper().startswith("VARCHAR"):
                found.append((table, column))
    return found


def person_words(value: str, *, agent: bool) -> set[str]:
    """The words of a stored name that mask: an agent's first name; a customer's first and
    last name; never role words ("Help Centre Bot"), single letters or initials ("K.")."""
    words = [w for w in _WORD.findall(value) if len(w) >= 2]
    if not words or any(w.lower() in _ROLES for w in words):
        return set()
    if agent and not words[0][0].isupper():  # "queue-b", "auto": a system, not a person
        return set()
    chosen = {words[0]} if agent else {words[0], words[-1]}
    return {w.lower() for w in chosen}


def _store_names(
    con: duckdb.DuckDBPyConnection, info: StoreInfo, words: list[str]
) -> frozenset[str]:
    found: set[str] = set()
    for table, column in name_columns(info):
        sql = (
            f'SELECT DISTINCT "{column}" FROM {table} WHERE "{column}" IS NOT NULL '
            f"AND list_has_any(string_split(lower(\"{column}\"), ' '), $words)"
        )
        with con.cursor() as cur:
            for (value,) in cur.execute(sql, {"words": words}).fetchall():
                found |= person_words(str(value), agent=column == "agent")
    return frozenset(found & set(words))


def _store_ids(
    con: duckdb.DuckDBPyConnection, info: StoreInfo, tokens: list[str]
) -> frozenset[str]:
    found: set[str] = set()
    for table, column in (("contacts", "contact_id"), ("contacts", "customer_id"),
                          ("orders", "order_id"), ("orders", "customer_id")):  # fmt: skip
        if not info.has_column(table, column):
            continue
        sql = f"SELECT DISTINCT {column} FROM {table} WHERE {column} IN (SELECT unnest($t))"
        with con.cursor() as cur:
            found |= {str(r[0]) for r in cur.execute(sql, {"t": tokens}).fetchall()}
    return frozenset(found)
