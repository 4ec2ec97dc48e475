"""Derived columns: the per-row look-ahead facts that make period metrics cheap.

Three metrics look past a contact or an order to the same customer's *next* event:
repeat contacts (the next contact within the repeat window), repurchase after contact (the
first order after resolution) and the repurchase baseline (the next order after an order).
Computed per query these need a window over every contact and order ever made — seconds at
10M contacts. So cxdash stores them as columns, refreshed when every new version is
published (`cxdash.publish`, in the writer's transaction), and records the row counts they
were computed for; a store written by another tool (or changed behind cxdash's back) gets the
very same SQL inlined per query instead.

"Next" is always strictly later: a second contact at the same microsecond is not a repeat.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import duckdb

from cxdash.schema import CONTACTS, SLA_COLUMNS

NEXT_CONTACT_AT = """
CASE WHEN {c}.customer_id IS NOT NULL THEN
  min({c}.created_at) OVER (
    PARTITION BY {c}.customer_id ORDER BY {c}.created_at
    RANGE BETWEEN INTERVAL 1 MICROSECOND FOLLOWING AND UNBOUNDED FOLLOWING)
END"""

NEXT_ORDERED_AT = """
CASE WHEN {o}.customer_id IS NOT NULL THEN
  min({o}.ordered_at) OVER (
    PARTITION BY {o}.customer_id ORDER BY {o}.ordered_at
    RANGE BETWEEN INTERVAL 1 MICROSECOND FOLLOWING AND UNBOUNDED FOLLOWING)
END"""


PREV_ORDERED_AT = """
CASE WHEN {o}.customer_id IS NOT NULL THEN
  lag({o}.ordered_at) OVER (PARTITION BY {o}.customer_id ORDER BY {o}.ordered_at, {o}.order_id)
END"""


def contacts_with_derived_sql(contacts: str, orders: str) -> str:
    """A SELECT over `contacts` adding both derived contact columns, computed from scratch.

    `contacts` and `orders` are relation names (tables or CTEs) holding the contract columns.
    """
    customer_orders = (
        f"(SELECT customer_id, ordered_at FROM {orders} WHERE customer_id IS NOT NULL)"
    )
    return f"""
SELECT c.*, o2.ordered_at AS next_order_after_created_at
FROM (
  SELECT c.*, o.ordered_at AS next_order_after_resolved_at
  FROM (SELECT x.*, {NEXT_CONTACT_AT.format(c="x")} AS next_contact_at FROM {contacts} x) c
  ASOF LEFT JOIN {customer_orders} o
    ON c.customer_id = o.customer_id AND o.ordered_at > c.resolved_at
) c
ASOF LEFT JOIN {customer_orders} o2
  ON c.customer_id = o2.customer_id AND o2.ordered_at > c.created_at"""


def orders_with_derived_sql(orders: str) -> str:
    """A SELECT over `orders` adding next_ordered_at and prev_ordered_at, from scratch."""
    return (
        f"SELECT o.*, {NEXT_ORDERED_AT.format(o='o')} AS next_ordered_at, "
        f"{PREV_ORDERED_AT.format(o='o')} AS prev_ordered_at FROM {orders} o"
    )


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    contacts = con.execute("SELECT count(*) FROM contacts").fetchall()[0][0]
    orders = con.execute("SELECT count(*) FROM orders").fetchall()[0][0]
    return int(contacts), int(orders)


ORDERS_DAILY_SQL = """SELECT CAST(ordered_at AS DATE) AS day, product, region, count(*) AS orders
FROM {orders} GROUP BY ALL"""


def stamp_fresh(con: duckdb.DuckDBPyConnection, *, orders_changed: bool = True) -> None:
    """Rebuild the orders_daily rollup (when orders changed) and record that the derived data
    matches the rows. `cxdash.publish` calls it after the writer's rows, in its transaction,
    and then rebuilds the compiler's rollups (`cxdash.metrics.rollups`)."""
    if orders_changed:
        con.execute("DELETE FROM orders_daily")
        con.execute(
            "INSERT INTO orders_daily "
            + ORDERS_DAILY_SQL.format(orders="orders")
            + " ORDER BY day, product, region"
        )
    contacts, orders = _counts(con)
    con.execute(
        "INSERT OR REPLACE INTO cxdash_meta VALUES ('derived_for', $v)",
        {"v": f"{contacts}:{orders}"},
    )
    present = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'contacts' "
        "AND database_name = current_database() AND schema_name = 'main'").fetchall()]
    fields, newest = contact_fields(con, present)
    con.execute(
        "INSERT OR REPLACE INTO cxdash_meta VALUES ('contact_fields', $v)",
        {"v": json.dumps({"fields": fields, "newest": newest and newest.isoformat()})},
    )


def contact_fields(con: Any, present: Iterable[str]) -> tuple[dict[str, int], dt.date | None]:
    """One scan: how many contacts hold each contract column in `present` (SPEC §3 "not in
    your data"; a reason only when it is not the 'Unknown' of a missing one), and the newest
    contact's day. Plain SQL, so the Spark lake answers it too."""
    wanted = set(present)
    names = [c.name for c in CONTACTS.contract_columns if c.name in wanted]
    names += [c for c in SLA_COLUMNS if c in wanted]  # derived, but "in your data" only if set
    # A reason the source did not give is stored as 'Unknown' (SPEC §2): not a reason held.
    held = {"reason": "nullif(reason, 'Unknown')"}
    counts = "".join(f", count({held.get(name, name)}) AS {name}" for name in names)
    row = con.execute(f"SELECT CAST(max(created_at) AS DATE){counts} FROM contacts").fetchall()[0]
    return {name: int(n or 0) for name, n in zip(names, row[1:], strict=True)}, row[0]


def stamped_contact_fields(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, int], dt.date | None] | None:
    """What `stamp_fresh` recorded (call when `is_fresh`); None for a store stamped before."""
    rows = con.execute("SELECT value FROM cxdash_meta WHERE key = 'contact_fields'").fetchall()
    if not rows:
        return None
    body = json.loads(rows[0][0])
    newest = dt.date.fromisoformat(body["newest"]) if body["newest"] else None
    return {str(k): int(v) for k, v in body["fields"].items()}, newest


# Only the columns the look-ahead needs: carrying every column through the windows and joins
# cost memory and time (the 10M-contact import spent half a minute here).
KEY_CONTACTS = "(SELECT contact_id, customer_id, created_at, resolved_at FROM contacts{where})"
KEY_ORDERS = "(SELECT order_id, customer_id, ordered_at FROM orders{where})"


# The driver a contact counts under when nothing maps it (SPEC §2): its reason, or Unknown.
DRIVER_OF_REASON = "coalesce({c}.reason, 'Unknown')"


def refresh_drivers(con: duckdb.DuckDBPyConnection, *, everyone: bool = False) -> None:
    """contacts.driver: the reason after the driver map, else the driver discovery assigned
    to the contact's text, else the reason (Unknown when missing). Only the rows without one
    (written since the last version) unless the map or the assignments changed (`everyone`);
    a first import writes it on the way in (`cxdash.importer.write`), so this pass has
    nothing to do there."""
    where = "" if everyone else " WHERE c.driver IS NULL"
    if not everyone and not con.execute("SELECT 1 FROM contacts WHERE driver IS NULL LIMIT 1"
                                        ).fetchall():  # fmt: skip
        return
    con.execute(f"""
        UPDATE contacts SET driver = d.driver FROM (
            SELECT c.contact_id, coalesce(m.driver, t.driver, {DRIVER_OF_REASON.format(c='c')})
                   AS driver
            FROM contacts c LEFT JOIN driver_map m ON m.reason = c.reason
            LEFT JOIN contact_drivers t ON t.contact_id = c.contact_id{where}) d
        WHERE contacts.contact_id = d.contact_id AND contacts.driver IS DISTINCT FROM d.driver""")


def drivers_mapped(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any driver map row or text assignment exists (else driver = reason)."""
    return bool(con.execute("SELECT 1 FROM driver_map UNION ALL SELECT 1 FROM contact_drivers "
                            "LIMIT 1").fetchall())  # fmt: skip


def refresh(
    con: duckdb.DuckDBPyConnection, *, customers: str | None = None, orders_changed: bool = True
) -> None:
    """Recompute the derived columns from the contract columns (`stamp_fresh` then records
    them fresh; `cxdash.publish` runs both).

    Every derived value depends only on the same customer's rows, so a writer that names the
    customers it touched (`customers`: a relation with a customer_id column) has only their
    rows recomputed; orders' own derived columns are skipped when no order changed. Runs
    inside the caller's transaction, so a failed refresh leaves the store untouched.
    """
    where = f" WHERE customer_id IN (SELECT customer_id FROM {customers})" if customers else ""
    if orders_changed:
        con.execute(
            f"""
            UPDATE orders SET next_ordered_at = d.next_ordered_at,
                              prev_ordered_at = d.prev_ordered_at
            FROM ({orders_with_derived_sql(KEY_ORDERS.format(where=where))}) d
            WHERE orders.order_id = d.order_id
              AND (orders.next_ordered_at IS DISTINCT FROM d.next_ordered_at
                   OR orders.prev_ordered_at IS DISTINCT FROM d.prev_ordered_at)"""
        )
    fresh = contacts_with_derived_sql(KEY_CONTACTS.format(where=where),
                                      KEY_ORDERS.format(where=where))  # fmt: skip
    con.execute(
        f"""
        UPDATE contacts SET next_contact_at = d.next_contact_at,
                            next_order_after_resolved_at = d.next_order_after_resolved_at,
                            next_order_after_created_at = d.next_order_after_created_at
        FROM ({fresh}) d
        WHERE contacts.contact_id = d.contact_id
          AND (contacts.next_contact_at IS DISTINCT FROM d.next_contact_at
               OR contacts.next_order_after_resolved_at
                  IS DISTINCT FROM d.next_order_after_resolved_at
               OR contacts.next_order_after_created_at
                  IS DISTINCT FROM d.next_order_after_created_at)"""
    )


def is_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the stored derived columns were computed for the rows now in the store."""
    try:
        rows = con.execute("SELECT value FROM cxdash_meta WHERE key = 'derived_for'").fetchall()
    except duckdb.Error:
        return False
    if not rows:
        return False
    contacts, orders = _counts(con)
    return bool(rows[0][0] == f"{contacts}:{orders}")
