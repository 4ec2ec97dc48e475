"""The metric catalogue: every SPEC §3 metric as data, read by the query layer, CLI and UI.

Adding a metric means adding one entry here (and one hand-computed test). `family` names the
block of the compiled query that computes it (see cxdash.metrics.compiler); metrics of the
`contacts` family are a single SQL aggregate over the period's contacts, given in `sql`, over
the columns the compiler prepares (see `PERIOD_CONTACT_COLUMNS`).

A team's own metrics (a TOML file, checked by cxdash.metrics.custom) join these in a
`Catalogue`, an immutable value built per version of the store and of the file and passed
along with every request (`MetricRequest.catalogue`); nothing module-level changes at run
time. `METRICS`, `METRIC_IDS` and `METRICS_BY_ID` stay the SPEC §3 contract.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Side = Literal["offense", "defense", "happiness"]
# minutes and number exist for custom metrics: an average in minutes, a plain ratio or mean.
Unit = Literal["count", "rate", "per_1000", "hours", "minutes", "score", "number"]
Direction = Literal["up", "down"]  # which way is better
Family = Literal[
    "contacts",
    "contact_rate",
    "backlog",
    "repurchase_after",
    "repurchase_baseline",
    "causes_eliminated",
    "contacts_avoided",
]

SIDE_LABELS: dict[Side, str] = {
    "offense": "Playing to win",
    "defense": "Defense",
    "happiness": "Speed to happiness",
}


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    side: Side
    unit: Unit
    direction: Direction
    description: str  # states the formula; shown as help text wherever the number appears
    family: Family = "contacts"
    sql: str | None = None  # aggregate over the period's contacts (family "contacts")
    null_means: str = ""  # why the value can be missing, shown instead of a number
    needs_catalog: bool = False  # null while the driver catalog (reasons) is empty
    # Null, "not in your data", while no contact holds any of these columns (SPEC §3).
    needs_any: tuple[str, ...] = ()
    horizon_days: int = 0  # looks this far past the period: recent periods are not complete
    # Still changes while contacts of the period are open (they may yet resolve, be reopened,
    # answer a survey): a recent period's value is not final (SPEC §3 like for like).
    until_resolved: bool = False
    # Counts contacts as they are at the newest data time (sla_at_risk): the previous period
    # has no such moment, so it gets no value and no change is shown.
    now_only: bool = False
    origin: str = ""  # the file a custom metric was defined in; "" for the built-in ones

    @property
    def orders_only(self) -> bool:
        """Filtered by the order dimensions alone (SPEC: the repurchase baseline counts
        customers by their orders, and contacts only as "any contact at all"), so a channel,
        team, reason, priority or agent filter cannot change it."""
        return self.family == "repurchase_baseline"


def not_in_data(metric: Metric, provides: Callable[[str], bool]) -> tuple[str, ...]:
    """The columns to import for `metric` when the store holds none of those it needs
    (`StoreInfo.provides`), else (): shown as "not in your data", never as 0 %."""
    if metric.needs_any and not any(provides(f) for f in metric.needs_any):
        return metric.needs_any
    return ()


NOT_IN_DATA = "not in your data"


# Columns of the per-contact relation that `sql` aggregates may use (built by the compiler):
PERIOD_CONTACT_COLUMNS = (
    "customer_id", "created_at", "first_response_at", "resolved_at", "reopens", "transfers",
    "escalated", "self_served", "first_contact_resolved", "csat", "ces", "handle_seconds",
    "hold_seconds", "is_repeat", "is_resolved", "preventable", "external",
    "first_response_hours", "resolution_hours", "first_response_business_hours",
    "resolution_business_hours", "sla_first_response", "sla_resolution", "sla_at_risk",
)  # fmt: skip



@dataclass(frozen=True)
class HappyCondition:
    """One condition a happy contact meets, as SQL over the period's contacts. It is never
    NULL for a contact that meets every condition before it in `HAPPY_STEPS` (transfers and
    reopens are 0 when missing; no resolution time is not within target)."""

    friction: str  # the friction's id when a contact fails it
    sql: str
    friction_label: str


@dataclass(frozen=True)
class HappyStep:
    """A step of the Speed to happiness funnel (SPEC §4.4): it keeps the contacts that meet
    its conditions and those of every step before it."""

    id: str
    label: str
    conditions: tuple[HappyCondition, ...]

    @property
    def sql(self) -> str:
        return " AND ".join(c.sql for c in self.conditions)


# What "happy" means (SPEC §3 happy_rate), once: `happy_rate` is the share of contacts meeting
# every condition, and the funnel on the Speed to happiness page (cxdash.analysis.speed) takes
# them in this order, so its last step counts exactly happy_rate's contacts.
HAPPY_STEPS: tuple[HappyStep, ...] = (
    HappyStep("resolved", "Resolved", (
        HappyCondition("unresolved", "is_resolved", "Not resolved"),
    )),
    HappyStep("within_target", "Resolved within the happy target", (
        # Resolved by status alone has no resolution time: it cannot be shown within target.
        # NULL (not false) while unresolved, so the funnel's frictions blame "not resolved".
        HappyCondition("slow_resolution", "(CASE WHEN is_resolved THEN "
                       "coalesce(resolution_hours <= $happy_hours, false) END)",
                       "Resolved slower than the happy target"),
    )),
    HappyStep("smooth", "At most one transfer and no reopen", (
        HappyCondition("transferred", "transfers <= 1", "Transferred more than once"),
        HappyCondition("reopened", "reopens = 0", "Reopened"),
    )),
    HappyStep("happy", "CSAT not below 4: happy", (
        HappyCondition("unhappy", "(csat IS NULL OR csat >= 4)", "CSAT below 4"),
    )),
)  # fmt: skip
HAPPY_SQL = " AND ".join(step.sql for step in HAPPY_STEPS)

_FCR = "coalesce(first_contact_resolved, reopens = 0 AND transfers = 0 AND NOT is_repeat)"

METRICS: tuple[Metric, ...] = (
    # ---- Offense: playing to win -------------------------------------------------------------
    Metric(
        "contacts", "Contacts", "offense", "count", "down",
        "Contacts created in the period (created_at between start and end, whole days).",
        sql="count(*)",
    ),
    Metric(
        "contact_rate", "Contact rate", "offense", "per_1000", "down",
        "Contacts per 1,000 orders: 1000 × contacts ÷ orders placed in the period "
        "(product and region filters apply to both).",
        family="contact_rate",
        null_means="import orders to see contact rate",
    ),
    Metric(
        "repeat_contact_rate", "Repeat contacts", "offense", "rate", "down",
        "Of contacts with a customer: share whose customer contacted again within the repeat "
        "window (168 h) after it — the later contact may fall after the period and filters do "
        "not apply to it.",
        sql="avg(is_repeat::DOUBLE) FILTER (WHERE customer_id IS NOT NULL)",
        null_means="no contacts with a customer id",
        needs_any=("customer_id",),
        horizon_days=7,
    ),
    Metric(
        "self_service_rate", "Self-service", "offense", "rate", "up",
        "Share of contacts resolved with no agent (help centre, bot).",
        sql="avg(self_served::DOUBLE)",
        needs_any=("self_served",),
    ),
    Metric(
        "preventable_share", "Preventable share", "offense", "rate", "down",
        "Share of contacts whose reason the driver catalog marks preventable.",
        sql="avg(preventable::DOUBLE)",
        null_means="fill the driver catalog to see preventable share",
        needs_catalog=True,
    ),
    Metric(
        "external_share", "External share", "offense", "rate", "down",
        "Share of contacts whose reason the driver catalog marks external (caused by a third "
        "party such as a carrier).",
        sql="avg(external::DOUBLE)",
        null_means="fill the driver catalog to see external share",
        needs_catalog=True,
    ),
    Metric(
        "causes_eliminated", "Causes eliminated", "offense", "count", "up",
        "Root causes with status eliminated and fixed_on in the period (filters do not apply).",
        family="causes_eliminated",
    ),
    Metric(
        "contacts_avoided", "Contacts avoided", "offense", "count", "up",
        "Sum over eliminated causes fixed by the period's end of expected − actual contacts of "
        "the cause's reasons from max(fix date, start) to end; expected = the 56 days before "
        "the fix scaled by orders (or by days when there are no orders). Negative = the problem "
        "came back.",
        family="contacts_avoided",
        null_means="no eliminated root cause fixed by the period's end",
    ),
    # ---- Defense -----------------------------------------------------------------------------
    Metric(
        "resolution_rate", "Resolution", "defense", "rate", "up",
        "Share of contacts resolved: resolved_at set, or a status that is one of the resolved "
        "statuses (a setting: solved, closed, resolved by default).",
        sql="avg(is_resolved::DOUBLE)",
        needs_any=("resolved_at", "status"),
        until_resolved=True,
    ),
    Metric(
        "fcr_rate", "First-contact resolution", "defense", "rate", "up",
        "Of resolved contacts: share resolved on first contact — as the source states it, "
        "else no reopen, no transfer and no repeat contact within the repeat window.",
        sql=f"avg(({_FCR})::DOUBLE) FILTER (WHERE is_resolved)",
        null_means="no resolved contacts",
        needs_any=("first_contact_resolved", "reopens", "transfers", "customer_id"),
        until_resolved=True,
    ),
    Metric(
        "reopen_rate", "Reopened", "defense", "rate", "down",
        "Of resolved contacts: share reopened at least once.",
        sql="avg((reopens > 0)::DOUBLE) FILTER (WHERE is_resolved)",
        null_means="no resolved contacts",
        needs_any=("reopens",),
        until_resolved=True,
    ),
    Metric(
        "csat", "CSAT", "defense", "rate", "up",
        "Of CSAT answers: share that are 4 or 5 (on 1–5).",
        sql="avg((csat >= 4)::DOUBLE)",
        null_means="no CSAT answers in the period",
        needs_any=("csat",),
    ),
    Metric(
        "csat_response_rate", "CSAT response rate", "defense", "rate", "up",
        "CSAT answers on resolved contacts of the period ÷ resolved contacts of the period "
        "(an answer on a contact the data cannot call resolved is not counted, so the rate "
        "never exceeds 100 %).",
        sql=("count(csat) FILTER (WHERE is_resolved) / "
             "NULLIF(count(*) FILTER (WHERE is_resolved), 0)"),
        null_means="no resolved contacts",
        until_resolved=True,
        needs_any=("csat",),
    ),
    Metric(
        "ces_avg", "Customer effort", "defense", "score", "down",
        "Mean customer-effort answer (1 = very easy … 7 = very hard).",
        sql="avg(ces)",
        null_means="no effort answers in the period",
        needs_any=("ces",),
    ),
    Metric(
        "first_response_hours_median", "First response (median)", "defense", "hours", "down",
        "Median hours from created_at to first_response_at, over contacts that have one.",
        sql="quantile_cont(first_response_hours, 0.5)",
        null_means="no first responses recorded",
        needs_any=("first_response_at",),
    ),
    Metric(
        "first_response_hours_p90", "First response (p90)", "defense", "hours", "down",
        "90th percentile (linear interpolation) of hours to first response.",
        sql="quantile_cont(first_response_hours, 0.9)",
        null_means="no first responses recorded",
        needs_any=("first_response_at",),
    ),
    Metric(
        "resolution_hours_median", "Resolve time (median)", "defense", "hours", "down",
        "Median hours from created_at to resolved_at, over resolved contacts.",
        sql="quantile_cont(resolution_hours, 0.5)",
        null_means="no resolved contacts",
        needs_any=("resolved_at",),
        until_resolved=True,
    ),
    Metric(
        "resolution_hours_p90", "Resolve time (p90)", "defense", "hours", "down",
        "90th percentile (linear interpolation) of hours to resolution.",
        sql="quantile_cont(resolution_hours, 0.9)",
        null_means="no resolved contacts",
        needs_any=("resolved_at",),
        until_resolved=True,
    ),
    Metric(
        "transfer_rate", "Transferred", "defense", "rate", "down",
        "Share of contacts handed off at least once between agents, teams or queues.",
        sql="avg((transfers >= 1)::DOUBLE)",
        needs_any=("transfers",),
    ),
    Metric(
        "escalation_rate", "Escalated", "defense", "rate", "down",
        "Share of contacts that needed approval or a higher tier (empowerment's inverse).",
        sql="avg(escalated::DOUBLE)",
        needs_any=("escalated",),
    ),
    Metric(
        "backlog", "Backlog", "defense", "count", "down",
        "Contacts created on or before the period's end and still unresolved at the end of that "
        "day (the period's start is ignored).",
        family="backlog",
        needs_any=("resolved_at", "status"),
    ),
    Metric(
        "repurchase_after_contact_90d", "Repurchase after contact", "defense", "rate", "up",
        "Of customers with a resolved contact in the period: share who ordered again within 90 "
        "days after their earliest resolution (any order counts).",
        family="repurchase_after",
        null_means="import orders to see repurchase",
        horizon_days=90,
    ),
    Metric(
        "repurchase_baseline_90d", "Repurchase, no contact", "defense", "rate", "up",
        "Of customers who ordered in the period and did not contact us in it: share who ordered "
        "again within 90 days after their first order of the period.",
        family="repurchase_baseline",
        null_means="import orders to see repurchase",
        horizon_days=90,
    ),
    # ---- Speed to happiness ------------------------------------------------------------------
    Metric(
        "happy_rate", "Happy", "happiness", "rate", "up",
        "Share of contacts resolved within the happy target (24 h by default) with at most one "
        "transfer, no reopen, and no CSAT below 4.",
        sql=f"avg(({HAPPY_SQL})::DOUBLE)",
        needs_any=("resolved_at",),
        until_resolved=True,
    ),
    # Business hours and SLAs (SPEC §3): from the facts publishing derives with the schedules
    # and policies (cxdash.sla); "not in your data" until `cxdash import FILE.toml --table
    # schedules`. Outcomes are read against the newest data time when the query runs.
    Metric(
        "first_response_business_hours_median", "First response, business hours (median)",
        "defense", "hours", "down",
        "Median business hours from created_at to first_response_at, counted only while the "
        "contact's schedule (its team's, else the default) is open.",
        sql="quantile_cont(first_response_business_hours, 0.5)",
        null_means="no first responses recorded",
        needs_any=("first_response_business_seconds",),
    ),
    Metric(
        "first_response_business_hours_p90", "First response, business hours (p90)",
        "defense", "hours", "down",
        "90th percentile (linear interpolation) of business hours to first response.",
        sql="quantile_cont(first_response_business_hours, 0.9)",
        null_means="no first responses recorded",
        needs_any=("first_response_business_seconds",),
    ),
    Metric(
        "resolution_business_hours_median", "Resolve time, business hours (median)",
        "defense", "hours", "down",
        "Median business hours from created_at to resolved_at, in the contact's schedule.",
        sql="quantile_cont(resolution_business_hours, 0.5)",
        null_means="no resolved contacts",
        needs_any=("resolution_business_seconds",),
        until_resolved=True,
    ),
    Metric(
        "resolution_business_hours_p90", "Resolve time, business hours (p90)",
        "defense", "hours", "down",
        "90th percentile (linear interpolation) of business hours to resolution.",
        sql="quantile_cont(resolution_business_hours, 0.9)",
        null_means="no resolved contacts",
        needs_any=("resolution_business_seconds",),
        until_resolved=True,
    ),
    Metric(
        "sla_first_response_rate", "First-response SLA met", "defense", "rate", "up",
        "Of contacts with a first-response target whose outcome is known: achieved / "
        "(achieved + breached). Due when the business (or calendar) time since created_at "
        "reaches the target; still running targets count as neither.",
        sql=("(count(*) FILTER (WHERE sla_first_response = 'achieved'))::DOUBLE / "
             "nullif(count(*) FILTER (WHERE sla_first_response IN ('achieved', 'breached')), 0)"),
        null_means="no first-response target has an outcome yet",
        needs_any=("first_response_target_seconds",),
        until_resolved=True,
    ),
    Metric(
        "sla_resolution_rate", "Resolution SLA met", "defense", "rate", "up",
        "Of contacts with a resolution target whose outcome is known: achieved / (achieved + "
        "breached); still running targets count as neither.",
        sql=("(count(*) FILTER (WHERE sla_resolution = 'achieved'))::DOUBLE / "
             "nullif(count(*) FILTER (WHERE sla_resolution IN ('achieved', 'breached')), 0)"),
        null_means="no resolution target has an outcome yet",
        needs_any=("resolution_target_seconds",),
        until_resolved=True,
    ),
    Metric(
        "sla_breaches", "SLA breaches", "defense", "count", "down",
        "Contacts in the period with at least one breached target (first response or "
        "resolution): the event came after its due time, or none yet and the due time passed.",
        sql=("count(*) FILTER (WHERE sla_first_response = 'breached' "
             "OR sla_resolution = 'breached')"),
        needs_any=("first_response_target_seconds", "resolution_target_seconds"),
        until_resolved=True,
    ),
    Metric(
        "sla_running", "SLA targets running", "defense", "count", "down",
        "Contacts in the period with a target still running and none breached: no outcome "
        "yet, so counted apart from the SLA rates, never as met.",
        sql=("count(*) FILTER (WHERE (sla_first_response = 'running' OR sla_resolution = "
             "'running') AND coalesce(sla_first_response, '') <> 'breached' AND "
             "coalesce(sla_resolution, '') <> 'breached')"),
        needs_any=("first_response_target_seconds", "resolution_target_seconds"),
        until_resolved=True,
    ),
    Metric(
        "sla_at_risk", "SLA at risk", "defense", "count", "down",
        "Contacts open now whose next due time (first response, else resolution) is within "
        "25 % of its target from the newest data time and not yet passed.",
        sql="count(*) FILTER (WHERE sla_at_risk)",
        needs_any=("first_response_target_seconds", "resolution_target_seconds"),
        until_resolved=True,
        now_only=True,
    ),
)  # fmt: skip

BUILTIN_BY_ID: dict[str, Metric] = {m.id: m for m in METRICS}
METRIC_IDS: tuple[str, ...] = tuple(m.id for m in METRICS)


@dataclass(frozen=True)
class Catalogue(Mapping[str, Metric]):
    """Every metric a request may ask for: the built-in ones, then a team's custom metrics
    (checked by cxdash.metrics.custom), as an immutable value — built once per version of the
    store and of the metrics file and handed to whatever validates, compiles or shows
    requests (`MetricRequest.catalogue`). Two catalogues are equal when their custom metrics'
    definitions are."""

    custom: tuple[Metric, ...] = ()

    def __post_init__(self) -> None:
        self._by_id  # noqa: B018 - checked now, not at first use

    @cached_property
    def _by_id(self) -> dict[str, Metric]:
        # Not a field: Streamlit's cache keys and `dataclasses.asdict` see `custom` alone.
        by_id = dict(BUILTIN_BY_ID)
        for metric in self.custom:
            if metric.id in by_id:
                raise ValueError(f"metric id {metric.id!r} is already in the catalogue")
            if metric.family != "contacts" or metric.sql is None:
                raise ValueError(f"custom metric {metric.id!r} must be a contacts aggregate")
            by_id[metric.id] = metric
        return by_id

    def __getitem__(self, metric_id: str) -> Metric:
        return self._by_id[metric_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"<metric catalogue: {', '.join(self._by_id)}>"

    def get_metric(self, metric_id: str) -> Metric:
        """The metric, or KeyError naming the ids there are."""
        try:
            return self._by_id[metric_id]
        except KeyError:
            raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(self)}") from None

    def all(self) -> tuple[Metric, ...]:
        """Every metric a person may ask for: the built-in ones, then the custom ones (pages
        and the CLI list these)."""
        return METRICS + self.custom

    def by_side(self, side: Side) -> tuple[Metric, ...]:
        return tuple(m for m in self.all() if m.side == side)

    def definitions_key(self, metric_ids: Iterable[str]) -> str:
        """A short digest of the definitions of the custom metrics among `metric_ids` ("" when
        there are none), so a result cached for a request is not reused after the file
        changed."""
        custom = [self._by_id[m] for m in metric_ids
                  if m in self._by_id and m not in BUILTIN_BY_ID]  # fmt: skip
        if not custom:
            return ""
        return hashlib.sha256(repr(custom).encode()).hexdigest()[:16]


# The built-in metrics alone: the catalogue of a store without a metrics file.
BUILTIN = Catalogue()
# The built-in metrics by id (SPEC §3): a constant, never extended at run time.
METRICS_BY_ID: Mapping[str, Metric] = BUILTIN


def get(metric_id: str) -> Metric:
    """A built-in metric by id (KeyError naming the known ones)."""
    return BUILTIN.get_metric(metric_id)


def validate_catalogue() -> None:
    """Fail fast on a malformed catalogue (duplicate ids, a contacts metric without SQL)."""
    if len(BUILTIN_BY_ID) != len(METRICS):
        raise ValueError("duplicate metric ids in the catalogue")
    for metric in METRICS:
        if (metric.family == "contacts") != (metric.sql is not None):
            raise ValueError(f"metric {metric.id}: family 'contacts' needs sql, others must not")


validate_catalogue()
