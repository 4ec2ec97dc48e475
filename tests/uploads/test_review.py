"""cxdash.uploads: the Streamlit-free half of the Data page's import section."""

from __future__ import annotations

import io
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxdash.importer.mapping import PRESETS, Mapping
from cxdash.importer.results import Progress
from cxdash.importer.run import check_file
from cxdash.uploads import history
from cxdash.uploads.check import problems_table
from cxdash.uploads.mapping_table import (
    edited_dict,
    mapping_dict,
    mapping_rows,
    to_toml,
    unmapped_required,
)
from cxdash.uploads.progress import bar_fraction
from cxdash.uploads.upload import safe_name, saved_upload

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("tickets.csv", "tickets.csv"),
        ("../../x.csv", "x.csv"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\evil.parquet", "evil.parquet"),
        ("C:\\Users\\me\\export.xlsx", "export.xlsx"),
        (".bashrc", "bashrc"),
        ("..", "upload"),
        ("", "upload"),
        ("a\x00b\nc.csv.gz", "a_b_c.csv.gz"),
        ("$(rm -rf ~).csv", "__rm -rf __.csv"),
        ("Rückmeldungen März.xlsx", "Rückmeldungen März.xlsx"),
        ("x..csv", "x.csv"),
    ],
)
def test_safe_name_is_one_harmless_component(name: str, want: str) -> None:
    assert safe_name(name) == want


def test_safe_name_shortens_long_names_and_keeps_the_suffixes() -> None:
    got = safe_name("x" * 300 + ".csv.gz")
    assert len(got) == 120 and got.endswith("x.csv.gz")


def test_saved_upload_stays_in_its_folder_and_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    with saved_upload(io.BytesIO(b"a,b\n1,2\n"), "../../../x.csv", folder) as path:
        assert path.read_bytes() == b"a,b\n1,2\n"
        assert path.name == "x.csv"
        assert path.resolve().parent.parent == folder.resolve()
    assert list(folder.iterdir()) == []
    with pytest.raises(RuntimeError), saved_upload(io.BytesIO(b"x"), "y.csv", folder):
        raise RuntimeError("the check failed")
    assert list(folder.iterdir()) == []


NAMES = st.text(min_size=1, max_size=12)
SCALARS = st.one_of(st.text(max_size=12), st.booleans(), st.integers(-5, 5),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.lists(st.text(max_size=6), max_size=3))  # fmt: skip


TABLE = st.dictionaries(NAMES, SCALARS, min_size=1, max_size=3)  # e.g. [values.csat]
SECTION = st.dictionaries(NAMES, st.one_of(SCALARS, TABLE), max_size=4)


@given(top=st.dictionaries(NAMES, st.text(max_size=12), max_size=2),
       sections=st.dictionaries(NAMES, SECTION, max_size=3))
def test_to_toml_reads_back_as_written(top: dict, sections: dict) -> None:
    data = {**top, **{k: v for k, v in sections.items() if k not in top}}
    assert tomllib.loads(to_toml(data, header="a\nheader")) == data


def test_every_preset_and_example_mapping_survives_the_toml_round_trip() -> None:
    mappings = [replace(Mapping.preset(p), lenient=False) for p in PRESETS]
    mappings += [Mapping.load(p) for p in sorted((ROOT / "examples" / "mappings").glob("*.toml"))]
    assert len(mappings) >= 10
    for mapping in mappings:
        text = to_toml(mapping_dict(mapping))
        assert Mapping.parse(tomllib.loads(text)) == mapping, text


def test_problems_table_reads_quotes_in_names_and_values(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text('id,created,It\'s "CSAT"\nA,2026-06-01,"say ""9\'"\nB,not a date,4\n')
    mapping = Mapping.parse({"fields": {"contact_id": "id", "created_at": "created",
                                        "csat": 'It\'s "CSAT"'}})  # fmt: skip
    report, _ = check_file(path, None, "contacts", mapping)
    table = problems_table(report.problems, "mine.csv")
    assert table.rows() == [
        ("mine.csv", 2, 'It\'s "CSAT"', 'say "9\'', "not a whole number (or too large)"),
        ("mine.csv", 3, "created", "not a date",
         "not a date and time (write YYYY-MM-DD HH:MM:SS, optionally with +HH:MM)"),
    ]  # fmt: skip


def test_edited_rows_replace_fields_formats_and_preset_rules() -> None:
    base = mapping_dict(replace(Mapping.preset("zendesk"), lenient=False))
    rows = mapping_rows("contacts", Mapping.parse(base)).to_dicts()
    assert edited_dict(base, rows) == base  # no edits, same mapping
    by_field = {r["field"]: r for r in rows}
    by_field["created_at"].update({"source column": "Date", "second column": "Time",
                                   "format": "%d/%m/%Y %H:%M"})  # fmt: skip
    by_field["first_response_at"]["source column"] = "Replied"  # instead of the minutes
    by_field["csat"]["source column"] = None
    edited = edited_dict(base, rows)
    assert edited["fields"]["created_at"] == ["Date", "Time"]
    assert edited["formats"] == {"created_at": "%d/%m/%Y %H:%M"}
    assert edited["fields"]["first_response_at"] == "Replied"
    assert "minutes_after_created" not in edited
    assert "csat" not in edited["fields"]
    parsed = Mapping.parse(edited)
    assert parsed.fields["created_at"] == ("Date", "Time")
    assert parsed.values["csat"]["Good"] == "5"  # the preset's translations stay
    assert unmapped_required("contacts", edited) == []
    del edited["fields"]["contact_id"]
    assert unmapped_required("contacts", edited) == ["contact_id"]
    assert unmapped_required("events", {"fields": {}}) == ["case_id", "timestamp"]


def test_bar_fraction_follows_the_importer_phases() -> None:
    got = [bar_fraction(p) for p in (
        Progress("reading", detail="x.csv"), Progress("reading", 0.5), Progress("reading", 1.0),
        Progress("checking"), Progress("writing"), Progress("refreshing"), Progress("saving"))]
    assert got == [0.0, 0.3, 0.6, 0.6, 0.75, 0.85, 0.95]


def test_history_of_a_store_without_imports_is_empty(worked_bare_store: Path) -> None:
    from cxdash import store

    con = store.open_read(worked_bare_store)
    try:
        assert history.imports(con).is_empty()
    finally:
        con.close()
