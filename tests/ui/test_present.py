"""The weekly review's presentation mode through AppTest: `?present=true` opens one screen with
the bar on top (week, agenda, masking, Previous / Next, Leave) and nothing of the ordinary
page; the buttons walk the agenda; masking starts on; Leave goes back with the same week and
screen; the compact screens cut lists and text as they say. Layout, the keys and the sizes
are the browser's (tests/browser/test_present_browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxdash.review.agenda import SCREENS
from cxdash.ui import present
from tests.ui.test_review_page import all_text, open_review

pytestmark = pytest.mark.usefixtures("app_env")


def param(at, key: str) -> str | None:  # type: ignore[no-untyped-def]
    """A query parameter as the app last left it (AppTest gives a string or a list)."""
    if key not in at.query_params:
        return None
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


def test_present_opens_one_screen_with_the_bar_and_walks_the_agenda(
    monkeypatch, demo_store: Path
) -> None:
    at = open_review(monkeypatch, demo_store, present="true", week="2026-W25", channel="chat")
    assert not at.title  # no "Weekly review" title, no report button: the room sees the screen
    assert not [b for b in at.get("download_button")]
    assert at.button(key="present_exit").label == "Leave"
    assert at.selectbox(key="week").value == "2026-W25"
    assert at.toggle(key="mask").value is True  # masking starts on
    assert "channel: chat" in at.caption[0].value.lower() or "chat" in at.caption[0].value
    for i, title in enumerate(SCREENS.values()):
        if i:
            at.button(key="next_screen").click().run()
        assert not at.exception, (title, [e.value for e in at.exception])
        assert at.header[0].value == f"{i + 1} · {title}"
        assert at.segmented_control(key="screen").value == title
        assert param(at, "present") == "true"
    assert at.button(key="next_screen").disabled
    at.button(key="previous_screen").click().run()
    assert at.header[0].value == "5 · Moments of magic"

    at.button(key="present_exit").click().run()  # back to the page, same week and screen
    assert not at.exception
    assert "present" not in at.query_params
    assert at.title[0].value == "Weekly review"
    assert at.header[0].value == "5 · Moments of magic"
    assert at.selectbox(key="week").value == "2026-W25"


def test_the_page_offers_presentation_mode(monkeypatch, demo_store: Path) -> None:
    at = open_review(monkeypatch, demo_store, week="2026-W26", screen="Wins")
    at.button(key="present_enter").click().run()
    assert not at.exception
    assert param(at, "present") == "true"
    assert at.header[0].value == "2 · Wins"
    assert at.button(key="present_exit")


def test_present_screens_are_compact(monkeypatch, demo_store: Path) -> None:
    at = open_review(monkeypatch, demo_store, present="true", week="2026-W26")
    assert len(at.metric) == 12 and not at.get("plotly_chart")  # Score: tiles only
    assert sum(c.value.startswith("avg ") for c in at.caption) == 12
    at.button(key="next_screen").click().run()  # Wins
    assert [m.label for m in at.metric] == ["Causes eliminated", "Contacts avoided",
                                            "Drivers falling"]  # fmt: skip
    at.button(key="next_screen").click().run()  # Worries: targets on one line each, 2 quotes
    targets = [m.value for m in at.markdown if "goal" in m.value]
    assert len(targets) == 4 and not any("(the 4 weeks before)" in t for t in targets)
    quotes = [h.value for h in at.subheader if h.value.startswith("“")]
    assert 1 <= len(quotes) <= present.VOICES
    text = all_text(at)
    assert "[email]" in text or "[name]" in text
    at.button(key="next_screen").click().run()  # Recovery: the chart draws the intervals
    assert list(at.table[0].value.columns) == ["Cohort", "Customers", "Bought again", "Before"]
    at.button(key="next_screen").click().run()  # Moments of magic
    assert len([h for h in at.subheader if h.value.startswith("“")]) == 6
    at.button(key="next_screen").click().run()  # Next plays
    table = at.table[0].value
    assert table.columns[0] == "Rank" and len(table) == 5
    assert len(at.get("plotly_chart")) == 1


@pytest.mark.parametrize(("value", "wanted"), [("true", True), ("1", True), ("TRUE", True),
                                               ("false", False), ("", False)])  # fmt: skip
def test_which_links_ask_for_presentation_mode(monkeypatch, demo_store: Path, value: str,
                                               wanted: bool) -> None:  # fmt: skip
    at = open_review(monkeypatch, demo_store, present=value)
    assert any(b.key == "present_exit" for b in at.button) is wanted


def test_cutting_words_for_the_room() -> None:
    assert present._cut("a  b\nc", 10) == "a b c"
    assert present._cut("x" * 30, 10) == "x" * 9 + "…"
    long = "87.6% met this week (43 contacts with a breach)"
    assert present._short(long) == "87.6% met this week"
    assert present._short("p90 ≤ 4 h") == "p90 ≤ 4 h"
    assert present._first_cause("RC-112 (in progress), RC-118 (identified)") == \
        "RC-112 (in progress) +1"  # fmt: skip
    assert present._first_cause(None) == "—"
    assert present._first_cause("RC-109 (eliminated, near pre-fix level)") == \
        "RC-109 (eliminated, near pre-fix level)"  # fmt: skip
    assert present._first_cause("RC-1 (a, b), RC-2 (c)") == "RC-1 (a, b) +1"
    same = "A driver whose name is long and starts the same "
    assert present.names([same + "one", same + "two", "Short"], 20) == [
        same + "one", same + "two", "Short"]  # a cut that would meet another's stays whole
    assert present.names(["Where is my order and when", "Late"], 10) == ["Where is…", "Late"]
