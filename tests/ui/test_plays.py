"""Where to play next: the change column reads as text a person expects, never "None"."""

from __future__ import annotations

import polars as pl

from cxdash.ui.plays import _change_text


def test_change_is_signed_percent_or_new() -> None:
    frame = pl.DataFrame({"change": [0.123, -0.05, 0.0, None]})
    assert frame.select(_change_text()).to_series().to_list() == ["+12%", "-5%", "0%", "new"]
