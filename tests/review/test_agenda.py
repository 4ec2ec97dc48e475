"""The weekly review's agenda on a store small enough to total by hand, and ISO weeks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cxdash import settings, store
from cxdash.metrics.request import Filters, Period, RequestError
from cxdash.review.agenda import Review, recovery_window
from cxdash.review.screens import Scope
from cxdash.review.weeks import Week, default_week, weeks_in_year, weeks_with_data
from tests.storebuilder import build_store

H = dt.timedelta(hours=1)
W19 = Week(2026, 19)  # Mon 4 – Sun 10 May 2026


def _contact(cid: str, created: dt.datetime, **kw: object) -> dict[str, object]:
    return {"contact_id": cid, "created_at": created, "channel": "chat", "agent": "Lina J.",
            "reason": "Late delivery", **kw}  # fmt: skip


def _rows() -> list[dict[str, object]]:
    rows = []
    # W15–W18 (6 Apr – 3 May): 4 contacts a week, Mondays to Thursdays at 09:00, answered in
    # 1 h and resolved in 2 h, no CSAT → all happy, first response p90 1 h.
    for week in range(4):
        for day in range(4):
            t = dt.datetime(2026, 4, 6, 9) + dt.timedelta(weeks=week, days=day)
            rows.append(_contact(f"p{week}{day}", t, customer_id=f"k{week}{day}",
                                 first_response_at=t + H, resolved_at=t + 2 * H))  # fmt: skip
    # W19: 6 contacts. First responses after 1, 1, 1, 1, 2 and 10 h → p90 (linear) =
    # 2 + 0.5 × (10 − 2) = 6 h. Three resolved in 2 h, three never; of the resolved, one
    # answered CSAT 1 → happy 2 / 6.
    monday = dt.datetime(2026, 5, 4, 9)
    answers = [1, 1, 1, 1, 2, 10]
    for i, hours in enumerate(answers):
        t = monday + dt.timedelta(days=i)
        rows.append(_contact(f"n{i}", t, customer_id=f"c{i}", first_response_at=t + hours * H,
                             resolved_at=t + 2 * H if i < 3 else None))  # fmt: skip
    rows[-6]["csat"] = 5
    rows[-6]["comment"] = "Lina was great, call me on +49 30 1234567 about T-case c2."
    rows[-5]["csat"] = 5
    rows[-5]["comment"] = "Quick and friendly."
    rows[-4]["csat"] = 1
    rows[-4]["comment"] = "Write to pat.smith@example.com, I am still waiting."
    return rows


ROOT_CAUSES = [
    {"cause_id": "RC-1", "title": "Labels print twice", "reasons": ["Late delivery"],
     "status": "eliminated", "identified_on": dt.date(2026, 4, 1),
     "fixed_on": dt.date(2026, 5, 6)},
    {"cause_id": "RC-2", "title": "Reply to ops@example.com bounces", "reasons": ["Refund"],
     "status": "identified", "identified_on": dt.date(2026, 5, 8)},
]  # fmt: skip


@pytest.fixture(scope="module")
def review_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "review.duckdb"
    orders = [{"order_id": "o1", "customer_id": "c0", "ordered_at": dt.datetime(2026, 5, 1)}]
    return build_store(path, _rows(), orders, root_causes=ROOT_CAUSES)


def _review(path: Path, scope: Scope) -> Review:
    con = store.open_read(path)
    return Review(con, store.inspect(con), settings.load(con), scope)


def _scope(**kw: object) -> Scope:
    base = {"week": W19, "first_day": dt.date(2026, 4, 6), "last_day": dt.date(2026, 5, 9)}
    return Scope(**{**base, **kw})  # type: ignore[arg-type]


# ---- ISO weeks -----------------------------------------------------------------------------
def test_iso_weeks() -> None:
    assert Week.parse("2026-W19") == W19
    assert (W19.start, W19.end) == (dt.date(2026, 5, 4), dt.date(2026, 5, 10))
    assert W19.caption() == "4 – 10 May 2026"
    assert Week.parse("2026-W01").start == dt.date(2025, 12, 29)  # ISO year ≠ calendar year
    assert Week.parse("2026-W53").end == dt.date(2027, 1, 3)  # 2026 has 53 weeks
    assert Week.of(dt.date(2027, 1, 3)) == Week(2026, 53)
    assert weeks_in_year(2025) == 52 and weeks_in_year(2026) == 53
    assert W19.shifted(-1) == Week(2026, 18)


@pytest.mark.parametrize(
    ("text", "needle"),
    [("2026-W60", "2026 has weeks W01–W53"), ("2025-W53", "2025 has weeks W01–W52"),
     ("2026-W00", "does not exist"), ("2026-19", "YYYY-Www"), ("2026W19", "YYYY-Www"),
     ("week 19", "YYYY-Www"), ("", "YYYY-Www")],
)  # fmt: skip
def test_bad_weeks(text: str, needle: str) -> None:
    with pytest.raises(RequestError, match=needle):
        Week.parse(text)


def test_weeks_with_data_newest_first_and_the_default(review_store: Path) -> None:
    con = store.open_read(review_store)
    weeks = weeks_with_data(con)
    con.close()
    assert [w.iso for w in weeks] == ["2026-W19", "2026-W18", "2026-W17", "2026-W16",
                                      "2026-W15"]  # fmt: skip
    # Data to Saturday 9 May: W19 is not finished, so the review opens on W18.
    assert default_week(weeks, dt.date(2026, 5, 9)) == Week(2026, 18)
    assert default_week(weeks, dt.date(2026, 5, 10)) == W19


# ---- screens -------------------------------------------------------------------------------
def test_score_against_last_week_and_the_four_weeks_before(review_store: Path) -> None:
    score = _review(review_store, _scope(last_day=dt.date(2026, 5, 10))).score()
    lines = {line.metric_id: line for line in score.offense + score.defense}
    contacts = lines["contacts"]
    assert (contacts.value, contacts.last_week, contacts.average) == (6, 4, 4.0)
    assert contacts.weeks_averaged == 4
    assert contacts.vs_last_week.improved is False  # more contacts is worse
    assert lines["first_response_hours_p90"].value == pytest.approx(6.0)
    assert lines["first_response_hours_p90"].average == pytest.approx(1.0)
    assert lines["happy_rate"].value == pytest.approx(1 / 3)
    assert lines["happy_rate"].last_week == pytest.approx(1.0)
    assert score.weekly["contacts"].to_list() == [4, 4, 4, 4, 6]


def test_a_partial_week_is_compared_day_for_day(review_store: Path) -> None:
    # Data to Tuesday 5 May: W19 has 2 days (n0, n1) against Mon–Tue 27–28 Apr (p30, p31) a
    # week before, and two contacts on each Mon–Tue before that.
    scope = _scope(last_day=dt.date(2026, 5, 5))
    assert scope.partial and scope.days == 2
    assert scope.window(1) == Period(dt.date(2026, 4, 27), dt.date(2026, 4, 28))
    lines = {line.metric_id: line for line in _review(review_store, scope).score().offense}
    assert (lines["contacts"].value, lines["contacts"].last_week) == (2, 2)
    assert lines["contacts"].average == 2.0
    assert lines["contacts"].weeks_averaged == 4


def test_last_week_is_read_as_old_as_this_week(tmp_path: Path) -> None:
    # Data to Sunday 10 May (the end of W19): L = 0, so W18 is read as the data stood at the
    # end of Sunday 3 May. Of its two contacts one was resolved by then, the other on 6 May.
    mon = dt.datetime(2026, 4, 27, 9)
    path = build_store(tmp_path / "s.duckdb", [
        _contact("a", mon, resolved_at=mon + dt.timedelta(days=1)),
        _contact("b", mon, resolved_at=dt.datetime(2026, 5, 6, 9)),
        _contact("c", dt.datetime(2026, 5, 4, 9), resolved_at=dt.datetime(2026, 5, 4, 10)),
        _contact("d", dt.datetime(2026, 5, 10, 9), resolved_at=dt.datetime(2026, 5, 10, 10)),
    ])  # fmt: skip
    scope = _scope(first_day=dt.date(2026, 4, 27), last_day=dt.date(2026, 5, 10))
    lines = {line.metric_id: line for line in _review(path, scope).score().defense}
    resolution = lines["resolution_rate"]
    assert (resolution.value, resolution.last_week) == (1.0, 0.5)  # not 1.0: b came later
    assert resolution.average == 0.5 and resolution.weeks_averaged == 1


def test_a_status_only_store_says_what_is_not_in_its_data(tmp_path: Path) -> None:
    path = build_store(tmp_path / "s.duckdb", [
        {"contact_id": f"s{i}", "created_at": dt.datetime(2026, 5, 4 + i, 9),
         "status": "Closed" if i % 2 else "Open"} for i in range(4)
    ])  # fmt: skip
    scope = _scope(first_day=dt.date(2026, 5, 4), last_day=dt.date(2026, 5, 10))
    lines = {line.metric_id: line for line in _review(path, scope).score().defense}
    assert lines["resolution_rate"].value == 0.5 and not lines["resolution_rate"].missing
    assert lines["reopen_rate"].missing == ("reopens",)
    assert lines["reopen_rate"].missing_text == "Not in your data: import reopens"
    assert lines["happy_rate"].missing == ("resolved_at",)
    assert lines["first_response_hours_p90"].missing == ("first_response_at",)


def test_targets_first_response_p90_and_happy_rate_down(review_store: Path) -> None:
    first, happy = _review(review_store, _scope(last_day=dt.date(2026, 5, 10))).targets()
    # p90 6 h over the demo default target of 4 h → missed.
    assert first.missed is True
    assert (first.label, first.goal, first.actual) == (
        "First response within 4 h", "p90 ≤ 4 h", "p90 6.0 h")
    # Happy 2 / 6 against 16 / 16 before: pooled p = 18/22, se = 0.185, z = 3.61,
    # one-sided p ≈ 0.0002 < 0.05 → missed.
    assert happy.missed is True
    assert happy.actual == "33.3% this week" and "100.0%" in happy.goal


def test_targets_met_when_last_week_looks_like_the_ones_before(review_store: Path) -> None:
    first, happy = _review(review_store, _scope(week=Week(2026, 18))).targets()
    assert (first.missed, happy.missed) == (False, False)


def test_wins_and_worries_read_the_register(review_store: Path) -> None:
    review = _review(review_store, _scope(last_day=dt.date(2026, 5, 10)))
    wins = review.wins()
    assert wins.eliminated["cause_id"].to_list() == ["RC-1"]
    assert wins.eliminated["reasons"].to_list() == ["Late delivery"]
    worries = review.worries()
    assert worries.new_causes["cause_id"].to_list() == ["RC-2"]
    # A register title is masked too.
    assert worries.new_causes["title"].to_list() == ["Reply to [email] bounces"]


def test_comments_are_masked_unless_asked(review_store: Path) -> None:
    scope = _scope(last_day=dt.date(2026, 5, 10))
    magic = _review(review_store, scope).magic()
    assert magic.candidates == 2
    assert magic.rows["comment"].to_list() == [
        "[name] was great, call me on [phone] about T-case [id].", "Quick and friendly."]
    assert set(magic.rows["contact_id"]) == {"[id]"} and set(magic.rows["agent"]) == {"[name]"}
    voices = _review(review_store, scope).worries().voices
    assert voices["comment"].to_list() == ["Write to [email], I am still waiting."]

    shown = _review(review_store, Scope(**{**scope.__dict__, "masked": False})).magic()
    assert "pat.smith" not in " ".join(shown.rows["comment"])
    assert shown.rows["comment"][0].startswith("Lina was great, call me on +49 30 1234567")
    assert shown.rows["agent"][0] == "Lina J."


def test_filters_apply(review_store: Path) -> None:
    scope = _scope(last_day=dt.date(2026, 5, 10), filters=Filters.of({"channel": ["email"]}))
    review = _review(review_store, scope)
    assert review.score().offense[0].value == 0
    assert review.magic().rows.is_empty()


def test_recovery_window_is_the_newest_cohort_whose_90_days_passed() -> None:
    # Sunday 28 Jun 2026 − 90 days = Monday 30 Mar → the four weeks ending Sunday 29 Mar.
    assert recovery_window(dt.date(2026, 6, 28)) == Period(dt.date(2026, 3, 2),
                                                           dt.date(2026, 3, 29))  # fmt: skip
    assert recovery_window(dt.date(2026, 6, 29)) == Period(dt.date(2026, 3, 2),
                                                           dt.date(2026, 3, 29))  # fmt: skip


def test_recovery_needs_history(review_store: Path) -> None:
    rec = _review(review_store, _scope()).recovery()
    assert rec.window is None and rec.cohorts.is_empty()
    assert "Not enough history" in rec.note and "90 days" in rec.note


def test_recovery_on_the_demo(demo_store: Path) -> None:
    # Demo data to Tue 30 Jun 2026; W26 ends Sun 28 Jun → cohort 2 Mar – 29 Mar, before = 2 Feb
    # – 1 Mar; the demo's recovery order holds: happy > unhappy, unresolved lowest of those.
    scope = Scope(Week(2026, 26), first_day=dt.date(2025, 7, 2), last_day=dt.date(2026, 6, 30))
    rec = _review(demo_store, scope).recovery()
    assert rec.window == Period(dt.date(2026, 3, 2), dt.date(2026, 3, 29))
    assert rec.previous == Period(dt.date(2026, 2, 2), dt.date(2026, 3, 1))
    rates = dict(zip(rec.cohorts["cohort"], rec.cohorts["rate"], strict=True))
    assert rates["resolved_happy"] > rates["resolved_unhappy"]
    assert rec.cohorts["previous_rate"].null_count() < rec.cohorts.height


def test_plays_rank_the_week(demo_store: Path) -> None:
    scope = Scope(Week(2026, 26), first_day=dt.date(2025, 7, 2), last_day=dt.date(2026, 6, 30))
    plays = _review(demo_store, scope).plays()
    assert plays.rows.height == 5 and plays.days == 7
    contacts = plays.rows["contacts"].to_list()
    assert contacts == sorted(contacts, reverse=True)
    # every 4 weeks at this week's rate: 4 × the week's contacts
    assert plays.rows["avoidable_4w"].to_list() == [4.0 * c for c in contacts]


def test_a_comment_of_megabytes_is_quoted_short_and_masked_whole(tmp_path: Path) -> None:
    """A hostile 2 MB comment neither fills the review (and its report) nor shows an
    address the cut would have halved: masking runs before the 600-character cut."""
    t = dt.datetime(2026, 5, 5, 9)
    long = "Bad. " + "pat.smith@example.com " * 20 + "z" * 2_000_000
    path = build_store(tmp_path / "long.duckdb", [
        _contact("L1", t, csat=1, comment=long, resolved_at=t + H)])  # fmt: skip
    voices = _review(path, _scope(last_day=dt.date(2026, 5, 10))).worries().voices
    (quote,) = voices["comment"].to_list()
    # 5 + 20 × len("[email] ") = 165 characters of masked text, then z up to 600, then " …"
    assert quote == "Bad. " + "[email] " * 20 + "z" * (600 - 165) + " …"
    shown = _review(path, _scope(last_day=dt.date(2026, 5, 10), masked=False)).worries()
    assert len(shown.voices["comment"][0]) == 602


def test_sla_targets_join_the_worries_once_policies_exist(review_store: Path,
                                                          tmp_path: Path) -> None:  # fmt: skip
    import shutil

    from cxdash.importer.schedules import import_schedules

    db = tmp_path / "sla.duckdb"
    shutil.copy(review_store, db)
    assert len(_review(db, _scope(last_day=dt.date(2026, 5, 10))).targets()) == 2  # none yet
    toml = tmp_path / "sla.toml"
    toml.write_text('[[sla]]\nfirst_response = "90m"\nresolution = "3h"\n'
                    "business_hours = false\n")  # fmt: skip
    import_schedules(toml, db)
    _, _, first, resolution = _review(db, _scope(last_day=dt.date(2026, 5, 10))).targets()
    # W15–W18: answered after 1 h, resolved after 2 h: every target met, 100 %.
    # W19: answers after 1, 1, 1, 1, 2, 10 h → 4 of 6 within 90 min (n4, n5 late).
    # Resolution: n0–n2 in 2 h; n3–n5 never, due 3 h after creation, long before the newest
    # data time (n5's answer, 9 May 19:00) → breached: 3 of 6. Contacts with a breach: n3
    # (resolution), n4 and n5 (both) → 3.
    assert (first.label, first.missed) == ("First-response SLA held", True)
    assert first.actual == "66.7% met this week (3 contacts with a breach)"
    assert first.goal == "not below 98.0% (100.0% the 4 weeks before)"
    assert (resolution.missed, resolution.actual) == (
        True, "50.0% met this week (3 contacts with a breach)")
    # a week like the ones before is not a worry
    _, _, first18, resolution18 = _review(db, _scope(week=Week(2026, 18))).targets()
    assert (first18.missed, resolution18.missed) == (False, False)
