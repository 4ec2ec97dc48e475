"""The contacts, as set-wise SQL over integer keys.

Three streams make the first contacts: orders that lead to a contact (thinned by time of
week, trend and the fixed causes), the carrier spike (extra 'Late delivery' contacts about
orders placed around it) and people without a customer id. One outcome statement gives each
contact its channel, team, times, survey answers and what the customer does next (churn,
a follow-up); follow-ups then run through the same statement. Everything random hashes the
contact key, so the result does not depend on threads or row order.

Contact keys (n orders): candidate j about an order → j; no customer → n + j; spike
candidate j → 3n + j; follow-up of contact k → 2n + k. They are unique, and become contact ids
only in the final insert.
"""

from __future__ import annotations

from collections.abc import Iterable

from cxdash.demo import catalog
from cxdash.demo.clock import BUCKETS, DAY_US, to_us, weighted_buckets
from cxdash.demo.plan import MAX_BOOST, Plan

YEAR_US = catalog.DAYS * DAY_US
MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
PARTNER_CLOSES_US = 9 * HOUR_US  # 17:00 in Manila, on the UTC report clock
CLOSED_AFTER_DAYS = 4  # solved tickets close automatically after this many days
MAX_RESPONSE_MINUTES = 30 * 24 * 60  # caps on the (logistic, so long-tailed) durations
MAX_WORK_MINUTES = 60 * 24 * 60


def sql_list(values: Iterable[str | float]) -> str:
    """A DuckDB list literal of numbers or (quoted) strings."""
    items = []
    for v in values:
        items.append("'" + v.replace("'", "''") + "'" if isinstance(v, str) else repr(v))
    return "[" + ", ".join(items) + "]"


REASON_INDEX = {r.name: j for j, r in enumerate(catalog.REASONS)}
TEAM_INDEX = {t: j for j, t in enumerate(catalog.TEAMS)}
ALL_AGENTS = tuple(a for team in catalog.TEAMS for a in catalog.AGENTS[team])
AGENT_OFFSET = tuple(
    sum(len(catalog.AGENTS[t]) for t in catalog.TEAMS[:j]) for j in range(len(catalog.TEAMS))
)
COMMENTS = catalog.COMMENTS_POSITIVE + catalog.COMMENTS_NEUTRAL + catalog.COMMENTS_NEGATIVE
PHONE = catalog.CHANNELS.index("phone")
CHAT = catalog.CHANNELS.index("chat")
REASON_BUCKETS = weighted_buckets(
    range(len(catalog.REASONS)), tuple(r.weight for r in catalog.REASONS)
)
SPIKE_SHARE = REASON_BUCKETS.count(REASON_INDEX[catalog.SPIKE_REASON]) / len(REASON_BUCKETS)


def macros_sql(plan: Plan) -> list[str]:
    """Thinning by trend, weekday and hour, the fixed causes' lasting drop, contact delays."""
    d = plan.dates
    fix = REASON_INDEX[catalog.FIXED_CAUSE_REASON]
    older = REASON_INDEX[catalog.OLDER_FIXED_CAUSE_REASON]
    return [
        f"CREATE OR REPLACE TEMP MACRO thin(t) AS "
        f"(1 - {catalog.CONTACT_TREND} * (t - {plan.start_us}) / {YEAR_US}) "
        f"* {sql_list(catalog.WEEKDAY_CONTACTS)}[(t // {DAY_US} + 3) % 7 + 1] "
        f"* {sql_list(catalog.HOUR_CONTACTS)}[(t % {DAY_US}) // {HOUR_US} + 1]",
        f"CREATE OR REPLACE TEMP MACRO fixed(reason, t) AS CASE "
        f"WHEN reason = {fix} AND t >= {to_us(d.fix)} THEN {catalog.FIX_EFFECT} "
        f"WHEN reason = {older} AND t >= {to_us(d.older_fix)} THEN {catalog.OLDER_FIX_EFFECT} "
        f"ELSE 1.0 END",
        f"CREATE OR REPLACE TEMP MACRO delay(key, reason) AS "
        f"({sql_list([r.delay_days * DAY_US for r in catalog.REASONS])}[reason + 1] "
        f"* exp(0.9 * nrm(key, 8)))::BIGINT",
        # The overflow partner's next open moment at or after t: Manila's 08:00–17:00 on
        # weekdays is 00:00–09:00 UTC (no summer time there); its answers and resolutions land
        # only then (catalog.SLA_TOML's `manila` schedule).
        f"CREATE OR REPLACE TEMP MACRO partner_open(t) AS CASE "
        f"WHEN (t // {DAY_US} + 3) % 7 < 5 AND t % {DAY_US} < {PARTNER_CLOSES_US} THEN t "
        f"ELSE (t // {DAY_US} + 1 + CASE (t // {DAY_US} + 4) % 7 WHEN 5 THEN 2 WHEN 6 THEN 1 "
        f"ELSE 0 END) * {DAY_US} END",
    ]


def _about_orders(
    plan: Plan, key0: int, first: int, last: int, chance: float, reason: str, accept: str
) -> str:
    """Contacts about orders first..last-1, each leading to one with `chance` × boost × accept.

    Stratified sampling: candidate j looks at one order in its own stretch of 1 / (chance ×
    max boost) orders, so only the candidates are touched, never every order.
    """
    stride = 1 / (chance * MAX_BOOST)
    if stride < 1:
        raise ValueError("contact chance too high for stratified sampling")
    candidates = int((last - first) / stride)
    regions = weighted_buckets(range(len(catalog.REGIONS)), catalog.REGION_MIX)
    products = weighted_buckets(range(len(catalog.PRODUCTS)), catalog.PRODUCT_MIX)
    return f"""
SELECT key, cust, order_us, created_us, reason, product,
       {sql_list(regions)}[bucket(cust, 2)] AS region, false AS follow
FROM (
  SELECT key, cust3(i, cls_g(c)) AS cust, o AS order_us, o + delay(key, r) AS created_us,
         r AS reason, u, c, {sql_list(products)}[1 + p21(hk(i, 3), 0, {BUCKETS})] AS product
  FROM (
    SELECT key, i, c, u, ord_at(i) AS o, {reason} AS r
    FROM (
      SELECT key, i, cls(i % {plan.q}) AS c, uni(key, 6) AS u
      FROM (SELECT {key0} + j AS key,
                   {first} + floor((j + uni({key0} + j, 16)) * {stride})::BIGINT AS i
            FROM range({candidates}) t(j))
    )
    WHERE u < cls_boost(c) / {MAX_BOOST}
  )
)
WHERE created_us >= {plan.start_us} AND created_us < {plan.end_us}
  AND u < cls_boost(c) / {MAX_BOOST} * {accept}"""


def first_contacts_sql(plan: Plan) -> str:
    """SELECT of the first contacts of all three streams (base columns only)."""
    n = plan.n
    d = plan.dates
    spike = REASON_INDEX[catalog.SPIKE_REASON]
    regions = weighted_buckets(range(len(catalog.REGIONS)), catalog.REGION_MIX)
    products = weighted_buckets(range(len(catalog.PRODUCTS)), catalog.PRODUCT_MIX)
    advice = (REASON_INDEX["Product advice"], REASON_INDEX["Size and fit"])
    anon_buckets = weighted_buckets(
        range(len(catalog.REASONS)), tuple(r.anon_weight for r in catalog.REASONS)
    )
    main = _about_orders(
        plan, 0, 0, n, plan.p0, f"{sql_list(REASON_BUCKETS)}[bucket(key, 7)]",
        "thin(created_us) * fixed(reason, created_us)",
    )  # fmt: skip
    spike_stream = _about_orders(
        plan, 3 * n, plan.clock.count_le(to_us(d.spike_start) - 14 * DAY_US),
        plan.clock.count_le(to_us(d.spike_end)),
        plan.p0 * SPIKE_SHARE * (catalog.SPIKE_FACTOR - 1), str(spike),
        f"thin(created_us) * (created_us >= {to_us(d.spike_start)} "
        f"AND created_us < {to_us(d.spike_end)})::INT",
    )  # fmt: skip
    return f"""{main}
UNION ALL{spike_stream}
UNION ALL
SELECT key, NULL::BIGINT, NULL::BIGINT, created_us, reason,
       CASE WHEN reason IN {advice} THEN {sql_list(products)}[bucket(key, 14)] END,
       {sql_list(regions)}[bucket(key, 15)], false
FROM (
  SELECT key, {plan.start_us} + floor(uni(key, 11) * {YEAR_US})::BIGINT AS created_us,
         {sql_list(anon_buckets)}[bucket(key, 13)] AS reason
  FROM (SELECT {n} + j AS key FROM range({plan.anon_candidates}) t(j))
)
WHERE uni(key, 12) < thin(created_us) * fixed(reason, created_us)
"""


def follow_ups_sql(plan: Plan, table: str) -> str:
    """SELECT of the follow-ups that the contacts in `table` trigger (base columns only)."""
    return f"""
SELECT key + {2 * plan.n} AS key, cust, order_us, created_us + follow_delay_us AS created_us,
       reason, product, region, true AS follow
FROM {table}
WHERE follow_delay_us IS NOT NULL AND created_us + follow_delay_us < {plan.end_us}"""


def fate_sql(source: str) -> str:
    """Base columns plus what the customer does next: churn (when) and a follow-up (after)."""
    return f"""
SELECT key, cust, order_us, created_us, reason::UTINYINT AS reason,
       product::UTINYINT AS product, region::UTINYINT AS region, follow,
       CASE WHEN churn THEN churn_us END AS churn_us,
       CASE WHEN follows THEN follow_delay_us END AS follow_delay_us
FROM ({outcomes_sql(source)})"""


def kept_in_time_order_sql(work: str, churn: str) -> str:
    """Contacts whose order survived churn, with next_contact_at, sorted by created_at.

    The window and the sort see only the narrow base columns; outcomes are recomputed from
    the key afterwards, which costs less than carrying them through two sorts.
    """
    return f"""
SELECT * FROM (
  SELECT *, CASE WHEN cust IS NOT NULL THEN min(created_us) OVER (
      PARTITION BY cust ORDER BY created_us
      RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) END AS next_c
  FROM (
    SELECT w.key, w.cust, w.order_us, w.created_us, w.reason, w.product, w.region, w.follow,
           h.churn_us AS gone_us
    FROM {work} w LEFT JOIN {churn} h ON h.cust = w.cust
    WHERE w.order_us IS NULL OR h.churn_us IS NULL OR w.order_us <= h.churn_us
  )
) ORDER BY created_us, key"""


def outcomes_sql(source: str) -> str:
    """Give every contact of `source` (base columns) its handling, times, answers and fate.

    Draws come three to a hash (u21/z21 slice 21 bits), since hashing dominated the cost:
    h1..h11 are the contact's hashes; "h5, 1" below is the second slice of the fifth.
    """
    c = catalog
    timings = [c.TIMINGS[ch] for ch in c.CHANNELS]
    reasons = c.REASONS
    weak = TEAM_INDEX[c.WEAK_TEAM]
    channels = weighted_buckets(range(5), c.CHANNEL_MIX)
    follow_channels = weighted_buckets(range(5), c.FOLLOW_UP_CHANNEL_MIX)
    priorities = weighted_buckets(range(4), c.PRIORITY_MIX)
    expected = sql_list([t.expected_hours for t in timings])
    n_pos, n_neu = len(c.COMMENTS_POSITIVE), len(c.COMMENTS_NEUTRAL)
    hashes = ", ".join(f"hk(key, {32 + j}) AS h{j + 1}" for j in range(11))
    return f"""
SELECT *,
  CASE WHEN csat IS NOT NULL AND u21(h9, 2) < {c.COMMENT_CHANCE} THEN
    CASE WHEN csat >= 4 THEN p21(h10, 0, {n_pos})
         WHEN csat = 3 THEN {n_pos} + p21(h10, 0, {n_neu})
         ELSE {n_pos + n_neu} + p21(h10, 0, {len(c.COMMENTS_NEGATIVE)}) END END AS comment_idx,
  CASE WHEN csat IS NOT NULL AND u21(h9, 0) < {c.CES_ANSWER_CHANCE} THEN
    least(7, greatest(1, round(2 + transfers + 0.9 * reopens + 0.7 * escalated::INT
      + 1.2 * (sat < 3.5)::INT + 0.8 * z21(h9, 1))))::INT END AS ces,
  CASE WHEN ch = {PHONE} THEN resolved_us IS NOT NULL AND transfers = 0 AND reopens = 0
    AND NOT escalated AND resolved_us - created_us <= {HOUR_US} END AS fcr,
  cust IS NOT NULL AND u21(h10, 1) < CASE WHEN resolved_us IS NULL THEN {c.CHURN_UNRESOLVED}
    WHEN coalesce(csat <= 3, sat < 3.5) THEN {c.CHURN_UNHAPPY} ELSE {c.CHURN_HAPPY} END AS churn,
  coalesce(resolved_us, created_us + {c.UNRESOLVED_CHURN_DAYS * DAY_US}) AS churn_us,
  NOT follow AND cust IS NOT NULL AND u21(h10, 2) < CASE
    WHEN resolved_us IS NULL THEN {c.FOLLOW_UP_UNRESOLVED}
    WHEN transfers > 0 OR reopens > 0 OR escalated OR sat < 3.5 THEN {c.FOLLOW_UP_POOR}
    ELSE {c.FOLLOW_UP_OTHERWISE} END AS follows,
  least({150 * HOUR_US}, greatest({HOUR_US},
    {18 * HOUR_US} * exp(z21(h11, 0))))::BIGINT AS follow_delay_us
FROM (
SELECT *,
  CASE WHEN resolved_us IS NOT NULL AND u21(h8, 1)
    < CASE WHEN ch = {c.SELF_SERVICE} THEN {c.SELF_SERVICE_CSAT_CHANCE}
      ELSE {c.CSAT_ANSWER_CHANCE} END
    THEN least(5, greatest(1, round(sat + 0.4 * z21(h8, 2))))::INT END AS csat
FROM (
SELECT *,
  {c.SATISFACTION_BASE} + {sql_list([r.mood for r in reasons])}[reason + 1] + 0.75 * z21(h8, 0)
    - 0.45 * transfers - 0.7 * reopens - 0.5 * escalated::INT - 0.3 * (team = {weak})::INT
    - 0.35 * ln(1 + (resolved_us - created_us) / {HOUR_US} / {expected}[ch + 1]) AS sat
FROM (
SELECT *,
  CASE WHEN NOT abandoned AND team = {weak}
         THEN partner_open(frt_us + (work_min * {MINUTE_US})::BIGINT)
       WHEN NOT abandoned THEN frt_us + (work_min * {MINUTE_US})::BIGINT END AS resolved_us
FROM (
SELECT *,
  CASE WHEN (NOT abandoned OR u21(h4, 2) < 0.6) AND team = {weak}
         THEN partner_open(partner_open(created_us) + (frt_min * {MINUTE_US})::BIGINT)
       WHEN NOT abandoned OR u21(h4, 2) < 0.6
    THEN created_us + (frt_min * {MINUTE_US})::BIGINT END AS frt_us,
  least({MAX_WORK_MINUTES}, base_min + coalesce(hold_s, 0) / 60
    + CASE WHEN u21(h5, 2) < {sql_list([t.tail_share for t in timings])}[ch + 1]
      THEN {sql_list([t.tail_median for t in timings])}[ch + 1] * exp(z21(h6, 0)) ELSE 0 END
    + transfers * {sql_list([t.transfer_minutes for t in timings])}[ch + 1]
      * exp(0.5 * z21(h6, 1))
    + escalated::INT * 1800 * exp(0.8 * z21(h6, 2))
    + reopens * 1440 * exp(z21(h7, 0))) AS work_min,
  CASE WHEN ch IN ({PHONE}, {CHAT}) THEN base_min * 60 END AS handle_s
FROM (
SELECT *,
  least({MAX_RESPONSE_MINUTES}, speed * {sql_list([t.response_median for t in timings])}[ch + 1]
    * exp({sql_list([t.response_sigma for t in timings])}[ch + 1] * z21(h5, 0))) AS frt_min,
  speed * {sql_list([t.work_median for t in timings])}[ch + 1]
    * exp({sql_list([t.work_sigma for t in timings])}[ch + 1] * z21(h5, 1)) AS base_min,
  CASE WHEN ch = {PHONE} THEN
    CASE WHEN u21(h7, 1) < 0.45 THEN 45 * exp(0.8 * z21(h7, 2)) ELSE 0 END + 30 * transfers
    WHEN ch = {CHAT} THEN 0 END AS hold_s
FROM (
SELECT *,
  CASE WHEN self OR abandoned THEN 0
    WHEN u21(h4, 0) < CASE WHEN team = {weak} THEN {c.WEAK_REOPEN_CHANCE}
      ELSE {c.REOPEN_CHANCE} END
    THEN 1 + (u21(h4, 1) < 0.15)::INT + (u21(h4, 1) < 0.03)::INT ELSE 0 END AS reopens,
  {sql_list(list(c.PRIORITY_SPEED))}[prio + 1]
    * CASE WHEN team = {weak} THEN {c.WEAK_SLOWNESS} ELSE 1 END AS speed
FROM (
SELECT *,
  NOT self AND u21(h2, 2) < {sql_list([r.escalation for r in reasons])}[reason + 1]
    * CASE WHEN team = {weak} THEN 1.6 ELSE 1 END AS escalated,
  CASE WHEN self THEN 0
    WHEN u21(h3, 0) < CASE WHEN team = {weak} THEN {c.WEAK_TRANSFER_CHANCE}
      ELSE {c.TRANSFER_CHANCE} END
    THEN 1 + (u21(h3, 1) < 0.2)::INT + (u21(h3, 1) < 0.05)::INT ELSE 0 END AS transfers,
  NOT self AND u21(h3, 2) < CASE WHEN team = {weak} THEN {c.WEAK_ABANDON_CHANCE}
    ELSE {c.ABANDON_CHANCE} END AS abandoned,
  CASE WHEN NOT self
    THEN {sql_list(AGENT_OFFSET)}[team + 1]
      + p21(h2, 1, {sql_list([len(c.AGENTS[t]) for t in c.TEAMS])}[team + 1]) END AS agent
FROM (
SELECT *, ch = {c.SELF_SERVICE} AS self,
  CASE WHEN ch <> {c.SELF_SERVICE} THEN
    CASE WHEN u21(h2, 0) < {c.WEAK_TEAM_SHARE}
      THEN {weak}
      WHEN ch = {CHAT} THEN {TEAM_INDEX[c.CHAT_TEAM]}
      ELSE {sql_list([TEAM_INDEX[r.team] for r in reasons])}[reason + 1] END END AS team
FROM (
SELECT *,
  CASE WHEN NOT follow AND u21(h1, 0) < {sql_list([r.self_service for r in reasons])}[reason + 1]
    THEN {c.SELF_SERVICE}
    WHEN follow THEN {sql_list(follow_channels)}[1 + p21(h1, 1, {BUCKETS})]
    ELSE {sql_list(channels)}[1 + p21(h1, 1, {BUCKETS})] END AS ch,
  {sql_list(priorities)}[1 + p21(h1, 2, {BUCKETS})] AS prio
FROM (SELECT *, {hashes} FROM ({source}))
)))))))))"""
