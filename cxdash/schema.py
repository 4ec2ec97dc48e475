"""The store's tables, declared once.

SPEC §2 is a contract that checks outside the repository rely on, so every table and column
is declared here as data: the DDL, the importer's validation and the query layer's adapter for
stores made by other tools all read these declarations instead of restating them.

Why some unique ids carry no PRIMARY KEY: DuckDB's ART index costs about 95 bytes a key while
loading (measured: 1.9 GB for 20M order ids), so at the 100M-row scale we target a key on
`contacts.contact_id` or `orders.order_id` would break the memory budget. Uniqueness of those
ids is checked by the writers (demo, import) instead; small tables keep real keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool = False
    # SQL literal used when the source leaves the column empty. Contract fields a source may
    # not give have none: they stay NULL, and the metrics apply SPEC §3's defaults (§2).
    default: str | None = None
    check: str | None = None  # SQL CHECK expression on this column
    derived: bool = False  # maintained by cxdash (see cxdash.derived), never imported


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None
    unique_id: str | None = None  # unique by contract, enforced by the writers

    @property
    def contract_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.derived)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


CONTACTS = Table(
    "contacts",
    (
        Column("contact_id", "VARCHAR", required=True),
        Column("created_at", "TIMESTAMP", required=True),
        Column("customer_id", "VARCHAR"),
        Column("channel", "VARCHAR"),
        Column("reason", "VARCHAR", default="'Unknown'"),
        Column("team", "VARCHAR"),
        Column("agent", "VARCHAR"),
        Column("product", "VARCHAR"),
        Column("region", "VARCHAR"),
        Column("priority", "VARCHAR"),
        Column("first_response_at", "TIMESTAMP", check="first_response_at >= created_at"),
        Column("resolved_at", "TIMESTAMP", check="resolved_at >= created_at"),
        Column("status", "VARCHAR"),
        Column("reopens", "INTEGER", check="reopens >= 0"),
        Column("transfers", "INTEGER", check="transfers >= 0"),
        Column("escalated", "BOOLEAN"),
        Column("self_served", "BOOLEAN"),
        Column("first_contact_resolved", "BOOLEAN"),
        Column("handle_seconds", "DOUBLE", check="handle_seconds >= 0"),
        Column("hold_seconds", "DOUBLE", check="hold_seconds >= 0"),
        Column("csat", "INTEGER", check="csat BETWEEN 1 AND 5"),
        Column("ces", "INTEGER", check="ces BETWEEN 1 AND 7"),
        Column("comment", "VARCHAR"),
        # Derived (cxdash.derived): the next contact of the same customer strictly after this
        # one, and the customer's first order strictly after this contact's resolution (and
        # after its creation, for the recovery view's unresolved cohort).
        Column("next_contact_at", "TIMESTAMP", derived=True),
        Column("next_order_after_resolved_at", "TIMESTAMP", derived=True),
        Column("next_order_after_created_at", "TIMESTAMP", derived=True),
        # Derived when a version is published (cxdash.derived.refresh_drivers): the driver the
        # contact counts under — its reason after the driver map, else the driver its text was
        # assigned by discovery, else the reason (missing: Unknown). SPEC §2 `driver`.
        Column("driver", "VARCHAR", derived=True),
        # Derived when a version is published (cxdash.sla.derive), from the schedules and SLA
        # policies as they are now (SPEC §3 "Business hours and SLAs"): the policy that
        # applies, the business time to first response and resolution in the contact's
        # schedule, and each target's due time. Achieved / breached / still running are read
        # from these and the newest data time at query time, so they are never stale.
        Column("sla_policy", "INTEGER", derived=True),
        Column("first_response_business_seconds", "DOUBLE", derived=True),
        Column("resolution_business_seconds", "DOUBLE", derived=True),
        Column("first_response_due_at", "TIMESTAMP", derived=True),
        Column("resolution_due_at", "TIMESTAMP", derived=True),
        Column("first_response_target_seconds", "DOUBLE", derived=True),
        Column("resolution_target_seconds", "DOUBLE", derived=True),
        Column("first_response_at_risk_from", "TIMESTAMP", derived=True),  # a quarter left
        Column("resolution_at_risk_from", "TIMESTAMP", derived=True),
    ),
    unique_id="contact_id",
)

# Derived contact columns cxdash.sla.derive writes; "not in your data" while all are NULL.
SLA_COLUMNS = (
    "sla_policy", "first_response_business_seconds", "resolution_business_seconds",
    "first_response_due_at", "resolution_due_at", "first_response_target_seconds",
    "resolution_target_seconds", "first_response_at_risk_from", "resolution_at_risk_from",
)  # fmt: skip

ORDERS = Table(
    "orders",
    (
        Column("order_id", "VARCHAR", required=True),
        Column("customer_id", "VARCHAR"),
        Column("ordered_at", "TIMESTAMP", required=True),
        Column("product", "VARCHAR"),
        Column("region", "VARCHAR"),
        Column("amount", "DOUBLE"),
        # Derived: the same customer's next order strictly after this one, and the order just
        # before this one in (ordered_at, order_id) order — ties broken by id, so exactly one
        # order is a customer's first in any period.
        Column("next_ordered_at", "TIMESTAMP", derived=True),
        Column("prev_ordered_at", "TIMESTAMP", derived=True),
    ),
    unique_id="order_id",
)

REASONS = Table(
    "reasons",
    (
        Column("reason", "VARCHAR", required=True),
        Column("value_to_customer", "VARCHAR", check="value_to_customer IN ('high', 'low')"),
        Column("value_to_business", "VARCHAR", check="value_to_business IN ('high', 'low')"),
        Column("preventable", "BOOLEAN", default="false"),
        Column("external", "BOOLEAN", default="false"),
    ),
    primary_key="reason",
)

ROOT_CAUSE_STATUSES = ("identified", "in_progress", "eliminated", "wont_fix")

ROOT_CAUSES = Table(
    "root_causes",
    (
        Column("cause_id", "VARCHAR", required=True),
        Column("title", "VARCHAR"),
        Column("reasons", "VARCHAR[]"),
        Column("owner", "VARCHAR"),
        Column(
            "status",
            "VARCHAR",
            default="'identified'",
            check="status IN ('identified', 'in_progress', 'eliminated', 'wont_fix')",
        ),
        Column("identified_on", "DATE"),
        Column("fixed_on", "DATE"),
        Column("notes", "VARCHAR"),
    ),
    primary_key="cause_id",
)

SETTINGS = Table(
    "settings",
    (Column("key", "VARCHAR", required=True), Column("value", "VARCHAR")),
    primary_key="key",
)

# cxdash's own bookkeeping: schema version and the row counts the derived columns were
# computed for (a store written by another tool falls back to computing them per query).
META = Table(
    "cxdash_meta",
    (Column("key", "VARCHAR", required=True), Column("value", "VARCHAR")),
    primary_key="key",
)

# Derived rollup (cxdash.derived): orders per day, product and region — the denominator of
# contact rate and contacts avoided without scanning every order.
ORDERS_DAILY = Table(
    "orders_daily",
    (
        Column("day", "DATE", required=True, derived=True),
        Column("product", "VARCHAR", derived=True),
        Column("region", "VARCHAR", derived=True),
        Column("orders", "BIGINT", required=True, derived=True),
    ),
)

# Derived rollup (cxdash.metrics.rollups): the repurchase baseline of the periods the sidebar
# offers (last 7, 28 and 90 days, quarter to date, all time, and the period before each),
# computed by the compiler's own SQL whenever contacts or orders change. The metric anti-joins
# a period's orders with its contacts — seconds at 10M contacts — and the app opens on these
# periods. Read only for an exact period with no product or region filter.
REPURCHASE_BASELINES = Table(
    "repurchase_baselines",
    (
        Column("period_start", "DATE", required=True, derived=True),
        Column("period_end", "DATE", required=True, derived=True),
        # The day the period was measured as of (like for like); NULL: as the data stands.
        Column("as_of", "DATE", derived=True),
        Column("repurchase_baseline_90d", "DOUBLE", derived=True),
        Column("customers", "BIGINT", derived=True),
    ),
)

# Every import, kept in the store: what came in, from which file (by content hash), how much.
IMPORT_HISTORY = Table(
    "import_history",
    (
        Column("file", "VARCHAR", required=True),
        Column("sha256", "VARCHAR", required=True),
        Column("target", "VARCHAR", required=True),
        Column("rows_read", "BIGINT"),
        Column("rows_written", "BIGINT"),
        Column("rows_rejected", "BIGINT"),
        Column("imported_at", "TIMESTAMP", required=True),
    ),
)

# Every change to the root-cause register: which field, from what to what, when, by whom
# (the signed-in user, or "local").
ROOT_CAUSE_CHANGES = Table(
    "root_cause_changes",
    (
        Column("cause_id", "VARCHAR", required=True),
        Column("changed_at", "TIMESTAMP", required=True),
        Column("changed_by", "VARCHAR", required=True),
        Column("field", "VARCHAR", required=True),
        Column("old_value", "VARCHAR"),
        Column("new_value", "VARCHAR"),
    ),
)

# The driver map (SPEC §2 `driver`): a raw reason → the driver it counts under, as accepted
# from `cxdash drivers discover` or edited on the Driver catalog page.
DRIVER_MAP = Table(
    "driver_map",
    (
        Column("reason", "VARCHAR", required=True),
        Column("driver", "VARCHAR", required=True),
    ),
    primary_key="reason",
)

# Contacts without a usable reason, assigned a driver from their text by discovery (or, for a
# later import, by the nearest accepted driver); `similarity` to that driver, 0–1.
CONTACT_DRIVERS = Table(
    "contact_drivers",
    (
        Column("contact_id", "VARCHAR", required=True),
        Column("driver", "VARCHAR", required=True),
        Column("similarity", "DOUBLE"),
    ),
)

# What places a later import's contacts among the accepted drivers (`cxdash.drivers.centres`):
# per driver, the mean of its texts' embeddings and the least similarity a new text needs to
# join it (its own texts' 5th percentile), from the reasons (`fields` '') or from contacts'
# text fields ("comment", "subject+comment"), with the words set aside as the company's.
DRIVER_CENTRES = Table(
    "driver_centres",
    (
        Column("driver", "VARCHAR", required=True),
        Column("fields", "VARCHAR", required=True),
        Column("centre", "FLOAT[]", required=True),
        Column("floor", "DOUBLE"),
        Column("assignable", "BOOLEAN", required=True),
        Column("common", "VARCHAR"),
    ),
)

# Every change to the driver map, as for the register: which reason, from what driver to what,
# when, by whom.
DRIVER_MAP_CHANGES = Table(
    "driver_map_changes",
    (
        Column("reason", "VARCHAR", required=True),
        Column("changed_at", "TIMESTAMP", required=True),
        Column("changed_by", "VARCHAR", required=True),
        Column("old_driver", "VARCHAR"),
        Column("new_driver", "VARCHAR"),
    ),
)

# The schedules and SLA policies (SPEC §2), as the TOML file they were imported from or edited
# into, one row per change; the newest row is the one in force.
SLA_CONFIG = Table(
    "sla_config",
    (
        Column("toml", "VARCHAR", required=True),
        Column("changed_at", "TIMESTAMP", required=True),
        Column("changed_by", "VARCHAR", required=True),
    ),
)

TABLES: tuple[Table, ...] = (
    CONTACTS, ORDERS, REASONS, ROOT_CAUSES, SETTINGS, META, ORDERS_DAILY, IMPORT_HISTORY,
    ROOT_CAUSE_CHANGES, REPURCHASE_BASELINES, DRIVER_MAP, CONTACT_DRIVERS, DRIVER_MAP_CHANGES,
    DRIVER_CENTRES, SLA_CONFIG,
)  # fmt: skip
TABLES_BY_NAME = {t.name: t for t in TABLES}


def create_table_sql(table: Table) -> str:
    """DDL for one table, with defaults, checks and (small tables only) a primary key."""
    parts = []
    for col in table.columns:
        text = f"{col.name} {col.sql_type}"
        if col.required:
            text += " NOT NULL"
        if col.default is not None:
            text += f" DEFAULT {col.default}"
        if col.check is not None:
            text += f" CHECK ({col.check})"
        parts.append(text)
    if table.primary_key:
        parts.append(f"PRIMARY KEY ({table.primary_key})")
    body = ",\n  ".join(parts)
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {body}\n)"


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that is missing and record the schema version."""
    for table in TABLES:
        con.execute(create_table_sql(table))
        for col in table.columns:  # a store from an earlier version: its new derived columns
            if col.derived:
                con.execute(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {col.name} "
                            f"{col.sql_type}")  # fmt: skip
    con.execute(
        "INSERT OR REPLACE INTO cxdash_meta VALUES ('schema_version', $v)",
        {"v": str(SCHEMA_VERSION)},
    )
