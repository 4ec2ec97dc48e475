"""The relations the compiled SQL reads, adapted to what the store actually holds.

A store written by cxdash (demo, import) has every contract column, the derived columns and the
`orders_daily` rollup, so the compiled query reads the tables directly and DuckDB's zone maps
prune by date. A store written by another tool — only the SPEC §2 tables, perhaps missing
optional columns or whole optional tables — gets CTEs that fill the gaps with typed NULLs and
compute the derived columns with the same SQL the writers use (cxdash.derived). Both paths give
identical numbers; the second is just slower on big stores.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxdash import derived
from cxdash.schema import CONTACTS, ORDERS, REASONS, ROOT_CAUSES, SLA_COLUMNS, Table
from cxdash.store import StoreInfo


@dataclass(frozen=True)
class Sources:
    ctes: tuple[str, ...]  # "name AS (...)" fragments, in dependency order
    contacts: str
    orders: str
    orders_daily: str
    reasons: str
    root_causes: str


def _projection(table: Table, info: StoreInfo, *, include_derived: bool) -> str | None:
    """SELECT list mapping the stored columns onto the contract; None if it is already exact.
    The SLA columns are always carried as stored (NULL when absent): they are derived from
    the schedules, which no per-query SQL can stand in for, and their outcomes are read at
    query time anyway."""
    have = info.columns.get(table.name, {})
    exact = True
    items = []
    for col in table.columns:
        if col.derived and not include_derived and col.name not in SLA_COLUMNS:
            continue
        stored = have.get(col.name)
        if stored is None:
            items.append(f"CAST(NULL AS {col.sql_type}) AS {col.name}")
            exact = False
        elif stored.upper() != col.sql_type.upper():
            items.append(f"TRY_CAST({col.name} AS {col.sql_type}) AS {col.name}")
            exact = False
        else:
            items.append(col.name)
    return None if exact else ", ".join(items)


def _empty(table: Table) -> str:
    cols = ", ".join(f"CAST(NULL AS {c.sql_type}) AS {c.name}" for c in table.columns)
    return f"SELECT {cols} WHERE false"


def build_sources(info: StoreInfo) -> Sources:
    ctes: list[str] = []

    if (
        info.derived_fresh
        and _projection(CONTACTS, info, include_derived=True) is None
        and (_projection(ORDERS, info, include_derived=True) is None)
        and info.has_table("orders_daily")
    ):
        contacts, orders, orders_daily = "contacts", "orders", "orders_daily"
    else:
        for table in (CONTACTS, ORDERS):
            if info.has_table(table.name):
                proj = _projection(table, info, include_derived=False) or ", ".join(
                    c.name for c in table.columns
                    if not c.derived or c.name in SLA_COLUMNS)
                body = f"SELECT {proj} FROM {table.name}"
            else:
                body = _empty(Table(table.name, tuple(
                    c for c in table.columns if not c.derived or c.name in SLA_COLUMNS)))
            ctes.append(f"{table.name}_base AS MATERIALIZED ({body})")
        # The driver as publishing derives it (`derived.refresh_drivers`): the reason after
        # the driver map, else the contact's text assignment, else the reason — also for a
        # store changed behind cxdash's back, whose map still holds (one row per reason and
        # contact here: another tool's duplicates must not count a contact twice).
        joins, picks = "", []
        if info.has_table("driver_map"):
            joins += (" LEFT JOIN (SELECT reason, min(driver) AS driver FROM driver_map "
                      "GROUP BY reason) m ON m.reason = d.reason")  # fmt: skip
            picks.append("m.driver")
        if info.has_table("contact_drivers"):
            joins += (" LEFT JOIN (SELECT contact_id, min(driver) AS driver FROM "
                      "contact_drivers GROUP BY contact_id) t ON t.contact_id = d.contact_id")
            picks.append("t.driver")
        driver = (f"coalesce({', '.join(picks)}, {derived.DRIVER_OF_REASON.format(c='d')})"
                  if picks else derived.DRIVER_OF_REASON.format(c="d"))  # fmt: skip
        ctes.append(
            f"contacts_src AS MATERIALIZED (SELECT d.*, {driver} AS driver FROM ("
            f"{derived.contacts_with_derived_sql('contacts_base', 'orders_base')}) d{joins})"
        )
        ctes.append(
            f"orders_src AS MATERIALIZED ({derived.orders_with_derived_sql('orders_base')})"
        )
        ctes.append(
            "orders_daily_src AS MATERIALIZED ("
            f"{derived.ORDERS_DAILY_SQL.format(orders='orders_base')})"
        )
        contacts, orders, orders_daily = "contacts_src", "orders_src", "orders_daily_src"

    # Small tables: always through a CTE, which also guards against duplicate catalog rows in
    # stores written by other tools (a duplicated reason would double-count its contacts).
    if info.has_table("reasons"):
        proj = _projection(REASONS, info, include_derived=False) or "*"
        ctes.append(
            "reasons_src AS (SELECT reason, bool_or(coalesce(preventable, false)) AS preventable,"
            " bool_or(coalesce(external, false)) AS external"
            f" FROM (SELECT {proj} FROM reasons) GROUP BY reason)"
        )
    else:
        ctes.append(
            "reasons_src AS (SELECT CAST(NULL AS VARCHAR) AS reason, false AS preventable,"
            " false AS external WHERE false)"
        )
    if info.has_table("root_causes"):
        proj = _projection(ROOT_CAUSES, info, include_derived=False) or "*"
        ctes.append(f"root_causes_src AS (SELECT {proj} FROM root_causes)")
    else:
        ctes.append(f"root_causes_src AS ({_empty(ROOT_CAUSES)})")

    return Sources(
        ctes=tuple(ctes),
        contacts=contacts,
        orders=orders,
        orders_daily=orders_daily,
        reasons="reasons_src",
        root_causes="root_causes_src",
    )
