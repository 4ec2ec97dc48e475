"""Event logs → one contact per case (SPEC §2 `events`), by rules a team can read and change.

One row per ticket event: case id, timestamp, activity (the state or step), the assignee group
and actor, plus any contact field as a case attribute. Events are ordered by timestamp, then by
their order in the file. The rules (README "Event logs"; each setting lives in the mapping's
`[events]` table):

- **state**: the last activity seen so far; rows without an activity (e.g. an assignee change
  in a field-history log) keep the state they are in.
- **created_at**: the first event, or an earlier `created_at` attribute (ServiceNow's opened_at).
- **resolved**: the case is resolved while its state is one of `resolved` (compared without
  case). `resolved_at` is when the case last *entered* that set, if it is still in it at its
  last event; otherwise it is unresolved (reopened and not solved again).
- **reopens**: `left_resolved` (default) counts the times a case left the resolved set;
  `resolved_again` counts re-entries after the first resolution. Repeated resolve events with
  nothing in between ("Resolve ticket" twice in a second) are one resolution either way.
- **first_response_at**: the first event whose activity is one of `responded`, or the first
  resolution if that comes earlier (a resolution answers the customer).
- **transfers**: the times the group (or, with `transfer_on = "actor"`, the actor) changes
  from one non-empty value to another; the first assignment is not a transfer.
- **team / agent**: the last group and actor, unless mapped as attributes.
- **status**: the last state, as the source wrote it.
- other attributes: the last non-empty value in the case.
"""

from __future__ import annotations

from dataclasses import replace

from cxdash.importer.mapping import EventRules
from cxdash.schema import CONTACTS, Column, Table

EVENT_FIELDS = (
    Column("case_id", "VARCHAR", required=True),
    Column("timestamp", "TIMESTAMP", required=True),
    Column("activity", "VARCHAR"),
    Column("group", "VARCHAR"),
    Column("actor", "VARCHAR"),
)
# Set by the rules above, never taken from a column of the event log.
FROM_EVENTS = ("contact_id", "first_response_at", "resolved_at", "reopens", "transfers", "status")
# created_at is optional here: the first event stands in for it.
ATTRIBUTES = tuple(
    replace(c, required=False) for c in CONTACTS.contract_columns if c.name not in FROM_EVENTS
)
EVENTS = Table("events", EVENT_FIELDS + ATTRIBUTES)


def staged_contacts_sql(mapped: set[str], rules: EventRules) -> tuple[str, dict[str, object]]:
    """SQL building the temp table `staged` (contract columns) from the parsed events in
    `typed` (v_<field> columns) minus the rejected rows in `$bad`."""
    params: dict[str, object] = {
        "resolved": [a.lower() for a in rules.resolved],
        "responded": [a.lower() for a in rules.responded],
    }

    def v(name: str) -> str:
        return f"v_{name}" if name in mapped else "NULL"

    switch = "actor" if rules.transfer_on == "actor" else "group"
    attrs = [c.name for c in ATTRIBUTES if c.name in mapped and c.name != "created_at"]
    entered = "res AND NOT coalesce(prev_res, false)"
    reopen = (
        "count(*) FILTER (WHERE prev_res AND NOT res)"
        if rules.reopen == "left_resolved"
        else f"count(*) FILTER (WHERE {entered} AND was_res)"
    )
    has_state = "activity" in mapped
    has_switch = switch in mapped
    last = "ORDER BY ts, _cxdash_row) FILTER (WHERE {x} IS NOT NULL)"
    picks = [
        f"last({a} {last.format(x=a)} AS {a}" for a in attrs
    ]
    if "team" not in mapped:
        picks.append(f"last(grp {last.format(x='grp')} AS team")
    if "agent" not in mapped:
        picks.append(f"last(actor {last.format(x='actor')} AS agent")
    created = "least(min(ts), min(created_at))" if "created_at" in mapped else "min(ts)"
    sql = f"""
        CREATE TEMP TABLE staged AS
        WITH e AS (
            SELECT _cxdash_row, v_case_id AS case_id, v_timestamp AS ts,
                   {v('activity')} AS activity,
                   {v('group')} AS grp, {v('actor')} AS actor, {v(switch)} AS switch_on,
                   {v('created_at')} AS created_at
                   {''.join(f', v_{a} AS {a}' for a in attrs)}
            FROM typed WHERE NOT list_contains($bad, _cxdash_row)
        ), s AS (
            SELECT *, last_value(activity IGNORE NULLS) OVER w AS state,
                   last_value(switch_on IGNORE NULLS) OVER w AS holder
            FROM e WINDOW w AS (PARTITION BY case_id ORDER BY ts, _cxdash_row
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ), r AS (
            SELECT *, coalesce(list_contains($resolved, lower(state)), false) AS res FROM s
        ), t AS (
            SELECT *, lag(res) OVER w AS prev_res, lag(holder) OVER w AS prev_holder,
                   coalesce(bool_or(res) OVER (PARTITION BY case_id ORDER BY ts, _cxdash_row
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS was_res
            FROM r WINDOW w AS (PARTITION BY case_id ORDER BY ts, _cxdash_row)
        )
        SELECT case_id AS contact_id, {created} AS created_at,
               min(ts) FILTER (WHERE list_contains($responded, lower(activity))
                               OR ({entered})) AS first_response_at,
               CASE WHEN last(res ORDER BY ts, _cxdash_row) THEN max(ts) FILTER (WHERE {entered})
                    END AS resolved_at,
               {reopen if has_state else 'NULL'} AS reopens,
               {"count(*) FILTER (WHERE prev_holder IS NOT NULL AND holder <> prev_holder)"
                if has_switch else 'NULL'} AS transfers,
               last(state ORDER BY ts, _cxdash_row) AS status
               {''.join(', ' + p for p in picks)}
        FROM t GROUP BY case_id
    """
    return sql, params


MERGED_SQL = """
    CREATE TEMP TABLE merged AS
    SELECT s.contact_id,
           least(s.created_at, c.created_at) AS created_at,
           coalesce(s.first_response_at, c.first_response_at) AS first_response_at,
           CASE WHEN s.status IS NOT NULL THEN s.resolved_at ELSE c.resolved_at END
               AS resolved_at,
           coalesce(s.status, c.status) AS status,
           coalesce(s.reopens, c.reopens, 0) AS reopens,
           coalesce(s.transfers, c.transfers, 0) AS transfers,
           {others}
    FROM staged s LEFT JOIN contacts c USING (contact_id)
"""


def merged_sql(staged_columns: list[str]) -> str:
    """Events update the contacts already in the store (a ticket export plus its field
    history): the event rules set the timeline fields, attributes fill what the store lacks
    only when the events carry them, and a contact keeps the earliest creation time."""
    others = [
        f"coalesce(s.{c.name}, c.{c.name}) AS {c.name}" if c.name in staged_columns
        else f"c.{c.name} AS {c.name}"
        for c in ATTRIBUTES if c.name != "created_at"
    ]  # fmt: skip
    return MERGED_SQL.format(others=",\n           ".join(others))
