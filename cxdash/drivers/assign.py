"""A later import's contacts placed among the accepted drivers, so weekly numbers stay
comparable: a new free-text reason (or the text of a new contact without one) goes to the
nearest driver's centre when it is nearly as close as that driver's own texts mostly are
(`centres.refresh`, less MARGIN), else to "New, not yet seen" — a driver of its own, listed
for triage and reviewed on the Driver catalog page.

A new reason joins the driver map (its change recorded as by "import: nearest driver"), so the
next import of the same reason needs no placing and a person can move it; a contact placed by
its text gets a `contact_drivers` row with its similarity. Nothing is placed while no driver
was accepted (no centres): then a contact counts under its reason, as before discovery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from cxdash.drivers import embed, words
from cxdash.drivers.centres import NEW, UNSPECIFIED, text_sql, usable_sql

BY = "import: nearest driver"
# How far below a driver's floor a new text may still join it: the floor is what its own texts
# reach, a new wording of the same reason ("another outage tonight") is a little less alike,
# while a text about something else sits far lower (0.0–0.2 against 0.5–0.9 measured).
MARGIN = 0.2


@dataclass(frozen=True)
class Assigned:
    assigned: int  # contacts placed in an accepted driver (Unspecified included)
    new: int  # contacts in "New, not yet seen"

    def note(self) -> str:
        total = self.assigned + self.new
        return (f"{total:,} new contact{'' if total == 1 else 's'} placed among the accepted "
                f"drivers: {self.assigned:,} in the nearest driver, {self.new:,} "
                f"{NEW.lower()} (review them on the Driver catalog page)")  # fmt: skip


def place(texts: list[str], centres: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Each text's driver and its similarity to it (null for a text with no words left)."""
    common = frozenset((centres["common"][0] or "").split()) if centres.height else frozenset()
    found, vocab = words.word_bags(texts, common)
    n = len(texts)
    worded = np.zeros(n, dtype=bool)
    worded[found["i"].to_numpy()] = True
    empty_to = UNSPECIFIED if UNSPECIFIED in set(centres["driver"].to_list()) else NEW
    targets = centres.filter(pl.col("assignable"))
    names = np.array([*targets["driver"].to_list(), NEW, empty_to], dtype=object)
    choice = np.full(n, len(names) - 1, dtype=np.int64)  # no words: Unspecified (or new)
    sims = np.full(n, np.nan)
    if worded.any() and targets.height:
        matrix = np.asarray(targets["centre"].to_list(), dtype=np.float32)
        floors = targets["floor"].fill_null(1.0).to_numpy()
        vectors = embed.bags(found["i"].to_numpy(), found["j"].to_numpy(), vocab, n)
        best, sim = embed.nearest(vectors, matrix)  # rows without words are zeros
        close = sim >= floors[best] - MARGIN
        choice = np.where(worded, np.where(close, best, len(names) - 2), choice)
        sims = np.where(worded, sim, np.nan)
    elif worded.any():
        choice[worded] = len(names) - 2
    return (pl.Series("driver", names[choice].tolist(), dtype=pl.String),
            pl.Series("similarity", sims, dtype=pl.Float64).fill_nan(None))


def assign_new(con: duckdb.DuckDBPyConnection) -> Assigned | None:
    """Place the contacts written since the last version (driver still NULL) that no map row
    or assignment covers. None when no driver was accepted."""
    try:
        centres = con.sql("SELECT * FROM driver_centres ORDER BY fields, driver").pl()
    except duckdb.CatalogException:  # a store from before driver centres
        return None
    if centres.is_empty():
        return None
    assigned = new = 0
    now = dt.datetime.now()
    for (key,), mine in centres.group_by("fields", maintain_order=True):
        if key:
            frame = con.sql(f"""
                SELECT c.contact_id AS key, {text_sql(tuple(str(key).split('+')))} AS text,
                       1::BIGINT AS contacts
                FROM contacts c
                WHERE c.driver IS NULL AND NOT ({usable_sql()})
                  AND c.contact_id NOT IN (SELECT contact_id FROM contact_drivers)
                ORDER BY c.contact_id""").pl().filter(pl.col("text") != "")  # fmt: skip
        else:
            frame = con.sql(f"""
                SELECT c.reason AS key, c.reason AS text, count(*) AS contacts
                FROM contacts c
                WHERE c.driver IS NULL AND {usable_sql()}
                  AND c.reason NOT IN (SELECT reason FROM driver_map)
                GROUP BY c.reason ORDER BY c.reason""").pl()  # fmt: skip
        if frame.is_empty():
            continue
        drivers, sims = place(frame["text"].to_list(), mine)
        placed = frame.select("key", "contacts").with_columns(drivers, sims)
        con.register("placed", placed.to_arrow())
        if key:
            con.execute("INSERT INTO contact_drivers SELECT key, driver, similarity FROM placed")
        else:
            con.execute("INSERT INTO driver_map SELECT key, driver FROM placed")
            con.execute("INSERT INTO driver_map_changes SELECT key, ?, ?, NULL, driver "
                        "FROM placed", [now, BY])  # fmt: skip
        con.unregister("placed")
        n_new = int(placed.filter(pl.col("driver") == NEW)["contacts"].sum())
        new += n_new
        assigned += int(placed["contacts"].sum()) - n_new
    if new:
        con.execute("INSERT INTO reasons (reason) SELECT ? WHERE ? NOT IN (SELECT reason FROM "
                    "reasons)", [NEW, NEW])  # fmt: skip
    return Assigned(assigned, new) if assigned or new else None
