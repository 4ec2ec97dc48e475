"""Texts → vectors → groups, seeded so the same data gives the same drivers.

Vectors: TF-IDF over words and word pairs plus character n-grams (so "cap"/"caps"/"capping"
and misspellings land near each other), reduced by a seeded truncated SVD and normalised, so
k-means on them is clustering by cosine. The vectoriser and SVD are fitted on a sample of the
distinct texts and applied to all (a million comments would not fit the time otherwise). The
number of groups, unless given, is the one with the best silhouette (cosine) on a sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import Normalizer

SEED = 20261202
FIT_SAMPLE = 50_000  # distinct texts the vectoriser and SVD learn from
SCORE_SAMPLE = 4_000  # texts the silhouette of each candidate number of groups is taken on
DIMENSIONS = 96
K_RANGE = (6, 30)  # groups tried when the number is not given

Vectors = NDArray[np.float64]


@dataclass(frozen=True)
class Model:
    """What assigns a new text to a driver: the fitted vectoriser and the group centres."""

    pipeline: object
    centres: Vectors

    def vectors(self, texts: list[str]) -> Vectors:
        return np.asarray(self.pipeline.transform(texts), dtype=np.float64)  # type: ignore[attr-defined]

    def nearest(self, texts: list[str]) -> tuple[NDArray[np.int64], Vectors]:
        """Each text's nearest centre and its cosine similarity to it."""
        sims = self.vectors(texts) @ self.centres.T
        best = sims.argmax(axis=1)
        return best, sims[np.arange(len(texts)), best]


def fit(texts: list[str], seed: int = SEED) -> tuple[object, Vectors]:
    rng = np.random.default_rng(seed)
    sample = texts if len(texts) <= FIT_SAMPLE else [
        texts[i] for i in sorted(rng.choice(len(texts), FIT_SAMPLE, replace=False))]
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                  min_df=2 if len(sample) > 1000 else 1)),
    ])  # fmt: skip
    width = max(2, min(DIMENSIONS, len(sample) - 1))
    pipeline = make_pipeline(features, TruncatedSVD(width, random_state=seed), Normalizer())
    pipeline.fit(sample)
    return pipeline, np.asarray(pipeline.transform(texts), dtype=np.float64)


def groups(vectors: Vectors, weights: NDArray[np.float64], k: int | None, seed: int = SEED
           ) -> tuple[NDArray[np.int64], Vectors]:  # fmt: skip
    """Labels and (normalised) centres; k chosen by silhouette when None."""
    n = len(vectors)
    if k is None:
        k = choose_k(vectors, seed)
    k = max(1, min(k, n))
    algo = KMeans if n <= 20_000 else MiniBatchKMeans
    model = algo(n_clusters=k, random_state=seed, n_init=4 if n <= 20_000 else 3)
    labels = model.fit_predict(vectors, sample_weight=weights)
    centres = model.cluster_centers_
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    return np.asarray(labels, dtype=np.int64), centres / np.where(norms == 0, 1, norms)


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
