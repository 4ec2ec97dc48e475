"""Saving the settings (targets, time zone, repeat window) as a new version of the store.

Kept apart from `cxdash.settings`, which only reads and validates them and sits under the
query layer: a save is a writer, published like an import (`cxdash.publish`), so every cached
result and the first page refresh with it.
"""

from __future__ import annotations

from pathlib import Path

from cxdash import publish
from cxdash import settings as settings_mod
from cxdash.schema import SETTINGS, create_table_sql
from cxdash.settings import Settings


def save(db: Path, new: Settings) -> None:
    """Write `new` into the next version of the store at `db` (all or nothing)."""
    with publish.new_version(db) as draft:
        draft.con.execute(create_table_sql(SETTINGS))
        settings_mod.save(draft.con, new)
