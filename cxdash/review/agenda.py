"""The weekly review's agenda as data: one function per screen, for one ISO week, the sidebar's
filters and a store. No Streamlit here — the page and `cxdash report` render the same values.

How each screen is defined (the page and the report say the same in words):

- **Score**: headline metrics of both sides for the week, against last week and against the
  average of the four weekly values before it (only weeks the data fully covers count). A week
  the data ends inside is compared day for day: Monday–Tuesday against the Monday–Tuesday of
  the weeks before, so a half week never looks like a collapse in volume.
- **Wins**: root causes eliminated with a fix date in the week; fixes in place that avoided
  contacts this week (the `contacts_avoided` terms per cause, verdict as of the week's end);
  drivers that fell against last week beyond noise (analysis.movers).
- **Worries**: drivers that rose beyond noise; targets missed (see `targets`); fixes whose
  driver came back or is near its pre-fix level; causes newly put on the register this week;
  the week's lowest-rated comments.
- **Recovery**: repurchase within 90 days per outcome cohort (analysis.recovery) for the four
  whole weeks that ended at least 90 days before the week's last day — the newest cohort whose
  90-day outcome can be seen — against the four weeks before those.
- **Moments of magic**: the week's best-rated contacts that left a comment (CSAT 4–5, highest
  first, then least effort, then fastest resolution).
- **Next plays**: the top of analysis.opportunities' "where to play next" for the week.

Masking (on unless the scope says otherwise) runs here, before anything leaves: comments and
cause titles through `cxdash.masking`, contact ids as "[id]", agents as "[name]".
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import polars as pl

from cxdash.analysis import causes, listings, opportunities, recovery
from cxdash.analysis.movers import Move, movers, top_moves
from cxdash.formatting import format_hours
from cxdash.masking import ID, NAME, Masker
from cxdash.metrics import catalogue, runner
from cxdash.metrics.compiler import (
    RESOLUTION_HOURS_SQL,
    contacts_avoided_by_cause,
    period_fragment,
)
from cxdash.metrics.request import MetricRequest, Period
from cxdash.review.screens import (
    COMMENT_COLUMNS,
    Moments,
    Plays,
    Recovery,
    Scope,
    Score,
    ScoreLine,
    Target,
    Wins,
    Worries,
    hours_text,
)  # fmt: skip
from cxdash.settings import Settings
from cxdash.store import StoreInfo

SCREENS: dict[str, str] = {
    "score": "Score",
    "wins": "Wins",
    "worries": "Worries",
    "recovery": "Recovery",
    "magic": "Moments of magic",
    "plays": "Next plays",
}
OFFENSE = ("contacts", "contact_rate", "repeat_contact_rate", "self_service_rate",
           "preventable_share", "contacts_avoided")  # fmt: skip
DEFENSE = ("resolution_rate", "fcr_rate", "csat", "reopen_rate", "first_response_hours_p90",
           "happy_rate")  # fmt: skip
AVERAGE_WEEKS = 4
TREND_WEEKS = 12
RECOVERY_HORIZON_DAYS = 90  # the recovery view's outcome window (analysis.recovery)
RECOVERY_WEEKS = 4
QUOTE_CHARS = 600  # of a comment quoted in the review (a 10 MB comment is not a quote)
MOMENTS, VOICES, PLAYS = 6, 3, 5
ALPHA = 0.05
SLA_DROP = 0.02  # an SLA's achievement this far below the weeks before is a worry
PASSING = ("holding", "too_early")  # fix verdicts that count as a win
BACK = opportunities.BACK  # verdicts that make a fix a worry


class Review:
    """The agenda of one scope on one store; each screen is computed when asked."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        info: StoreInfo,
        settings: Settings,
        scope: Scope,
    ) -> None:
        self.con, self.info, self.settings, self.scope = con, info, settings, scope

    # -- shared pieces
    def _request(self, period: Period, metrics: tuple[str, ...], **kw: object) -> MetricRequest:
        return MetricRequest(period, self.scope.filters, metrics=metrics, **kw)  # type: ignore[arg-type]

    def _totals(
        self, period: Period, metrics: tuple[str, ...], as_of: dt.date | None = None
    ) -> dict[str, float | int | None]:
        request = self._request(period, metrics, as_of=as_of)
        return runner.totals(self.con, request, self.info, self.settings)

    def _weekly_values(self, metrics: tuple[str, ...]) -> list[dict[str, float | int | None]]:
        """Values for the week (index 0) and the AVERAGE_WEEKS weeks before it, same weekdays;
        an earlier week the data does not fully cover is an empty dict. Each earlier week is
        read like for like (SPEC §3): as the data stood when it was as old as this week is now
        — L days after its last day, L = the data's last day − this week's last day."""
        newest = min(self.scope.last_day, self.info.newest_contact_day or dt.date.max)
        lag = dt.timedelta(days=max(0, (newest - self.scope.end).days))
        out = []
        for back in range(AVERAGE_WEEKS + 1):
            window = self.scope.window(back)
            fully = back == 0 or self.scope.covered(window)
            as_of = None if back == 0 else window.end + lag
            out.append(self._totals(window, metrics, as_of) if fully else {})
        return out

    def _by_reason(self, period: Period, metrics: tuple[str, ...]) -> pl.DataFrame:
        request = self._request(period, metrics, by=("reason",))
        return runner.compute(self.con, request, self.info, self.settings)

    def _moves(self) -> tuple[list[Move], list[Move]]:
        if not self.info.provides("reason"):  # all "Unknown": no driver moves, only volume
            return [], []
        now = self._by_reason(self.scope.window(0), ("contacts",))
        before = self._by_reason(self.scope.window(1), ("contacts",))
        counts = (
            now.select("reason", pl.col("contacts").alias("now"))
            .join(before.select("reason", pl.col("contacts").alias("before")), on="reason",
                  how="full", coalesce=True)
            .rename({"reason": "driver"}).fill_null(0)
        )  # fmt: skip
        return top_moves(movers(counts))

    def _register(self) -> pl.DataFrame:
        return listings.root_causes(self.con, self.info)

    def _effects(self, register: pl.DataFrame) -> pl.DataFrame:
        return causes.effects(self.con, register, self.scope.filters, self.scope.end,
                              self.info, self.settings)  # fmt: skip

    def _masker(self, texts: list[str | None]) -> Masker | None:
        return Masker.from_store(self.con, self.info, texts) if self.scope.masked else None

    def _causes_table(self, frame: pl.DataFrame, *extra: str) -> pl.DataFrame:
        """cause_id, title (masked), reasons as text, and `extra` columns."""
        masker = self._masker(frame["title"].to_list()) if frame.height else None
        titles = masker.mask_all(frame["title"].to_list()) if masker else frame["title"]
        return frame.with_columns(
            pl.Series("title", titles, dtype=pl.String),
            pl.col("reasons").list.join(", ").alias("reasons"),
        ).select("cause_id", "title", "reasons", *extra)

    # -- screens
    def score(self) -> Score:
        values = self._weekly_values(OFFENSE + DEFENSE)

        def line(metric_id: str) -> ScoreLine:
            earlier = [x for v in values[1:] if v and (x := v[metric_id]) is not None]
            average = sum(float(x) for x in earlier) / len(earlier) if earlier else None
            last = values[1].get(metric_id) if values[1] else None
            missing = catalogue.not_in_data(catalogue.get(metric_id), self.info.provides)
            return ScoreLine(metric_id, values[0][metric_id], last, average, len(earlier),
                             missing if values[0][metric_id] is None else ())  # fmt: skip

        return Score(tuple(line(m) for m in OFFENSE), tuple(line(m) for m in DEFENSE),
                     self._trend())  # fmt: skip

    def _trend(self) -> pl.DataFrame:
        scope = self.scope
        start = scope.week.start - dt.timedelta(weeks=TREND_WEEKS - 1)
        first_monday = scope.first_day + dt.timedelta(days=(7 - scope.first_day.weekday()) % 7)
        start = max(start, min(first_monday, scope.week.start))
        request = self._request(Period(start, scope.end), ("contacts", "happy_rate"),
                                grain="week")  # fmt: skip
        return runner.compute(self.con, request, self.info, self.settings)

    def wins(self) -> Wins:
        scope = self.scope
        register = self._register()
        eliminated = register.filter(
            (pl.col("status") == "eliminated")
            & pl.col("fixed_on").is_between(scope.week.start, scope.week.end)
        )
        effects = self._effects(register)
        this_week = self._avoided_this_week()
        holding = (
            register.join(effects.select("cause_id", "verdict"), on="cause_id")
            .join(this_week, on="cause_id")
            .filter(pl.col("verdict").is_in(PASSING) & (pl.col("avoided") > 0))
            .sort("avoided", descending=True)
        )
        total = self._totals(scope.window(0), ("contacts_avoided",))["contacts_avoided"]
        return Wins(
            eliminated=self._causes_table(eliminated, "fixed_on"),
            holding=self._causes_table(holding, "avoided", "verdict"),
            avoided_total=total,
            falling=tuple(self._moves()[1]),
        )

    def _avoided_this_week(self) -> pl.DataFrame:
        sql, params = contacts_avoided_by_cause(
            self._request(self.scope.window(0), ("contacts_avoided",)), self.info, self.settings
        )
        with self.con.cursor() as cur:
            frame: pl.DataFrame = cur.sql(sql, params=params).pl()
        return frame.select("cause_id", pl.col("avoided").cast(pl.Float64))

    def worries(self) -> Worries:
        scope = self.scope
        register = self._register()
        effects = self._effects(register)
        back = register.join(effects.select("cause_id", "verdict"), on="cause_id").filter(
            pl.col("verdict").is_in(BACK)
        )
        new = register.filter(pl.col("identified_on").is_between(scope.week.start,
                                                                 scope.week.end))  # fmt: skip
        voices = self._comments("c.csat <= 2", "c.csat ASC, c.created_at DESC, c.contact_id",
                                VOICES)  # fmt: skip
        return Worries(
            rising=tuple(self._moves()[0]),
            targets=self.targets(),
            came_back=self._causes_table(back, "verdict"),
            new_causes=self._causes_table(new, "status", "identified_on"),
            voices=voices,
        )

    def targets(self) -> tuple[Target, ...]:
        """The settings' two targets, each judged for the week.

        - First response: missed when the week's p90 hours to first response is over the
          first-response target — more than one contact in ten waited longer than promised.
        - Happy: missed when the week's happy rate is below the four weeks before it (pooled)
          by more than chance explains: one-sided two-proportion z-test at 5 %.
        """
        s = self.settings
        values = self._weekly_values(("contacts", "happy_rate", "first_response_hours_p90"))
        p90 = values[0]["first_response_hours_p90"]
        target = float(s.first_response_target_hours)
        first = Target(
            label=f"First response within {hours_text(target)}",
            goal=f"p90 ≤ {hours_text(target)}",
            actual="no first responses" if p90 is None else f"p90 {format_hours(float(p90))}",
            missed=None if p90 is None else float(p90) > target,
            rule="Missed when more than one contact in ten waited longer than the target for a "
                 "first response (the week's p90 is over it). The target is set on the Data "
                 "page.",
        )  # fmt: skip
        return (first, self._happy_target(values), *self._sla_targets())

    def _sla_targets(self) -> tuple[Target, ...]:
        """Once schedules and SLA policies exist: each SLA's achievement for the week, missed
        when it fell SLA_DROP or more below the weeks before (their targets pooled by
        contacts)."""
        metrics = ("sla_first_response_rate", "sla_resolution_rate")
        if not any(self.info.provides(c) for c in ("first_response_target_seconds",
                                                    "resolution_target_seconds")):  # fmt: skip
            return ()
        values = self._weekly_values(("contacts", "sla_breaches", *metrics))
        out = []
        for metric_id, what in zip(metrics, ("First-response", "Resolution"), strict=True):
            rate = values[0].get(metric_id)
            prior = [(float(r), int(v["contacts"] or 0)) for v in values[1:]
                     if v and (r := v.get(metric_id)) is not None and v["contacts"]]  # fmt: skip
            label = f"{what} SLA held"
            rule = (f"Targets met = achieved ÷ (achieved + breached), each target in its "
                    f"policy's business or calendar time; still running ones are not counted. "
                    f"Missed when the week is {SLA_DROP * 100:.0f} percentage points or more "
                    f"below the "
                    f"{AVERAGE_WEEKS} weeks before.")  # fmt: skip
            breaches = int(values[0].get("sla_breaches") or 0)
            if rate is None:
                out.append(Target(label, "no drop", "no target with an outcome this week",
                                  None, rule))  # fmt: skip
                continue
            actual = f"{float(rate):.1%} met this week ({breaches:,} contacts with a breach)"
            if not prior:
                out.append(Target(label, "no drop", actual, None, rule))
                continue
            n0 = sum(k for _, k in prior)
            p0 = sum(r * k for r, k in prior) / n0
            out.append(Target(label, f"not below {p0 - SLA_DROP:.1%} ({p0:.1%} the "
                              f"{len(prior)} weeks before)", actual,
                              float(rate) <= p0 - SLA_DROP, rule))  # fmt: skip
        return tuple(out)

    def _happy_target(self, values: list[dict[str, float | int | None]]) -> Target:
        hours = hours_text(float(self.settings.happy_hours))
        rate, n = values[0]["happy_rate"], int(values[0]["contacts"] or 0)
        prior = [(float(v["happy_rate"]), int(v["contacts"] or 0)) for v in values[1:]
                 if v and v["happy_rate"] is not None and v["contacts"]]  # fmt: skip
        n0 = sum(k for _, k in prior)
        rule = (f"Happy = resolved within {hours} (the happy target), at most one transfer, no "
                "reopen, no CSAT below 4. Missed when the week's happy rate is below the "
                f"{AVERAGE_WEEKS} weeks before by more than chance explains (one-sided "
                "two-proportion test at 5 %).")  # fmt: skip
        label = f"Happy rate holding (resolved within {hours})"
        if rate is None or not n or not n0:
            return Target(label, "not below the weeks before", "no weeks to compare", None, rule)
        p0 = sum(r * k for r, k in prior) / n0
        missed = bool(rate < p0 and _one_sided_p(float(rate), n, p0, n0) < ALPHA)
        return Target(label, f"not below {p0:.1%} (the {len(prior)} weeks before)",
                      f"{float(rate):.1%} this week", missed, rule)  # fmt: skip

    def recovery(self) -> Recovery:
        scope = self.scope
        if self.info.orders_rows == 0:
            return Recovery(None, None, _empty_cohorts(), "Import orders to see who comes back "
                            "and buys after a contact.")  # fmt: skip
        window = recovery_window(scope.end)
        if window.end < scope.first_day + dt.timedelta(days=6):
            return Recovery(None, None, _empty_cohorts(),
                            f"Not enough history: the recovery cohorts need contacts from at "
                            f"least {RECOVERY_HORIZON_DAYS} days before this week, and the "
                            f"data starts {scope.first_day:%-d %b %Y}.")  # fmt: skip
        window = Period(max(window.start, scope.first_day), window.end)
        request = self._request(window, ("contacts",))
        now = recovery.recovery_cohorts(self.con, request, self.info, self.settings)
        previous = Period(window.start - dt.timedelta(weeks=RECOVERY_WEEKS),
                          window.start - dt.timedelta(days=1))  # fmt: skip
        if previous.start < scope.first_day:
            return Recovery(window, None, now.with_columns(
                pl.lit(None, dtype=pl.Float64).alias("previous_rate")), "")  # fmt: skip
        before = recovery.recovery_cohorts(self.con, request.for_period(previous), self.info,
                                           self.settings)  # fmt: skip
        joined = now.join(before.select("cohort", pl.col("rate").alias("previous_rate")),
                          on="cohort", how="left")  # fmt: skip
        return Recovery(window, previous, joined, "")

    def magic(self) -> Moments:
        rows = self._comments("c.csat >= 4",
                              f"c.csat DESC, c.ces ASC NULLS LAST, {RESOLUTION_HOURS_SQL} ASC "
                              "NULLS LAST, c.created_at, c.contact_id", MOMENTS)  # fmt: skip
        return Moments(rows, self._count_comments("c.csat >= 4"))

    def plays(self) -> Plays:
        scope = self.scope
        now = self._by_reason(scope.window(0), ("contacts", "contact_rate"))
        before = self._by_reason(scope.window(1), ("contacts",))
        register = self._register()
        table = opportunities.where_to_play(now, before, listings.driver_catalog(
            self.con, self.info), register, scope.days, self._effects(register))  # fmt: skip
        return Plays(table.head(PLAYS), table.height, scope.days)

    # -- comments
    def _comment_query(
        self, condition: str, select: str, tail: str
    ) -> tuple[str, dict[str, object]]:
        frag = period_fragment(self._request(self.scope.window(0), ("contacts",)), self.info)
        c = frag.sources.contacts
        return frag.query(
            f"SELECT {select} FROM {c} c WHERE c.created_at >= $start_ts AND c.created_at < "
            f"$end_ts AND {frag.contact_filters} AND c.comment IS NOT NULL AND "
            f"trim(c.comment) <> '' AND c.csat IS NOT NULL AND {condition} {tail}"
        )

    def _count_comments(self, condition: str) -> int:
        sql, params = self._comment_query(condition, "count(*)", "")
        with self.con.cursor() as cur:
            return int(cur.sql(sql, params=params).fetchall()[0][0])

    def _comments(self, condition: str, order: str, limit: int) -> pl.DataFrame:
        """The first `limit` comments in `order`, one per comment text (the demo, like real
        surveys, repeats "Thanks, all sorted now." many times a week)."""
        select = ", ".join(f"{RESOLUTION_HOURS_SQL} AS {col}" if col == "resolution_hours"
                           else f"left(c.comment, {4 * QUOTE_CHARS}) AS comment"
                           if col == "comment" else f"c.{col}"
                           for col in COMMENT_COLUMNS)  # fmt: skip
        tail = (f"QUALIFY row_number() OVER (PARTITION BY lower(trim(c.comment)) ORDER BY "
                f"{order}) = 1 ORDER BY {order} LIMIT {int(limit)}")  # fmt: skip
        sql, params = self._comment_query(condition, select, tail)
        with self.con.cursor() as cur:
            rows: pl.DataFrame = cur.sql(sql, params=params).pl()
        masker = self._masker(rows["comment"].to_list())
        if masker is None or rows.is_empty():
            return _quoted(rows)
        return _quoted(rows.with_columns(
            pl.Series("comment", masker.mask_all(rows["comment"].to_list()), dtype=pl.String),
            pl.lit(ID).alias("contact_id"),
            pl.when(pl.col("agent").is_not_null()).then(pl.lit(NAME)).alias("agent"),
        ))


def _quoted(rows: pl.DataFrame) -> pl.DataFrame:
    """A quote is read aloud in a meeting: at most QUOTE_CHARS characters (cut after
    masking, so the cut never halves an address the masker would have recognised)."""
    long = pl.col("comment").str.len_chars() > QUOTE_CHARS
    return rows.with_columns(pl.when(long).then(
        pl.col("comment").str.slice(0, QUOTE_CHARS) + " …").otherwise(pl.col("comment")))


def recovery_window(end: dt.date) -> Period:
    """The RECOVERY_WEEKS whole weeks (Monday–Sunday) that ended at least 90 days before
    `end`: the newest cohort whose 90-day repurchase window has passed."""
    last = end - dt.timedelta(days=RECOVERY_HORIZON_DAYS)
    sunday = last - dt.timedelta(days=(last.weekday() + 1) % 7)
    return Period(sunday - dt.timedelta(weeks=RECOVERY_WEEKS) + dt.timedelta(days=1), sunday)


def _one_sided_p(rate: float, n: int, prior: float, n_prior: int) -> float:
    """P(a drop this large or larger | no change): pooled two-proportion z-test."""
    pooled = (rate * n + prior * n_prior) / (n + n_prior)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n_prior))
    if se == 0:
        return 0.0 if rate < prior else 1.0
    z = (prior - rate) / se
    return 0.5 * math.erfc(z / math.sqrt(2))


def _empty_cohorts() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "cohort": pl.String, "label": pl.String, "customers": pl.Int64, "repurchased": pl.Int64,
        "rate": pl.Float64, "low": pl.Float64, "high": pl.Float64, "previous_rate": pl.Float64,
    })  # fmt: skip
