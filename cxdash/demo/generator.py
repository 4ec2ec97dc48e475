"""`cxdash demo`: a year of realistic CX data with known effects, written as a new store.

The whole store is built in a fresh temporary file and swapped in (cxdash.publish.new_version),
so a failed or interrupted run leaves the previous store as it was. Work tables are TEMP
tables, never part of the file. At 10M contacts the cost is dominated by writing ~71M orders,
so orders are computed in closed form (cxdash.demo.clock) and written once, in time order.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cxdash import publish, schema
from cxdash.demo import catalog, clock
from cxdash.demo import contact_sql as sql
from cxdash.demo.plan import Plan, make_plan

# Unique ids gain nothing from DuckDB's default string codec (dictionary + FSST) but pay for
# trying it: with zstd the id columns write ~1.5x faster (measured), for a slightly larger file.
ZSTD_COLUMNS = {"contacts": ("contact_id", "customer_id"), "orders": ("order_id", "customer_id")}


@dataclass(frozen=True)
class DemoSummary:
    """What was written, for the CLI's one-line report."""

    contacts: int
    orders: int
    customers: int
    start: dt.date
    end: dt.date
    seconds: float
    backup: Path | None = None  # the store it replaced, kept as an automatic backup


def default_end() -> dt.date:
    """Yesterday in UTC: the last whole day."""
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def generate(
    path: Path, contacts: int = 200_000, seed: int = 7, end: dt.date | None = None
) -> DemoSummary:
    """Write a demo store at `path`: the same (contacts, seed, end) give the same store.
    A store already there is kept as an automatic backup before the demo replaces it."""
    began = time.perf_counter()
    plan = make_plan(contacts, seed, end or default_end())
    with publish.new_version(Path(path), from_existing=False, keep="demo") as draft:
        con = draft.con
        _create_tables(con)
        for statement in clock.macros_sql(plan.clock, seed) + sql.macros_sql(plan):
            con.execute(statement)
        _write_catalog(con, plan)
        _build_contacts(con, plan)
        _write_contacts(con, plan)
        con.execute("DROP TABLE work")  # free its memory before the biggest write
        _write_orders(con, plan)
        customers = _count_customers(con, plan)
        con.execute("DROP TABLE churn")
        draft.lookahead_written()
        # business hours and SLA policies: publishing derives every contact's SLA facts
        con.execute("INSERT INTO sla_config VALUES ($toml, $at, 'demo')",
                    {"toml": catalog.SLA_TOML,
                     "at": dt.datetime.combine(plan.dates.end, dt.time(23, 59))})  # fmt: skip
        draft.sla_rewritten()
        n_contacts, n_orders = con.execute(
            "SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM orders)"
        ).fetchall()[0]
    return DemoSummary(
        contacts=int(n_contacts),
        orders=int(n_orders),
        customers=customers,
        start=plan.dates.start,
        end=plan.dates.end,
        seconds=round(time.perf_counter() - began, 2),
        backup=draft.kept,
    )


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The contract schema, with zstd for the unique-id columns of the two big tables."""
    for table in (schema.CONTACTS, schema.ORDERS):
        ddl = schema.create_table_sql(table)
        for column in ZSTD_COLUMNS[table.name]:
            plain = f"\n  {column} {table.column(column).sql_type}"
            ddl = ddl.replace(plain, f"{plain} USING COMPRESSION zstd", 1)
        con.execute(ddl)
    schema.create_schema(con)


def _write_catalog(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    con.executemany(
        "INSERT INTO reasons (reason, value_to_customer, value_to_business, preventable, "
        "external) VALUES (?, ?, ?, ?, ?)",
        [
            (r.name, r.value_to_customer, r.value_to_business, r.preventable, r.external)
            for r in catalog.REASONS
        ],
    )
    fixed = {"fix": plan.dates.fix, "older_fix": plan.dates.older_fix,
             "failed_fix": plan.dates.failed_fix}
    con.executemany(
        "INSERT INTO root_causes (cause_id, title, reasons, owner, status, identified_on, "
        "fixed_on, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                rc.cause_id,
                rc.title,
                list(rc.reasons),
                rc.owner,
                rc.status,
                plan.dates.end - dt.timedelta(days=rc.identified_days_before_end),
                fixed.get(rc.fixed or ""),
                rc.notes,
            )
            for rc in catalog.ROOT_CAUSES
        ],
    )
    con.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?)", sorted(catalog.SETTINGS.items())
    )


def _build_contacts(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Every contact's base columns and fate (integers only), then who churns and when."""
    con.execute(f"CREATE TEMP TABLE work AS {sql.fate_sql(sql.first_contacts_sql(plan))}")
    con.execute(f"INSERT INTO work {sql.fate_sql(sql.follow_ups_sql(plan, 'work'))}")
    con.execute(
        "CREATE TEMP TABLE churn AS SELECT cust, min(churn_us) AS churn_us "
        "FROM work WHERE churn_us IS NOT NULL GROUP BY cust"
    )


def _ts(expr: str) -> str:
    return f"make_timestamp({expr})"


def _write_contacts(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Contacts whose order survived churn, with derived columns, in created_at order."""
    c = catalog
    end = plan.end_us
    lst = sql.sql_list
    agents = lst(sql.ALL_AGENTS)
    email = (
        f"{lst(c.EMAIL_FIRST)}[1 + dice(key, 74, {len(c.EMAIL_FIRST)})] || '.' || "
        f"{lst(c.EMAIL_LAST)}[1 + dice(key, 75, {len(c.EMAIL_LAST)})] || "
        f"dice(key, 77, 90)::VARCHAR || '@' || "
        f"{lst(c.EMAIL_DOMAINS)}[1 + dice(key, 76, {len(c.EMAIL_DOMAINS)})]"
    )
    next_order = (
        "CASE WHEN {i} < " + str(plan.n)
        + " AND (gone_us IS NULL OR {t} <= gone_us) THEN make_timestamp({t}) END"
    )
    values = {
        "contact_id": "'T' || key",
        "created_at": _ts("created_us"),
        "customer_id": "'C' || cust",
        "channel": f"{lst(c.CHANNELS)}[ch + 1]",
        "reason": f"{lst(c.REASON_NAMES)}[reason + 1]",
        "team": f"{lst(c.TEAMS)}[team + 1]",
        "agent": f"{agents}[agent + 1]",
        "product": f"{lst(c.PRODUCTS)}[product + 1]",
        "region": f"{lst(c.REGIONS)}[region + 1]",
        "priority": f"{lst(c.PRIORITIES)}[prio + 1]",
        "first_response_at": _ts("frt_v"),
        "resolved_at": _ts("res_v"),
        "status": f"""CASE WHEN res_v < {end - sql.CLOSED_AFTER_DAYS * clock.DAY_US} THEN 'closed'
            WHEN res_v IS NOT NULL THEN 'solved'
            WHEN frt_v IS NOT NULL THEN 'pending' ELSE 'open' END""",
        "reopens": "reopens",
        "transfers": "transfers",
        "escalated": "escalated",
        "self_served": f"ch = {c.SELF_SERVICE}",
        "first_contact_resolved": "CASE WHEN fcr IS NOT NULL THEN fcr AND res_v IS NOT NULL END",
        "handle_seconds": "CASE WHEN frt_v IS NOT NULL THEN round(handle_s, 1) END",
        "hold_seconds": "CASE WHEN frt_v IS NOT NULL THEN round(hold_s, 1) END",
        "csat": "CASE WHEN res_v IS NOT NULL THEN csat END",
        "ces": "CASE WHEN res_v IS NOT NULL THEN ces END",
        # only ~4 % of contacts comment; build the text for those alone
        "comment": f"""CASE WHEN comment_idx IS NOT NULL AND res_v IS NOT NULL THEN
            replace(replace({lst(sql.COMMENTS)}[comment_idx + 1], '{{agent}}',
              split_part({agents}[agent + 1], ' ', 1)), '{{email}}', {email}) END""",
        "driver": f"{lst(c.REASON_NAMES)}[reason + 1]",  # no driver map: the reason
        "next_contact_at": _ts("next_c"),
        "next_order_after_resolved_at": next_order.format(i="after_resolved", t="resolved_next"),
        "next_order_after_created_at": next_order.format(i="after_created", t="created_next"),
    }
    step = f"cycle_of(cust) * {plan.q}"
    con.execute(
        f"""
INSERT INTO contacts ({", ".join(_columns(schema.CONTACTS, values))})
SELECT {", ".join(values[name] for name in _columns(schema.CONTACTS, values))}
FROM (
  SELECT *, ord_at(after_resolved) AS resolved_next, ord_at(after_created) AS created_next
  FROM (
  SELECT *,
    CASE WHEN cust IS NOT NULL AND res_v IS NOT NULL
      THEN next_in(cust, {step}, ord_le(res_v)) END AS after_resolved,
    CASE WHEN cust IS NOT NULL THEN next_in(cust, {step}, ord_le(created_us)) END AS after_created
  FROM (
    SELECT *,
      CASE WHEN frt_us < {end} THEN frt_us END AS frt_v,
      CASE WHEN resolved_us < {end} THEN resolved_us END AS res_v
    FROM ({sql.outcomes_sql(sql.kept_in_time_order_sql("work", "churn"))})
  ))
)"""
    )


def _columns(table: schema.Table, values: dict[str, str]) -> list[str]:
    """The table's columns we fill. A derived column we cannot fill would leave the store
    silently stale, so it stops the run; other new columns simply stay NULL."""
    unfilled = [col.name for col in table.columns if col.derived and col.name not in values
                and col.name not in schema.SLA_COLUMNS]  # publishing derives those
    if unfilled:
        raise RuntimeError(f"the demo generator cannot fill {table.name}.{unfilled}")
    return [col.name for col in table.columns if col.name in values]


def _write_orders(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Orders in index (= time) order; a churned customer loses every order after churning.

    The same customer's next and previous orders are exactly g weeks away (clock.py).
    """
    c = catalog
    lst = sql.sql_list
    products = clock.weighted_buckets(range(len(c.PRODUCTS)), c.PRODUCT_MIX)
    regions = clock.weighted_buckets(range(len(c.REGIONS)), c.REGION_MIX)
    # log-logistic amounts: a median per product and a long right tail, from a single draw
    amount = (
        f"round(greatest(1.99, {lst(list(c.PRODUCT_AMOUNT))}[p + 1] "
        f"* pow(u21(draw, 1) / (1 - u21(draw, 1)), 0.3)), 2)"
    )
    gap = f"g * {clock.WEEK_US}"
    values = {
        "order_id": "'O' || i",
        "customer_id": "'C' || a",
        "ordered_at": _ts("t"),
        "product": f"{lst(c.PRODUCTS)}[p + 1]",
        "region": f"{lst(c.REGIONS)}[{lst(regions)}[bucket(a, 2)] + 1]",
        "amount": amount,
        "next_ordered_at": f"""CASE WHEN i + g * {plan.q} < {plan.n}
            AND (gone.churn_us IS NULL OR t + {gap} <= gone.churn_us)
            THEN {_ts(f"t + {gap}")} END""",
        "prev_ordered_at": f"""CASE WHEN i - g * {plan.q} >= {plan.first_written}
            THEN {_ts(f"t - {gap}")} END""",
    }
    columns = _columns(schema.ORDERS, values)
    con.execute(
        f"""
INSERT INTO orders ({", ".join(columns)})
SELECT {", ".join(values[name] for name in columns)}
FROM (
  SELECT i, g, draw, cust3(i, g) AS a, ord_at(i) AS t,
         {lst(products)}[1 + p21(draw, 0, {clock.BUCKETS})] AS p
  FROM (SELECT i, cls_g(cls(i % {plan.q})) AS g, hk(i, 3) AS draw
        FROM range({plan.first_written}, {plan.n}) r(i))
) o
LEFT JOIN churn gone ON gone.cust = o.a
WHERE gone.churn_us IS NULL OR t <= gone.churn_us"""
    )


def _count_customers(con: duckdb.DuckDBPyConnection, plan: Plan) -> int:
    """Customers with an order in the store, in closed form (a distinct count over ~71M ids
    is slow): position r holds g customers, one per week mod g, and those whose weeks meet
    the window have an order in it, unless churn came before the first one."""
    q, weeks = plan.q, catalog.DAYS // 7
    total = con.execute(
        f"SELECT sum(least(cycle_of(r), {weeks})) FROM range({q}) t(r)"
    ).fetchall()[0][0]
    lost = con.execute(
        f"""SELECT count(*) FROM (
              SELECT churn_us, next_in(cust, cycle_of(cust) * {q}, {plan.first_written}) AS f
              FROM churn)
            WHERE f < {plan.n} AND ord_at(f) > churn_us"""
    ).fetchall()[0][0]
    return int(total) - int(lost)
