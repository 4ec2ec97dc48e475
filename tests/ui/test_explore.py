"""Explore: its numbers are `cxdash metrics`' numbers for the same view; the link reproduces the
view; the contacts behind a row; the SQL shown carries values only as parameters; downloads
are safe in a spreadsheet (formula cells neutralised) in CSV, Parquet and Excel."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from cxdash import downloads, explore
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.metrics.request import Filters, MetricRequest, Period
from tests.apptest import open_app

PAGE = "pages/explore.py"
D = dt.date


# ---- pure logic ---------------------------------------------------------------------------
def test_combine_narrows_the_sidebar_filters() -> None:
    sidebar = Filters.of({"channel": ["chat", "email"], "team": ["A"]})
    assert explore.combine(sidebar, Filters.of({"channel": ["email", "phone"]})) == Filters.of(
        {"channel": ["email"], "team": ["A"]})  # fmt: skip
    assert explore.combine(sidebar, Filters.of({"region": ["EU"]})) == Filters.of(
        {"channel": ["chat", "email"], "team": ["A"], "region": ["EU"]})  # fmt: skip
    assert explore.combine(sidebar, Filters.of({"team": ["B"]})) is None  # nothing in common


@pytest.mark.parametrize(
    ("by", "grain", "kind"),
    [((), None, "tiles"), (("channel",), None, "bars"), (("channel", "team"), None, "heatmap"),
     ((), "week", "line"), (("channel",), "day", "lines"), (("channel", "team"), "month", "lines")],
)  # fmt: skip
def test_the_chart_fits_the_shape(by, grain, kind) -> None:
    assert explore.shape(by, grain) == kind


def test_behind_a_row_are_its_groups_and_its_bucket() -> None:
    request = MetricRequest(Period(D(2026, 3, 4), D(2026, 4, 2)), Filters.of({"team": ["A"]}),
                            ("channel",), "month", ("contacts",))  # fmt: skip
    filters, days, title = explore.behind_row(
        request, {"bucket": D(2026, 3, 4), "channel": "chat", "contacts": 3})
    assert filters == Filters.of({"team": ["A"], "channel": ["chat"]})
    assert days == (D(2026, 3, 4), D(2026, 3, 31))  # the month, clipped to the period
    assert title == "channel: chat · month of 4 Mar 2026"
    _, days, _ = explore.behind_row(request, {"bucket": D(2026, 4, 1), "channel": "chat"})
    assert days == (D(2026, 4, 1), D(2026, 4, 2))
    weekly = MetricRequest(request.period, grain="week", metrics=("contacts",))
    assert explore.behind_row(weekly, {"bucket": D(2026, 3, 9)})[1] == (D(2026, 3, 9),
                                                                        D(2026, 3, 15))
    assert explore.behind_row(request, {"bucket": D(2026, 3, 4), "channel": None}) is None


# ---- downloads ----------------------------------------------------------------------------
LINKS = ["https://203.0.113.5/x", "external:\\\\203.0.113.5\\share", "mailto:a@203.0.113.5",
         "ftp://203.0.113.5/f", "www.example.com"]
HOSTILE = pl.DataFrame({
    "comment": ["=HYPERLINK(\"http://x\")", "+1 555", "-sum(A1)", "@cmd", "\tx", "fine", None,
                "'=already", "\n=cmd|' /C calc'!A0", " =1+1", "\r\n@SUM(1)", "\rx", *LINKS],
    "n": list(range(-1, 16)),
    "reasons": [["=a", "b"]] * 17,
})  # fmt: skip
SAFE = ["'=HYPERLINK(\"http://x\")", "'+1 555", "'-sum(A1)", "'@cmd", "'\tx", "fine", None,
        "''=already", "'\n=cmd|' /C calc'!A0", "' =1+1", "'\r\n@SUM(1)", "'\rx",
        *LINKS]  # links stay text  # fmt: skip


@pytest.mark.parametrize("fmt", list(downloads.FORMATS))
def test_downloads_neutralise_formula_cells(fmt: str) -> None:
    data = downloads.to_bytes(HOSTILE, fmt)
    if fmt == "CSV":
        assert data.startswith(b"\xef\xbb\xbf")
        back = pl.read_csv(io.BytesIO(data[3:]))
    elif fmt == "Parquet":
        back = pl.read_parquet(io.BytesIO(data))
    else:
        back = pl.read_excel(io.BytesIO(data))
    assert back["comment"].to_list() == SAFE
    assert back["n"].to_list() == list(range(-1, 16))  # numbers stay numbers
    assert back["reasons"].to_list() == ["'=a; b"] * 17
    if fmt == "Excel":  # no cell of the workbook is a formula, none a hyperlink
        import zipfile

        book = zipfile.ZipFile(io.BytesIO(data))
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "<hyperlink" not in sheet
        rels = [n for n in book.namelist() if n.endswith(".rels")]
        assert not any("hyperlink" in book.read(n).decode() for n in rels)


# ---- the page -----------------------------------------------------------------------------
def explore_at(monkeypatch, db: Path, **params: list[str]) -> AppTest:
    monkeypatch.setenv("CXDASH_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=120)
    for key, values in params.items():
        at.query_params[key] = values
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cli_metrics(db: Path, period: Period, by: str, filters: dict[str, str]) -> dict:
    args = [sys.executable, "-m", "cxdash", "metrics", "--db", str(db), "--start",
            str(period.start), "--end", str(period.end), "--by", by, "--json"]  # fmt: skip
    for dim, value in filters.items():
        args += ["--filter", f"{dim}={value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return {row[by]: row for row in json.loads(out)["rows"]}


@pytest.mark.usefixtures("app_env")
def test_explore_numbers_equal_cxdash_metrics(monkeypatch, demo_store: Path) -> None:
    metrics = ["contacts", "fcr_rate", "csat", "resolution_hours_median", "contact_rate"]
    at = explore_at(monkeypatch, demo_store, period=["Last 90 days"], channel=["chat", "email"],
                    x_metrics=[METRICS_BY_ID[m].label for m in metrics], x_by=["Team"],
                    x_f_channel=["email"])  # fmt: skip
    table = next(df.value for df in at.dataframe if "team" in df.value.columns)
    assert list(table.columns) == ["team", *metrics]
    view = at.session_state["view"]
    # Explore's own filter (email) narrows the sidebar's (chat or email): email only
    want = cli_metrics(demo_store, view.period, "team", {"channel": "email"})
    assert len(table) == len(want) >= 3
    for row in table.to_dict("records"):
        for metric in metrics:
            expected = want[row["team"]][metric]
            assert row[metric] == pytest.approx(expected), (row["team"], metric)
    assert len(at.get("plotly_chart")) == 4  # bars for the first four metrics


@pytest.mark.usefixtures("app_env")
def test_the_sql_is_shown_with_values_as_parameters(monkeypatch, demo_store: Path) -> None:
    at = explore_at(monkeypatch, demo_store, x_metrics=["Contacts"], x_by=["Channel"],
                    x_grain=["Week"], x_f_team=["Overflow (Nova BPO)"])  # fmt: skip
    sql, params = (c.value for c in at.code)
    assert "FROM" in sql and "$f_team" in sql and "Overflow (Nova BPO)" not in sql
    assert json.loads(params)["f_team"] == ["Overflow (Nova BPO)"]
    assert len(at.get("plotly_chart")) == 1  # one line per channel in one chart
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["CSV", "Parquet", "Excel"]


@pytest.mark.usefixtures("app_env")
def test_contacts_behind_a_selected_row(monkeypatch, demo_store: Path) -> None:
    at = explore_at(monkeypatch, demo_store, x_metrics=["Contacts"], x_by=["Channel"],
                    x_grain=["Week"])  # fmt: skip
    table = next(df.value for df in at.dataframe if "channel" in df.value.columns)
    at.session_state["x_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    row = table.iloc[1]
    assert any(f"Contacts behind: channel: {row['channel']} · week of" in m.value
               for m in at.markdown)  # fmt: skip
    caption = next(c.value for c in at.caption if " contacts · page " in c.value)
    assert caption.startswith(f"{int(row['contacts']):,} contacts")
    shown = at.dataframe[-1].value
    assert set(shown["channel"]) == {row["channel"]}


@pytest.mark.usefixtures("app_env")
def test_filters_with_nothing_in_common_say_so(monkeypatch, demo_store: Path) -> None:
    at = explore_at(monkeypatch, demo_store, channel=["chat"], x_f_channel=["email"])
    assert "no value in common" in at.info[0].value
    at = open_app(monkeypatch, demo_store)
    at.switch_page(PAGE).run()
    assert [t.label for t in at.metric][:3] == ["Contacts", "Resolution", "CSAT"]  # defaults


@pytest.mark.usefixtures("app_env")
def test_metrics_the_store_cannot_answer_are_named_not_zero(monkeypatch, tmp_path: Path) -> None:
    from tests.storebuilder import build_store

    db = build_store(tmp_path / "s.duckdb", [
        {"contact_id": f"s{i}", "created_at": dt.datetime(2026, 3, 2 + i, 9), "channel": "web",
         "status": "Closed" if i % 2 else "Open"} for i in range(6)
    ])  # fmt: skip
    at = explore_at(monkeypatch, db, x_metrics=["Contacts", "Resolution", "Transferred"],
                    x_by=["Channel"])  # fmt: skip
    table = next(df.value for df in at.dataframe if "channel" in df.value.columns)
    row = table.to_dict("records")[0]
    assert (row["contacts"], row["resolution_rate"]) == (6, 0.5)
    assert row["transfer_rate"] is None or row["transfer_rate"] != row["transfer_rate"]  # null
    said = [c.value for c in at.caption]
    assert "Not in your data: Transferred (import `transfers`)." in said, said
