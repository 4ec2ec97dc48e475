"""Targets and reporting choices kept in the store (SPEC §2 `settings`), with their defaults.

Stored as text key/value rows so a new setting never needs a schema change; parsed and
range-checked here so a bad row in the store falls back to the default instead of breaking a page.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import duckdb


@dataclass(frozen=True)
class Settings:
    first_response_target_hours: float = 4.0
    happy_hours: float = 24.0  # the happy_rate target (SPEC §3)
    repeat_window_hours: int = 168  # repeat contacts and derived FCR look this far ahead
    timezone: str = "UTC"  # the reporting zone: stored timestamps are wall-clock time in it
    # A contact whose status is one of these (trimmed, any case) is resolved (SPEC §3).
    resolved_statuses: str = "solved, closed, resolved"

    @property
    def resolved_status_list(self) -> list[str]:
        """The resolved statuses as the metrics compare them: trimmed, lower case."""
        return sorted({s.strip().lower() for s in self.resolved_statuses.split(",") if s.strip()})

    def as_rows(self) -> list[tuple[str, str]]:
        return [(f.name, str(getattr(self, f.name))) for f in fields(self)]


def _parse(name: str, text: str) -> object:
    default = getattr(Settings, name)
    if isinstance(default, str):
        return text.strip() or default
    value = type(default)(float(text)) if isinstance(default, int) else float(text)
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value


def load(con: duckdb.DuckDBPyConnection) -> Settings:
    """Settings from the store; missing table, rows or unparseable values keep the defaults."""
    try:
        rows = con.execute("SELECT key, value FROM settings").fetchall()
    except duckdb.Error:
        return Settings()
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}  # each parsed to its field's type (`_parse`)
    for key, text in rows:
        if key in known and text is not None:
            try:
                values[key] = _parse(key, text)
            except ValueError:
                continue
    return Settings(**values)


def save(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    for key, value in settings.as_rows():
        con.execute("INSERT OR REPLACE INTO settings VALUES ($k, $v)", {"k": key, "v": value})
