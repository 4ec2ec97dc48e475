"""Each contact's schedule, policy, business-hours durations, due times and SLA outcomes
(SPEC §3 "Business hours and SLAs"), derived in one set-based pass from the schedules as
they are now — so a changed schedule or policy re-derives all of history.

The rules, exactly:
- schedule: the team's (`[teams]`), else `default`; none when neither exists.
- policy: the first, in file order, whose conditions all match (priority, channel, team:
  any of the values); a contact no policy matches has no targets.
- due time: when the business (or, for a calendar policy, the calendar) time since
  created_at reaches the target.
- achieved: the event (first response, resolution) at or before the due time; breached: after
  it, or none yet and the due time before the newest data time; still running: none yet
  and due at or after the newest data time. A due time beyond the calendar is running.
- the newest data time: the latest created_at, first_response_at or resolved_at in the store.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from cxdash.schema import SLA_COLUMNS
from cxdash.sla import calendar
from cxdash.sla.config import DEFAULT, SlaConfig
from cxdash.sla.config import parse as config_parse
from cxdash.sla.outcomes import outcome_sql

TABLE = "contact_sla"


def newest_data_time(
    con: duckdb.DuckDBPyConnection, contacts: str = "contacts"
) -> dt.datetime | None:
    row = con.execute(f"SELECT greatest(max(created_at), max(first_response_at), "
                      f"max(resolved_at)) FROM {contacts}").fetchall()  # fmt: skip
    value = row[0][0]
    return value if isinstance(value, dt.datetime) else None


def derive(
    con: duckdb.DuckDBPyConnection, config: SlaConfig, report_tz: str,
    contacts: str = "contacts", table: str = TABLE, *, temp: bool = False,
) -> int:
    """(Re)create `table`: one row per contact that has a schedule or a policy, with its
    business durations (seconds), due times and outcomes; the number of rows. Without
    schedules and policies the table is dropped (nothing to measure against)."""
    con.execute(f"DROP TABLE IF EXISTS {table}")
    if not config.schedules and not config.policies:
        return 0
    span = con.execute(f"SELECT min(created_at)::DATE FROM {contacts}").fetchall()[0][0]
    newest = newest_data_time(con, contacts)
    if span is None or newest is None:  # no contacts yet: an empty table of the right shape
        newest = dt.datetime.combine(dt.date.today(), dt.time())
        span = newest.date()
    calendar.build(con, config, report_tz, span, newest.date())
    params: dict[str, object] = {"newest": newest}
    _register_teams(con, config)
    policy = _policy_sql(config, params)
    targets = {p.position: p for p in config.policies}

    def target(kind: str) -> str:
        cases = " ".join(
            f"WHEN {p.position} THEN {round(minutes * 60_000_000)}"
            for p in targets.values()
            if (minutes := getattr(p, f"{kind}_minutes")) is not None)
        return f"CASE policy {cases} END" if cases else "CAST(NULL AS BIGINT)"

    business = " ".join(f"WHEN {p.position} THEN {str(p.business_hours).lower()}"
                        for p in targets.values())  # fmt: skip
    base = f"""(
        SELECT c.contact_id, c.created_at, c.first_response_at, c.resolved_at,
               coalesce(t.schedule, CASE WHEN $has_default THEN '{DEFAULT}' END) AS schedule,
               {policy} AS policy
        FROM {contacts} c LEFT JOIN sla_team_schedules t ON t.team = c.team)"""
    params["has_default"] = config.schedule(DEFAULT) is not None
    with_policy = f"""(SELECT *, {target('first_response')} AS fr_target_us,
                              {target('resolution')} AS res_target_us,
                              {f'CASE policy {business} END' if business else 'NULL'}
                              AS business_hours FROM {base})"""
    step = calendar.cumulative_sql(with_policy, "created_at", "cum_created")
    step = calendar.cumulative_sql(f"({step})", "first_response_at", "cum_fr")
    step = calendar.cumulative_sql(f"({step})", "resolved_at", "cum_res")
    # at risk from: when a quarter of the target is left (SPEC §3 sla_at_risk), in the
    # target's own clock, so a risk that starts on Monday morning is not seen on Friday night
    goals = f"""(SELECT *, cum_created + fr_target_us AS fr_goal,
                        cum_created + res_target_us AS res_goal,
                        cum_created + fr_target_us * 3 // 4 AS fr_risk_goal,
                        cum_created + res_target_us * 3 // 4 AS res_risk_goal FROM ({step}))"""
    step = calendar.due_sql(goals, "fr_goal", "fr_due_business")
    step = calendar.due_sql(f"({step})", "res_goal", "res_due_business")
    step = calendar.due_sql(f"({step})", "fr_risk_goal", "fr_risk_business")
    step = calendar.due_sql(f"({step})", "res_risk_goal", "res_risk_business")
    con.execute(f"""
        CREATE {'TEMP ' if temp else ''}TABLE {table} AS
        WITH d AS (
            SELECT contact_id, schedule, policy, business_hours,
                   (cum_fr - cum_created) / 1e6 AS first_response_business_seconds,
                   (cum_res - cum_created) / 1e6 AS resolution_business_seconds,
                   CASE WHEN business_hours THEN fr_due_business
                        ELSE created_at + to_microseconds(fr_target_us) END
                       AS first_response_due_at,
                   CASE WHEN business_hours THEN res_due_business
                        ELSE created_at + to_microseconds(res_target_us) END
                       AS resolution_due_at,
                   CASE WHEN business_hours THEN fr_risk_business
                        ELSE created_at + to_microseconds(fr_target_us * 3 // 4) END
                       AS first_response_at_risk_from,
                   CASE WHEN business_hours THEN res_risk_business
                        ELSE created_at + to_microseconds(res_target_us * 3 // 4) END
                       AS resolution_at_risk_from,
                   first_response_at, resolved_at,
                   CASE WHEN business_hours AND schedule IS NULL THEN NULL ELSE fr_target_us END
                       AS fr_target_us,
                   CASE WHEN business_hours AND schedule IS NULL THEN NULL ELSE res_target_us END
                       AS res_target_us
            FROM ({step})
            WHERE schedule IS NOT NULL OR policy IS NOT NULL)
        SELECT contact_id, schedule, policy, business_hours,
               first_response_business_seconds, resolution_business_seconds,
               first_response_due_at, resolution_due_at,
               first_response_at_risk_from, resolution_at_risk_from,
               {outcome_sql('first_response_at', 'first_response_due_at', 'fr_target_us',
                            '$newest')} AS sla_first_response,
               {outcome_sql('resolved_at', 'resolution_due_at', 'res_target_us', '$newest')}
                   AS sla_resolution,
               fr_target_us / 1e6 AS first_response_target_seconds,
               res_target_us / 1e6 AS resolution_target_seconds
        FROM d""", params)  # fmt: skip
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def current(con: duckdb.DuckDBPyConnection) -> SlaConfig | None:
    """The schedules and policies in force: the newest `sla_config` row, read again (its teams
    were checked when it was written; a team that has since gone simply matches nothing)."""
    try:
        rows = con.execute("SELECT toml FROM sla_config ORDER BY changed_at DESC, rowid DESC "
                           "LIMIT 1").fetchall()  # fmt: skip
    except duckdb.CatalogException:
        return None
    return config_parse(rows[0][0]) if rows else None


def refresh(con: duckdb.DuckDBPyConnection, report_tz: str) -> int:
    """Write the SLA columns of every contact (SCHEMA's SLA_COLUMNS) from the configuration in
    force, or clear them when there is none; only rows whose values change are written.
    Runs in the publishing writer's transaction. The number of contacts measured."""
    config = current(con)
    cols = SLA_COLUMNS
    if config is None:
        if not con.execute("SELECT 1 FROM contacts WHERE " + " OR ".join(
                f"{c} IS NOT NULL" for c in cols) + " LIMIT 1").fetchall():  # fmt: skip
            return 0
        con.execute("UPDATE contacts SET " + ", ".join(f"{c} = NULL" for c in cols))
        return 0
    measured = derive(con, config, report_tz, table="sla_facts", temp=True)
    facts = {"sla_policy": "policy"}
    picked = ", ".join(f"f.{facts.get(c, c)} AS {c}" for c in cols)
    changed = " OR ".join(f"contacts.{c} IS DISTINCT FROM d.{c}" for c in cols)
    con.execute(f"""
        UPDATE contacts SET {', '.join(f'{c} = d.{c}' for c in cols)}
        FROM (SELECT c.contact_id, {picked} FROM contacts c
              LEFT JOIN sla_facts f ON f.contact_id = c.contact_id) d
        WHERE contacts.contact_id = d.contact_id AND ({changed})""")
    con.execute("DROP TABLE IF EXISTS sla_facts")
    return measured


def _register_teams(con: duckdb.DuckDBPyConnection, config: SlaConfig) -> None:
    frame = pl.DataFrame({"team": [t for t, _ in config.teams],
                          "schedule": [s for _, s in config.teams]},
                         schema={"team": pl.String, "schedule": pl.String})  # fmt: skip
    con.register("sla_team_frame", frame.to_arrow())
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE sla_team_schedules AS "
                    "SELECT * FROM sla_team_frame")  # fmt: skip
    finally:
        con.unregister("sla_team_frame")


def _policy_sql(config: SlaConfig, params: dict[str, object]) -> str:
    """CASE over the policies in order: the first whose conditions all hold. The values are
    parameters — they come from a file, not from cxdash."""
    if not config.policies:
        return "CAST(NULL AS INTEGER)"
    cases = []
    for p in config.policies:
        tests = []
        for field, values in p.conditions:
            name = f"sla_{p.position}_{field}"
            params[name] = list(values)
            tests.append(f"list_contains(${name}, c.{field})")
        cases.append(f"WHEN {' AND '.join(tests) or 'true'} THEN {p.position}")
    return f"CASE {' '.join(cases)} END"
