"""Masking for the shared screen and the mailed report: what it hides, and what it leaves."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxdash import store
from cxdash.masking import Masker, name_columns, person_words
from tests.storebuilder import build_store, ts

PLAIN = Masker()


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Please reply to julia.larsen27@example.org, I never got an answer.",
         "Please reply to [email], I never got an answer."),
        ("Write to Max+orders@mail.example.co.uk please", "Write to [email] please"),
        ("mail me: a_b-c@x-y.io.", "mail me: [email]."),
    ],
)  # fmt: skip
def test_emails(text: str, want: str) -> None:
    assert PLAIN.mask(text) == want


@pytest.mark.parametrize(
    "phone",
    [
        "+49 30 1234567", "+1 (555) 123-4567", "(030) 123 45 67", "0171/1234567",
        "555.123.4567", "0044 20 7946 0958", "07700900123", "+44 7700 900123", "030-1234567",
        "+33 1 23 45 67 89", "555-123-4567",
    ],
)  # fmt: skip
def test_phone_formats(phone: str) -> None:
    assert PLAIN.mask(f"Call me on {phone} tomorrow.") == "Call me on [phone] tomorrow."
    assert PLAIN.mask(f"{phone}") == "[phone]"


def test_long_digit_runs_are_numbers_not_phones() -> None:
    assert PLAIN.mask("card 4111 1111 1111 1111 please") == "card [number] please"


@pytest.mark.parametrize(
    "text",
    [
        "order 3 items", "answered in 24 h", "on 2026-05-04 at 10:30", "04.05.2026",
        "4/5/26", "between 2019-2026", "paid €1,299.00", "3.5 stars out of 5",
        "I had to contact you three times.", "Super fast refund, will order again.",
        "It took 48 hours and 2 calls", "version 2.1.3", "delivered 2026-05-04 3 days late",
        "refund of 120 EUR on 12/05/2026", "customer service 24/7", "Best Regards",
        "Dear Sir, thanks", "Thanks, all sorted now.",
    ],
)  # fmt: skip
def test_ordinary_words_and_numbers_stay(text: str) -> None:
    masker = Masker(names=frozenset({"will", "anna"}), ids=frozenset({"24", "3", "T1"}))
    assert masker.mask(text) == text


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("ticket #10443 again", "ticket #[id] again"),
        ("order 48213 never came", "order [id] never came"),
        ("customer no. 77812 here", "customer no. [id] here"),
        ("invoice: INV2026-07", "invoice: [id]"),
        ("see T104432 and ORD-99812", "see [id] and [id]"),
    ],
)  # fmt: skip
def test_id_like_tokens(text: str, want: str) -> None:
    assert PLAIN.mask(text) == want


def test_store_ids_and_names() -> None:
    masker = Masker(names=frozenset({"anna", "sara", "julia", "schmidt", "will"}),
                    ids=frozenset({"k9", "C98765", "88123", "1234"}))  # fmt: skip
    assert (
        masker.mask("k9 asked about C98765, 88123 and 1234 things")
        == "[id] asked about [id], [id] and 1234 things"
    )  # 4-digit numeric ids stay: quantities
    assert masker.mask("Anna K. was brilliant!") == "[name] was brilliant!"
    assert masker.mask("Thank you Sara for the patience.") == "Thank you [name] for the patience."
    assert (
        masker.mask("thanks anna, Anna's help was great")
        == "thanks [name], [name]'s help was great"
    )
    assert masker.mask("Julia Schmidt wrote") == "[name] wrote"
    # "will" is a name here, but in lowercase it is the English word.
    assert masker.mask("I will order again. Will was kind.") == \
        "I will order again. [name] was kind."  # fmt: skip


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Hi, my name is Pedro Alvarez and I waited", "Hi, my name is [name] and I waited"),
        ("Mr. Brown called twice", "Mr. [name] called twice"),
        ("Ms Okafor was great", "Ms [name] was great"),
        ("Hello Pedro, any news?", "Hello [name], any news?"),
        ("Still nothing. Kind regards, Julia Meyer", "Still nothing. Kind regards, [name]"),
    ],
)  # fmt: skip
def test_name_patterns(text: str, want: str) -> None:
    assert PLAIN.mask(text) == want


def test_deterministic_and_none() -> None:
    text = "Call +49 30 1234567 or mail a@b.de, Mr. Brown"
    assert PLAIN.mask(text) == PLAIN.mask(text) == "Call [phone] or mail [email], Mr. [name]"
    assert PLAIN.mask(None) is None


def test_person_words() -> None:
    assert person_words("Anna K.", agent=True) == {"anna"}
    assert person_words("Help Centre Bot", agent=True) == set()
    assert person_words("auto", agent=True) == set()
    assert person_words("julia van schmidt", agent=False) == {"julia", "schmidt"}


def test_from_store_finds_the_store_names_and_ids(tmp_path: Path) -> None:
    # The demo's comments name agents by first name and carry e-mails: the store's agent
    # column and ids are what the masker learns from, only for words in the texts.
    contacts = [
        {"contact_id": "T100231", "created_at": ts("2026-05-04 09:00"), "customer_id": "zq7",
         "agent": "Lina J."},
        {"contact_id": "x2", "created_at": ts("2026-05-04 10:00"), "agent": "Support Bot"},
        {"contact_id": "x3", "created_at": ts("2026-05-04 11:00"), "agent": "Oskar L."},
    ]  # fmt: skip
    orders = [{"order_id": "ord9", "customer_id": "zq7", "ordered_at": ts("2026-05-01 09:00")}]
    path = build_store(tmp_path / "s.duckdb", contacts, orders)
    con = store.open_read(path)
    info = store.inspect(con)
    texts = ["Lina was brilliant, zq7 here about ord9", "The bot and support were slow"]
    masker = Masker.from_store(con, info, texts)
    con.close()
    assert masker.names == frozenset({"lina"})  # not Oskar (not in the texts), not Bot
    assert masker.ids == frozenset({"zq7", "ord9"})
    assert masker.mask_all(texts) == ["[name] was brilliant, [id] here about [id]",
                                      "The bot and support were slow"]  # fmt: skip
    assert name_columns(info) == [("contacts", "agent")]


# ---- the forms the second hostile-input round found passing (issue 19) ---------------------
@pytest.mark.parametrize(
    ("text", "want"),
    [
        # full-width letters and signs: read as what they stand for
        ("ｊｕｌｉａ．ｌａｒｓｅｎ＠ｅｘａｍｐｌｅ．ｏｒｇ wrote", "[email] wrote"),
        ("Ｍｒ. Ｆｉｓｃｈｅｒ called twice", "Mr. [name] called twice"),
        ("Dr． Ｎｏｏｒ Ｂａｋｋｅｒ", "Dr. [name]"),
        # a quoted local part, an address written with brackets to dodge filters
        ('"julia larsen"@example.com sent it', "[email] sent it"),
        ("mail user(at)example.com today", "mail [email] today"),
        ("or bo [at] mail [dot] co [dot] uk", "or [email]"),
        ("x.y {AT} corp.example.net", "[email]"),
        # a phone written digit by digit, or in pairs
        ("call 0 1 7 1 2 3 4 5 6 7 now", "call [phone] now"),
        ("ring 06 12 34 56 78 tonight", "ring [phone] tonight"),
        # IBANs, card numbers
        ("IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [number] ok"),
        ("to GB82WEST12345698765432.", "to [number]."),
        ("NL91 ABNA 0417 1643 00", "[number]"),
        ("card 4111-1111-1111-1111 expired", "card [number] expired"),
        ("amex 3782 822463 10005", "amex [number]"),
        # street addresses
        ("I live at 221B Baker Street, London", "I live at [address], London"),
        ("send it to 1600 Pennsylvania Ave. please", "send it to [address] please"),
        ("Hauptstraße 5, 10115 Berlin", "[address], 10115 Berlin"),
        ("Keizersgracht 123 in Amsterdam", "[address] in Amsterdam"),
        ("Rue de Rivoli 99, Paris", "[address], Paris"),
    ],
)  # fmt: skip
def test_disguised_personal_data_is_masked(text: str, want: str) -> None:
    assert PLAIN.mask(text) == want


def test_a_known_first_name_takes_the_surname_with_it() -> None:
    masker = Masker(names=frozenset({"julia"}))
    assert masker.mask("Julia Fischer helped me") == "[name] helped me"
    assert masker.mask("JULIA Fischer-Ahmadi was great") == "[name] was great"
    # a sentence that goes on after the name keeps its words
    assert masker.mask("Thanks Julia The refund came") == "Thanks [name] The refund came"
    assert masker.mask("ask Julia. Tomorrow then") == "ask [name]. Tomorrow then"
