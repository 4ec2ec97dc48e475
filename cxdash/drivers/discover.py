"""`cxdash drivers discover`: the store's free-text reasons (or the text of contacts without
a reason) grouped into a few dozen named drivers, each with its size, share, top words, three
examples and how tight it is — a proposal for a person to accept, never applied by itself.

Steps: `texts.select` (what to read), `words.normalise` (case, punctuation, plurals, the
company's name out: "Comcast Data Cap" and "comcast data caps" become one text), the distinct
normalised texts vectorised and grouped (`cluster`, seeded), each group named from its own
words (`words.name`). Texts that are nothing but the company's name or stop words ("Comcast",
"comcast!!") say nothing about why: they form the driver "Unspecified".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from cxdash.drivers import cluster, words
from cxdash.drivers.texts import NothingToDiscover, Texts, select

UNSPECIFIED = "Unspecified"
MIXED = "Mixed"  # a loose group: texts that fit no driver well, to split or move by hand
LOOSE = 0.35  # tightness below which a group is mixed
SAMPLE = 100_000  # texts the company's name and the drivers' names are worked out from

__all__ = ["UNSPECIFIED", "Driver", "NothingToDiscover", "Proposal", "discover", "propose"]


@dataclass(frozen=True)
class Driver:
    label: str
    contacts: int
    share: float  # of the contacts discovery read
    words: tuple[str, ...]
    examples: tuple[str, ...]  # the three texts most contacts used
    tightness: float | None  # mean cosine similarity of its contacts to its centre, 0–1
    keys: tuple[str, ...]  # raw reasons (or contact ids) it takes


@dataclass(frozen=True)
class Proposal:
    source: str  # "reasons" or the text fields
    drivers: tuple[Driver, ...]
    contacts: int  # contacts discovery read
    total: int  # contacts in the store
    distinct_texts: int  # after normalising
    distinct_raw: int  # as written
    model: cluster.Model | None = field(default=None, compare=False)

    @property
    def mapping(self) -> dict[str, str]:
        """raw reason → driver (from reasons) or contact id → driver (from texts)."""
        return {key: d.label for d in self.drivers for key in d.keys}


def discover(con: duckdb.DuckDBPyConnection, fields: tuple[str, ...] = (),
             n_drivers: int | None = None) -> Proposal:  # fmt: skip
    return propose(select(con, fields), n_drivers)


def propose(texts: Texts, n_drivers: int | None = None) -> Proposal:
    frame = texts.frame
    raw = frame["text"].to_list()
    weights = frame["contacts"].to_list()
    step = max(1, len(raw) // SAMPLE)  # the company's name shows in any tenth as in the whole
    common = words.common_words(raw[::step], weights[::step])
    frame = frame.with_columns(pl.Series("norm", words.normalise_all(raw, common),
                                         dtype=pl.String))  # fmt: skip
    distinct = (frame.filter(pl.col("norm") != "").group_by("norm")
                .agg(pl.col("contacts").sum()).sort(["contacts", "norm"],
                                                    descending=[True, False]))  # fmt: skip
    if distinct.height < 2:
        what = "reasons" if texts.from_reasons else f"{texts.source} texts"
        raise NothingToDiscover(f"The {what} say almost nothing once the words every text "
                                "shares are set aside (or all say the same): there is nothing "
                                "to group; import texts in the customers' own words.")
    norms = distinct["norm"].to_list()
    vectors = cluster.fit(norms)
    labels, centres, similarity = cluster.groups(vectors, n_drivers)
    del vectors  # a million texts: 1 GB
    placed = distinct.select("norm", pl.Series("g", labels, dtype=pl.Int64),
                             pl.Series("sim", similarity, dtype=pl.Float64))  # fmt: skip
    frame = frame.join(placed, on="norm", how="left", maintain_order="left").with_columns(
        pl.col("g").fill_null(-1))  # fmt: skip
    # names come from the most used texts: the first SAMPLE distinct ones, and per group its
    # first SAMPLE // 5 (a million texts would otherwise be counted word by word each time)
    head = distinct.head(SAMPLE)
    background = words.background(zip(head["norm"], head["contacts"], strict=True))
    named_total = int(head["contacts"].sum())
    total = texts.contacts
    taken: set[str] = {UNSPECIFIED}
    drivers = []
    for g in sorted(set(labels.tolist())):
        members = frame.filter(pl.col("g") == g)
        grams = (members.group_by("norm").agg(pl.col("contacts").sum())
                 .sort(["contacts", "norm"], descending=[True, False]).head(SAMPLE // 5))
        label, top = words.name(zip(grams["norm"], grams["contacts"], strict=True), background,
                                named_total, taken)  # fmt: skip
        driver = _driver(label, members, top, total)
        if driver.tightness is not None and driver.tightness < LOOSE:
            # k-means leaves the texts that fit nowhere together: say so, not "Fee"
            taken.discard(label)
            driver = _driver(words.unique(f"{MIXED} ({label.lower()} …)", taken), members, top,
                             total)  # fmt: skip
        drivers.append(driver)
    empty = frame.filter(pl.col("g") == -1)
    if empty.height:
        drivers.append(_driver(UNSPECIFIED, empty, [], total))
    drivers.sort(key=lambda d: (-d.contacts, d.label))
    model = cluster.Model(centres)
    return Proposal(texts.source, tuple(drivers), total, texts.total, len(norms),
                    texts.frame.height, model)  # fmt: skip


def _driver(label: str, members: pl.DataFrame, top: list[str], total: int) -> Driver:
    contacts = int(members["contacts"].sum())
    examples = (members.group_by("text").agg(pl.col("contacts").sum())
                .sort(["contacts", "text"], descending=[True, False])["text"].head(3).to_list())
    sims = members.filter(pl.col("sim").is_not_null())
    weighted = float((sims["sim"] * sims["contacts"]).sum())
    tight = weighted / float(sims["contacts"].sum()) if sims.height else None
    return Driver(label, contacts, contacts / total if total else 0.0, tuple(top),
                  tuple(examples), tight, tuple(members["key"].to_list()))  # fmt: skip


def describe(proposal: Proposal) -> str:
    """The proposal as `cxdash drivers discover` prints it."""
    lines = [f"{len(proposal.drivers)} drivers from {proposal.distinct_raw:,} distinct "
             f"{proposal.source} ({proposal.contacts:,} of {proposal.total:,} contacts; "
             f"{proposal.distinct_texts:,} once case, plurals and shared words are set "
             "aside):", ""]
    for d in proposal.drivers:
        tight = "—" if d.tightness is None else f"{d.tightness:.2f}"
        lines.append(f"{d.label}  —  {d.contacts:,} contacts ({d.share:.1%}), tightness {tight}")
        if d.words:
            lines.append(f"    words: {', '.join(d.words)}")
        for ex in d.examples:
            lines.append(f"    e.g. {ex[:100]}")
    return "\n".join(lines) + "\n"


def assignments(proposal: Proposal) -> pl.DataFrame:
    """contact_id, driver, similarity: a text proposal as the store keeps it."""
    rows = [(key, d.label, d.tightness) for d in proposal.drivers for key in d.keys]
    return pl.DataFrame(rows, schema={"contact_id": pl.String, "driver": pl.String,
                                      "similarity": pl.Float64}, orient="row")  # fmt: skip
