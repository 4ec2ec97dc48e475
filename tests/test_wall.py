"""The wall view's logic without a browser: its options from the link, which panel shows when,
the freshness in words, the stretches what moved is counted over, and the counts themselves,
worked by hand on a small store (`cxdash.views.wall`, `cxdash.analysis.wall`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import store
from cxdash.analysis.wall import driver_counts
from cxdash.metrics.request import Filters, MetricRequest, Period
from cxdash.metrics.runner import totals
from cxdash.views import wall
from tests.storebuilder import build_store, ts


@pytest.mark.parametrize(("params", "refresh", "rotate", "notes"), [
    ({}, 60, None, ()),
    ({"refresh": "10"}, 10, None, ()),
    ({"refresh": "300"}, 300, None, ()),
    ({"refresh": "5"}, 10, None, ("refresh=5 is under 10 s: 10 s",)),
    ({"refresh": "soon"}, 60, None, ("refresh=soon is not a number of seconds: 60 s",)),
    ({"refresh": ""}, 60, None, ()),
    ({"rotate": "true"}, 60, 20, ()),
    ({"rotate": "30", "refresh": "10"}, 10, 30, ()),
    ({"rotate": "3"}, 60, 10, ("rotate=3 is under 10 s: 10 s",)),
    ({"rotate": "off"}, 60, None, ()),
    ({"rotate": "0"}, 60, None, ()),
])  # fmt: skip
def test_options_from_the_link(params: dict[str, str], refresh: int, rotate: int | None,
                               notes: tuple[str, ...]) -> None:  # fmt: skip
    opts = wall.options(params)
    assert (opts.refresh, opts.rotate, opts.notes) == (refresh, rotate, notes)


def test_the_wall_redraws_at_the_faster_of_refresh_and_rotate() -> None:
    assert wall.Options(60, None).tick == 60
    assert wall.Options(60, 20).tick == 20
    assert wall.Options(10, 30).tick == 10


def test_panels_turn_with_the_clock() -> None:
    opts = wall.Options(60, 20)
    seen = [wall.panel_at(opts, t) for t in (0, 19.9, 20, 45, 60, 80)]
    assert seen == ["figures", "figures", "moved", "backlog", "figures", "moved"]
    assert wall.panel_at(wall.Options(60, None), 45) is None


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "just now"), (59, "just now"), (60, "1 minute ago"), (300, "5 minutes ago"),
    (3599, "59 minutes ago"), (3600, "1 hour ago"), (47 * 3600, "47 hours ago"),
    (48 * 3600, "2 days ago"), (400 * 86400, "400 days ago"),
])  # fmt: skip
def test_ago(seconds: float, words: str) -> None:
    assert wall.ago(seconds) == words


def test_freshness_in_plain_words() -> None:
    newest, written = ts("2026-12-06 23:52"), ts("2026-12-07 10:00")
    assert wall.freshness(newest, written, ts("2026-12-07 10:05")) == \
        "data up to 6 Dec 23:52, written 5 minutes ago"  # fmt: skip
    assert wall.freshness(newest, None, ts("2026-12-07 10:05")) == "data up to 6 Dec 23:52"
    assert wall.freshness(None, written, ts("2026-12-07 10:00")) == \
        "no contacts yet, written just now"  # fmt: skip
    # a clock behind the file's time (another machine's) is not "in the future"
    assert wall.freshness(newest, written, ts("2026-12-07 09:59")).endswith("just now")


def test_stretches_and_the_week() -> None:
    newest = ts("2026-12-06 14:05")
    assert wall.stretches(newest) == {
        "today": (ts("2026-12-06 00:00"), newest),
        "week": (ts("2026-11-30 00:00"), newest),
    }
    assert wall.week(dt.date(2026, 1, 1), dt.date(2026, 12, 6)) == \
        Period(dt.date(2026, 11, 30), dt.date(2026, 12, 6))  # fmt: skip
    assert wall.week(dt.date(2026, 12, 4), dt.date(2026, 12, 6)).days == 3  # a short store


@pytest.fixture(scope="module")
def moves_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tue 30 Jun 2026 up to 15:00 and the Tuesday before, by the hour."""
    rows = [
        # today: Refund 10:00 and 13:00 (chat), Late 15:00 (email: the newest contact)
        ("t1", "2026-06-30 10:00", "Refund", "chat"),
        ("t2", "2026-06-30 13:00", "Refund", "chat"),
        ("t3", "2026-06-30 15:00", "Late delivery", "email"),
        # a week before: Refund 09:00, Late 14:00 and 16:00 (after 15:00: not counted today's
        # way), and the Monday before today (outside both stretches of "today")
        ("b1", "2026-06-23 09:00", "Refund", "chat"),
        ("b2", "2026-06-23 14:00", "Late delivery", "email"),
        ("b3", "2026-06-23 16:00", "Late delivery", "chat"),
        ("m1", "2026-06-29 11:00", "Refund", "chat"),
        ("w1", "2026-06-20 12:00", "Refund", "email"),  # Sat, 10 days back: the week before
    ]
    contacts = [{"contact_id": c, "created_at": ts(t), "reason": r, "channel": ch,
                 "customer_id": f"u{i}"} for i, (c, t, r, ch) in enumerate(rows)]  # fmt: skip
    return build_store(tmp_path_factory.mktemp("wall") / "moves.duckdb", contacts)


def _counts(db: Path, start: str, end: str, filters: Filters | None = None) -> dict[str, tuple]:
    con = store.open_read(db)
    try:
        frame = driver_counts(con, filters or Filters(), store.inspect(con), ts(start), ts(end))
    finally:
        con.close()
    return {r["driver"]: (r["now"], r["before"]) for r in frame.iter_rows(named=True)}


def test_today_against_the_same_weekday_to_the_same_time(moves_store: Path) -> None:
    counts = _counts(moves_store, "2026-06-30 00:00", "2026-06-30 15:00")
    assert counts == {"Refund": (2, 1), "Late delivery": (1, 1)}  # b3 (16:00) left out
    chat = _counts(moves_store, "2026-06-30 00:00", "2026-06-30 15:00",
                   Filters.of({"channel": ["chat"]}))  # fmt: skip
    assert chat == {"Refund": (2, 1)}


def test_the_last_seven_days_against_the_seven_before(moves_store: Path) -> None:
    counts = _counts(moves_store, "2026-06-24 00:00", "2026-06-30 15:00")
    # now: t1 t2 t3 m1; before (17 Jun 00:00 – 23 Jun 15:00): b1 b2 w1
    assert counts == {"Refund": (3, 2), "Late delivery": (1, 1)}
    # whole days agree with the catalogue's contacts
    con = store.open_read(moves_store)
    request = MetricRequest(Period(dt.date(2026, 6, 24), dt.date(2026, 6, 30)),
                            metrics=("contacts",))  # fmt: skip
    assert totals(con, request)["contacts"] == 4
    con.close()
