"""The demo store: exact derived columns, the built-in effects seen with plain SQL, realistic
shapes, determinism and all-or-nothing writes.

One store of 40k contacts is generated per module; every effect is measured on it the way an
analyst would, with numbers, so a tuning change that hides an effect fails here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxdash import derived, schema
from cxdash.demo import catalog, clock, generator
from cxdash.demo.generator import DemoSummary, generate
from cxdash.demo.plan import make_plan

# One worker builds the 40,000-contact store the module shares (`--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("demo_generator")
END = dt.date(2026, 6, 30)
CONTACTS = 40_000
DATES = catalog.effect_dates(END)
WEEK = dt.timedelta(weeks=1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    path = tmp_path_factory.mktemp("demo") / "cxdash.duckdb"
    return path, generate(path, contacts=CONTACTS, seed=7, end=END)


@pytest.fixture(scope="module")
def con(demo: tuple[Path, DemoSummary]) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(demo[0]), read_only=True)
    yield connection
    connection.close()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> tuple:
    return con.execute(sql, params or {}).fetchall()[0]


def per_1000_orders(con, reason: str, first: dt.date, stop: dt.date) -> float:
    """Contacts of `reason` per 1,000 orders, days in [first, stop)."""
    contacts, orders = one(
        con,
        """SELECT (SELECT count(*) FROM contacts WHERE reason = $r
                     AND created_at >= $a AND created_at < $b),
                  (SELECT count(*) FROM orders WHERE ordered_at >= $a AND ordered_at < $b)""",
        {"r": reason, "a": first, "b": stop},
    )
    return 1000 * contacts / orders


def test_summary_describes_the_store(con, demo) -> None:
    _, summary = demo
    assert (summary.start, summary.end) == (END - dt.timedelta(days=363), END)
    assert summary.contacts == one(con, "SELECT count(*) FROM contacts")[0]
    assert summary.orders == one(con, "SELECT count(*) FROM orders")[0]
    assert abs(summary.contacts - CONTACTS) < 0.05 * CONTACTS
    # every customer with an order, counted the slow way
    assert summary.customers == one(con, "SELECT count(DISTINCT customer_id) FROM orders")[0]
    first, last = one(con, "SELECT min(created_at)::DATE, max(created_at)::DATE FROM contacts")
    assert (first, last) == (summary.start, summary.end)
    first, last = one(con, "SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders")
    assert (first, last) == (summary.start, summary.end)


def derived_names(table: schema.Table) -> list[str]:
    return [c.name for c in table.columns if c.derived]


def test_derived_columns_equal_the_generic_derivation(con) -> None:
    """Closed-form next/previous orders and churn agree with cxdash.derived to the µs."""
    contract = {
        t.name: f"(SELECT * EXCLUDE ({', '.join(derived_names(t))}) FROM {t.name})"
        for t in (schema.CONTACTS, schema.ORDERS)
    }
    generic = {
        "contacts": f"SELECT *, {derived.DRIVER_OF_REASON.format(c='d')} AS driver FROM ("
                    f"{derived.contacts_with_derived_sql(contract['contacts'], contract['orders'])}"
                    ") d",  # no driver map in the demo: the driver is the reason
        "orders": derived.orders_with_derived_sql(contract["orders"]),
    }
    for table, key in ((schema.CONTACTS, "contact_id"), (schema.ORDERS, "order_id")):
        # the SLA facts come from schedules (none in this demo run), not from the rows
        names = [n for n in derived_names(table) if n not in schema.SLA_COLUMNS]
        mismatches = ", ".join(
            f"count(*) FILTER (WHERE s.{n} IS DISTINCT FROM g.{n})" for n in names
        )
        counts = one(
            con,
            f"SELECT count(*), {mismatches} "
            f"FROM {table.name} s JOIN ({generic[table.name]}) g USING ({key})",
        )
        assert counts[0] == one(con, f"SELECT count(*) FROM {table.name}")[0]
        assert counts[1:] == (0,) * len(names), (table.name, names, counts)
        filled = one(con, f"SELECT {', '.join(f'count({n})' for n in names)} FROM {table.name}")
        assert min(filled) > 0, (table.name, names, filled)  # not equal by being all NULL


def test_ids_unique_and_rows_in_time_order(con) -> None:
    assert one(con, "SELECT count(*) = count(DISTINCT contact_id) FROM contacts")[0]
    assert one(con, "SELECT count(*) = count(DISTINCT order_id) FROM orders")[0]
    for table, ts in (("contacts", "created_at"), ("orders", "ordered_at")):
        backwards = one(
            con,
            f"""SELECT count(*) FROM (SELECT {ts}, lag({ts}) OVER (ORDER BY rowid) AS before
                                       FROM {table}) WHERE before > {ts}""",
        )[0]
        assert backwards == 0, table  # zone maps can prune period scans


def test_timestamps_and_statuses_are_consistent(con) -> None:
    end = dt.datetime.combine(END + dt.timedelta(days=1), dt.time())
    bad = one(
        con,
        """SELECT count(*) FILTER (WHERE first_response_at < created_at
                                     OR resolved_at < created_at),
                  count(*) FILTER (WHERE greatest(created_at, first_response_at, resolved_at)
                                     >= $e),
                  count(*) FILTER (WHERE (resolved_at IS NULL) <> (status IN ('open', 'pending'))),
                  count(*) FILTER (WHERE resolved_at IS NULL AND csat IS NOT NULL),
                  count(*) FILTER (WHERE self_served AND (agent IS NOT NULL OR team IS NOT NULL))
           FROM contacts""",
        {"e": end},
    )
    assert bad == (0, 0, 0, 0, 0)


def test_reasons_root_causes_and_settings(con) -> None:
    reasons = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT reason, value_to_customer, value_to_business, preventable, external "
            "FROM reasons"
        ).fetchall()
    }
    assert 15 <= len(reasons) <= 25
    quadrants = {(vc, vb) for vc, vb, _, _ in reasons.values()}
    assert quadrants == {("low", "low"), ("high", "low"), ("low", "high"), ("high", "high")}
    assert reasons["Late delivery"] == ("low", "low", True, True)
    assert reasons["Invoice copy"][:3] == ("high", "low", True)
    assert reasons["Refund"][:2] == ("high", "high")
    assert any(p for _, _, p, _ in reasons.values()) and any(e for *_, e in reasons.values())
    used = {r for (r,) in con.execute("SELECT DISTINCT reason FROM contacts").fetchall()}
    assert used == set(reasons)

    causes = con.execute(
        "SELECT status, reasons, fixed_on, identified_on, owner FROM root_causes"
    ).fetchall()
    assert 4 <= len(causes) <= 8
    assert {c[0] for c in causes} == set(schema.ROOT_CAUSE_STATUSES)
    assert all(set(c[1]) <= set(reasons) and c[4] and c[3] <= END for c in causes)
    assert all((c[2] is not None) == (c[0] == "eliminated") for c in causes)
    assert ("eliminated", [catalog.FIXED_CAUSE_REASON], DATES.fix) in [c[:3] for c in causes]
    failed = ("eliminated", [catalog.FAILED_FIX_REASON], DATES.failed_fix)
    assert failed in [c[:3] for c in causes]

    settings_ = dict(con.execute("SELECT key, value FROM settings").fetchall())
    assert settings_ == {
        "first_response_target_hours": "4",
        "happy_hours": "24",
        "timezone": "UTC",
        "repeat_window_hours": "168",
    }


def test_volume_and_mix_look_like_a_contact_centre(con) -> None:
    rate = 1000 * one(
        con, "SELECT (SELECT count(*) FROM contacts) / (SELECT count(*) FROM orders)"
    )[0]
    assert 80 <= rate <= 150
    (anonymous, resolved, csat_rate, ces, csat, self_served, escalated, repeat) = one(
        con,
        """SELECT avg((customer_id IS NULL)::INT), avg((resolved_at IS NOT NULL)::INT),
                  count(csat) / count(resolved_at), count(ces) / count(csat),
                  avg((csat >= 4)::INT), avg(self_served::INT), avg(escalated::INT),
                  avg(coalesce(next_contact_at <= created_at + INTERVAL 168 HOUR, false)::INT)
                    FILTER (WHERE customer_id IS NOT NULL)
           FROM contacts""",
    )
    assert 0.05 <= anonymous <= 0.10
    assert 0.9 <= resolved < 1
    assert 0.15 <= csat_rate <= 0.35 and 0.2 <= ces < 1
    assert 0.6 <= csat <= 0.9
    assert 0.02 <= self_served <= 0.15 and 0.01 <= escalated <= 0.1
    assert 0.08 <= repeat <= 0.20
    # first_contact_resolved only where the source states it; handle times only for calls/chats
    stated = dict(
        con.execute(
            "SELECT channel, count(first_contact_resolved) > 0 FROM contacts GROUP BY ALL"
        ).fetchall()
    )
    assert set(stated) == set(catalog.CHANNELS)
    assert {ch for ch, has in stated.items() if has} == {"phone"}
    handled = {
        ch for (ch,) in con.execute(
            "SELECT DISTINCT channel FROM contacts WHERE handle_seconds IS NOT NULL"
        ).fetchall()
    }  # fmt: skip
    assert handled == {"phone", "chat"}
    # the newest contacts are the ones still open
    last_week, earlier = one(
        con,
        """SELECT avg((resolved_at IS NULL)::INT) FILTER (WHERE created_at >= $w),
                  avg((resolved_at IS NULL)::INT) FILTER (WHERE created_at < $w) FROM contacts""",
        {"w": END - dt.timedelta(days=6)},
    )
    assert last_week > 2 * earlier > 0
    dims = one(
        con,
        """SELECT count(DISTINCT team), count(DISTINCT agent), count(DISTINCT product),
                  count(DISTINCT region), count(DISTINCT priority) FROM contacts""",
    )
    assert 4 <= dims[0] <= 7 and dims[1] > 20 and 5 <= dims[2] <= 8 and 4 <= dims[3] <= 6
    assert dims[4] == 4
    # a customer's region never changes
    regions_per_customer = one(
        con,
        "SELECT max(n) FROM (SELECT count(DISTINCT region) n FROM orders GROUP BY customer_id)",
    )
    assert regions_per_customer == (1,)
    contact_and_order_regions_differ = one(
        con,
        """SELECT count(*) FROM (SELECT DISTINCT customer_id, region FROM contacts) c
           JOIN (SELECT DISTINCT customer_id, region FROM orders) o USING (customer_id)
           WHERE c.region <> o.region""",
    )
    assert contact_and_order_regions_differ == (0,)


def test_response_times_are_long_tailed_by_channel(con) -> None:
    rows = con.execute(
        """SELECT channel, median(epoch(first_response_at - created_at)) / 60,
                  median(epoch(resolved_at - created_at)) / 3600,
                  quantile_cont(epoch(resolved_at - created_at), 0.99) / 3600
           FROM contacts GROUP BY ALL"""
    ).fetchall()
    first_minutes = {ch: frt for ch, frt, _, _ in rows}
    assert first_minutes["phone"] < 5 and first_minutes["chat"] < 5
    assert first_minutes["email"] > 60
    for channel, _, median_h, p99_h in rows:
        if channel != "self_service":
            assert p99_h > 10 * median_h and p99_h > 24, channel


def test_comments_sometimes_carry_names_and_emails(con) -> None:
    with_email, with_name, total = one(
        con,
        """SELECT count(*) FILTER (WHERE comment LIKE '%@example.%'),
                  count(*) FILTER (WHERE comment LIKE split_part(agent, ' ', 1) || ' %'
                                      OR comment LIKE '% ' || split_part(agent, ' ', 1) || ' %'),
                  count(comment) FROM contacts""",
    )
    assert 0 < with_email < 0.1 * total and 0 < with_name < 0.2 * total


def test_fixed_root_cause_driver_falls(con) -> None:
    eight_weeks = 8 * WEEK
    before = per_1000_orders(con, catalog.FIXED_CAUSE_REASON, DATES.fix - eight_weeks, DATES.fix)
    after = per_1000_orders(con, catalog.FIXED_CAUSE_REASON, DATES.fix, DATES.fix + eight_weeks)
    assert after <= 0.55 * before, (before, after)
    older = catalog.OLDER_FIXED_CAUSE_REASON
    before = per_1000_orders(con, older, DATES.older_fix - eight_weeks, DATES.older_fix)
    after = per_1000_orders(con, older, DATES.older_fix, DATES.older_fix + eight_weeks)
    assert 0.45 * before < after < 0.9 * before, (before, after)


def test_carrier_spike_in_an_external_driver(con) -> None:
    spike_reason = {"r": catalog.SPIKE_REASON}
    assert one(con, "SELECT external FROM reasons WHERE reason = $r", spike_reason) == (True,)
    three_weeks = 3 * WEEK
    spike = per_1000_orders(con, catalog.SPIKE_REASON, DATES.spike_start, DATES.spike_end)
    before = per_1000_orders(
        con, catalog.SPIKE_REASON, DATES.spike_start - three_weeks, DATES.spike_start
    )
    after = per_1000_orders(
        con, catalog.SPIKE_REASON, DATES.spike_end, DATES.spike_end + three_weeks
    )
    assert spike >= 2 * max(before, after), (before, spike, after)


def test_weak_team_resolves_less_on_first_contact(con) -> None:
    """fcr_rate as SPEC §3: stated where given, else no reopen, transfer or repeat contact."""
    rows = con.execute(
        """SELECT team,
             avg(coalesce(first_contact_resolved, reopens = 0 AND transfers = 0
                 AND NOT coalesce(next_contact_at <= created_at + INTERVAL 168 HOUR, false))::INT),
             avg((transfers > 0)::INT), avg((reopens > 0)::INT)
           FROM contacts WHERE resolved_at IS NOT NULL AND team IS NOT NULL GROUP BY ALL"""
    ).fetchall()
    by_team = {team: values for team, *values in rows}
    weak_fcr, weak_transfers, weak_reopens = by_team.pop(catalog.WEAK_TEAM)
    assert 4 <= len(by_team) + 1 <= 7
    for team, (fcr, transfers, reopens) in by_team.items():
        assert weak_fcr <= fcr - 0.10, team
        assert weak_transfers > 1.5 * transfers and weak_reopens > 1.5 * reopens, team


def test_recovery_differs_by_outcome(con) -> None:
    """Repurchase within 90 days: happy > no contact > unhappy > unresolved (SPEC §3)."""
    first, stop = DATES.start, END - dt.timedelta(days=91)  # leave 90 days to repurchase
    after_contact = """
      WITH c AS (SELECT customer_id, min(coalesce(resolved_at, created_at)) AS r FROM contacts
                 WHERE customer_id IS NOT NULL AND created_at >= $a AND created_at < $b
                   AND {group} GROUP BY ALL)
      SELECT avg(coalesce(o.ordered_at <= c.r + INTERVAL 90 DAY, false)::INT), count(*)
      FROM c ASOF LEFT JOIN orders o ON o.customer_id = c.customer_id AND o.ordered_at > c.r"""
    rates = {}
    for name, group in (
        ("happy", "resolved_at IS NOT NULL AND csat >= 4"),
        ("unhappy", "resolved_at IS NOT NULL AND csat <= 3"),
        ("unresolved", "resolved_at IS NULL"),
    ):
        rates[name], count = one(con, after_contact.format(group=group), {"a": first, "b": stop})
        assert count >= 150, name
    rates["no contact"] = one(
        con,
        """WITH quiet AS (
             SELECT customer_id, min(ordered_at) AS o FROM orders
             WHERE ordered_at >= $a AND ordered_at < $b AND customer_id NOT IN (
               SELECT customer_id FROM contacts WHERE customer_id IS NOT NULL
                 AND created_at >= $a AND created_at < $b)
             GROUP BY ALL)
           SELECT avg(coalesce(x.next_ordered_at <= q.o + INTERVAL 90 DAY, false)::INT)
           FROM quiet q JOIN orders x ON x.customer_id = q.customer_id AND x.ordered_at = q.o""",
        {"a": first, "b": stop},
    )[0]
    assert rates["happy"] > rates["no contact"] + 0.1, rates
    assert rates["no contact"] > rates["unhappy"] + 0.04, rates
    assert rates["unhappy"] > rates["unresolved"] + 0.04, rates


def test_weekday_pattern_and_falling_contact_rate(con) -> None:
    weekday, weekend = one(
        con,
        """SELECT count(*) FILTER (WHERE isodow(created_at) <= 5) / 5,
                  count(*) FILTER (WHERE isodow(created_at) > 5) / 2 FROM contacts""",
    )
    assert weekday > 1.4 * weekend
    quarter = dt.timedelta(weeks=13)
    first_rate = per_1000_all(con, DATES.start, DATES.start + quarter)
    last_rate = per_1000_all(con, END + dt.timedelta(days=1) - quarter, END + dt.timedelta(days=1))
    assert last_rate < 0.9 * first_rate, (first_rate, last_rate)


def per_1000_all(con, first: dt.date, stop: dt.date) -> float:
    contacts, orders = one(
        con,
        """SELECT (SELECT count(*) FROM contacts WHERE created_at >= $a AND created_at < $b),
                  (SELECT count(*) FROM orders WHERE ordered_at >= $a AND ordered_at < $b)""",
        {"a": first, "b": stop},
    )
    return 1000 * contacts / orders


def checksums(path: Path) -> dict[str, str]:
    """Per table, a digest of its rows; in physical order for the two big tables, whose
    time order is part of what the generator promises."""
    with duckdb.connect(str(path), read_only=True) as c:
        return {
            t.name: c.execute(
                f"SELECT md5(string_agg(x::VARCHAR, chr(10) ORDER BY "
                f"{'rowid' if t.name in ('contacts', 'orders') else 'x::VARCHAR'})) "
                f"FROM {t.name} x"
            ).fetchall()[0][0]
            for t in schema.TABLES
            if t.name != "cxdash_meta"
        }


def test_same_seed_same_store_other_seed_other_store(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{name}.duckdb" for name in "abc")
    generate(a, contacts=1_000, seed=11, end=END)
    generate(b, contacts=1_000, seed=11, end=END)
    generate(c, contacts=1_000, seed=12, end=END)
    assert checksums(a) == checksums(b)
    differ = checksums(a).items() - checksums(c).items()
    assert {"contacts", "orders"} <= {name for name, _ in differ}


@pytest.mark.parametrize("contacts", [0, 999, 10_000_001])
def test_rejects_sizes_out_of_range(tmp_path: Path, contacts: int) -> None:
    with pytest.raises(ValueError, match="between 1,000 and 10,000,000"):
        generate(tmp_path / "x.duckdb", contacts=contacts, end=END)
    assert not list(tmp_path.iterdir())


def test_failure_midway_leaves_the_existing_store(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "cxdash.duckdb"
    generate(path, contacts=1_000, seed=3, end=END)
    before = checksums(path)

    def broken(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(generator, "_write_orders", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate(path, contacts=2_000, seed=4, end=END)
    assert checksums(path) == before
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=7, max_value=5_000), st.integers(min_value=0, max_value=10**15))
def test_order_clock_inverse_is_exact(per_week: int, offset: int) -> None:
    """count_le(x) is the index of the first order after x, for any x."""
    order_clock = clock.OrderClock.plan(dt.date(2025, 3, 5), 10, per_week)
    x = order_clock.t0_us - 10**9 + offset % (order_clock.weeks * clock.WEEK_US + 2 * 10**9)
    n = order_clock.count_le(x)
    assert n == 0 or order_clock.ts(n - 1) <= x
    assert n == order_clock.n or order_clock.ts(n) > x


def test_sql_clock_matches_python() -> None:
    plan = make_plan(250_000, 5, END)
    with duckdb.connect() as c:
        for statement in clock.macros_sql(plan.clock, plan.seed):
            c.execute(statement)
        rows = c.execute(
            f"""SELECT i, ord_at(i), x, ord_le(x) FROM (
                  SELECT i, ord_at(i) + (hash(i) % 3)::BIGINT - 1 AS x
                  FROM range(0, {plan.n}, 997) t(i))"""
        ).fetchall()
    for i, at, x, le in rows:
        assert at == plan.clock.ts(i) and le == plan.clock.count_le(x)


def test_the_overflow_partner_breaches_resolution_far_more_often(con) -> None:
    """The demo's schedules and policies (catalog.SLA_TOML) are in the store, and the partner,
    which works Manila's hours only, misses its resolution targets several times as often as
    the in-house teams on Berlin's office hours (Defense shows it)."""
    from cxdash.sla.derive import newest_data_time
    from cxdash.sla.outcomes import outcome_sql

    assert con.execute("SELECT count(*) FROM sla_config").fetchall()[0][0] == 1
    outcome = outcome_sql("resolved_at", "resolution_due_at", "resolution_target_seconds", "$now")
    rows = con.execute(
        f"""SELECT team, avg((o = 'breached')::INT), count(*) FROM (
              SELECT team, {outcome} AS o FROM contacts WHERE team IS NOT NULL)
            WHERE o IN ('achieved', 'breached') GROUP BY team""",
        {"now": newest_data_time(con)},
    ).fetchall()
    breached = {team: rate for team, rate, n in rows if n >= 200}
    partner = breached.pop(catalog.WEAK_TEAM)
    chat = breached.pop(catalog.CHAT_TEAM)
    assert len(breached) == 5 and partner > 0.15
    for team, rate in breached.items():  # Berlin's office hours
        assert partner >= 3 * rate, team
    assert partner >= 1.5 * chat  # the 24/7 chat desk on an 8-hour calendar target
