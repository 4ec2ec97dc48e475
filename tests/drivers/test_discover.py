"""`cxdash drivers discover`: free-text reasons (or contact texts) grouped into named drivers,
seeded, with one clear sentence for input it cannot group; `--apply` writes one new version."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from pathlib import Path

import pytest

from cxdash import store
from cxdash.cli import main
from cxdash.drivers.discover import UNSPECIFIED, discover
from tests.storebuilder import build_store, ts

# Four drivers, each written many ways, the company's name in most of them.
VARIANTS = {
    "data cap": ["Acme data cap", "acme Data Caps", "Acme Data cap overage", "data usage cap",
                 "ACME DATA CAP!!", "capped data usage", "Acme data caps unfair", "data cap limit"],
    "speed": ["Acme Internet speed", "slow internet speed", "Acme slow speeds", "speed too slow",
              "acme internet speeds not as advertised", "Slow speed", "download speed slow",
              "Acme speed problems"],
    "billing": ["Acme Billing dispute", "acme billing", "Billing overcharge", "wrong bill amount",
                "Acme double billing", "Acme billing error", "bill too high", "billing charges"],
    "outage": ["Acme Service outage", "internet outage", "Acme outage again", "outage for days",
               "acme frequent outages", "cable outage", "Outage in my area", "total outage"],
}  # fmt: skip


def _contacts(n: int, texts: list[str], field: str = "reason") -> list[dict]:
    t0 = ts("2026-03-02 09:00")
    return [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(minutes=17 * i),
             field: texts[i % len(texts)]} for i in range(n)]  # fmt: skip


def _free_text_store(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    truth = {v: k for k, vs in VARIANTS.items() for v in vs}
    texts = [*truth, "Acme", "acme"]  # the company's name alone says nothing
    # every variant used a few times, some once: 34 distinct reasons, most used 1–3 times
    rows = _contacts(200, [t for t, n in zip(texts, itertools.cycle([1, 2, 3]), strict=False)
                           for _ in range(n)])  # fmt: skip
    return build_store(tmp_path / "s.duckdb", rows), truth


def test_free_text_reasons_become_named_drivers(tmp_path: Path) -> None:
    db, truth = _free_text_store(tmp_path)
    with contextlib.closing(store.open_read(db)) as con:
        first = discover(con, n_drivers=4)
        again = discover(con, n_drivers=4)
    assert first.mapping == again.mapping  # seeded: the same data, the same drivers
    by_label = {d.label: d for d in first.drivers}
    assert by_label[UNSPECIFIED].examples[:2] == ("Acme", "acme") or \
        set(by_label[UNSPECIFIED].keys) == {"Acme", "acme"}  # fmt: skip
    groups = {}
    for reason, label in first.mapping.items():
        if reason in truth:
            groups.setdefault(truth[reason], set()).add(label)
    # each true driver lands in one proposed driver, named from its own words
    assert all(len(labels) == 1 for labels in groups.values()), groups
    names = {k: next(iter(v)).lower() for k, v in groups.items()}
    assert "cap" in names["data cap"] and "speed" in names["speed"]
    assert "bill" in names["billing"] and "outage" in names["outage"]
    assert sum(d.contacts for d in first.drivers) == 200
    assert all(d.tightness is None or 0 < d.tightness <= 1.0001 for d in first.drivers)


def test_apply_writes_the_map_and_the_numbers_follow(tmp_path: Path, capsys) -> None:
    db, _ = _free_text_store(tmp_path)
    assert main(["drivers", "discover", "--db", str(db), "--drivers", "4"]) == 0
    printed = capsys.readouterr().out
    assert "5 drivers from 34 distinct reasons (200 of 200 contacts; 29 once" in printed
    assert "nothing written" in printed
    assert main(["drivers", "discover", "--db", str(db), "--drivers", "4", "--apply"]) == 0
    assert "34 reasons mapped" in capsys.readouterr().out
    with contextlib.closing(store.open_read(db)) as con:
        drivers = con.execute("SELECT count(DISTINCT driver) FROM contacts").fetchall()[0][0]
        catalog = con.execute("SELECT count(*) FROM reasons").fetchall()[0][0]
    assert (drivers, catalog) == (5, 5)


def test_contact_texts_without_reasons_are_assigned(tmp_path: Path, capsys) -> None:
    texts = [v for vs in VARIANTS.values() for v in vs]
    db = build_store(tmp_path / "s.duckdb", _contacts(120, texts, "comment"))
    assert main(["drivers", "discover", "--db", str(db), "--text", "comment", "--drivers", "4",
                 "--apply"]) == 0  # fmt: skip
    assert "120 contacts assigned from their text" in capsys.readouterr().out
    with contextlib.closing(store.open_read(db)) as con:
        got = dict(con.execute("SELECT comment, any_value(driver) FROM contacts GROUP BY 1"
                               ).fetchall())  # fmt: skip
    assert len({got[v] for v in VARIANTS["outage"]}) == 1


@pytest.mark.parametrize(("rows", "args", "needle"), [
    (_contacts(80, [None]), [], "No contact has a reason to group"),  # type: ignore[list-item]
    (_contacts(80, ["Refund", "Delivery", "Login"]), [], "already read as a list of drivers"),
    (_contacts(80, ["12345", "999", "42"], "comment"), ["--text", "comment"],
     "holds no words"),
    (_contacts(30, [f"reason {i}" for i in range(30)]), [], "Only 30 contacts"),
    (_contacts(80, ["x"]), ["--text", "nosuch"], "not a text field of contacts"),
    # one giant text (5 MB) for every contact: cut for embedding, then nothing tells them apart
    (_contacts(60, ["refund please " * 400_000], "comment"), ["--text", "comment"],
     "The comment texts say almost nothing"),
])  # fmt: skip
def test_input_it_cannot_group_gets_one_sentence_and_nothing_is_written(
    tmp_path: Path, capsys, rows, args, needle
) -> None:
    db = build_store(tmp_path / "s.duckdb", rows)
    before = db.stat().st_mtime_ns
    assert main(["drivers", "discover", "--db", str(db), *args, "--apply"]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert db.stat().st_mtime_ns == before


def test_a_giant_text_is_cut_for_embedding_never_a_reason_to_fail(tmp_path: Path) -> None:
    texts = [v for vs in VARIANTS.values() for v in vs]
    rows = _contacts(120, texts, "comment")
    rows[7]["comment"] = "my data cap is exceeded again and again " * 200_000  # 8 MB
    db = build_store(tmp_path / "s.duckdb", rows)
    with contextlib.closing(store.open_read(db)) as con:
        proposal = discover(con, ("comment",), n_drivers=4)
    assert proposal.contacts == 120
    driver_of = proposal.mapping
    assert len(driver_of) == 120
    assert driver_of["c7"] == driver_of["c0"]  # "my data cap is exceeded …": with "Acme data cap"
    assert all(len(e) <= 2_000 for d in proposal.drivers for e in d.examples)
