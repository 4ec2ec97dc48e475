"""Presentation mode with the most each screen can be given: the demo store's week, then every
list at its longest — more fixes, causes and moving drivers than any screen shows, long
titles and driver names, 600-character comments, two-line targets — so the browser test can
measure that a screen still fits the window whatever the week holds. A test app, not a page:
`streamlit run tests/browser/present_worst_app.py` with CXDASH_DB set."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl
import streamlit as st

from cxdash.analysis.movers import Move
from cxdash.metrics.request import Filters
from cxdash.review.screens import Scope, Target
from cxdash.review.weeks import Week
from cxdash.ui import data, present, review

LONG = ("Customers who ordered on a weekend and paid by invoice receive the confirmation "
        "e-mail without the invoice attached, and the portal shows it only days later")
WORDS = ("The parcel arrived late, the tracking page said delivered two days before it came, "
         "nobody answered the phone for forty minutes and the chat closed twice while I was "
         "typing; then I was told to write an e-mail and wait. ") * 3
DRIVERS = [f"Driver {i}: a very long name from the catalogue of drivers" for i in range(8)]


def _moves(rising: bool) -> tuple[Move, ...]:
    sign = 1 if rising else -1
    return tuple(Move(d, 500 + sign * 40 * (i + 1), 500, 0.001) for i, d in enumerate(DRIVERS))


def _causes(n: int, **extra: Any) -> pl.DataFrame:
    return pl.DataFrame({"cause_id": [f"RC-{900 + i}" for i in range(n)],
                         "title": [LONG] * n,
                         "reasons": [", ".join(DRIVERS[:3])] * n,
                         **{k: [v] * n for k, v in extra.items()}})  # fmt: skip


def worst(name: str, scope: Scope) -> Any:
    real = review.screen_data(name, scope)
    day = scope.week.start
    if name == "wins":
        return dataclasses.replace(
            real, eliminated=_causes(5, fixed_on=day),
            holding=_causes(5, avoided=1234.0, verdict="holding"), falling=_moves(False))
    if name == "worries":
        target = Target("Resolution SLA held for the overflow partner's priority queue",
                        "not below 88.4% (90.4% the 4 weeks before)",
                        "93.1% met this week (1,043 contacts with a breach)", True, "")
        voices = real.voices.head(1).select(pl.all().repeat_by(3).explode()).with_columns(
            pl.lit(WORDS).alias("comment"), pl.lit(DRIVERS[0]).alias("reason"))
        return dataclasses.replace(
            real, rising=_moves(True), targets=(target,) * 4,
            came_back=_causes(3, verdict="came_back"),
            new_causes=_causes(3, status="identified", identified_on=day), voices=voices)
    if name == "magic":
        rows = real.rows.head(1).select(pl.all().repeat_by(6).explode()).with_columns(
            pl.lit(WORDS).alias("comment"), pl.lit(DRIVERS[0]).alias("reason"))
        return dataclasses.replace(real, rows=rows)
    if name == "plays":
        rows = real.rows.with_columns(
            pl.Series("reason", DRIVERS[: real.rows.height]),
            pl.lit("RC-112 (in progress), RC-118 (identified), RC-120 (identified)").alias("cause"))
        return dataclasses.replace(real, rows=rows)
    return real


st.set_page_config(page_title="worst case", layout="wide")
first, last = data.data_extent() or (dt.date.min, dt.date.max)
present.show(review.weeks(), last,
             lambda week, masked: Scope(Week.parse(str(week.iso)), Filters(), first, last, masked),
             read=worst)  # fmt: skip
