"""A new version of the store, from the writer's rows to the swap: the one owner of "a new
version is written".

Every writer — the importer, `cxdash demo`, the cause register, the driver catalog, the
targets, a restore — fills a `Draft` and publishes it here, and this module runs what every
version must carry, in this order:

1. the derived look-ahead columns (`cxdash.derived`), for what the writer says it changed
   (`Draft.rows_changed`, `Draft.lookahead_written`; nothing for a register or target edit),
   and each contact's driver (the rows written, or all of them after `Draft.drivers_remapped`),
   and every contact's SLA facts from the schedules and policies in force (`cxdash.sla`);
2. the rollups the compiler reads (`cxdash.metrics.rollups`), whenever contacts or orders
   changed;
3. on the finished, closed file, under the writer lock: the first page's reads
   (`cxdash.first_view`, keyed by the new file's inode, time and size, which the rename
   keeps) and, when asked, the version it replaces kept as an automatic backup
   (`cxdash.backups`);
4. the swap (`cxdash.store`), then old automatic backups pruned.

The file mechanics — lock, temporary file, checkpoint, fsync, rename — stay in `cxdash.store`,
which knows nothing of what a version holds: it runs step 3 as its `before_swap` hook.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from cxdash import backups, derived, first_view, settings, store
from cxdash.metrics import rollups
from cxdash.sla import derive as sla_derive

# What a writer's `progress` hears, as it begins: "refreshing" the derived columns and rollups,
# "saving" the new version (the first view, the fsync and the swap). Writers word them.
Phase = Literal["refreshing", "saving"]
Say = Callable[[Phase], None]


@dataclass
class Draft:
    """The next version while a writer fills it: its connection, what the writer says it
    changed, and (after the swap) where the version it replaced was kept."""

    con: duckdb.DuckDBPyConnection
    store_path: Path
    lookahead: str = ""  # "" nothing to derive; "refresh": recompute; "written": stamp only
    customers: str | None = None  # a relation of the customers whose rows changed; None: all
    orders_changed: bool = False
    drivers_changed: bool = False  # the driver map or text assignments: every driver again
    sla_changed: bool = False  # the schedules or SLA policies: every contact's SLA facts again
    kept: Path | None = None

    def sla_rewritten(self) -> None:
        """The schedules or SLA policies changed: derive every contact's SLA facts again."""
        self.sla_changed = True

    def drivers_remapped(self) -> None:
        """The driver map or the contacts' text assignments changed: derive every contact's
        driver again, and the rollups (they count by driver)."""
        self.drivers_changed = True

    def rows_changed(self, *, customers: str | None = None, orders: bool = True) -> None:
        """Contacts or orders changed: recompute the look-ahead columns — for the customers
        in `customers` (a relation with a customer_id column; None: everyone), orders' own
        only when `orders` — and the rollups."""
        self.lookahead, self.customers = "refresh", customers
        self.orders_changed = self.orders_changed or orders

    def lookahead_written(self, *, orders: bool = True) -> None:
        """The writer computed the look-ahead columns itself (`cxdash demo`, the first import
        of contacts): stamp them fresh, rebuild orders_daily when `orders`, and the rollups."""
        self.lookahead = "written"
        self.orders_changed = self.orders_changed or orders


@contextlib.contextmanager
def new_version(
    path: Path,
    *,
    from_existing: bool = True,
    keep: str | None = None,
    progress: Say | None = None,
) -> Iterator[Draft]:
    """Yield a Draft of the next version of the store at `path` (a copy of it, or a fresh
    file without `from_existing`); when the block ends without an error, derive, prepare and
    swap it in. With `keep` ("import", "demo"), the version it replaces is kept as an
    automatic backup first (`Draft.kept`). On any error the store is unchanged."""
    say = progress or (lambda _phase: None)
    draft: Draft | None = None

    def before_swap(tmp: Path) -> None:
        assert draft is not None
        draft.kept = _prepare(tmp, path, keep)

    with store.new_version(path, from_existing=from_existing, before_swap=before_swap) as con:
        draft = Draft(con, path)
        yield draft
        derive(draft, say)
        say("saving")
    if draft.kept is not None:
        backups.prune_backups(path)


def derive(draft: Draft, say: Say | None = None) -> None:
    """Steps 1 and 2, inside the writer's transaction: a failure leaves the store as it was."""
    if not draft.lookahead and not draft.drivers_changed and not draft.sla_changed:
        return
    if say is not None:
        say("refreshing")
    data_changed = bool(draft.lookahead) or draft.drivers_changed
    if draft.lookahead == "refresh":
        derived.refresh(draft.con, customers=draft.customers, orders_changed=draft.orders_changed)
    if data_changed:
        derived.refresh_drivers(draft.con, everyone=draft.drivers_changed)
    # New contacts need their own facts; a changed schedule changes everyone's: the whole
    # pass, set-based (about 10 s at 10M contacts: benchmarks/bench_sla.py).
    sla_derive.refresh(draft.con, settings.load(draft.con).timezone)
    derived.stamp_fresh(draft.con, orders_changed=draft.orders_changed)
    if data_changed:  # the stored baselines read no SLA fact: a schedules edit keeps them
        rollups.rebuild(draft.con)


def swap_finished(tmp: Path, path: Path, keep: str | None = None) -> Path | None:
    """Swap in a file that is already a whole store (a restore's checked copy), with its
    first page prepared and, with `keep`, the version it replaces kept as an automatic
    backup, whose path is returned. Run under `store.writer_lock(path)`; the caller prunes."""
    kept: Path | None = None

    def before_swap(file: Path) -> None:
        nonlocal kept
        kept = _prepare(file, path, keep)

    store.swap_in(tmp, path, before_swap)
    return kept


def _prepare(tmp: Path, path: Path, keep: str | None) -> Path | None:
    first_view.prepare(tmp, path)
    if keep is not None and path.exists():
        return backups.keep_old_version(path, keep)
    return None
