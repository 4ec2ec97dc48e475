"""Many categories, readable: the top N of a dimension by size, the rest as one "Other" row.

A free-text reason column can hold thousands of values (a real Comcast export: 1,841 reasons
for 2,224 contacts); a chart or table over all of them is a smear. Charts and tables show the
largest N and one row "Other (k more)" that stands for the rest, so the totals still add up;
Explore's table and downloads keep every value.

The Other row has to be computed, not guessed: counts add up, but a rate of the rest is the
rest's events over the rest's base — a weighted mean of the rates by their base counts, never
their sum or plain mean. So the caller says how each column aggregates (`SUM` or
`Weighted(base)`); a column it does not name (a median, a label) is left empty in Other,
because it cannot be recomputed from the rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

MISSING = "—"  # a category without a value: never the text "None"
SUM: Literal["sum"] = "sum"
_OTHER = re.compile(r"Other \([\d,]+ more\)")


@dataclass(frozen=True)
class Weighted:
    """A rate whose Other value is Σ(rate × base) ÷ Σ base over the rows that have a rate."""

    base: str  # the column holding each row's base count (e.g. contacts, resolved contacts)


Aggregation = Literal["sum"] | Weighted


def other_label(more: int) -> str:
    return f"Other ({more:,} more)"


def is_other(label: object) -> bool:
    """Whether a shown category is the Other row (no filter can select it)."""
    return isinstance(label, str) and _OTHER.fullmatch(label) is not None


def _aggregate(column: str, how: Aggregation) -> pl.Expr:
    value = pl.col(column)
    if how == SUM:  # all empty stays empty (e.g. contact rate without orders), not 0
        return pl.when(value.is_not_null().any()).then(value.sum()).alias(column)
    assert isinstance(how, Weighted)
    has = value.is_not_null() & pl.col(how.base).is_not_null()
    base = pl.col(how.base).filter(has).sum()
    weighted = (value * pl.col(how.base)).filter(has).sum()
    return pl.when(base > 0).then(weighted / base).alias(column)


def top_n(
    frame: pl.DataFrame,
    key: str,
    size: str,
    n: int,
    how: Mapping[str, Aggregation] | None = None,
    *,
    within: Sequence[str] = (),
) -> pl.DataFrame:
    """The `n` largest values of `key` by `size` (summed over `within`, e.g. weeks), then one
    row per `within` group for "Other (k more)" aggregated as `how` says (`size` is summed).

    Rows come biggest first, Other last; a missing `key` reads "—". With at most n + 1 values
    nothing is grouped: "Other (1 more)" would hide a row without saving one.
    """
    how = {size: SUM, **(how or {})}
    within = list(within)
    data = frame.with_columns(pl.col(key).cast(pl.String).fill_null(MISSING))
    totals = (data.group_by(key).agg(pl.col(size).sum())
              .sort([size, key], descending=[True, False]))  # fmt: skip
    order = totals[key].to_list()
    if len(order) > n + 1:
        kept, more = order[:n], len(order) - n
        rest = data.filter(~pl.col(key).is_in(kept))
        aggs = [_aggregate(c, a) for c, a in how.items()]
        other = rest.group_by(within).agg(aggs) if within else rest.select(aggs)
        other = other.with_columns(pl.lit(other_label(more)).alias(key))
        data = pl.concat([data.filter(pl.col(key).is_in(kept)), other], how="diagonal_relaxed")
        order = [*kept, other_label(more)]
    rank = pl.DataFrame({key: order, "_rank": range(len(order))},
                        schema={key: pl.String, "_rank": pl.Int64})  # fmt: skip
    ordered = data.join(rank, on=key).sort(["_rank", *within], maintain_order=True)
    return ordered.select(frame.columns)


# The count each built-in rate is a share of (its denominator, SPEC §3), as the product of
# columns a by-dimension result has: resolved contacts = contacts × resolution rate, CSAT
# answers = resolved × CSAT response rate. (Repeat contacts are a share of the contacts with a
# customer id: every contact, when all have one.) Medians, scores and per-1,000-orders rates
# cannot be recomputed from the rows and stay empty in Other.
RATE_BASES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("resolution_rate", "transfer_rate", "escalation_rate", "happy_rate",
                     "self_service_rate", "repeat_contact_rate", "preventable_share",
                     "external_share"), ("contacts",)),
    **dict.fromkeys(("fcr_rate", "reopen_rate", "csat_response_rate"),
                    ("contacts", "resolution_rate")),
    "csat": ("contacts", "resolution_rate", "csat_response_rate"),
}  # fmt: skip
COUNTS = ("contacts", "backlog", "sla_breaches", "sla_running", "sla_at_risk")


def top_metrics(
    frame: pl.DataFrame, key: str, n: int, metrics: Sequence[str], *, within: Sequence[str] = ()
) -> pl.DataFrame:
    """`top_n` by contacts of an engine result over `key`, each metric aggregated as its
    definition allows (RATE_BASES, COUNTS); the frame needs a contacts column."""
    how: dict[str, Aggregation] = {m: SUM for m in metrics if m in COUNTS}
    bases = []
    for metric in metrics:
        columns = RATE_BASES.get(metric, ())
        if columns and all(c in frame.columns for c in columns):
            product = pl.lit(1.0)
            for column in columns:
                product = product * pl.col(column)
            bases.append(product.alias(f"_base_{metric}"))
            how[metric] = Weighted(f"_base_{metric}")
    based = frame.with_columns(bases)
    return top_n(based, key, "contacts", n, how, within=within).select(frame.columns)


def short(label: object, width: int = 36) -> str:
    """An axis label cut to `width` characters with "…" (the hover keeps the whole text):
    one long free-text reason must not push a chart's plot area off the screen."""
    text = MISSING if label is None else str(label)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
