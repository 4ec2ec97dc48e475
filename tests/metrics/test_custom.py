"""Custom metrics (issue 6, point 2): a team's aggregates from metrics.toml, checked before they
are registered, computed like built-in metrics, refused with a message naming file and metric.

Values are worked out by hand on a five-contact store:

| id | created_at | customer | handle_seconds | transfers | csat |
|---|---|---|---|---|---|
| C1 | 2026-05-04 10:00 | k1 | 300 | 0 | 5 |
| C2 | 2026-05-05 11:00 | k1 | 600 | 2 | 4 |
| C3 | 2026-05-06 12:00 | k2 | 900 | 3 | — |
| C4 | 2026-05-07 13:00 | — | — | 1 | 5 |
| P1 | 2026-04-05 09:00 | k3 | 1200 | 2 | 1 |

May (2026-05-01 – 05-31): handle minutes avg(300, 600, 900) / 60 = 10; 2+ transfers C2, C3 of
4 = 0.5; CSAT 5-star of the answers 5, 4, 5 = 2/3; contacts per customer 3 with a customer ÷ 2
customers = 1.5. The previous period (03-31 – 04-30) holds P1 only: 20, 1.0, 0.0 and 1.0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from cxdash import store
from cxdash.cli import main
from cxdash.formatting import format_change, format_value
from cxdash.metrics import catalogue, custom, runner
from cxdash.metrics.catalogue import METRIC_IDS, METRICS_BY_ID
from cxdash.metrics.request import MetricRequest, Period, RequestError
from tests.apptest import open_app
from tests.storebuilder import build_bare_store, build_store, ts

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "metrics.toml"
MAY = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
PERIOD = ["--start", "2026-05-01", "--end", "2026-05-31"]
EXAMPLE_IDS = (
    "avg_handle_minutes", "multi_transfer_share", "csat_five_star_share", "contacts_per_customer",
)  # fmt: skip
MAY_VALUES = {
    "avg_handle_minutes": 10.0,
    "multi_transfer_share": 0.5,
    "csat_five_star_share": 2 / 3,
    "contacts_per_customer": 1.5,
}
APRIL_VALUES = {
    "avg_handle_minutes": 20.0,
    "multi_transfer_share": 1.0,
    "csat_five_star_share": 0.0,
    "contacts_per_customer": 1.0,
}
CONTACTS = [
    {"contact_id": "C1", "created_at": ts("2026-05-04 10:00"), "customer_id": "k1",
     "channel": "chat", "handle_seconds": 300.0, "transfers": 0, "csat": 5},
    {"contact_id": "C2", "created_at": ts("2026-05-05 11:00"), "customer_id": "k1",
     "channel": "phone", "handle_seconds": 600.0, "transfers": 2, "csat": 4},
    {"contact_id": "C3", "created_at": ts("2026-05-06 12:00"), "customer_id": "k2",
     "channel": "phone", "handle_seconds": 900.0, "transfers": 3},
    {"contact_id": "C4", "created_at": ts("2026-05-07 13:00"), "channel": "chat",
     "transfers": 1, "csat": 5},
    {"contact_id": "P1", "created_at": ts("2026-04-05 09:00"), "customer_id": "k3",
     "channel": "chat", "handle_seconds": 1200.0, "transfers": 2, "csat": 1},
]  # fmt: skip

GOOD = """
[[metric]]
id = "good_one"
label = "Good one"
side = "offense"
sql = "count(*)"
format = "count"
direction = "down"
description = "Contacts, again."
"""


@pytest.fixture(autouse=True)
def no_metrics_file_named(monkeypatch: pytest.MonkeyPatch):
    """Each test finds the metrics file beside its store, not one named in the environment;
    afterwards the module-level catalogue still holds the built-in metrics alone."""
    monkeypatch.delenv(custom.ENV_METRICS, raising=False)
    yield
    assert tuple(METRICS_BY_ID) == METRIC_IDS


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return build_store(tmp_path / "cxdash.duckdb", CONTACTS)


def metric_toml(**fields: object) -> str:
    """One [[metric]] table: the good metric's keys, overridden (None drops a key)."""
    base: dict[str, object] = {
        "id": "bad_one", "label": "Bad one", "side": "defense", "sql": "avg(csat)",
        "format": "score", "direction": "up", "description": "Under test.",
    }  # fmt: skip
    base.update(fields)
    lines = ["[[metric]]"] + [f"{k} = {json.dumps(v)}" for k, v in base.items() if v is not None]
    return "\n".join(lines) + "\n"


def load_file(db: Path, text: str) -> custom.LoadResult:
    path = db.parent / custom.FILE_NAME
    path.write_text(text)
    con = store.open_read(db)
    try:
        return custom.load_for_store(con, db)
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- a good file ----------------------------------------------------------------------------
def test_example_file_values_by_hand_through_the_engine(tiny: Path) -> None:
    shutil.copy(EXAMPLES, tiny.parent / custom.FILE_NAME)
    con = store.open_read(tiny)
    try:
        result = custom.load_for_store(con, tiny)
        assert result.ok, result.message()
        assert tuple(m.id for m in result.metrics) == EXAMPLE_IDS
        cat = result.catalogue
        request = MetricRequest(MAY, metrics=("contacts", *EXAMPLE_IDS), catalogue=cat)
        totals = runner.totals(con, request)
        compared = {v.metric.id: v for v in runner.compare(con, request)}
        by_channel = runner.compute(
            con, MetricRequest(MAY, by=("channel",), metrics=EXAMPLE_IDS, catalogue=cat))
    finally:
        con.close()
    assert totals["contacts"] == 4
    for metric_id, expected in MAY_VALUES.items():
        assert totals[metric_id] == pytest.approx(expected), metric_id
        assert compared[metric_id].value == pytest.approx(expected), metric_id
        assert compared[metric_id].previous == pytest.approx(APRIL_VALUES[metric_id]), metric_id
    # Handle time fell 20 → 10 min and lower is better: improved.
    assert compared["avg_handle_minutes"].improved is True
    # chat: C1 (300 s), C4 (no handle time) → 5 min; phone: C2, C3 → 12.5 min, both 2+ transfers.
    rows = {r["channel"]: r for r in by_channel.iter_rows(named=True)}
    assert rows["chat"]["avg_handle_minutes"] == pytest.approx(5.0)
    assert rows["phone"]["avg_handle_minutes"] == pytest.approx(12.5)
    assert rows["phone"]["multi_transfer_share"] == pytest.approx(1.0)
    assert rows["chat"]["contacts_per_customer"] == pytest.approx(1.0)


def test_the_files_metrics_join_its_catalogue_wherever_metrics_are_listed(tiny: Path) -> None:
    shutil.copy(EXAMPLES, tiny.parent / custom.FILE_NAME)
    cat = load_file(tiny, EXAMPLES.read_text()).catalogue
    ids = [m.id for m in cat.all()]
    assert ids == [*METRIC_IDS, *EXAMPLE_IDS]  # built-in first, then the file's order
    assert [m.id for m in cat.by_side("happiness")] == ["happy_rate", "csat_five_star_share"]
    assert cat.get_metric("avg_handle_minutes").origin == str(tiny.parent / custom.FILE_NAME)
    assert list(cat)[-4:] == list(EXAMPLE_IDS)
    request = MetricRequest(MAY, metrics=("avg_handle_minutes",), catalogue=cat)
    assert request.metrics == ("avg_handle_minutes",)
    # SPEC §3 stays the contract: the catalogue's own tuple is unchanged, and loading a file
    # changes nothing module-level — the catalogue is a value, not a registry.
    assert tuple(m.id for m in catalogue.METRICS) == METRIC_IDS
    assert [m.id for m in catalogue.BUILTIN.all()] == list(METRIC_IDS)
    assert "avg_handle_minutes" not in METRICS_BY_ID
    with pytest.raises(RequestError, match="unknown metric 'avg_handle_minutes'"):
        MetricRequest(MAY, metrics=("avg_handle_minutes",))


def test_a_changed_definition_changes_the_request_key(tiny: Path) -> None:
    """Results are cached per request: editing the file must not serve the old numbers."""
    builtin = MetricRequest(MAY, metrics=("contacts",))
    assert builtin.definitions == ""
    before = load_file(tiny, GOOD).catalogue
    first = MetricRequest(MAY, metrics=("contacts", "good_one"), catalogue=before)
    after = load_file(tiny, GOOD.replace('"count(*)"', '"count(csat)"')).catalogue
    second = MetricRequest(MAY, metrics=("contacts", "good_one"), catalogue=after)
    assert first.definitions and second.definitions
    assert first != second
    assert MetricRequest(MAY, metrics=("contacts",)) == builtin


def test_cli_json_lists_custom_metrics_after_the_spec_ones(tiny: Path, capsys) -> None:
    code = main(["metrics", "--db", str(tiny), *PERIOD, "--json"])
    plain = json.loads(capsys.readouterr().out)
    assert code == 0 and list(plain["metrics"]) == list(METRIC_IDS)

    shutil.copy(EXAMPLES, tiny.parent / custom.FILE_NAME)
    code = main(["metrics", "--db", str(tiny), *PERIOD, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert list(doc["metrics"]) == [*METRIC_IDS, *EXAMPLE_IDS]
    assert {m: doc["metrics"][m] for m in METRIC_IDS} == plain["metrics"]  # built-ins unchanged
    for metric_id, expected in MAY_VALUES.items():
        assert doc["metrics"][metric_id] == pytest.approx(expected), metric_id

    code = main(["metrics", "--db", str(tiny), *PERIOD, "--by", "channel", "--json",
                 "--metric", "contacts", "--metric", "avg_handle_minutes"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {r["channel"]: r["avg_handle_minutes"] for r in doc["rows"]} == {
        "chat": pytest.approx(5.0), "phone": pytest.approx(12.5)}  # fmt: skip

    code = main(["metrics", "--db", str(tiny), *PERIOD])  # the table: formatted as minutes
    out = capsys.readouterr().out
    assert code == 0 and "10 min" in out and "Handle time (avg)" in out


def test_cxdash_metrics_env_names_the_file(tiny: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    elsewhere = tmp_path / "team" / "our-metrics.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(GOOD)
    monkeypatch.setenv(custom.ENV_METRICS, str(elsewhere))
    assert custom.metrics_path(tiny) == (elsewhere, True)
    assert main(["metrics", "--db", str(tiny), *PERIOD, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["good_one"] == 4

    elsewhere.unlink()  # named but missing: bad input, not silently nothing
    assert main(["metrics", "--db", str(tiny), *PERIOD, "--json"]) == 2
    err = capsys.readouterr().err
    assert str(elsewhere) in err and custom.ENV_METRICS in err


def test_no_file_means_no_custom_metrics(tiny: Path) -> None:
    assert custom.metrics_path(tiny) == (tiny.parent / "metrics.toml", False)
    result = load_file(tiny, GOOD)
    (tiny.parent / custom.FILE_NAME).unlink()
    con = store.open_read(tiny)
    try:
        result = custom.load_for_store(con, tiny)
    finally:
        con.close()
    assert result.ok and result.metrics == ()
    assert result.catalogue.custom == () and result.catalogue == catalogue.BUILTIN


def test_a_bare_store_checks_and_computes_the_same(tmp_path: Path) -> None:
    """A store written by another tool (contract columns only) goes through sources' CTEs."""
    db = build_bare_store(tmp_path / "bare.duckdb", CONTACTS)
    result = load_file(db, EXAMPLES.read_text())
    assert result.ok, result.message()
    con = store.open_read(db)
    try:
        totals = runner.totals(con, MetricRequest(MAY, metrics=EXAMPLE_IDS,
                                                  catalogue=result.catalogue))
    finally:
        con.close()
    assert totals == pytest.approx(MAY_VALUES)


def test_catalog_columns_are_missing_while_the_catalog_is_empty(tiny: Path) -> None:
    cat = load_file(tiny, metric_toml(id="prev_share", sql="avg(preventable::DOUBLE)",
                                      format="rate")).catalogue  # fmt: skip
    metric = cat.get_metric("prev_share")
    assert metric.needs_catalog
    con = store.open_read(tiny)
    try:
        assert runner.totals(con, MetricRequest(MAY, metrics=("prev_share",), catalogue=cat)) == {
            "prev_share": None}  # fmt: skip
    finally:
        con.close()


def test_a_decimal_result_is_registered_as_a_double(tiny: Path, capsys) -> None:
    """`sum(x) * 1.5` is DECIMAL in DuckDB; JSON and the formatter want a plain number."""
    (tiny.parent / custom.FILE_NAME).write_text(
        metric_toml(id="weighted", sql="sum(transfers) * 1.5", format="number"))  # fmt: skip
    assert main(["metrics", "--db", str(tiny), *PERIOD, "--json", "--metric", "weighted"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"] == {"weighted": 9.0}  # (0+2+3+1)×1.5


# ---- what is refused ------------------------------------------------------------------------
BAD = [
    # (fields of the metric, words its message must contain)
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"formt": "rate", "format": None}, "did you mean 'format'"),
    ({"description": None}, "missing key 'description'"),
    ({"label": ""}, "'label' must be a non-empty string"),
    ({"side": "offence"}, "side 'offence' must be one of: offense, defense, happiness"),
    ({"format": "percent"}, "format 'percent' must be one of"),
    ({"direction": "higher"}, "direction 'higher' must be one of: up, down"),
    ({"id": "Handle-Time"}, "must be snake_case"),
    ({"id": "csat"}, "'csat' is a built-in metric"),
    ({"id": "channel"}, "'channel' is the name of a dimension or time grain"),
    ({"id": "select"}, "'select' is an SQL keyword"),
    ({"id": "good_one"}, "'good_one' is already defined at line 2"),
    ({"sql": "avg(handle_minutes)"}, "unknown column 'handle_minutes'"),
    ({"sql": "avg(c.csat)"}, "unknown column 'c.csat'"),
    ({"sql": "avg(csat"}, "does not parse as an expression"),
    ({"sql": "avg(csat), count(*)"}, "the commas make it 2"),
    ({"sql": "avg(csat) AS x"}, "must not name its result"),
    ({"sql": "handle_seconds / 60"}, "not an aggregate: column 'handle_seconds'"),
    ({"sql": "avg(csat) - csat"}, "not an aggregate: column 'csat'"),
    ({"sql": "42"}, "not an aggregate: use an aggregate function"),
    ({"sql": "avg(sum(csat))"}, "one aggregate inside another"),
    ({"sql": "avg(csat) OVER ()"}, "window function"),
    ({"sql": "avg(csat) FILTER (WHERE csat > $min)"}, "parameter"),
    ({"sql": "avg(csat) FROM contacts"}, "without FROM"),
    ({"sql": "avg(csat) GROUP BY ALL"}, "without GROUP BY"),
    ({"sql": "avg(csat) UNION SELECT 1"}, "without UNION"),
    ({"sql": "(SELECT avg(csat) FROM contacts)"}, "subquery"),
    ({"sql": "avg(csat) FILTER (WHERE csat IN (SELECT 5))"}, "subquery"),
    ({"sql": "avg(customer_id)"}, "does not run on the store: Binder Error"),
    ({"sql": "max(created_at)"}, "gives a TIMESTAMP, not a number"),
    ({"sql": "string_agg(customer_id, ',')"}, "calls string_agg()"),
]


@pytest.mark.parametrize(("fields", "words"), BAD, ids=[w for _, w in BAD])
def test_each_kind_of_bad_metric_is_named_and_left_out(tiny: Path, fields, words) -> None:
    path = tiny.parent / custom.FILE_NAME
    bad_id = fields.get("id", "bad_one") or "#2"
    result = load_file(tiny, GOOD + "\n" + metric_toml(**fields))
    assert result.problems, words
    messages = [str(p) for p in result.problems]
    assert any(words in m for m in messages), messages
    for problem in result.problems:
        # The file, the line of its [[metric]] table, the metric.
        assert str(problem).startswith(f"{path}:11: metric {bad_id!r}: "), str(problem)
    # The good metric of the same file still joins the catalogue; the bad one does not.
    assert [m.id for m in result.metrics] == ["good_one"]
    assert [m.id for m in result.catalogue.custom] == ["good_one"]
    assert result.refused() == (bad_id,)


def test_file_level_problems_name_the_file(tiny: Path) -> None:
    path = tiny.parent / custom.FILE_NAME
    broken = load_file(tiny, "[[metric]\nid = 1\n")
    assert len(broken.problems) == 1
    assert str(broken.problems[0]).startswith(f"{path}: is not valid TOML")
    stray = load_file(tiny, 'title = "ours"\n' + GOOD)
    assert [str(p) for p in stray.problems] == [
        f"{path}: unknown top-level key 'title'; each metric is a [[metric]] table"]  # fmt: skip
    assert [m.id for m in stray.metrics] == ["good_one"]


ATTACKS = [
    "avg(csat); DROP TABLE contacts",
    "count(*)); DROP TABLE contacts; SELECT (1",
    "avg(csat); INSERT INTO contacts (contact_id, created_at) VALUES ('x', now())",
    "avg(csat); COPY contacts TO '/tmp/cxdash-leak.csv'",
    "avg(csat); ATTACH '/tmp/cxdash-other.duckdb' AS other",
    "avg(csat); PRAGMA enable_profiling",
    "avg(csat); SET enable_external_access = true",
    "avg(csat); CALL pragma_version()",
    "(SELECT count(*) FROM read_csv('/etc/passwd'))",
    "count(*) FILTER (WHERE csat IN (SELECT 1 FROM read_csv('/etc/passwd')))",
    "read_csv('/etc/passwd')",
    "avg(length(read_text('/etc/passwd')))",
    "count(*) + len(glob('/etc/*'))",
    "count(*) + length(getenv('HOME'))",
    "count(*) + length(current_setting('threads'))",
    "sum(csat) FILTER (WHERE (SELECT count(*) FROM contacts) > 0)",
    "avg(csat) -- harmless\n) AS x FROM contacts; DROP TABLE contacts; SELECT (1",
]


@pytest.mark.parametrize("sql", ATTACKS)
def test_statements_and_file_access_are_refused_and_the_store_is_unchanged(
    tiny: Path, sql: str, capsys
) -> None:
    before = digest(tiny)
    path = tiny.parent / custom.FILE_NAME
    path.write_text(metric_toml(id="sneaky", sql=sql))
    code = main(["metrics", "--db", str(tiny), *PERIOD, "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith(f"cxdash: error: {path}:1: metric 'sneaky': sql "), err
    assert "sneaky" not in METRICS_BY_ID
    assert digest(tiny) == before
    assert not Path("/tmp/cxdash-leak.csv").exists()
    con = store.open_read(tiny)
    try:
        assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(5,)]
    finally:
        con.close()


def test_read_connections_cannot_reach_other_files(tiny: Path) -> None:
    """The wall behind the checks: metric SQL runs where files cannot be read or written."""
    con = store.open_read(tiny)
    try:
        for sql in ("SELECT * FROM read_csv('/etc/passwd')",
                    f"COPY contacts TO '{tiny.parent / 'leak.csv'}'",
                    f"ATTACH '{tiny.parent / 'other.duckdb'}' AS other"):  # fmt: skip
            with pytest.raises(duckdb.Error, match="disabled by configuration"):
                con.execute(sql)
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM contacts")
    finally:
        con.close()
    assert not (tiny.parent / "leak.csv").exists()


def test_a_bad_file_stops_cxdash_metrics_with_every_problem(tiny: Path, capsys) -> None:
    path = tiny.parent / custom.FILE_NAME
    path.write_text(GOOD + "\n" + metric_toml(side="offence") + "\n"
                    + metric_toml(id="other", sql="avg(nope)"))  # fmt: skip
    assert main(["metrics", "--db", str(tiny), *PERIOD, "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"cxdash: error: {path}:11: metric 'bad_one': side 'offence'")
    assert "did you mean 'offense'" in lines[0]
    assert lines[1].startswith(f"{path}:20: metric 'other': sql uses unknown column 'nope'")


# ---- formatting -----------------------------------------------------------------------------
def test_minutes_and_number_formats() -> None:
    base = catalogue.get("contacts")
    minutes = catalogue.Metric("m", "M", "defense", "minutes", "down", "d", sql="count(*)")
    number = catalogue.Metric("n", "N", "offense", "number", "down", "d", sql="count(*)")
    assert format_value(minutes, 10.0) == "10 min"
    assert format_value(minutes, 90.0) == "1.5 h"
    assert format_change(minutes, -10.0) == "-10 min"
    assert format_value(number, 1.5) == "1.50"
    assert format_value(number, 12.345) == "12.3"
    assert format_value(number, 1234.5) == "1,234"  # banker's rounding is fine here
    assert format_value(number, None) == "—"
    assert format_change(number, 0.25, 0.2) == "+0.25 (+20.0%)"
    assert format_value(base, 4) == "4"


# ---- the app --------------------------------------------------------------------------------
@pytest.mark.usefixtures("app_env")
def test_scoreboard_shows_custom_tiles_under_their_side(monkeypatch, tiny: Path) -> None:
    shutil.copy(EXAMPLES, tiny.parent / custom.FILE_NAME)
    at = open_app(monkeypatch, tiny)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    # The default period is the last 28 days of data (04-10 – 05-07): C1–C4; before it, P1.
    tiles = {m.label: m for m in at.metric}
    assert tiles["Handle time (avg)"].value == "10 min"
    assert tiles["Handle time (avg)"].delta == "-10 min"
    assert tiles["Transferred 2+ times"].value == "50.0%"
    assert tiles["CSAT 5-star"].value == "66.7%"
    assert tiles["Contacts per customer"].value == "1.50"
    assert "Custom metric from" in tiles["CSAT 5-star"].help
    labels = [m.label for m in at.metric]
    # Under their side: after that side's built-in tiles, before the next side's.
    assert labels.index("Repurchase, no contact") < labels.index("Handle time (avg)")
    assert labels.index("Handle time (avg)") < labels.index("Happy")
    assert labels.index("Happy") < labels.index("CSAT 5-star")
    assert labels.index("Contacts avoided") < labels.index("Contacts per customer")
    assert labels.index("Contacts per customer") < labels.index("Resolution")


@pytest.mark.usefixtures("app_env")
def test_a_bad_file_is_named_on_every_page_and_the_app_works(monkeypatch, tiny: Path) -> None:
    path = tiny.parent / custom.FILE_NAME
    path.write_text(GOOD + "\n" + metric_toml(id="sneaky", sql="read_csv('/etc/passwd')"))
    at = open_app(monkeypatch, tiny)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Scoreboard"
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    # Markdown escapes aside, the message names the file, the line and the metric.
    shown = errors[0].replace("\\", "")
    assert str(path) in shown and f"{path}:11: metric 'sneaky'" in shown
    assert "read_csv()" in shown and "left out until it is fixed: sneaky" in shown
    labels = {m.label for m in at.metric}
    assert {"Contacts", "Good one"} <= labels  # the rest of the file and the app still work
    at.switch_page("pages/defense.py").run()
    assert not at.exception
    assert any("sneaky" in e.value for e in at.error)

    path.write_text(GOOD)  # fixed: the next run checks the new version and the box is gone
    at.switch_page("pages/scoreboard.py").run()
    assert not at.error
    assert "Good one" in {m.label for m in at.metric}


@pytest.mark.usefixtures("app_env")
def test_explore_offers_custom_metrics_and_computes_them(monkeypatch, tiny: Path) -> None:
    shutil.copy(EXAMPLES, tiny.parent / custom.FILE_NAME)
    at = open_app(monkeypatch, tiny)
    at.switch_page("pages/explore.py").run()
    picker = at.multiselect(key="x_metrics")
    assert "Handle time (avg)" in picker.options and "CSAT 5-star" in picker.options
    picker.set_value(["contacts", "avg_handle_minutes"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = " ".join(str(t.value) for t in at.dataframe) + " ".join(m.value for m in at.metric)
    assert "10 min" in shown or "10.0" in shown, shown


@pytest.mark.usefixtures("app_env")
def test_a_custom_label_and_description_are_text_not_markdown(monkeypatch, tiny: Path) -> None:
    (tiny.parent / custom.FILE_NAME).write_text(
        '[[metric]]\nid = "sneaky"\nlabel = "![x](http://203.0.113.9/l.png) Sneaky"\n'
        'side = "defense"\nsql = "count(*)"\nformat = "count"\ndirection = "up"\n'
        'description = "See [here](http://203.0.113.9/d) or www.example.com"\n')
    at = open_app(monkeypatch, tiny)
    assert not at.exception, [e.value for e in at.exception]
    tile = next(m for m in at.metric if "Sneaky" in m.label)
    assert tile.label == "!\\[x\\](http:\u2060//203.0.113.9/l.png) Sneaky"  # no image
    assert tile.help.startswith("See \\[here\\](http:\u2060//203.0.113.9/d) or www\u2060.example")


@pytest.mark.parametrize("sql", ["sum(csat) / 0.0", "max(exp(1000.0 + csat))", "min(ln(0.0))",
                                 "avg(sqrt(-1.0 - csat))", "count(*) * 1e308 * 10"])  # fmt: skip
def test_a_custom_metric_that_is_not_a_number_is_no_value(tiny: Path, capsys, sql: str) -> None:
    """Division by zero, overflow, NaN: the metric has no value (JSON null, "—"), never a half
    written JSON with a traceback or "inf ±nan" on a tile (issue 19)."""
    (tiny.parent / custom.FILE_NAME).write_text(
        f'[[metric]]\nid = "odd"\nlabel = "Odd"\nside = "defense"\nsql = "{sql}"\n'
        'format = "count"\ndirection = "up"\ndescription = "not a number"\n')
    assert main(["metrics", "--db", str(tiny), *PERIOD, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["metrics"]["odd"] is None and err == ""
    assert main(["metrics", "--db", str(tiny), *PERIOD, "--by", "channel", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows and all(r["odd"] is None for r in rows)
