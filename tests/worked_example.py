"""SPEC §3's worked example as rows, shared by the engine and CLI tests."""

from __future__ import annotations

import datetime as dt

from tests.storebuilder import ts

H = dt.timedelta(hours=1)


def _contact(cid, created, customer, channel, reason, first_response=None, resolved=None, **kw):
    return {
        "contact_id": cid,
        "created_at": ts(created),
        "customer_id": customer,
        "channel": channel,
        "reason": reason,
        "first_response_at": ts(first_response) if first_response else None,
        "resolved_at": ts(resolved) if resolved else None,
        **kw,
    }


CONTACTS = [
    # B1–B4: weekly invoice questions in April (+1 h response, +3 h resolution)
    *(
        {
            "contact_id": f"B{i + 1}",
            "created_at": ts(day),
            "customer_id": "k9",
            "channel": "email",
            "reason": "Invoice copy",
            "first_response_at": ts(day) + H,
            "resolved_at": ts(day) + 3 * H,
        }
        for i, day in enumerate(
            ["2026-04-02 09:00", "2026-04-09 09:00", "2026-04-16 09:00", "2026-04-23 09:00"]
        )
    ),
    _contact("B5", "2026-05-09 23:00", "k9", "email", "Invoice copy",
             "2026-05-09 23:30", "2026-05-10 08:00"),
    _contact("A1", "2026-05-04 00:00", "k1", "chat", "Late delivery",
             "2026-05-04 00:30", "2026-05-04 06:00", csat=5),
    _contact("A2", "2026-05-08 09:00", "k1", "phone", "Late delivery",
             "2026-05-08 10:00", "2026-05-10 09:00", transfers=1, csat=3, ces=5),
    _contact("A3", "2026-05-12 23:59:59", "k2", "email", "Invoice copy"),
    _contact("A4", "2026-05-15 10:00", None, "web", "Invoice copy",
             "2026-05-15 10:00", "2026-05-15 10:01", self_served=True, ces=2),
    _contact("A5", "2026-05-20 08:00", "k3", "email", "Late delivery",
             "2026-05-20 20:00", "2026-05-21 20:00", reopens=2, escalated=True, csat=2),
    _contact("A6", "2026-05-31 12:00", "k2", "chat", "Refund",
             "2026-05-31 12:05", "2026-05-31 13:00", first_contact_resolved=False, csat=4),
    _contact("A7", "2026-06-01 00:00", "k2", "chat", "Refund", "2026-06-01 00:10"),
]  # fmt: skip

ORDERS = [
    {"order_id": f"o{i}", "customer_id": customer, "ordered_at": ts(f"2026-{day} 00:00")}
    for i, (customer, day) in enumerate(
        [("k1", "04-20"), ("k1", "06-15"), ("k2", "05-02"), ("k3", "05-05"), ("k3", "05-25"),
         ("k4", "05-10"), ("k4", "07-01"), ("k5", "05-30"), ("k6", "03-20"), ("k6", "04-02")]
    )
]  # fmt: skip

REASONS = [
    {"reason": "Late delivery", "value_to_customer": "low", "value_to_business": "low",
     "preventable": True, "external": True},
    {"reason": "Invoice copy", "value_to_customer": "high", "value_to_business": "low",
     "preventable": True, "external": False},
    {"reason": "Refund", "value_to_customer": "high", "value_to_business": "high",
     "preventable": False, "external": False},
]  # fmt: skip

ROOT_CAUSES = [
    {"cause_id": "C1", "title": "Invoice e-mail missing", "reasons": ["Invoice copy"],
     "status": "eliminated", "fixed_on": dt.date(2026, 5, 10)},
]  # fmt: skip

START, END = dt.date(2026, 5, 1), dt.date(2026, 5, 31)

EXPECTED = {
    "contacts": 7, "repeat_contact_rate": 0.333333, "contact_rate": 1400,
    "self_service_rate": 0.142857, "preventable_share": 0.857143, "external_share": 0.428571,
    "causes_eliminated": 1, "contacts_avoided": 1, "resolution_rate": 0.857143,
    "fcr_rate": 0.333333, "reopen_rate": 0.166667, "csat": 0.5, "csat_response_rate": 0.666667,
    "ces_avg": 3.5, "first_response_hours_median": 0.5, "first_response_hours_p90": 6.5,
    "resolution_hours_median": 7.5, "resolution_hours_p90": 42, "transfer_rate": 0.142857,
    "escalation_rate": 0.142857, "backlog": 1, "repurchase_after_contact_90d": 0.5,
    "repurchase_baseline_90d": 0.5, "happy_rate": 0.571429,
    # no schedules or SLA policies in the worked example: the business-hours and SLA metrics
    # are not in the data (tests/sla works them out by hand with schedules)
    "first_response_business_hours_median": None, "first_response_business_hours_p90": None,
    "resolution_business_hours_median": None, "resolution_business_hours_p90": None,
    "sla_first_response_rate": None, "sla_resolution_rate": None, "sla_breaches": None,
    "sla_running": None, "sla_at_risk": None,
}  # fmt: skip
