"""Which metrics each part of a page shows: page layout as data, not scattered through pages."""

from __future__ import annotations

from cxdash.metrics.catalogue import BUILTIN, Catalogue, Side

OFFENSE_TILES = (
    "contacts", "contact_rate", "repeat_contact_rate", "self_service_rate",
    "preventable_share", "external_share", "causes_eliminated", "contacts_avoided",
)  # fmt: skip
DEFENSE_TILES = (
    "resolution_rate", "fcr_rate", "reopen_rate", "csat", "csat_response_rate", "ces_avg",
    "transfer_rate", "escalation_rate", "backlog", "repurchase_after_contact_90d",
    "repurchase_baseline_90d",
)  # fmt: skip
# Shown after the defense tiles only when the store has schedules and SLA policies (the page
# asks `in_data`): a store without them would show four "not in your data" tiles.
SLA_TILES = ("sla_first_response_rate", "sla_resolution_rate", "sla_breaches", "sla_at_risk")
BUSINESS_HOURS_STRIP = (
    "first_response_business_hours_median", "first_response_business_hours_p90",
    "resolution_business_hours_median", "resolution_business_hours_p90",
)  # fmt: skip
SPEED_STRIP = (
    "happy_rate", "first_response_hours_median", "first_response_hours_p90",
    "resolution_hours_median", "resolution_hours_p90",
)  # fmt: skip


def tiles(side: Side, catalogue: Catalogue = BUILTIN) -> tuple[str, ...]:
    """A side's tiles: the built-in ones above, then the catalogue's custom metrics of it."""
    builtin = {"offense": OFFENSE_TILES, "defense": DEFENSE_TILES, "happiness": SPEED_STRIP}
    return builtin[side] + tuple(m.id for m in catalogue.custom if m.side == side)
