"""The Speed to happiness page through AppTest: one "happy" percentage on it, the same on the
Happy tile and at the end of the funnel (SPEC §4.4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.apptest import open_app

pytestmark = pytest.mark.usefixtures("app_env")


def _figure(at, key: str) -> dict:
    for chart in at.get("plotly_chart"):
        figure = json.loads(chart.proto.spec)
        if figure["data"] and figure["data"][0]["type"] == key:
            return figure
    raise AssertionError(f"no {key} chart on the page")


def test_the_page_shows_one_happy_percentage(monkeypatch, demo_store: Path) -> None:
    at = open_app(monkeypatch, demo_store)
    at.switch_page("pages/speed_to_happiness.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tile = {m.label: m for m in at.metric}["Happy"].value
    funnel = _figure(at, "funnel")["data"][0]
    steps = funnel["x"]
    # The funnel's labels show each step as a share of the first (percent initial), to .1 %.
    assert funnel["texttemplate"] == "%{value:,} (%{percentInitial:.1%})"
    assert f"{steps[-1] / steps[0]:.1%}" == tile
    # The last step is the one called happy; no other step is (the "happy target" is a time).
    called_happy = [y for y in funnel["y"] if re.search(r"\bhappy\b(?! target)", y, re.I)]
    assert called_happy == [funnel["y"][-1]]
