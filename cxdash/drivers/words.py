"""Texts to the words that tell drivers apart: case, punctuation, plurals, and the words every
group shares (the company's own name in "Comcast data caps", "comcast internet") taken out, so
"Comcast Data Cap" and "comcast data caps" are one text; and a driver's name from its own
words ("Data cap", "Internet speed")."""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import polars as pl

STOP = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers him his how i if in into is it its itself just me more
most my no nor not now of off on once only or other our ours out over own same she should so
some such than that the their them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your
yours im ive dont cant wont didnt isnt get got also please hi hello thanks thank u us re
""".split())  # noqa: SIM905  (a word list reads better as text)
# Words that say a contact is a complaint, not what it is about ("Comcast billing issue").
META = frozenset("""
issue problem complaint concern regarding question help request trouble inquiry matter
experience case ticket
""".split())  # noqa: SIM905
COMMON = 0.3  # a word in more than this share of the texts' contacts is the company, not a driver
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def singular(word: str) -> str:
    """A plain English singular, enough to join "caps"/"cap", "charges"/"charge"."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "ous")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=500_000)
def _word(word: str) -> str:
    """A lower-case word as `tokens` keeps it, or "" when it tells nothing (cached: a million
    texts use far fewer distinct words, so each is worked out once)."""
    if word in STOP or word.isdigit():
        return ""
    plain = singular(word)
    return "" if plain in META else plain


def tokens(text: str) -> list[str]:
    return [p for w in _WORD.findall(text.lower()) if (p := _word(w))]


def word_bags(texts: Sequence[str], common: frozenset[str]
              ) -> tuple[pl.DataFrame, list[str]]:  # fmt: skip
    """The words `normalise` keeps, as rows (i: the text's index, j: the word's index in the
    returned vocabulary), without making the normalised strings: for placing a million texts,
    where only the words matter. Polars finds the words; each distinct one is checked once
    with `_WORD` and `_word`, so the words are `normalise`'s (Rust's \\w and Python's
    differ only on a few marks such as "²")."""
    found = (pl.DataFrame({"w": pl.Series(texts, dtype=pl.String).str.to_lowercase()
                           .str.extract_all(r"[^\W_]+")}).with_row_index("i")
             .explode("w").drop_nulls("w"))  # fmt: skip
    kept = [(raw, p) for raw in found["w"].unique().to_list() for sub in _WORD.findall(raw)
            if (p := _word(sub)) and p not in common]  # fmt: skip
    vocab = sorted({p for _, p in kept})
    index = {p: j for j, p in enumerate(vocab)}
    table = pl.DataFrame([(raw, index[p]) for raw, p in kept],
                         schema={"w": pl.String, "j": pl.UInt32}, orient="row")  # fmt: skip
    return found.join(table, on="w", how="inner", maintain_order="left").select("i", "j"), vocab


def common_words(texts: Sequence[str], weights: Sequence[int]) -> frozenset[str]:
    """Words in more than COMMON of the contacts' texts: the company's name and the like."""
    total = sum(weights) or 1
    seen: Counter[str] = Counter()
    for text, n in zip(texts, weights, strict=True):
        for word in set(tokens(text)):
            seen[word] += n
    return frozenset(w for w, n in seen.items() if n / total > COMMON)


def normalise(text: str, common: frozenset[str]) -> str:
    return " ".join(w for w in tokens(text) if w not in common)


def normalise_all(texts: Iterable[str], common: frozenset[str]) -> list[str]:
    """`normalise` for many texts."""
    find, word, lower = _WORD.findall, _word, str.lower
    if not common:
        return [" ".join([p for w in find(lower(t)) if (p := word(w))]) for t in texts]
    return [" ".join([p for w in find(lower(t)) if (p := word(w)) and p not in common])
            for t in texts]


def name(members: Iterable[tuple[str, int]], background: Counter[str], total: int,
         taken: set[str]) -> tuple[str, list[str]]:  # fmt: skip
    """A short label from the group's own words, and its top words. Words and word pairs are
    scored by how much more often the group uses them than all texts do (c-TF-IDF); a pair
    wins when most of the group uses it ("Data cap"), else the best word."""
    own: Counter[str] = Counter()
    size = 0
    for text, n in members:
        size += n
        words = text.split()
        for gram in set(words) | {" ".join(p) for p in itertools.pairwise(words)}:
            own[gram] += n
    if not own:
        return unique("Other", taken), []

    def score(gram: str) -> float:
        return float(own[gram] / size * (total / max(background[gram], 1)) ** 0.5)

    ranked = sorted(own, key=lambda g: (-score(g), g))
    singles = [g for g in ranked if " " not in g]
    pairs = [g for g in ranked if " " in g and own[g] >= 0.4 * size]
    best = pairs[0] if pairs and own[pairs[0]] >= 0.6 * own[singles[0]] else singles[0]
    label = best[0].upper() + best[1:]
    return unique(label, taken), singles[:5]


def unique(label: str, taken: set[str]) -> str:
    out, i = label, 2
    while out in taken:
        out, i = f"{label} ({i})", i + 1
    taken.add(out)
    return out


def background(texts: Iterable[tuple[str, int]]) -> Counter[str]:
    """How many contacts' texts use each word and word pair (for `name`)."""
    seen: Counter[str] = Counter()
    for text, n in texts:
        words = text.split()
        for gram in set(words) | {" ".join(p) for p in itertools.pairwise(words)}:
            seen[gram] += n
    return seen
