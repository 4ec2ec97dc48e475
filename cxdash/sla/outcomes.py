"""Achieved, breached or still running (SPEC §3), read from a contact's stored due time, its
event and "now" — the one rule, used where facts are derived and where metrics are compiled,
so an outcome is never stale: the same due time is breached tomorrow if nothing happens."""

from __future__ import annotations

OUTCOMES = ("achieved", "breached", "running")


def outcome_sql(done: str, due: str, target: str, now: str) -> str:
    """SQL for the outcome of one target: NULL when the contact has none (or it cannot be
    measured); no due time means due beyond the calendar, a year past the data: achieved if
    it happened, else running."""
    return f"""(CASE WHEN {target} IS NULL THEN NULL
      WHEN {due} IS NULL THEN CASE WHEN {done} IS NOT NULL THEN 'achieved' ELSE 'running' END
      WHEN {done} IS NOT NULL THEN CASE WHEN {done} <= {due} THEN 'achieved' ELSE 'breached' END
      WHEN {due} < {now} THEN 'breached'
      ELSE 'running' END)"""
