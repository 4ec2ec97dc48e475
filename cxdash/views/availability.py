"""What the store can and cannot answer, field by field (SPEC §3 "not in your data").

A new user's first question after an import is not a number but "what did I get?": the Data
page lists every contract field of contacts with how many contacts hold it and which metrics
and filters it feeds, so a "not in your data" tile elsewhere never comes as a surprise.
"""

from __future__ import annotations

import polars as pl

from cxdash.metrics.catalogue import Catalogue, not_in_data
from cxdash.metrics.dimensions import DIMENSIONS
from cxdash.schema import CONTACTS
from cxdash.store import StoreInfo

IN_DATA, NOT_IN_DATA = "in your data", "not in your data"
# What reads a field besides the metrics' `needs_any` and the filters.
OTHER_USES = {
    "contact_id": "every count; the contacts behind a number",
    "created_at": "every metric: the period a contact falls in",
    "customer_id": "recovery and repurchase (with orders)",
    "comment": "weekly review: voices and moments of magic",
    "handle_seconds": "custom metrics",
    "hold_seconds": "custom metrics",
}


def field_table(info: StoreInfo, catalogue: Catalogue) -> pl.DataFrame:
    """One row per contract field of contacts: field, status, contacts holding a value, their
    share, and the metrics and filters that read it (a metric listed under several fields
    needs any one of them)."""
    total = info.contacts_rows
    rows = []
    for col in CONTACTS.contract_columns:
        stored = info.has_column("contacts", col.name)
        if not stored:
            held = 0
        elif info.field_contacts is None:  # not counted: taken as provided (StoreInfo)
            held = total
        else:
            held = info.field_contacts.get(col.name, 0)
        uses = [m.label for m in catalogue.values() if col.name in m.needs_any]
        uses += [f"{d.label} filter" for d in DIMENSIONS if f"c.{col.name}" in d.contact_sql]
        uses += [OTHER_USES[col.name]] if col.name in OTHER_USES else []
        rows.append({
            "field": col.name,
            "status": IN_DATA if held else NOT_IN_DATA,
            "contacts": held,
            "share": held / total if total else None,
            "feeds": ", ".join(uses) or "—",
        })  # fmt: skip
    return pl.DataFrame(rows, schema={"field": pl.String, "status": pl.String,
                                      "contacts": pl.Int64, "share": pl.Float64,
                                      "feeds": pl.String})  # fmt: skip


def unanswerable(info: StoreInfo, catalogue: Catalogue) -> list[tuple[str, tuple[str, ...]]]:
    """(metric label, fields to import) for every metric the store cannot answer."""
    out = []
    for metric in catalogue.values():
        missing = not_in_data(metric, info.provides)
        if missing:
            out.append((metric.label, missing))
    return out
