"""Vectors → groups, seeded so the same data gives the same drivers.

Each distinct normalised text counts once (k-means weighted by contacts let the few big texts
pull every centre: NMI 0.47 against 0.51 unweighted on the Comcast check); texts with the same
words are already one. The number of groups, unless given, is the one with the best
silhouette (cosine) on a sample, among K_RANGE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score

from cxdash.drivers import embed

SEED = 20261202
SCORE_SAMPLE = 4_000  # texts the silhouette of each candidate number of groups is taken on
FIT_SAMPLE = 100_000  # distinct texts k-means learns from; the rest go to their nearest centre
K_RANGE = (12, 30)  # groups tried when the number is not given
Vectors = NDArray[np.float32]


@dataclass(frozen=True)
class Model:
    """What places a new text among the drivers: the group centres (unit rows)."""

    centres: Vectors

    def nearest(self, vectors: Vectors) -> tuple[NDArray[np.int64], Vectors]:
        """Each vector's nearest centre and its cosine similarity to it."""
        return embed.nearest(vectors, self.centres)


def fit(texts: list[str]) -> Vectors:
    return embed.vectors(texts)


def groups(vectors: Vectors, k: int | None, seed: int = SEED
           ) -> tuple[NDArray[np.int64], Vectors, Vectors]:  # fmt: skip
    """Labels, (unit) centres and each vector's similarity to its centre; k chosen by
    silhouette when None."""
    n = len(vectors)
    if k is None:
        k = choose_k(vectors, seed)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    sample = vectors if n <= FIT_SAMPLE else vectors[np.sort(rng.choice(n, FIT_SAMPLE,
                                                                        replace=False))]
    algo = KMeans if len(sample) <= 20_000 else MiniBatchKMeans
    model = algo(n_clusters=k, random_state=seed, n_init=4 if len(sample) <= 20_000 else 3)
    model.fit(sample)
    centres = np.asarray(model.cluster_centers_, dtype=np.float32)
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    centres = (centres / np.where(norms == 0, 1, norms)).astype(np.float32)
    labels, sims = embed.nearest(vectors, centres)
    return labels, centres, sims


def choose_k(vectors: Vectors, seed: int = SEED) -> int:
    rng = np.random.default_rng(seed)
    n = len(vectors)
    pick = vectors if n <= SCORE_SAMPLE else vectors[rng.choice(n, SCORE_SAMPLE, replace=False)]
    low, high = K_RANGE
    high = min(high, len(pick) - 1)
    if high <= low:
        return max(2, min(low, len(pick) - 1))
    best, best_k = -1.0, low
    for k in range(low, high + 1, 2):
        labels = KMeans(n_clusters=k, random_state=seed, n_init=2).fit_predict(pick)
        score = float(silhouette_score(pick, labels, metric="cosine"))
        if score > best:
            best, best_k = score, k
    return best_k
