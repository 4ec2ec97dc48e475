"""`cxdash report`: one offline HTML file per ISO week, masked; bad input exits 2."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cxdash import store
from cxdash.cli import main
from cxdash.formatting import format_value
from cxdash.metrics.catalogue import METRICS_BY_ID
from cxdash.metrics.request import MetricRequest, Period
from cxdash.metrics.runner import totals
from tests.storebuilder import build_store

W26 = Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28))  # 2026-W26 in the demo store


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def report_w26(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "review.html"
    assert main(["report", "--week", "2026-W26", "--db", str(demo_store), "--out",
                 str(out)]) == 0  # fmt: skip
    return out.read_text(encoding="utf-8")


def test_report_holds_the_weeks_numbers(report_w26: str, demo_store: Path) -> None:
    con = store.open_read(demo_store)
    want = totals(con, MetricRequest(W26, metrics=("contacts", "csat", "happy_rate")))
    con.close()
    for metric_id, value in want.items():
        shown = format_value(METRICS_BY_ID[metric_id], value)
        assert f'<div class="value">{shown}</div>' in report_w26, metric_id
    assert "<h1>Weekly review · 2026-W26</h1>" in report_w26
    assert "22 – 28 Jun 2026" in report_w26
    for title in ("1 · Score", "2 · Wins", "3 · Worries", "4 · Recovery", "5 · Moments of magic",
                  "6 · Next plays"):  # fmt: skip
        assert f"{title}</h2>" in report_w26


def test_report_is_standalone_and_masked(report_w26: str) -> None:
    # every chart inline SVG, no script at all; nothing fetched from anywhere.
    assert "<script" not in report_w26.lower()
    assert report_w26.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') >= 4
    assert not re.search(r"<(?:script|link|img|iframe|image|use)[^>]+(?:src|href)=", report_w26)
    assert "@import" not in report_w26 and "url(" not in report_w26
    # The week's lowest-rated comment quoting an e-mail shows it masked.
    body = report_w26.split("</head>", 1)[1]
    assert "[email]" in body
    assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", body)
    assert "always masked" in body


def test_report_of_a_demo_week_is_at_most_2_mb(report_w26: str) -> None:
    """Issue 21: light enough to mail (plotly.js inlined made it 4.8 MB)."""
    assert len(report_w26.encode("utf-8")) <= 2_000_000
    assert len(report_w26.encode("utf-8")) < 200_000  # what it is today: ~30 kB


def test_report_prints_what_it_wrote(demo_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "w20.html"
    code, text, err = run(capsys, "report", "--week", "2026-W20", "--db", str(demo_store),
                          "--out", str(out), "--filter", "channel=chat")  # fmt: skip
    assert code == 0 and err == ""
    assert text.startswith(f"wrote {out}: weekly review 2026-W20") and "masked" in text
    assert "Filters: channel: chat" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("week", "needle"),
    [
        ("2026-W60", "2026-W60 does not exist: 2026 has weeks W01–W53"),
        ("2025-W53", "2025 has weeks W01–W52"),
        ("2026-26", "not an ISO week; write it as YYYY-Www"),
        ("26", "not an ISO week"),
        ("2024-W10", "2024-W10 has no contacts in the store; the data covers 2025-W27 – "
                     "2026-W27"),
    ],
)  # fmt: skip
def test_bad_weeks_exit_2_with_one_line(demo_store: Path, tmp_path: Path, capsys, week: str,
                                        needle: str) -> None:  # fmt: skip
    out = tmp_path / "r.html"
    code, text, err = run(capsys, "report", "--week", week, "--db", str(demo_store),
                          "--out", str(out))  # fmt: skip
    assert code == 2 and text == ""
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err
    assert not out.exists()


def test_missing_empty_and_unwritable(tmp_path: Path, demo_store: Path, capsys) -> None:
    code, _, err = run(capsys, "report", "--week", "2026-W26", "--db",
                       str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r.html"))
    assert code == 2 and "no store at" in err and err.count("\n") == 1
    empty = build_store(tmp_path / "empty.duckdb", [])
    code, _, err = run(capsys, "report", "--week", "2026-W26", "--db", str(empty),
                       "--out", str(tmp_path / "r.html"))  # fmt: skip
    assert code == 2 and "has no contacts" in err and err.count("\n") == 1
    code, _, err = run(capsys, "report", "--week", "2026-W26", "--db", str(demo_store),
                       "--out", str(tmp_path / "no" / "such" / "dir" / "r.html"))
    assert code == 2 and "--out" in err and err.count("\n") == 1
    code, _, err = run(capsys, "report", "--db", str(demo_store), "--out", "x.html")
    assert code == 2 and "--week" in err
    code, _, err = run(capsys, "report", "--week", "2026-W26", "--db", str(demo_store),
                       "--out", str(tmp_path / "r.html"), "--filter", "colour=red")
    assert code == 2 and "unknown dimension" in err
