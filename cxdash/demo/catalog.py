"""What the demo world contains, and the effects hidden in it.

Kept apart from the SQL so that tests, docs and the generator read one list: a test finds the
fixed root cause, the carrier spike and the weak team here instead of restating them, and a
change to the story (another reason, a bigger spike) is a change of data, not of code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DAYS = 364  # 52 whole weeks, so every weekday appears equally often


@dataclass(frozen=True)
class Reason:
    name: str
    value_to_customer: str  # high / low
    value_to_business: str  # high / low
    preventable: bool
    external: bool
    weight: float  # share among contacts about an order
    anon_weight: float  # share among contacts without a customer
    delay_days: float  # median time from the order to the contact
    self_service: float  # share handled by the help centre or bot
    team: str  # the team that owns it (unless it overflows to the BPO)
    escalation: float  # chance an agent-handled contact needs a higher tier
    mood: float  # shift of the customer's satisfaction (late parcels annoy)


# The driver catalog as the reasons table holds it. Quadrants: low/low Eliminate,
# high customer / low business Automate, low/high Simplify, high/high Leverage.
_CATALOG: tuple[tuple[str, str, str, bool, bool], ...] = (
    # reason                     customer business preventable external
    ("Late delivery",             "low",  "low",  True,  True),
    ("Where is my order",         "low",  "low",  True,  True),
    ("Damaged in transit",        "low",  "low",  True,  True),
    ("Wrong item received",       "low",  "low",  True,  False),
    ("Missing item",              "low",  "low",  True,  False),
    ("Promo code not working",    "low",  "low",  True,  False),
    ("Invoice copy",              "high", "low",  True,  False),
    ("Password reset",            "high", "low",  True,  False),
    ("Change delivery address",   "high", "low",  False, False),
    ("Return label",              "high", "low",  False, False),
    ("Update account details",    "high", "low",  False, False),
    ("Payment declined",          "low",  "high", False, True),
    ("Identity verification",     "low",  "high", False, False),
    ("Cancel subscription",       "low",  "high", False, False),
    ("Charge dispute",            "low",  "high", True,  False),
    ("Refund",                    "high", "high", False, False),
    ("Product advice",            "high", "high", False, False),
    ("Size and fit",              "high", "high", False, False),
    ("Warranty repair",           "high", "high", False, True),
    ("Business order",            "high", "high", False, False),
)  # fmt: skip

# How each driver behaves in the demo, in the same order.
_BEHAVIOUR: tuple[tuple[float, float, float, float, str, float, float], ...] = (
    # weight anon delay  self   team                 escalation mood
    (9,      0,   5.0,   0.03,  "Delivery Care",     0.03,      -0.4),
    (13,     4,   3.0,   0.12,  "Delivery Care",     0.01,      -0.1),
    (5,      0,   5.0,   0.0,   "Delivery Care",     0.06,      -0.3),
    (4,      0,   5.0,   0.0,   "Returns & Refunds", 0.04,      -0.3),
    (4,      0,   4.0,   0.0,   "Delivery Care",     0.04,      -0.2),
    (3,      6,   0.3,   0.05,  "Billing",           0.01,      -0.1),
    (7,      2,   9.0,   0.25,  "Billing",           0.0,       0.1),
    (4,      14,  20.0,  0.4,   "Accounts",          0.01,      0.0),
    (4,      0,   0.4,   0.15,  "Delivery Care",     0.01,      0.1),
    (7,      0,   9.0,   0.3,   "Returns & Refunds", 0.0,       0.1),
    (3,      8,   15.0,  0.3,   "Accounts",          0.0,       0.1),
    (4,      6,   0.05,  0.02,  "Billing",           0.03,      -0.1),
    (2,      4,   1.0,   0.0,   "Accounts",          0.08,      -0.2),
    (3,      6,   25.0,  0.1,   "Accounts",          0.02,      0.0),
    (2,      0,   20.0,  0.0,   "Billing",           0.2,       -0.3),
    (10,     0,   12.0,  0.05,  "Returns & Refunds", 0.08,      0.0),
    (5,      30,  0.5,   0.05,  "Sales Advice",      0.0,       0.3),
    (4,      14,  3.0,   0.05,  "Sales Advice",      0.0,       0.2),
    (2,      2,   60.0,  0.0,   "Returns & Refunds", 0.15,      -0.1),
    (2,      4,   0.5,   0.0,   "Sales Advice",      0.05,      0.3),
)  # fmt: skip

REASONS: tuple[Reason, ...] = tuple(
    Reason(*(facts + behaviour)) for facts, behaviour in zip(_CATALOG, _BEHAVIOUR, strict=True)
)
REASON_NAMES = tuple(r.name for r in REASONS)


# Channel order matters: index 5 is the help centre / bot (no agent).
CHANNELS = ("email", "chat", "phone", "social", "web", "self_service")
SELF_SERVICE = CHANNELS.index("self_service")
# Mix of the agent-handled channels (first contacts, then the follow-ups customers send).
CHANNEL_MIX = (0.33, 0.30, 0.22, 0.06, 0.09)
FOLLOW_UP_CHANNEL_MIX = (0.30, 0.28, 0.38, 0.02, 0.02)


@dataclass(frozen=True)
class ChannelTiming:
    """Minutes (log-logistic: median, spread): first response, the work to resolve, the tail."""

    response_median: float
    response_sigma: float
    work_median: float
    work_sigma: float
    tail_share: float  # contacts that need a callback, a carrier or a warehouse
    tail_median: float
    transfer_minutes: float  # added per hand-off
    expected_hours: float  # what customers of this channel consider quick


TIMINGS: dict[str, ChannelTiming] = {
    "email": ChannelTiming(300, 1.0, 240, 1.0, 0.35, 1440, 180, 24),
    "chat": ChannelTiming(1.2, 0.9, 12, 0.7, 0.12, 360, 8, 0.5),
    "phone": ChannelTiming(1.5, 0.8, 7, 0.55, 0.15, 1200, 8, 0.25),
    "social": ChannelTiming(60, 1.1, 180, 1.0, 0.25, 720, 120, 12),
    "web": ChannelTiming(360, 1.0, 240, 1.0, 0.35, 1440, 180, 24),
    "self_service": ChannelTiming(0.03, 0.3, 4, 0.8, 0.0, 1, 0, 0.1),
}

PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_MIX = (0.15, 0.62, 0.18, 0.05)
PRIORITY_SPEED = (1.4, 1.0, 0.7, 0.4)  # factor on response and work times

PRODUCTS = ("Shoes", "Apparel", "Bags & Accessories", "Home & Living", "Sports & Outdoor",
            "Beauty", "Kids")
PRODUCT_MIX = (0.20, 0.26, 0.10, 0.14, 0.12, 0.10, 0.08)
PRODUCT_AMOUNT = (85.0, 55.0, 70.0, 95.0, 75.0, 35.0, 40.0)  # median order value, EUR

REGIONS = ("DACH", "Benelux", "Nordics", "UK & Ireland", "Southern Europe")
REGION_MIX = (0.32, 0.16, 0.14, 0.20, 0.18)

WEAK_TEAM = "Overflow (Nova BPO)"
WEAK_TEAM_SHARE = 0.2  # of agent-handled contacts, whatever the reason
AGENTS: dict[str, tuple[str, ...]] = {
    "Delivery Care": ("Anna K.", "Jonas W.", "Mia S.", "Lukas B.", "Sofia R.", "Noah F.",
                      "Emma L.", "Paul H."),
    "Billing": ("Lea M.", "Ben T.", "Hannah G.", "Elias P.", "Clara V.", "Felix D."),
    "Returns & Refunds": ("Lina J.", "Leon A.", "Marie C.", "Finn O.", "Ida N.", "Theo Z.",
                          "Nora E."),
    "Accounts": ("Sara Q.", "David Y.", "Julia I.", "Tom U.", "Eva X."),
    "Sales Advice": ("Maya K.", "Oskar L.", "Greta H.", "Moritz S.", "Alma B."),
    WEAK_TEAM: ("Ravi P.", "Ana D.", "Kiran S.", "Joao M.", "Priya R.", "Lucas T.", "Irina V.",
                "Sam O.", "Dana F.", "Omar N."),
    # chats the overflow partner does not take, whatever the reason, around the clock
    "Chat desk": ("Yara B.", "Max G.", "Lena W.", "Nils K.", "Zoe A.", "Jan P."),
}
CHAT_TEAM = "Chat desk"
TEAMS = tuple(AGENTS)

# How the weak team differs, and the baseline it differs from.
TRANSFER_CHANCE = 0.09
WEAK_TRANSFER_CHANCE = 0.33
REOPEN_CHANCE = 0.05
WEAK_REOPEN_CHANCE = 0.15
ABANDON_CHANCE = 0.025  # never resolved
WEAK_ABANDON_CHANCE = 0.05
WEAK_SLOWNESS = 1.3  # factor on response and work times

SATISFACTION_BASE = 4.75  # latent satisfaction before penalties; ≥ 3.5 counts as happy

# Surveys: asked after resolution, answered by a minority.
CSAT_ANSWER_CHANCE = 0.25
SELF_SERVICE_CSAT_CHANCE = 0.12
CES_ANSWER_CHANCE = 0.5  # of CSAT answers
COMMENT_CHANCE = 0.4  # of CSAT answers

# The customer decides to stay or go after a contact: the service-recovery paradox.
CHURN_HAPPY = 0.02
CHURN_UNHAPPY = 0.75
CHURN_UNRESOLVED = 0.92
UNRESOLVED_CHURN_DAYS = 3

# Follow-ups: the customer contacts again about the same thing, 1 hour to 6 days later.
FOLLOW_UP_POOR = 0.3  # after a transfer, reopen, escalation or an unhappy outcome
FOLLOW_UP_UNRESOLVED = 0.5
FOLLOW_UP_OTHERWISE = 0.03

# Contact volume.
NO_CUSTOMER_SHARE = 0.07  # contacts from people we cannot identify
CONTACT_TREND = 0.2  # the contact rate falls by this fraction over the year
WEEKDAY_CONTACTS = (1.0, 0.95, 0.93, 0.9, 0.85, 0.5, 0.45)  # Monday first
HOUR_CONTACTS = (0.15, 0.1, 0.08, 0.08, 0.1, 0.15, 0.3, 0.55, 0.85, 1.0, 1.0, 0.95, 0.85, 0.9,
                 0.95, 0.95, 0.9, 0.85, 0.75, 0.7, 0.65, 0.55, 0.4, 0.25)
WEEKDAY_ORDERS = (1.05, 1.0, 1.0, 0.98, 0.92, 0.9, 1.15)

# Customers order every g weeks, in the same weekly time slot: (g, share of orders, contact
# boost). Frequent buyers also contact more per order, which is why happy, contacted customers
# out-buy those who never called. Classes with g ≤ 12 repurchase within 90 days.
BUYER_CLASSES: tuple[tuple[int, float, float], ...] = (
    (2, 0.04, 1.6),
    (3, 0.06, 1.45),
    (4, 0.08, 1.35),
    (6, 0.12, 1.25),
    (8, 0.14, 1.15),
    (10, 0.14, 1.1),
    (12, 0.12, 1.0),
    (20, 0.12, 0.9),
    (30, 0.08, 0.85),
    (60, 0.10, 0.8),
)

# ---- the built-in effects the dashboard must reveal ----
FIXED_CAUSE_REASON = "Invoice copy"
FIX_DAYS_BEFORE_END = 182  # fixed mid-year (on the Monday on or before end − 182 days)
FIX_EFFECT = 0.4  # the driver keeps 40 % of its volume: a fall of about 60 %
OLDER_FIXED_CAUSE_REASON = "Password reset"
OLDER_FIX_DAYS_BEFORE_END = 294
OLDER_FIX_EFFECT = 0.65
# A fix that did not hold: marked eliminated, but its driver never fell — the register's
# "back near its pre-fix level" warning must catch it.
FAILED_FIX_REASON = "Missing item"
FAILED_FIX_DAYS_BEFORE_END = 70
SPIKE_REASON = "Late delivery"
SPIKE_DAYS_BEFORE_END = 126  # the carrier delay starts on the Monday on or before end − 126
SPIKE_WEEKS = 3
SPIKE_FACTOR = 3.0


def monday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class EffectDates:
    start: dt.date  # first day of data
    end: dt.date  # last day of data (inclusive)
    fix: dt.date  # fixed_on of the main eliminated cause
    older_fix: dt.date
    failed_fix: dt.date  # fixed_on of the cause whose driver did not fall
    spike_start: dt.date  # first day of the carrier spike
    spike_end: dt.date  # first day after it


def effect_dates(end: dt.date) -> EffectDates:
    """Where the effects sit for a data set ending on `end` (they move with it)."""
    spike_start = monday_on_or_before(end - dt.timedelta(days=SPIKE_DAYS_BEFORE_END))
    return EffectDates(
        start=end - dt.timedelta(days=DAYS - 1),
        end=end,
        fix=monday_on_or_before(end - dt.timedelta(days=FIX_DAYS_BEFORE_END)),
        older_fix=monday_on_or_before(end - dt.timedelta(days=OLDER_FIX_DAYS_BEFORE_END)),
        failed_fix=monday_on_or_before(end - dt.timedelta(days=FAILED_FIX_DAYS_BEFORE_END)),
        spike_start=spike_start,
        spike_end=spike_start + dt.timedelta(weeks=SPIKE_WEEKS),
    )


@dataclass(frozen=True)
class RootCause:
    cause_id: str
    title: str
    reasons: tuple[str, ...]
    owner: str
    status: str
    identified_days_before_end: int
    fixed: str | None  # "fix", "older_fix", "failed_fix" or None
    notes: str


ROOT_CAUSES: tuple[RootCause, ...] = (
    RootCause("RC-101", "Invoice missing from the order confirmation e-mail", ("Invoice copy",),
              "Priya N. (Billing product)", "eliminated", 250, "fix",
              "Invoice PDF now attached to every confirmation and available in the account."),
    RootCause("RC-087", "Password-reset e-mails filtered as spam", ("Password reset",),
              "Marco D. (Identity)", "eliminated", 340, "older_fix",
              "Moved to an authenticated sending domain (SPF/DKIM); bot offers a resend."),
    RootCause("RC-112", "Parcel-locker deliveries show no tracking updates",
              ("Where is my order", "Late delivery"), "Jana K. (Logistics)", "in_progress", 90,
              None, "Carrier API integration for locker scans in test."),
    RootCause("RC-118", "Fragile items shipped without padding", ("Damaged in transit",),
              "Tobias R. (Warehouse)", "identified", 40, None,
              "Packaging spec under review with the fulfilment partner."),
    RootCause("RC-095", "Carrier capacity shortfall in peak weeks", ("Late delivery",),
              "Jana K. (Logistics)", "wont_fix", 200, None,
              "External: carrier capacity. Mitigated by proactive delay notices instead."),
    RootCause("RC-109", "Items left out at the packing station", (FAILED_FIX_REASON,),
              "Tobias R. (Warehouse)", "eliminated", 130, "failed_fix",
              "Packing checklist added at every station; weight check planned."),
    RootCause("RC-121", "Promo codes are case-sensitive at checkout", ("Promo code not working",),
              "Lars E. (Web shop)", "identified", 20, None, "Fix scheduled for next sprint."),
)

# Business hours and SLA policies (SPEC §2), as a team would write them. The in-house teams work
# Berlin office hours, the chat desk around the clock, and the overflow partner works Manila's
# office hours (00:00–09:00 UTC): what reaches it in a European afternoon waits for the next
# Manila morning (`contact_sql`: its answers and resolutions land only in its hours), so on a
# calendar-time policy it breaches far more often — the effect the Defense page shows.
_HOLIDAYS = ", ".join(f'"{day}"' for day in (
    "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01",
    "2026-05-14", "2026-05-25", "2026-10-03", "2026-12-25", "2026-12-26", "2027-01-01",
    "2027-03-26", "2027-03-29", "2027-05-01", "2027-05-06", "2027-05-17", "2027-10-03",
))  # fmt: skip
SLA_TOML = f"""\
# The demo's business hours and SLA policies: cxdash export --table schedules writes them back.
[schedules.default]          # the in-house teams, in Berlin
timezone = "Europe/Berlin"
mon = ["08:00-18:00"]
tue = ["08:00-18:00"]
wed = ["08:00-18:00"]
thu = ["08:00-18:00"]
fri = ["08:00-18:00"]
sat = ["09:00-13:00"]
holidays = [{_HOLIDAYS}]

[schedules.around_the_clock]  # the chat desk
timezone = "Europe/Berlin"
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]

[schedules.manila]            # the overflow partner
timezone = "Asia/Manila"
mon = ["08:00-17:00"]
tue = ["08:00-17:00"]
wed = ["08:00-17:00"]
thu = ["08:00-17:00"]
fri = ["08:00-17:00"]

[teams]
"Chat desk" = "around_the_clock"
"{WEAK_TEAM}" = "manila"

[[sla]]                       # urgent: the clock never stops
priority = ["urgent"]
first_response = "1h"
resolution = "8h"
business_hours = false

[[sla]]                       # chats: answered in minutes, closed the same day
channel = ["chat"]
first_response = "10m"
resolution = "8h"
business_hours = false

[[sla]]                       # high priority
priority = ["high"]
first_response = "4h"
resolution = "2d"
business_hours = true

[[sla]]                       # everything an agent handles (the help centre has no targets)
channel = ["email", "phone", "social", "web"]
first_response = "8h"
resolution = "3d"
business_hours = true
"""

SETTINGS = {
    "first_response_target_hours": "4",
    "happy_hours": "24",
    "timezone": "UTC",
    "repeat_window_hours": "168",
}

# Survey comments. A few carry a first name ({agent}) or an e-mail address ({email}): the
# weekly review's masking must hide them.
COMMENTS_POSITIVE = (
    "Quick and friendly, thank you!",
    "Problem solved in minutes.",
    "Very helpful, exactly what I needed.",
    "Great service, easy to reach.",
    "Thanks, all sorted now.",
    "Friendly and competent.",
    "Fast answer, clear explanation.",
    "{agent} was brilliant, thanks a lot!",
    "Super fast refund, will order again.",
    "Thank you {agent} for the patience.",
    "Good experience overall.",
    "Easy, no hassle.",
)
COMMENTS_NEUTRAL = (
    "Took a while but it's fixed.",
    "OK, though I had to explain twice.",
    "Fine in the end.",
    "Answer was correct but slow.",
    "Would have preferred to do this online myself.",
    "Resolved, but the wait was long.",
)
COMMENTS_NEGATIVE = (
    "I had to contact you three times.",
    "Nobody reads what I write.",
    "Still waiting for my money.",
    "Transferred again and again.",
    "Very slow, very disappointing.",
    "The parcel never arrived and nobody cares.",
    "Please reply to {email}, I never got an answer.",
    "Worst service I have had in years.",
    "You closed my ticket without fixing anything.",
    "Call me back or write to {email} please.",
)
EMAIL_FIRST = ("julia", "max", "sophie", "leon", "emma", "liam", "olivia", "lucas", "nina",
               "jan", "laura", "tim", "sara", "erik", "anna", "mark")
EMAIL_LAST = ("schmidt", "jansen", "berg", "smith", "rossi", "dubois", "novak", "larsen",
              "garcia", "meyer", "visser", "brown")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
