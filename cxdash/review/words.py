"""What the review says in words, once, so the screen and the mailed report read the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl

from cxdash.analysis.causes import VERDICTS
from cxdash.formatting import format_hours
from cxdash.review.agenda import AVERAGE_WEEKS, RECOVERY_HORIZON_DAYS
from cxdash.review.screens import Moments, Plays, Recovery, Scope

MASK_NOTE = ("Customer names, e-mail addresses, phone numbers and ids are masked, also inside "
             "comments.")  # fmt: skip

INTRO = {
    "score": f"Both sides of the game this week. The change is against last week; the "
             f"{AVERAGE_WEEKS}-week average is the mean of the {AVERAGE_WEEKS} weekly values "
             f"before this week. Green = better in the metric's own direction.",
    "wins": "Root causes eliminated this week, fixes that kept contacts away, and drivers that "
            "fell against last week beyond noise.",
    "worries": "Drivers that rose beyond noise, targets missed, fixes whose driver came back, "
               "new problems on the register, and what unhappy customers wrote.",
    "recovery": "Do customers come back and buy after a contact? Repurchase within "
                f"{RECOVERY_HORIZON_DAYS} days by the outcome of their first contact, with 95 % "
                "intervals.",
    "magic": "The week's best-rated contacts that left a comment: CSAT 5 before 4, then the "
             "least effort, then the fastest resolution; one of each comment text.",
    "plays": "Preventable drivers (and ones not triaged yet) by the contacts a fix would avoid "
             "every 4 weeks at this week's rate; drivers whose fix holds are left out.",
}  # fmt: skip

MOVES_NOTE = ("A driver is listed when its change against the same days last week is unlikely "
              "to be noise: exact Poisson rate test, Benjamini–Hochberg at 5 %.")  # fmt: skip


def no_moves(*, rising: bool) -> str:
    return f"No driver {'rose' if rising else 'fell'} beyond noise this week."


def partial_note(scope: Scope) -> str | None:
    if not scope.partial:
        return None
    return (f"The data ends {scope.end:%A %-d %B}: this week has {scope.days} of 7 days, and "
            f"every comparison uses the same {scope.days} days of the earlier weeks.")  # fmt: skip


def average_note(weeks_averaged: int) -> str:
    if weeks_averaged >= AVERAGE_WEEKS:
        return ""
    if weeks_averaged == 0:
        return "no earlier week in the data"
    return f"over {weeks_averaged} week{'s' if weeks_averaged > 1 else ''} (data starts later)"


def recovery_period(rec: Recovery, scope: Scope) -> str:
    if rec.window is None:
        return rec.note
    w = rec.window
    text = (f"Customers whose first contact in {w.caption()} decided their cohort; their "
            f"{RECOVERY_HORIZON_DAYS} days to come back and buy had passed by "
            f"{scope.end:%-d %b %Y}, the end of this week. (This week's own contacts need "
            f"{RECOVERY_HORIZON_DAYS} more days.) ")  # fmt: skip
    if rec.previous is not None:
        text += f"“Before” = {rec.previous.caption()}."
    return text


def recovery_headline(cohorts: pl.DataFrame) -> str | None:
    """'Resolved and happy: 66.8 % bought again, no contact: 64.3 %, unhappy: 9.5 %.'"""
    rates = {r["cohort"]: r["rate"] for r in cohorts.iter_rows(named=True)
             if r["rate"] is not None}  # fmt: skip
    parts = [(name, rates[key]) for key, name in (
        ("resolved_happy", "Resolved and happy"), ("no_contact", "no contact"),
        ("resolved_unhappy", "resolved but unhappy"), ("unresolved", "unresolved"),
    ) if key in rates]  # fmt: skip
    if not parts:
        return None
    first, *rest = parts
    text = f"{first[0]}: {first[1]:.1%} bought again"
    return text + "".join(f" · {name}: {rate:.1%}" for name, rate in rest)


def verdict(key: str) -> str:
    return VERDICTS.get(key, (key, key, "info"))[1]


def cause_line(
    kind: str, row: dict[str, Any], escape: Callable[[object], str], bold: Callable[[str], str]
) -> str:
    """One register line of Wins or Worries, for the page (Markdown) and the report (HTML):
    `kind` is eliminated, holding, came_back or new."""
    what = {
        "eliminated": lambda: f"eliminated {row['fixed_on']:%a %-d %b}",
        "holding": lambda: f"kept {bold(format(row['avoided'], ',.0f'))} contacts away",
        "came_back": lambda: escape(verdict(row["verdict"]).lower()),
        "new": lambda: f"new on {row['identified_on']:%a %-d %b}",
    }[kind]()
    return (f"{bold(escape(row['cause_id']))} {what}: {escape(row['title'])} "
            f"({escape(row['reasons'])})")  # fmt: skip


def stars(csat: int | None) -> str:
    return "★" * int(csat or 0) + "☆" * (5 - int(csat or 0))


def comment_facts(row: dict[str, Any]) -> str:
    """'★★★★★ · chat · Where is my order · Delivery Care · [name] · resolved in 6 min'."""
    parts = [stars(row["csat"])]
    parts += [str(row[k]) for k in ("channel", "reason", "team", "agent") if row.get(k)]
    if row.get("resolution_hours") is not None:
        parts.append(f"resolved in {format_hours(float(row['resolution_hours']))}")
    if row.get("ces") is not None:
        parts.append(f"effort {row['ces']}/7")
    parts.append(f"{row['created_at']:%a %-d %b}")
    return " · ".join(parts)


def moments_note(moments: Moments) -> str:
    shown = moments.rows.height
    return f"{shown} of {moments.candidates:,} comments rated 4 or 5 this week."


def day(value: dt.date) -> str:
    return f"{value:%a %-d %b %Y}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def cohort_table(rec: Recovery) -> pl.DataFrame:
    """Cohort, customers, share who bought again with its interval, and the window before."""
    rows = rec.cohorts.filter(pl.col("customers") > 0)
    return pl.DataFrame({
        "Cohort": rows["label"].to_list(),
        "Customers": [f"{n:,}" for n in rows["customers"]],
        "Bought again": [_pct(v) for v in rows["rate"]],
        "95% interval": [f"{_pct(lo)}–{_pct(hi)}"
                         for lo, hi in zip(rows["low"], rows["high"], strict=True)],
        "Before": [_pct(v) for v in rows["previous_rate"]],
    }, schema=dict.fromkeys(("Cohort", "Customers", "Bought again", "95% interval", "Before"),
                            pl.String))  # fmt: skip


def plays_table(plays: Plays) -> pl.DataFrame:
    rows = plays.rows
    return pl.DataFrame({
        "#": [str(r) for r in rows["rank"]],
        "Driver": rows["reason"].to_list(),
        "Action": rows["action"].to_list(),
        "This week": [f"{n:,}" for n in rows["contacts"]],
        "vs last week": ["—" if c is None else f"{c:+.0%}" for c in rows["change"]],
        "Avoidable / 4 wk": [f"{v:,.0f}" for v in rows["avoidable_4w"]],
        "Root cause": [c or "—" for c in rows["cause"]],
    }, schema=dict.fromkeys(("#", "Driver", "Action", "This week", "vs last week",
                             "Avoidable / 4 wk", "Root cause"), pl.String))  # fmt: skip
