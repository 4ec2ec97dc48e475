"""A small store with schedules and SLA policies imported, worked by hand, for the SLA metrics
on Spark (tests/engines/test_spark.py) beside DuckDB.

Schedules (UTC, the reporting zone): `default` Mon–Fri 09:00–17:00 (Support, and a contact
without a team); `late` Mon–Fri 12:00–20:00 (Billing). Policies, first match: chat — 10 min
first response, 4 h resolution, calendar time; team Support or Billing — 1 h and 8 h of
business time. The newest data time is C8's answer, Thursday 19 March 16:50.

The previous period (Wed 11 – Sun 15 March; read like for like as of the 15th's end, since
the newest data is before the current period's end):

    P1 Support email  Wed 10:00, answered 10:30 (0.5 h, due 11:00), resolved 15:00 (5 h, due
                      Thu 10:00): both achieved
    P2 Billing email  Thu 18:00, answered Fri 13:00 (2 + 1 = 3 h, due Thu 19:00): breached;
                      resolved Mon 16th 14:00 — after the cut, so unresolved then, due Fri
                      18:00: breached
    P3 Support chat   Sat 10:00 (closed: 0 business hours), answered 10:05 (due 10:10),
                      resolved 12:00 (due 14:00): both achieved

The current period (Mon 16 – Fri 20 March):

    C1 Support email  Mon 08:00, answered 09:30 (0.5 h, due 10:00), resolved 16:00 (7 h, due
                      17:00): achieved, achieved
    C2 Support email  Mon 16:30, answered Tue 10:00 (0.5 + 1 = 1.5 h, due Tue 09:30): breached;
                      open, resolution due Tue 16:30: breached
    C3 Billing phone  Tue 13:00, answered 13:45 (0.75 h, due 14:00): achieved; resolved Wed
                      14:00 (7 + 2 = 9 h, due Wed 13:00): breached
    C4 Support chat   Wed 12:00, answered 12:20 (due 12:10): breached; resolved 15:00 (3 h of
                      business time, due 16:00): achieved
    C5 Billing chat   Thu 11:00 (before `late` opens), answered 11:05 (0 h, due 11:10):
                      achieved; open, due 15:00: breached
    C6 Support email  Thu 16:00, no answer: due 17:00, running, at risk from 16:45 — at risk;
                      resolution due Fri 16:00: running
    C7 (no team) web  Wed 09:00, answered 11:00 (2 h): no policy, no targets
    C8 Support email  Thu 16:10, answered 16:50 (0.67 h, due 17:10): achieved; resolution due
                      Fri 16:10: running

So, current / previous: first-response SLA met 4/6 / 2/3, resolution SLA met 2/5 / 2/3,
breaches 4 (C2–C5) / 1 (P2), at risk 1 (C6) / 0; business hours to first response
[0, 1/3, 0.5, 2/3, 0.75, 1.5, 2] → median 2/3, p90 1.7 / [0, 0.5, 3] → 0.5, 2.5; to resolution
[3, 7, 9] → 7, 8.6 / [0, 5] → 2.5, 4.5 (P2's resolution is not known at the cut).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cxdash.importer.schedules import import_schedules
from cxdash.metrics.request import Period
from tests.storebuilder import build_store

D = dt.datetime
CURRENT = Period(dt.date(2026, 3, 16), dt.date(2026, 3, 20))

SLA = """\
[schedules.default]
timezone = "UTC"
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]

[schedules.late]
timezone = "UTC"
mon = ["12:00-20:00"]
tue = ["12:00-20:00"]
wed = ["12:00-20:00"]
thu = ["12:00-20:00"]
fri = ["12:00-20:00"]

[teams]
"Billing" = "late"

[[sla]]
channel = ["chat"]
first_response = "10m"
resolution = "4h"
business_hours = false

[[sla]]
team = ["Support", "Billing"]
first_response = "1h"
resolution = "8h"
"""


def _c(cid: str, team: str | None, channel: str, created: D, answered: D | None = None,
       resolved: D | None = None) -> dict[str, object]:  # fmt: skip
    return {"contact_id": cid, "created_at": created, "team": team, "channel": channel,
            "first_response_at": answered, "resolved_at": resolved}  # fmt: skip


CONTACTS = [
    _c("P1", "Support", "email", D(2026, 3, 11, 10), D(2026, 3, 11, 10, 30), D(2026, 3, 11, 15)),
    _c("P2", "Billing", "email", D(2026, 3, 12, 18), D(2026, 3, 13, 13), D(2026, 3, 16, 14)),
    _c("P3", "Support", "chat", D(2026, 3, 14, 10), D(2026, 3, 14, 10, 5), D(2026, 3, 14, 12)),
    _c("C1", "Support", "email", D(2026, 3, 16, 8), D(2026, 3, 16, 9, 30), D(2026, 3, 16, 16)),
    _c("C2", "Support", "email", D(2026, 3, 16, 16, 30), D(2026, 3, 17, 10)),
    _c("C3", "Billing", "phone", D(2026, 3, 17, 13), D(2026, 3, 17, 13, 45), D(2026, 3, 18, 14)),
    _c("C4", "Support", "chat", D(2026, 3, 18, 12), D(2026, 3, 18, 12, 20), D(2026, 3, 18, 15)),
    _c("C5", "Billing", "chat", D(2026, 3, 19, 11), D(2026, 3, 19, 11, 5)),
    _c("C6", "Support", "email", D(2026, 3, 19, 16)),
    _c("C7", None, "web", D(2026, 3, 18, 9), D(2026, 3, 18, 11)),
    _c("C8", "Support", "email", D(2026, 3, 19, 16, 10), D(2026, 3, 19, 16, 50)),
]  # fmt: skip

# The SLA metrics of the current period, and of the previous one (its own bucket row with
# with_previous, read like for like), worked above.
EXPECTED = {
    "sla_first_response_rate": 4 / 6, "sla_resolution_rate": 2 / 5, "sla_breaches": 4,
    "sla_at_risk": 1,
    "first_response_business_hours_median": 2 / 3, "first_response_business_hours_p90": 1.7,
    "resolution_business_hours_median": 7.0, "resolution_business_hours_p90": 8.6,
}  # fmt: skip
EXPECTED_PREVIOUS = {
    "sla_first_response_rate": 2 / 3, "sla_resolution_rate": 2 / 3, "sla_breaches": 1,
    "sla_at_risk": 0,
    "first_response_business_hours_median": 0.5, "first_response_business_hours_p90": 2.5,
    "resolution_business_hours_median": 2.5, "resolution_business_hours_p90": 4.5,
}  # fmt: skip


def sla_store(path: Path) -> Path:
    """The store above, its schedules and policies imported as `cxdash import` does."""
    build_store(path, CONTACTS)
    toml = path.with_name("sla.toml")
    toml.write_text(SLA, encoding="utf-8")
    import_schedules(toml, path)
    return path
