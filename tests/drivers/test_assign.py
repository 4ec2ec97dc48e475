"""A later import lands among the accepted drivers: a new free-text reason (or a new contact's
text) joins its nearest driver when it is as close as that driver's own texts mostly are,
else "New, not yet seen"; the import says how many went where."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest

from cxdash import store
from cxdash.cli import main
from cxdash.drivers.assign import BY
from cxdash.drivers.centres import NEW
from cxdash.importer.mapping import Mapping
from cxdash.importer.run import import_file
from tests.drivers.test_discover import VARIANTS, _contacts
from tests.storebuilder import build_store

LATER = {  # written in none of the accepted drivers' words before, but near one of them
    "Acme data caps are too low": "data cap",
    "capped data again": "data cap",
    "my internet speed is slow": "speed",
    "overcharged on my bill": "billing",
    "another outage tonight": "outage",
}
STRANGE = "zebra giraffe hippopotamus"  # near none of them


def _accepted(tmp_path: Path, field: str = "reason") -> tuple[Path, dict[str, str]]:
    texts = [v for vs in VARIANTS.values() for v in vs]
    db = build_store(tmp_path / "s.duckdb", _contacts(160, texts, field))
    args = ["--text", "comment"] if field == "comment" else []
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["drivers", "discover", "--db", str(db), *args, "--drivers", "4",
                     "--apply"]) == 0  # fmt: skip
    with contextlib.closing(store.open_read(db)) as con:
        driver_of = dict(con.execute("SELECT DISTINCT reason, driver FROM contacts WHERE "
                                     "reason IS NOT NULL").fetchall())  # fmt: skip
        if field == "comment":
            driver_of = dict(con.execute("SELECT DISTINCT c.comment, c.driver FROM contacts c"
                                         ).fetchall())  # fmt: skip
    true_driver = {k: driver_of[vs[0]] for k, vs in VARIANTS.items()}
    return db, true_driver


def _later_file(tmp_path: Path, field: str) -> Path:
    path = tmp_path / "later.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contact_id", "created_at", field])
        for i, text in enumerate([*LATER, STRANGE]):
            w.writerow([f"later{i}", f"2026-04-0{1 + i % 5} 10:00:00", text])
    return path


def test_new_reasons_join_their_nearest_driver_or_new(tmp_path: Path) -> None:
    db, true_driver = _accepted(tmp_path)
    report = import_file(_later_file(tmp_path, "reason"), db)
    # 5 placed in a driver, the strange one new: the import says so
    assert report.notes == ("6 new contacts placed among the accepted drivers: 5 in the nearest "
                            "driver, 1 new, not yet seen (review them on the Driver catalog "
                            "page)",)  # fmt: skip
    with contextlib.closing(store.open_read(db)) as con:
        got = dict(con.execute("SELECT reason, driver FROM contacts WHERE contact_id LIKE "
                               "'later%'").fetchall())  # fmt: skip
        mapped = dict(con.execute("SELECT reason, new_driver FROM driver_map_changes WHERE "
                                  "changed_by = ?", [BY]).fetchall())  # fmt: skip
        catalog = {r for (r,) in con.execute("SELECT reason FROM reasons").fetchall()}
    assert got == {**{t: true_driver[k] for t, k in LATER.items()}, STRANGE: NEW}
    assert mapped == got  # in the driver map, with its change kept, for a person to move
    assert NEW in catalog  # listed for triage
    # the same reasons again need no placing: the map has them
    assert import_file(_later_file(tmp_path, "reason"), db).notes == ()


def test_new_contact_texts_join_their_nearest_driver(tmp_path: Path) -> None:
    db, true_driver = _accepted(tmp_path, "comment")
    report = import_file(_later_file(tmp_path, "comment"), db)
    assert report.notes[0].startswith("6 new contacts placed among the accepted drivers: 5 ")
    with contextlib.closing(store.open_read(db)) as con:
        got = dict(con.execute("SELECT c.comment, c.driver FROM contacts c WHERE contact_id "
                               "LIKE 'later%'").fetchall())  # fmt: skip
        sims = con.execute("SELECT count(*) FROM contact_drivers WHERE contact_id LIKE 'later%' "
                           "AND similarity BETWEEN 0 AND 1").fetchall()[0][0]  # fmt: skip
    assert got == {**{t: true_driver[k] for t, k in LATER.items()}, STRANGE: NEW}
    assert sims == 6


def test_nothing_is_placed_before_drivers_are_accepted(tmp_path: Path) -> None:
    texts = [v for vs in VARIANTS.values() for v in vs]
    db = build_store(tmp_path / "s.duckdb", _contacts(160, texts))
    report = import_file(_later_file(tmp_path, "reason"), db)
    assert report.notes == ()
    with contextlib.closing(store.open_read(db)) as con:
        got = dict(con.execute("SELECT reason, driver FROM contacts WHERE contact_id LIKE "
                               "'later%'").fetchall())  # fmt: skip
    assert got == {t: t for t in [*LATER, STRANGE]}  # the reason itself, as before discovery


@pytest.mark.realdata
def test_later_comcast_complaints_land_like_the_labels_say(tmp_path: Path) -> None:
    from cxdash.drivers.quality import measure
    from tests.drivers.test_quality import COMCAST, REPO, labels

    if not COMCAST.exists():
        pytest.skip(f"{COMCAST} is not present")
    lines = COMCAST.read_bytes().splitlines(keepends=True)  # one complaint per line
    (tmp_path / "first.csv").write_bytes(b"".join(lines[:1500]))
    (tmp_path / "later.csv").write_bytes(b"".join([lines[0], *lines[1500:]]))
    mapping = REPO / "examples" / "mappings" / "comcast_complaints.suggested.toml"
    db = tmp_path / "s.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["import", str(tmp_path / "first.csv"), "--mapping", str(mapping),
                     "--db", str(db)]) == 0  # fmt: skip
        assert main(["drivers", "discover", "--db", str(db), "--apply"]) == 0
    report = import_file(tmp_path / "later.csv", db, mapping=Mapping.load(mapping))
    with contextlib.closing(store.open_read(db)) as con:
        placed = con.execute("SELECT c.contact_id, c.driver FROM contacts c JOIN "
                             "driver_map_changes m ON m.reason = c.reason AND m.changed_by = ?",
                             [BY]).fetchall()  # fmt: skip
    truth = labels()
    new = sum(1 for _, d in placed if d == NEW)
    assert report.notes and len(placed) > 500  # most later titles are new to the map
    assert new <= 0.1 * len(placed)  # measured 23 of 588
    q = measure([truth[c] for c, _ in placed], [d for _, d in placed])
    assert q.nmi >= 0.44 and q.purity >= 0.55, q  # measured 0.484 / 0.597

