"""Review before it counts (issue 18): a proposal renamed, merged, split and rearranged, and
only the accepted drivers written. The proposal is written out by hand, so every size below
is counted from the table here, not from what clustering happens to do."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from cxdash import store
from cxdash.drivers import review
from cxdash.drivers.discover import Driver, Proposal, discover
from cxdash.drivers.review import ReviewError
from cxdash.drivers.texts import Texts
from tests.storebuilder import build_store, ts

# raw reason → contacts, by the driver a person would put it under (80 contacts)
REASONS = {
    "Data cap": {"data cap": 8, "Data caps": 6, "Comcast data cap": 4},  # 18
    "Billing": {"Billing": 8, "billing error": 4, "double billing": 4},  # 16
    "Speed": {"Internet speed": 6, "slow speed": 5, "Comcast slow internet": 3},  # 14
    "Outage": {"outage": 5, "service outage": 4, "internet outage": 3},  # 12
    "Mixed": {"early termination fee": 2, "cancellation fee": 2, "contract cancellation": 2,
              "technician no show": 2, "technician late": 2, "missed appointment": 2,
              "rude agent": 2, "agent hung up": 2},  # 16
    "Unspecified": {"Comcast": 3, "comcast!!": 1},  # 4
}  # fmt: skip
TOTAL = 80


def _texts(source: str = "reasons") -> Texts:
    rows = [(text, text, n) for group in REASONS.values() for text, n in group.items()]
    frame = pl.DataFrame(rows, schema={"text": pl.String, "key": pl.String,
                                       "contacts": pl.Int64}, orient="row")  # fmt: skip
    return Texts(source, frame, TOTAL, TOTAL + 5)  # five contacts have no usable reason


def _proposal() -> Proposal:
    drivers = []
    for i, (label, group) in enumerate(REASONS.items()):
        n = sum(group.values())
        examples = sorted(group, key=lambda t: (-group[t], t))[:3]
        drivers.append(Driver(label, n, n / TOTAL, (label.lower(),), tuple(examples),
                              0.9 - i / 10, tuple(group)))  # fmt: skip
    return Proposal("reasons", review._ordered(drivers), TOTAL, TOTAL + 5, 20, 22)


def _sizes(proposal: Proposal) -> dict[str, int]:
    return {d.label: d.contacts for d in proposal.drivers}


def test_the_fixture_adds_up() -> None:
    p = _proposal()
    assert list(_sizes(p).items()) == [("Data cap", 18), ("Billing", 16), ("Mixed", 16),
                                       ("Speed", 14), ("Outage", 12), ("Unspecified", 4)]


def test_rename_keeps_everything_but_the_name() -> None:
    p = review.rename(_proposal(), "Speed", "  Internet speed ")
    d = review.find(p, "Internet speed")
    assert (d.contacts, d.share, d.tightness) == (14, 14 / 80, pytest.approx(0.7))
    assert d.keys == ("Internet speed", "slow speed", "Comcast slow internet")
    assert "Speed" not in _sizes(p)
    assert review.rename(p, "Internet speed", "INTERNET SPEED").drivers[3].label == \
        "INTERNET SPEED"  # its own name in other letters is no clash  # fmt: skip


@pytest.mark.parametrize(("new", "sentence"), [
    ("billing", "'Billing' is already the name of a driver: merge the two instead."),
    ("   ", "A driver needs a name."),
    ("x" * 81, f"{'x' * 40!r}… is longer than 80 characters: a driver's name is a few words."),
])  # fmt: skip
def test_rename_refuses_a_taken_empty_or_long_name(new: str, sentence: str) -> None:
    with pytest.raises(ReviewError) as err:
        review.rename(_proposal(), "Speed", new)
    assert str(err.value) == sentence


def test_merge_counts_again_and_forgets_the_tightness() -> None:
    p = review.merge(_proposal(), ["Speed", "Outage"], "Connectivity", texts=_texts())
    d = review.find(p, "Connectivity")
    # 14 + 12 contacts; the three texts most used across both: 6, 5 and 5 (ties by text)
    assert (d.contacts, d.share) == (26, 26 / 80)
    assert d.examples == ("Internet speed", "outage", "slow speed")
    assert d.tightness is None  # no centre was ever found for this group
    assert d.words == ("speed", "outage")
    assert set(d.keys) == {*REASONS["Speed"], *REASONS["Outage"]}
    assert list(_sizes(p).items()) == [("Connectivity", 26), ("Data cap", 18), ("Billing", 16),
                                       ("Mixed", 16), ("Unspecified", 4)]
    assert p.model is None and p.contacts == 80
    # Merging into one of the merged drivers' names is allowed, into another's is not.
    assert _sizes(review.merge(_proposal(), ["Speed", "Outage"], "Speed",
                               texts=_texts()))["Speed"] == 26  # fmt: skip
    with pytest.raises(ReviewError, match="'Billing' is already the name"):
        review.merge(_proposal(), ["Speed", "Outage"], "Billing", texts=_texts())
    with pytest.raises(ReviewError, match="at least two drivers"):
        review.merge(_proposal(), ["Speed"], "Speed", texts=_texts())


def test_move_raw_reasons_to_another_or_a_new_driver() -> None:
    texts = _texts()
    p = review.move(_proposal(), ["Comcast slow internet", "internet outage"], "Data cap",
                    texts=texts)  # fmt: skip
    assert _sizes(p) == {"Data cap": 24, "Billing": 16, "Mixed": 16, "Speed": 11, "Outage": 9,
                         "Unspecified": 4}  # fmt: skip
    speed = review.find(p, "Speed")
    assert speed.examples == ("Internet speed", "slow speed")
    assert speed.words == ("speed",) and speed.tightness is None
    assert review.find(p, "Mixed").tightness == pytest.approx(0.5)  # untouched
    # To a new driver: its words from its own texts (billing 4, double 4), none shared by all
    p = review.move(p, ["double billing"], "Double billing", texts=texts)
    new = review.find(p, "Double billing")
    assert (new.contacts, new.share, new.words, new.examples) == (
        4, 4 / 80, ("billing", "double"), ("double billing",))  # fmt: skip
    assert _sizes(p)["Billing"] == 12
    # Moving every reason of a driver away leaves no empty driver behind.
    p = review.move(p, ["Comcast", "comcast!!"], "mixed", texts=texts)  # any case finds it
    assert "Unspecified" not in _sizes(p) and _sizes(p)["Mixed"] == 20
    assert sum(_sizes(p).values()) == 80
    with pytest.raises(ReviewError, match="'no such reason' is not in the proposal"):
        review.move(p, ["no such reason"], "Mixed", texts=texts)
    with pytest.raises(ReviewError, match="already in 'Mixed'"):
        review.move(p, ["Comcast"], "Mixed", texts=texts)


def test_split_runs_discovery_on_the_drivers_own_texts() -> None:
    texts = _texts()
    p = review.split(_proposal(), texts, "Billing")
    # Inside Billing every text says "billing": set aside, "Billing" alone says nothing more
    # and keeps the driver's name; "error" and "double" are groups of their own.
    by_keys = {frozenset(d.keys): d for d in p.drivers}
    kept = by_keys[frozenset({"Billing"})]
    assert (kept.label, kept.contacts, kept.share) == ("Billing", 8, 8 / 80)
    error, double = by_keys[frozenset({"billing error"})], by_keys[frozenset({"double billing"})]
    assert (error.contacts, double.contacts) == (4, 4)
    assert error.tightness is not None and error.share == 4 / 80
    labels = [d.label for d in p.drivers]
    assert len(labels) == len({x.casefold() for x in labels}) == 8
    assert sum(d.contacts for d in p.drivers) == 80


def test_split_into_k_partitions_the_driver() -> None:
    p = review.split(_proposal(), _texts(), "Mixed", k=3)
    parts = [d for d in p.drivers if set(d.keys) <= set(REASONS["Mixed"])]
    assert len(parts) == 3 and sum(d.contacts for d in parts) == 16
    assert sorted(k for d in parts for k in d.keys) == sorted(REASONS["Mixed"])
    assert all(d.tightness is not None for d in parts)
    others = {d.label: d for d in p.drivers if d not in parts}
    assert others == {d.label: d for d in _proposal().drivers if d.label != "Mixed"}


def test_split_says_why_it_cannot() -> None:
    with pytest.raises(ReviewError, match="'Data cap' cannot be split: its texts say nothing"):
        review.split(_proposal(), _texts(), "Data cap")  # data cap / data caps / comcast …
    with pytest.raises(ReviewError, match="at least two drivers"):
        review.split(_proposal(), _texts(), "Mixed", k=1)
    with pytest.raises(ReviewError, match="There is no driver 'Nope'"):
        review.split(_proposal(), _texts(), "Nope")


def test_accepted_maps_only_the_accepted_drivers_reasons() -> None:
    p = review.rename(_proposal(), "Data cap", "Data caps")
    got = review.accepted(p, ["Data caps", "Outage"])
    assert got.drivers == ("Data caps", "Outage")
    assert got.mapping == {"data cap": "Data caps", "Data caps": "Data caps",
                           "Comcast data cap": "Data caps", "outage": "Outage",
                           "service outage": "Outage", "internet outage": "Outage"}
    assert got.assignments is None


def test_accepted_of_a_text_proposal_assigns_contacts() -> None:
    frame = pl.DataFrame({"text": ["bill wrong", "bill high", "no signal"],
                          "key": ["c1", "c2", "c3"], "contacts": [1, 1, 1]})  # fmt: skip
    p = Proposal("comment", (Driver("Bill", 2, 2 / 3, ("bill",), ("bill high", "bill wrong"),
                                    0.8, ("c1", "c2")),
                             Driver("Signal", 1, 1 / 3, ("signal",), ("no signal",), 0.7,
                                    ("c3",))), 3, 3, 3, 3)  # fmt: skip
    p = review.move(p, ["c2"], "Signal", texts=Texts("comment", frame, 3, 3))
    got = review.accepted(p, ["Signal"])
    assert got.mapping == {}
    assert got.assignments is not None
    assert sorted(got.assignments.rows()) == [("c2", "Signal", None), ("c3", "Signal", None)]


def test_write_writes_the_accepted_drivers_as_one_version(tmp_path: Path) -> None:
    t0 = ts("2026-03-02 09:00")
    reasons = [text for group in REASONS.values() for text, n in group.items() for _ in range(n)]
    db = build_store(tmp_path / "s.duckdb", [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(minutes=13 * i), "reason": r}
        for i, r in enumerate(reasons)])  # fmt: skip
    p = review.merge(_proposal(), ["Speed", "Outage"], "Connectivity", texts=_texts())
    accepted = [d.label for d in p.drivers if d.label not in ("Mixed", "Unspecified")]
    with pytest.raises(ReviewError, match="Accept at least one driver"):
        review.write(db, p, [])
    change = review.write(db, p, accepted, changed_by="ana")
    assert change.summary() == "12 reasons mapped, 3 drivers added to the catalog"
    with contextlib.closing(store.open_read(db)) as con:
        mapped = dict(con.execute("SELECT reason, driver FROM driver_map").fetchall())
        by_driver = dict(con.execute("SELECT driver, count(*) FROM contacts GROUP BY 1"
                                     ).fetchall())  # fmt: skip
        who = {r for (r,) in con.execute("SELECT DISTINCT changed_by FROM driver_map_changes"
                                         ).fetchall()}  # fmt: skip
    assert mapped["internet outage"] == "Connectivity" and "rude agent" not in mapped
    assert len(mapped) == 12 and who == {"ana"}
    assert (by_driver["Connectivity"], by_driver["Data cap"], by_driver["rude agent"]) == \
        (26, 18, 2)  # unaccepted reasons still count under themselves  # fmt: skip


def test_a_text_proposal_writes_only_the_accepted_contacts(tmp_path: Path) -> None:
    """Contacts without a reason, grouped by their comment: the page's draft is what the
    command proposes, and writing assigns the accepted drivers' contacts, no others."""
    t0 = ts("2026-03-02 09:00")
    comments = [text for group in REASONS.values() for text, n in group.items() for _ in range(n)]
    db = build_store(tmp_path / "s.duckdb", [
        {"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(minutes=13 * i), "comment": c}
        for i, c in enumerate(comments)])  # fmt: skip
    with contextlib.closing(store.open_read(db)) as con:
        texts, p = review.draft(con, ("comment",), 4)
        assert p.mapping == discover(con, ("comment",), 4).mapping  # the command's proposal
    assert texts.contacts == 80 and sum(d.contacts for d in p.drivers) == 80
    dropped = p.drivers[-1]
    kept = [d.label for d in p.drivers if d is not dropped]
    change = review.write(db, p, kept, changed_by="ana")
    assert change.assigned == 80 - dropped.contacts
    with contextlib.closing(store.open_read(db)) as con:
        assigned = dict(con.execute("SELECT contact_id, driver FROM contact_drivers").fetchall())
        unknown = {c for (c,) in con.execute(
            "SELECT contact_id FROM contacts WHERE driver = 'Unknown'").fetchall()}  # fmt: skip
    assert assigned == {k: d.label for d in p.drivers if d is not dropped for k in d.keys}
    assert unknown == set(dropped.keys)  # no reason, no accepted driver: Unknown as before


def test_an_edited_map_is_checked_before_it_is_written() -> None:
    rows = [("data cap", " Data caps "), ("Billing", "Billing"), (None, None), ("", "  ")]
    assert review.map_from_rows(rows) == {"data cap": "Data caps", "Billing": "Billing"}
    for bad, sentence in [
        ([("data cap", "")], "Reason 'data cap' has no driver: name one, or delete the row to "
                             "count it under itself."),
        ([(" ", "Data caps")], "Driver 'Data caps' has no raw reason: type the reason as the "
                               "contacts have it, or delete the row."),
        ([("x", "A"), ("x", "B")], "Reason 'x' is listed twice: keep one row."),
    ]:  # fmt: skip
        with pytest.raises(ReviewError) as err:
            review.map_from_rows(bad)
        assert str(err.value) == sentence
