"""Still-maturing notes on tiles (views.maturity), by hand."""

from __future__ import annotations

import datetime as dt

from cxdash.metrics.catalogue import BUILTIN
from cxdash.metrics.request import Period
from cxdash.settings import Settings
from cxdash.views import maturity

NOV = Period(dt.date(2026, 11, 4), dt.date(2026, 12, 1))


def test_horizons_say_when_the_period_is_complete() -> None:
    s = Settings()
    newest = dt.date(2026, 12, 1)
    # Repeat looks 168 h = 7 days past the period: complete on 8 Dec.
    assert maturity.note(BUILTIN["repeat_contact_rate"], NOV, newest, s) == \
        "Maturing until 8 Dec 2026"  # fmt: skip
    assert maturity.note(BUILTIN["repurchase_baseline_90d"], NOV, newest, s) == \
        "Maturing until 1 Mar 2027"  # 1 Dec + 30 + 31 + 28 + 1  # fmt: skip
    # Data 7 days past the period's end: repeat is complete, repurchase is not.
    later = dt.date(2026, 12, 8)
    assert maturity.note(BUILTIN["repeat_contact_rate"], NOV, later, s) is None
    # A 48 h repeat window: 2 days.
    short = Settings(repeat_window_hours=48)
    assert maturity.note(BUILTIN["repeat_contact_rate"], NOV, newest, short) == \
        "Maturing until 3 Dec 2026"  # fmt: skip
    assert maturity.note(BUILTIN["contacts"], NOV, newest, s) is None


def test_open_contacts_keep_resolution_metrics_maturing() -> None:
    s, newest = Settings(), dt.date(2026, 12, 1)
    values = {"contacts": 1000, "resolution_rate": 0.942, "fcr_rate": 0.7, "transfer_rate": 0.1,
              "reopen_rate": None}  # fmt: skip
    assert maturity.open_contacts(values) == 58  # 1000 × (1 − 0.942)
    notes = maturity.notes({m: BUILTIN[m] for m in values}, values, NOV, newest, s)
    # Transfers do not wait on a resolution; a metric without a value gets no note.
    assert notes == {"resolution_rate": "Maturing: 58 still open",
                     "fcr_rate": "Maturing: 58 still open"}  # fmt: skip
    # 1 % open (below OPEN_SHARE): final enough, no note.
    nearly = {"contacts": 1000, "resolution_rate": 0.99}
    assert maturity.notes({"resolution_rate": BUILTIN["resolution_rate"]}, nearly, NOV,
                          newest, s) == {}  # fmt: skip
    assert maturity.note(BUILTIN["resolution_rate"], NOV, None, s, 5, 10) is None
