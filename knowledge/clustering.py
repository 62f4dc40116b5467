"""Grouping short texts by meaning: average-linkage clustering over sentence vectors.

Why this shape: the knowledge-gap report (handoff/gaps.py) groups citizens' unanswered
questions so that a manager sees "rats in the garden, 140 times" rather than 140 lines.
No clustering library is installed (scikit-learn and SciPy would be heavy for one
function), and the data are small enough for numpy:

- **Centring.** e5's cosines are compressed: two unrelated Danish questions still
  score ~0.8, paraphrases ~0.9. Subtracting a reference mean (what every citizen
  question shares: Danish, a question, public service) and normalising again spreads
  them out: paraphrases ~0.3–0.6, unrelated ~0.0–0.15 (measured on the retrieval dev
  set and the planted gap themes of `evals/gap_themes.py`). `centred` does that.
- **Shared words.** e5-small still puts two questions of the same form ("hvor er der en
  …") closer than two about one subject in other words; `lexical` (TF-IDF of stems)
  is mixed in with weight 1 − `DENSE_WEIGHT` (`combined`).
- **Average linkage.** Groups merge, closest pair first, while the mean similarity
  between their members is at least `threshold` (`average_linkage`, exact, on a k×k
  matrix). Beyond `EXACT_MAX` texts a seeded sample of that many is clustered and the
  rest join the group they are closest to on average (`cluster`).
- **Cost.** 4,000 distinct texts cluster in about a second, 20,000 in a few; callers
  deduplicate identical texts first and cap how many distinct texts they embed
  (`handoff.gaps.MAX_TEXTS`).

The thresholds were chosen on a simulated month (`ddh simulate --gaps`): at 0.15 each
planted theme is one or two clusters and no two themes share one.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.text import analyse

DEFAULT_THRESHOLD = 0.15  # average similarity within a cluster (see module docstring)
DENSE_WEIGHT = 0.6  # of the combined similarity; the rest is shared words (`lexical`)
LEXICAL_DIM = 2048
EXACT_MAX = 4000  # rows clustered exactly (a k×k float32 matrix: 64 MB at 4,000)


def embed_questions(embedder: Embedder, texts: Sequence[str], threads: int = 2) -> np.ndarray:
    """Query embeddings of `texts` (one row each, unit length), in order.

    Questions are embedded as e5 *queries* (symmetric similarity between two questions
    is what e5 documents the query prefix for). The embedder serialises its own model
    calls; a few threads keep its worker busy while Python prepares the next text."""
    if not texts:
        return np.zeros((0, 0), np.float32)
    if threads <= 1 or len(texts) < 32:
        rows = [embedder.query(t) for t in texts]
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="gaps-embed") as pool:
            rows = list(pool.map(embedder.query, texts))
    return np.vstack(rows).astype(np.float32)


def centred(vectors: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Vectors minus the reference mean (default: their own mean), normalised again.

    A row that equals the mean (all questions the same) stays a zero row."""
    if len(vectors) == 0:
        return vectors
    mean = (reference if reference is not None and len(reference) else vectors).mean(axis=0)
    out = vectors - mean
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 1e-9)


def lexical(texts: Sequence[str], dim: int = LEXICAL_DIM) -> np.ndarray:
    """TF-IDF vectors of the texts' stems (stop words out, `knowledge.text.analyse`),
    feature-hashed to `dim` columns, unit length; IDF over these texts.

    Why beside the embeddings: e5-small places two short questions that share their
    form ("hvor er der en …") closer than two that share their subject in other words;
    a shared rare word ("rotter", "hundeskov") is strong evidence of one subject."""
    docs = [analyse(t) for t in texts]
    df = Counter(tok for doc in docs for tok in set(doc))
    n = len(docs)
    out = np.zeros((n, dim), np.float32)
    slots: dict[str, tuple[int, float]] = {}
    for tok in df:
        h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
        slots[tok] = (h % dim, 1.0 if (h >> 63) else -1.0)
    for i, doc in enumerate(docs):
        for tok, tf in Counter(doc).items():
            col, sign = slots[tok]
            out[i, col] += sign * tf * (math.log((1 + n) / (1 + df[tok])) + 1.0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 1e-9)


def combined(dense: np.ndarray, words: np.ndarray, weight: float = DENSE_WEIGHT) -> np.ndarray:
    """One row per text whose dot products are `weight`·dense + (1−weight)·lexical
    similarity (both parts unit rows, so the sum stays a similarity in −1..1)."""
    return np.hstack([math.sqrt(weight) * dense, math.sqrt(1.0 - weight) * words])


def _means(vectors: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sums = np.zeros((k, vectors.shape[1]), np.float64)
    np.add.at(sums, labels, vectors)
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    return sums / np.maximum(sizes, 1.0)[:, None], sizes


def _compact(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber labels 0..k-1 in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse], len(first)


def average_linkage(means: np.ndarray, sizes: np.ndarray, threshold: float) -> np.ndarray:
    """Agglomerative average linkage: merge the closest pair of groups while their mean
    pairwise similarity is at least `threshold`; a label per input group.

    Groups start as the rows of `means` (a text, or a tight group of texts with its
    mean vector and size). For mean vectors, `mean_a · mean_b` is the mean pairwise
    similarity of their members, and a merged group's similarity to a third one is the
    size-weighted mean of the two (Lance–Williams), so the k×k matrix is updated in
    place, one row per merge. Each group keeps its nearest other group; a merge looks
    again only at the rows that pointed at the merged pair."""
    k = len(means)
    if k < 2:
        return np.zeros(k, np.int64)
    sim = (means @ means.T).astype(np.float32)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.asarray(sizes, np.float64).copy()
    alive = np.ones(k, bool)
    near = np.argmax(sim, axis=1)
    best = sim[np.arange(k), near].astype(np.float64)
    parent = np.arange(k)
    while True:
        a = int(np.argmax(best))
        if best[a] < threshold:
            break
        b = int(near[a])
        na, nb = sizes[a], sizes[b]
        row = ((na * sim[a] + nb * sim[b]) / (na + nb)).astype(np.float32)
        row[~alive] = -np.inf
        row[a] = row[b] = -np.inf
        sim[a, :] = row
        sim[:, a] = row
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        sizes[a] = na + nb
        alive[b] = False
        best[b] = -np.inf
        parent[b] = a
        near[a] = int(np.argmax(sim[a]))
        best[a] = sim[a, near[a]]
        stale = alive & ((near == a) | (near == b))
        stale[a] = False
        closer = alive & ~stale & (sim[:, a] > best)
        closer[a] = False
        best[closer], near[closer] = sim[closer, a], a
        for r in np.flatnonzero(stale):  # average linkage can fall: look again
            near[r] = int(np.argmax(sim[r]))
            best[r] = sim[r, near[r]]
    root = parent.copy()
    for i in range(k):  # follow merges to the surviving group
        r = i
        while root[r] != r:
            r = root[r]
        root[i] = r
    return _compact(root)[0]


def cluster(vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD,
            exact_max: int = EXACT_MAX, seed: int = 0) -> list[list[int]]:
    """Groups of row indices whose members are on average at least `threshold` similar
    (dot product; pass unit rows), largest first, then by first row.

    Up to `exact_max` rows this is exact average linkage. Beyond, a seeded random
    sample of `exact_max` rows is clustered exactly and every other row joins the group
    it is on average most similar to, when that is at least `threshold` (else it stays
    alone): one matrix product, so tens of thousands of rows take seconds."""
    n = len(vectors)
    if n == 0:
        return []
    if n <= exact_max:
        labels = average_linkage(vectors, np.ones(n), threshold)
    else:
        sample = np.sort(np.random.default_rng(seed).choice(n, exact_max, replace=False))
        inner = average_linkage(vectors[sample], np.ones(exact_max), threshold)
        means, _ = _means(vectors[sample], inner, int(inner.max()) + 1)
        labels = np.full(n, -1, np.int64)
        labels[sample] = inner
        rest = np.setdiff1d(np.arange(n), sample)
        for start in range(0, len(rest), 4096):  # blocks keep the products small
            rows = rest[start:start + 4096]
            sims = vectors[rows] @ means.T
            best = np.argmax(sims, axis=1)
            ok = sims[np.arange(len(rows)), best] >= threshold
            labels[rows[ok]] = best[ok]
        alone = np.flatnonzero(labels < 0)
        labels[alone] = len(means) + np.arange(len(alone))
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def medoid(vectors: np.ndarray, members: Sequence[int],
           weights: Sequence[float] | None = None) -> int:
    """The member most similar on average to the others (weighted by how often each
    text was asked): the cluster's most typical text."""
    idx = np.asarray(members)
    if len(idx) == 1:
        return int(idx[0])
    sub = vectors[idx]
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, np.float64)
    scores = (sub @ sub.T) @ w
    return int(idx[int(np.argmax(scores))])
