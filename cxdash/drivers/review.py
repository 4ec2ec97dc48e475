"""Review before it counts: a discovery proposal renamed, merged, split and rearranged by a
person, and only the drivers they accept written (issue 18). Each operation returns a new
`discover.Proposal`; nothing here touches the store until `write`.

After an operation the changed drivers' sizes, shares and examples are counted again from
the texts discovery read. Their tightness is not: it is the similarity of a driver's texts to
the centre discovery found for it, and a merged or rearranged group has no such centre — it
becomes None (shown as "—") rather than a number that no longer means what it says. A split
measures its sub-drivers afresh, since it runs discovery on the driver's own texts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from cxdash.drivers import driver_map, words
from cxdash.drivers.discover import UNSPECIFIED, Driver, Proposal, propose
from cxdash.drivers.texts import NothingToDiscover, Texts, select

MAX_LABEL = 80  # as the driver map allows
MIN_SPLIT = 3  # different texts a driver needs before it can be split


class ReviewError(ValueError):
    """Why an operation cannot be done, in one sentence a person can act on."""


@dataclass(frozen=True)
class Accepted:
    """What writing the accepted drivers writes: for a reasons proposal the raw reasons they
    take (`mapping`), for a text proposal the contacts assigned to them (`assignments`:
    contact_id, driver, similarity, as `discover.assignments` gives)."""

    drivers: tuple[str, ...]
    mapping: dict[str, str]
    assignments: pl.DataFrame | None


def draft(con: duckdb.DuckDBPyConnection, fields: tuple[str, ...] = (),
          n_drivers: int | None = None) -> tuple[Texts, Proposal]:  # fmt: skip
    """`discover.discover` keeping what it read: a split groups those texts again, a move
    counts them. Raises NothingToDiscover."""
    texts = select(con, fields)
    return texts, propose(texts, n_drivers)


def find(proposal: Proposal, label: str) -> Driver:
    for driver in proposal.drivers:
        if driver.label == label:
            return driver
    raise ReviewError(f"There is no driver {label!r} in the proposal (renamed or merged "
                      "already?).")  # fmt: skip


def rename(proposal: Proposal, label: str, new: str) -> Proposal:
    old = find(proposal, label)
    name = _checked_name(proposal, new, allowed=(label,))
    drivers = [dataclasses.replace(d, label=name) if d is old else d for d in proposal.drivers]
    return dataclasses.replace(proposal, drivers=_ordered(drivers))


def merge(proposal: Proposal, labels: Sequence[str], new_label: str, *, texts: Texts) -> Proposal:
    """The drivers `labels` as one driver named `new_label` (which may be one of theirs)."""
    chosen = [find(proposal, label) for label in dict.fromkeys(labels)]
    if len(chosen) < 2:
        raise ReviewError("Choose at least two drivers to merge.")
    name = _checked_name(proposal, new_label, allowed=labels)
    keys = {k for d in chosen for k in d.keys}
    merged = _rebuilt(name, keys, texts, proposal.contacts, _interleave(d.words for d in chosen))
    rest = [d for d in proposal.drivers if d.label not in {c.label for c in chosen}]
    return dataclasses.replace(proposal, drivers=_ordered([*rest, merged]), model=None)


def split(proposal: Proposal, texts: Texts, label: str, k: int | None = None) -> Proposal:
    """Discovery run again on one driver's texts alone, the driver replaced by the groups it
    finds (k of them, or as many as discovery chooses). The texts that say nothing beyond
    what the whole driver shares keep its name; other names are made unique."""
    parent = find(proposal, label)
    if k is not None and k < 2:
        raise ReviewError("A driver splits into at least two drivers.")
    own = texts.frame.filter(pl.col("key").is_in(list(parent.keys)))
    if own["text"].n_unique() < MIN_SPLIT:
        raise ReviewError(f"{label!r} has fewer than {MIN_SPLIT} different texts: there is "
                          "nothing to split; move its reasons instead.")  # fmt: skip
    subset = Texts(texts.source, own, int(own["contacts"].sum()), texts.total)
    try:
        found = propose(subset, k)
    except NothingToDiscover as exc:
        raise ReviewError(f"{label!r} cannot be split: its texts say nothing more once the "
                          "words they all share are set aside.") from exc  # fmt: skip
    if len(found.drivers) < 2:
        raise ReviewError(f"{label!r} cannot be split: discovery finds only one group in it.")
    rest = [d for d in proposal.drivers if d is not parent]
    taken = {d.label.casefold() for d in rest}
    parts = []
    for part in sorted(found.drivers, key=lambda d: d.label != UNSPECIFIED):
        name = _unique(label if part.label == UNSPECIFIED else part.label, taken)
        share = part.contacts / proposal.contacts if proposal.contacts else 0.0
        parts.append(dataclasses.replace(part, label=name, share=share))
    return dataclasses.replace(proposal, drivers=_ordered([*rest, *parts]), model=None)


def move(proposal: Proposal, keys: Iterable[str], to_label: str, *, texts: Texts) -> Proposal:
    """Raw reasons (or, for a text proposal, contacts) moved to another driver, or to a new
    one named `to_label`; a driver left with none is gone."""
    moving = set(keys)
    if not moving:
        raise ReviewError(f"Choose the {_noun(proposal)} to move.")
    owner = {k: d.label for d in proposal.drivers for k in d.keys}
    unknown = sorted(moving - owner.keys())
    if unknown:
        raise ReviewError(f"{unknown[0]!r} is not in the proposal.")
    target = next((d for d in proposal.drivers
                   if d.label.casefold() == to_label.strip().casefold()), None)  # fmt: skip
    if target is not None and moving <= set(target.keys):
        raise ReviewError(f"Those are already in {target.label!r}.")
    drivers = []
    for d in proposal.drivers:
        if d is target:
            continue
        if moving & set(d.keys):
            left = set(d.keys) - moving
            if left:
                drivers.append(_rebuilt(d.label, left, texts, proposal.contacts, d.words))
        else:
            drivers.append(d)
    if target is not None:
        drivers.append(_rebuilt(target.label, set(target.keys) | moving, texts,
                                proposal.contacts, target.words))  # fmt: skip
    else:
        name = _checked_name(proposal, to_label)
        drivers.append(_rebuilt(name, moving, texts, proposal.contacts,
                                _top_words(moving, texts)))  # fmt: skip
    return dataclasses.replace(proposal, drivers=_ordered(drivers), model=None)


def accepted(proposal: Proposal, labels: Iterable[str]) -> Accepted:
    """What to write for the drivers `labels`: the others' reasons stay out of the map (it
    keeps whatever it had for them), the others' contacts get no assignment."""
    wanted = set(labels)
    for label in wanted:
        find(proposal, label)
    kept = [d for d in proposal.drivers if d.label in wanted]
    if proposal.source == "reasons":
        return Accepted(tuple(d.label for d in kept),
                        {k: d.label for d in kept for k in d.keys}, None)  # fmt: skip
    schema = {"contact_id": pl.String, "driver": pl.String, "similarity": pl.Float64}
    parts = [pl.DataFrame({"contact_id": list(d.keys)}, schema={"contact_id": pl.String})
             .with_columns(pl.lit(d.label, pl.String).alias("driver"),
                           pl.lit(d.tightness, pl.Float64).alias("similarity"))
             for d in kept]  # fmt: skip
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return Accepted(tuple(d.label for d in kept), {}, frame)


def write(db: Path, proposal: Proposal, labels: Iterable[str], *,
          changed_by: str = "local") -> driver_map.MapChange:  # fmt: skip
    """The accepted drivers into the next version of the store, as `cxdash drivers discover
    --apply` writes them (`driver_map.write`: from discovery, so their centres are kept for
    later imports)."""
    chosen = accepted(proposal, labels)
    if not chosen.drivers:
        raise ReviewError("Accept at least one driver to write.")
    if chosen.assignments is None:
        return driver_map.write(db, chosen.mapping, changed_by=changed_by, discovered=True)
    fields = tuple(proposal.source.split(" + "))  # as `texts.select` names what it read
    return driver_map.write(db, {}, assignments=chosen.assignments, changed_by=changed_by,
                            text_fields=fields)  # fmt: skip


def map_from_rows(rows: Iterable[tuple[str | None, str | None]]) -> dict[str, str]:
    """An edited driver map (raw reason, driver) as `driver_map.write` takes it: blank rows
    dropped, names trimmed; a reason without a driver, a driver without a reason or a reason
    listed twice refused (a driver's length is `driver_map.write`'s to check)."""
    mapping: dict[str, str] = {}
    for reason, driver in rows:
        reason, name = reason or "", (driver or "").strip()
        if not reason.strip() and not name:
            continue
        if not reason.strip():
            raise ReviewError(f"Driver {name!r} has no raw reason: type the reason as the "
                              "contacts have it, or delete the row.")  # fmt: skip
        if not name:
            raise ReviewError(f"Reason {reason!r} has no driver: name one, or delete the row "
                              "to count it under itself.")  # fmt: skip
        if reason in mapping:
            raise ReviewError(f"Reason {reason!r} is listed twice: keep one row.")
        mapping[reason] = name
    return mapping


def _checked_name(proposal: Proposal, new: str, allowed: Iterable[str] = ()) -> str:
    name = new.strip()
    if not name:
        raise ReviewError("A driver needs a name.")
    if len(name) > MAX_LABEL:
        raise ReviewError(f"{name[:40]!r}… is longer than {MAX_LABEL} characters: a driver's "
                          "name is a few words.")  # fmt: skip
    free = set(allowed)
    for d in proposal.drivers:
        if d.label not in free and d.label.casefold() == name.casefold():
            raise ReviewError(f"{d.label!r} is already the name of a driver: merge the two "
                              "instead.")  # fmt: skip
    return name


def _rebuilt(label: str, keys: set[str], texts: Texts, total: int,
             top: tuple[str, ...]) -> Driver:  # fmt: skip
    """A driver counted again from its texts: contacts, share, the three texts most contacts
    used; its tightness unknown (module docstring)."""
    members = texts.frame.filter(pl.col("key").is_in(list(keys)))
    contacts = int(members["contacts"].sum())
    examples = (members.group_by("text").agg(pl.col("contacts").sum())
                .sort(["contacts", "text"], descending=[True, False])["text"].head(3))  # fmt: skip
    return Driver(label, contacts, contacts / total if total else 0.0, top,
                  tuple(examples.to_list()), None, tuple(members["key"].to_list()))  # fmt: skip


def _noun(proposal: Proposal) -> str:
    return "reasons" if proposal.source == "reasons" else "contacts"


def _ordered(drivers: Iterable[Driver]) -> tuple[Driver, ...]:
    """Biggest first, as discovery lists them."""
    return tuple(sorted(drivers, key=lambda d: (-d.contacts, d.label)))


def _interleave(groups: Iterable[tuple[str, ...]], n: int = 5) -> tuple[str, ...]:
    """The merged drivers' top words, taking each one's first, then each one's second …"""
    lists = list(groups)
    out: list[str] = []
    for rank in range(max((len(g) for g in lists), default=0)):
        out += [g[rank] for g in lists if rank < len(g) and g[rank] not in out]
    return tuple(out[:n])


def _top_words(keys: set[str], texts: Texts, n: int = 5) -> tuple[str, ...]:
    """A new driver's words: those most of its contacts use, less the ones every text shares
    (the company's name)."""
    frame = texts.frame
    common = words.common_words(frame["text"].to_list(), frame["contacts"].to_list())
    seen: Counter[str] = Counter()
    members = frame.filter(pl.col("key").is_in(list(keys)))
    for text, count in members.select("text", "contacts").iter_rows():
        for word in set(words.tokens(text)) - common:
            seen[word] += count
    return tuple(w for w, _ in sorted(seen.items(), key=lambda item: (-item[1], item[0]))[:n])


def _unique(label: str, taken: set[str]) -> str:
    out, i = label, 2
    while out.casefold() in taken:
        out, i = f"{label} ({i})", i + 1
    taken.add(out.casefold())
    return out
