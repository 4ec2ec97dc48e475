"""How well proposed drivers recover a labelled check: NMI, ARI and purity over contacts
(each contact counts once, so a title used by 40 contacts weighs 40). Used by the quality test
(`tests/drivers/test_quality.py`) and `benchmarks/drivers_quality.py`, which report the same
figures the README gives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


@dataclass(frozen=True)
class Quality:
    drivers: int
    contacts: int
    nmi: float
    ari: float
    purity: float

    def __str__(self) -> str:
        return (f"{self.drivers} drivers over {self.contacts:,} contacts: NMI {self.nmi:.3f}, "
                f"ARI {self.ari:.3f}, purity {self.purity:.3f}")


def measure(truth: Sequence[str], found: Sequence[str]) -> Quality:
    """`truth[i]` and `found[i]` are contact i's labelled and proposed drivers."""
    if len(truth) != len(found) or not truth:
        raise ValueError("one labelled and one proposed driver per contact")
    pairs = Counter(zip(found, truth, strict=True))
    best: dict[str, int] = {}
    for (f, _), n in pairs.items():
        best[f] = max(best.get(f, 0), n)
    return Quality(len(set(found)), len(truth),
                   float(normalized_mutual_info_score(truth, found)),
                   float(adjusted_rand_score(truth, found)),
                   sum(best.values()) / len(truth))  # fmt: skip


def per_contact(labels: Mapping[str, str], driver_of: Mapping[str, str]) -> Quality:
    """`labels`: contact id → labelled driver; `driver_of`: contact id → proposed driver (a
    contact discovery did not read counts as its own "(none)")."""
    ids = sorted(labels)
    return measure([labels[i] for i in ids], [driver_of.get(i, "(none)") for i in ids])
