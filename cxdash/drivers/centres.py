"""The accepted drivers' centres, kept so a later import lands among them
(`cxdash.drivers.assign`): worked out again from the driver map (or the contacts' text
assignments) whenever either is written, so a rename, merge or move on the Driver catalog page
moves the centres with it.

A centre is the mean embedding of a driver's distinct normalised texts (as k-means found it);
its floor is the similarity to the centre that all but the loosest 5 % of its contacts reach:
a new text less similar than that to its nearest driver is "new, not yet seen". Unspecified
(texts that are only the company's name) and loose groups (Mixed, tightness < LOOSE) take no
new texts by similarity: a new text near nothing better must not hide in them.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from cxdash.drivers import embed, words
from cxdash.drivers.texts import MAX_CHARS, UNUSABLE

UNSPECIFIED = "Unspecified"
NEW = "New, not yet seen"
LOOSE = 0.35
FLOOR_QUANTILE = 0.05


def text_sql(fields: tuple[str, ...], alias: str = "c") -> str:
    """The SQL of a contact's discovery text from its text fields, as `texts.select` reads it."""
    joined = " || ' ' || ".join(f"coalesce({alias}.{f}, '')" for f in fields)
    return f"left(trim({joined}), {MAX_CHARS})"


def usable_sql(alias: str = "c") -> str:
    return f"lower(trim(coalesce({alias}.reason, ''))) NOT IN {UNUSABLE}"


def exist(con: duckdb.DuckDBPyConnection, fields: tuple[str, ...] = ()) -> bool:
    return bool(con.execute("SELECT 1 FROM driver_centres WHERE fields = ? LIMIT 1",
                            ["+".join(fields)]).fetchall())  # fmt: skip


def refresh(con: duckdb.DuckDBPyConnection, fields: tuple[str, ...] = ()) -> int:
    """Rewrite the centres of one source: the reasons (`fields` empty, from the driver map) or
    the text fields (from `contact_drivers`). Returns how many drivers got a centre."""
    key = "+".join(fields)
    if fields:
        frame = con.sql(f"""
            SELECT t.driver, {text_sql(fields)} AS text, 1::BIGINT AS contacts
            FROM contact_drivers t JOIN contacts c USING (contact_id)""").pl()  # fmt: skip
    else:
        frame = con.sql("""
            SELECT m.driver, m.reason AS text, count(c.contact_id) AS contacts
            FROM driver_map m LEFT JOIN contacts c ON c.reason = m.reason
            GROUP BY ALL""").pl()  # fmt: skip
    con.execute("DELETE FROM driver_centres WHERE fields = ?", [key])
    if frame.is_empty():
        return 0
    texts = frame["text"].to_list()
    step = max(1, len(texts) // 100_000)  # as discovery: the company's name from a sample
    common = words.common_words(texts[::step], frame["contacts"].to_list()[::step])
    frame = frame.with_columns(pl.Series("norm", words.normalise_all(texts, common),
                                         dtype=pl.String))  # fmt: skip
    distinct = (frame.filter(pl.col("norm") != "").group_by("driver", "norm")
                .agg(pl.col("contacts").sum()).sort("driver", "norm"))  # fmt: skip
    rows: list[tuple[object, ...]] = []
    if distinct.height:
        vectors = embed.vectors(distinct["norm"].to_list())
        labels = distinct["driver"]
        order = sorted(set(labels.to_list()))
        index = labels.replace_strict({d: i for i, d in enumerate(order)},
                                      return_dtype=pl.Int64).to_numpy()  # fmt: skip
        sums = np.zeros((len(order), vectors.shape[1]), dtype=np.float64)
        np.add.at(sums, index, vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = (sums / np.where(norms == 0, 1, norms)).astype(np.float32)
        sims = np.einsum("ij,ij->i", vectors, centres[index])
        weight = distinct["contacts"].cast(pl.Float64).to_numpy()
        for i, driver in enumerate(order):
            mine = index == i
            s, w = sims[mine], weight[mine]
            tight = float((s * w).sum() / w.sum()) if w.sum() else 0.0
            rank = np.argsort(s)
            cum = np.cumsum(w[rank]) / w.sum()
            floor = float(s[rank][np.searchsorted(cum, FLOOR_QUANTILE)])
            assignable = driver not in (UNSPECIFIED, NEW) and tight >= LOOSE
            rows.append((driver, key, centres[i].tolist(), floor, assignable,
                         " ".join(sorted(common))))  # fmt: skip
    have = {r[0] for r in rows}
    for driver in sorted(set(frame["driver"].to_list()) - have):  # only empty texts: no centre
        rows.append((driver, key, [0.0] * embed.dimensions(), None, False,
                     " ".join(sorted(common))))  # fmt: skip
    con.executemany("INSERT INTO driver_centres VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(have)
