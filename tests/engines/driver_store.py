"""A small store with a driver map where several raw reasons count under one driver, shared by
tests/engines/test_lake.py and tests/engines/test_spark.py.

March 2026, eleven contacts (c0–c10, one a day; resolved ones three hours after creation):

    reason           contacts               resolved  driver
    bill             c0 chat, c1 email      both      Billing (the map)
    Billing dispute  c2, c3 chat, c4 email  c2, c3    Billing (the map)
    Late delivery    c5–c8 chat             c5        Late delivery (the reason: not mapped)
    (none)           c9 chat                no        Unknown
    (none)           c10 email              yes       Late delivery (its text's assignment)

So by driver: Billing 5 contacts (4 resolved: 0.8; chat 3 of 3, email 1 of 2), Late delivery 5
(2 resolved: 0.4), Unknown 1 (0.0). The catalog knows the drivers only (Billing preventable,
Late delivery external), not the raw reasons, so preventable share 1.0 for Billing shows the
catalog is joined on the driver.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from cxdash.drivers import driver_map
from cxdash.metrics.request import Period
from tests.storebuilder import build_store, ts

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
MAP = {"bill": "Billing", "Billing dispute": "Billing"}
# contact_id → (reason, channel, resolved, the driver it counts under)
ROWS = {
    "c0": ("bill", "chat", True, "Billing"),
    "c1": ("bill", "email", True, "Billing"),
    "c2": ("Billing dispute", "chat", True, "Billing"),
    "c3": ("Billing dispute", "chat", True, "Billing"),
    "c4": ("Billing dispute", "email", False, "Billing"),
    "c5": ("Late delivery", "chat", True, "Late delivery"),
    "c6": ("Late delivery", "chat", False, "Late delivery"),
    "c7": ("Late delivery", "chat", False, "Late delivery"),
    "c8": ("Late delivery", "chat", False, "Late delivery"),
    "c9": (None, "chat", False, "Unknown"),
    "c10": (None, "email", True, "Late delivery"),
}
DRIVERS = {cid: row[3] for cid, row in ROWS.items()}
CATALOG = [
    {"reason": "Billing", "value_to_customer": "low", "value_to_business": "low",
     "preventable": True, "external": False},
    {"reason": "Late delivery", "value_to_customer": "low", "value_to_business": "low",
     "preventable": False, "external": True},
]  # fmt: skip


def driver_store(path: Path) -> Path:
    """The rows above, published, then the map and c10's text assignment as a new version."""
    t0 = ts("2026-03-02 09:00")
    contacts = []
    for n, (cid, (reason, channel, resolved, _)) in enumerate(ROWS.items()):
        created = t0 + dt.timedelta(days=n)
        resolved_at = created + dt.timedelta(hours=3) if resolved else None
        contacts.append({"contact_id": cid, "created_at": created, "customer_id": f"k{n}",
                         "channel": channel, "reason": reason, "resolved_at": resolved_at})
    build_store(path, contacts, reasons=CATALOG)
    texts = pl.DataFrame({"contact_id": ["c10"], "driver": ["Late delivery"],
                          "similarity": [0.9]})  # fmt: skip
    driver_map.write(path, MAP, assignments=texts, changed_by="ana")
    return path


def add_behind_cxdashs_back(path: Path) -> None:
    """Another tool appends a contact: the store's derived data is stale (its counts differ)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("INSERT INTO contacts (contact_id, created_at, channel, reason) "
                    "VALUES ('x1', TIMESTAMP '2026-03-20 10:00', 'chat', 'bill')")  # fmt: skip
    finally:
        con.close()
