"""The knowledge-gap report: what citizens asked that the bot could not answer,
grouped by meaning, ranked by volume and trend, each group beside its nearest guide.

Why here: it composes the outcome store (which turns were gaps, `store/gaps.py`) with
the knowledge base (the embedding model, the clustering, the guides); `handoff` is the
lowest floor that may use both, and both the gateway's dashboard and `ddh gaps` sit
above it.

How (CONTRACT.md §7):
1. The gaps of the period and of the period before it (same length), redacted.
2. Identical texts (case and spacing aside) become one text with a count; at most
   `max_texts` distinct texts are embedded and clustered (embedding costs ~2 ms a text
   on one core; vectors are kept in the process for the next report): the most
   frequent half, and a seeded random sample of the rest. A month has few texts asked
   often and many asked once; the texts left out are counted in `GapReport.dropped`,
   and `ddh gaps` and the page say so.
3. Each text is embedded with the project's model (`knowledge/embeddings.py`, as an e5
   query), centred on the mean of the texts together with the national guides' keyword
   phrases (what any citizen question shares), and clustered by average linkage
   (`knowledge/clustering.py`).
4. A cluster's count is its questions in this period; `previous` those in the period
   before; clusters are ranked by count, then by growth. Its label is its most typical
   question (the medoid, greetings stripped), its examples the most asked texts, its
   nearest guide the closest guide in meaning (cosine of e5 vectors) to that question.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ddh.logging import get_logger
from knowledge.clustering import (
    DEFAULT_THRESHOLD,
    DENSE_WEIGHT,
    centred,
    cluster,
    combined,
    embed_questions,
    lexical,
    medoid,
)
from knowledge.embeddings import Embedder
from knowledge.guide import NO_GUIDE_TOPIC
from knowledge.retrieval import HybridRetriever
from knowledge.text import analyse
from store.gaps import GapQuestion, gap_questions

log = get_logger(__name__)
MAX_TEXTS = 5000  # distinct texts embedded per report (see the module docstring)
EXAMPLES = 5
# Topics that say who helps, not what the question is about.
GENERIC = frozenset({"menneske", "klage", "sagsstatus", "krise", "uden-for-omraade",
                     NO_GUIDE_TOPIC})
_OPENING = re.compile(
    r"^(?:\W*(?:hej(?:sa)?|halløj|goddag|god ?morgen|god ?dag|godaften|undskyld|ja|nå|øh|øhm|"
    r"jeg har et spørgsmål(?: om)?|jeg ringer(?: fordi| om| angående)?|"
    r"jeg vil gerne (?:spørge|høre|vide)(?: om)?)\b[\s,.!:;-]*)+", re.IGNORECASE)
_CLOSING = re.compile(
    r"(?:[\s,.!:;-]*\b(?:hvad gør (?:jeg|man|vi)|hvad skal (?:jeg|man|vi) gøre|"
    r"kan (?:i|du|nogen) hjælpe(?: mig)?|hvem skal (?:jeg|man|vi) (?:kontakte|ringe til)|"
    r"hvem kan (?:jeg|man|vi) kontakte|(?:mange )?tak(?: for hjælpen)?|på forhånd tak)"
    r"[\s?.!]*)+$", re.IGNORECASE)


# What redaction left ("mit cpr er [CPR]"): the same in questions about anything.
_REDACTED = re.compile(r"(?:\b(?:mit|min)\s+(?:cpr|telefon)[\w-]*\s+(?:er\s+)?)?"
                       r"\[[A-ZÆØÅ_]+\]", re.IGNORECASE)


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def subject(text: str) -> str:
    """What a question is about: greetings, generic asks ("hvad gør jeg", "kan I
    hjælpe") and redaction marks ("[CPR]") stripped, since they are shared by
    questions about anything and would otherwise pull unrelated questions together
    (and split one subject in two)."""
    core = _CLOSING.sub("", _OPENING.sub("", _REDACTED.sub("", text))).strip(" ,.;:-?!")
    return core or text.strip()


def short_label(text: str, limit: int = 70) -> str:
    """A question as a cluster's label: its subject, cut at a word."""
    label = subject(text)
    if len(label) > limit:
        label = label[:limit].rsplit(" ", 1)[0] + " …"
    return label


@dataclass
class GapCluster:
    """One group of unanswered questions (CONTRACT §7 plus extras)."""

    id: str
    label: str
    count: int
    previous: int
    examples: list[str]
    nearest_guide: dict[str, Any] | None
    kinds: dict[str, int]
    municipalities: dict[str, int]
    topic: str | None
    keywords: list[str]
    texts: int  # distinct texts in the cluster

    @property
    def trend(self) -> float | None:
        """Relative change against the previous period; None when it had none."""
        return None if self.previous == 0 else round(
            (self.count - self.previous) / self.previous, 3)

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "count": self.count, "examples": self.examples,
                "nearest_guide": self.nearest_guide, "id": self.id,
                "previous": self.previous, "trend": self.trend, "topic": self.topic,
                "keywords": self.keywords, "kinds": self.kinds,
                "municipalities": self.municipalities}


@dataclass
class GapReport:
    start: datetime
    end: datetime
    municipality: str | None
    questions: int  # gaps in the period
    previous_questions: int
    distinct: int  # distinct texts of both periods
    dropped: int  # distinct texts not clustered (the cap)
    clusters: list[GapCluster] = field(default_factory=list)

    def cluster(self, cluster_id: str) -> GapCluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)


class _VectorCache:
    """Embeddings of texts already seen in this process: a dashboard shown again, or
    the next day's report, embeds only what is new."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._rows: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if (embedder.name, t) not in self._rows]
        fresh = embed_questions(embedder, missing) if missing else None
        with self._lock:
            for i, t in enumerate(missing):
                assert fresh is not None
                self._rows[(embedder.name, t)] = fresh[i]
            rows = [self._rows[(embedder.name, t)] for t in texts]
            for t in texts:
                self._rows.move_to_end((embedder.name, t))
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)
        return np.vstack(rows) if rows else np.zeros((0, 0), np.float32)


VECTORS = _VectorCache()


def _background(retriever: HybridRetriever, limit: int = 400) -> list[str]:
    """Keyword phrases of the national guides (how citizens put their questions): the
    centre every question shares is taken over these and the gaps together."""
    phrases = sorted({kw for g in retriever.guides.values() if g.national
                      for kw in g.keywords if len(kw.split()) >= 2})
    if len(phrases) > limit:
        phrases = random.Random(0).sample(phrases, limit)
    return phrases


_WORD = re.compile(r"[0-9a-zæøåéü]+")


def _keywords(texts: Counter[str], df: Counter[str], total: int, n: int = 6) -> list[str]:
    """Words that mark the cluster (as citizens wrote them): in at least a fifth of its
    questions, and rare among all the gaps (TF-IDF over stems)."""
    score: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    size = sum(texts.values())
    for text, count in texts.items():
        for word in set(_WORD.findall(text.lower())):
            stems = analyse(word)
            if len(word) < 3 or word.isdigit() or not stems:
                continue
            score[stems[0]] += count
            shown.setdefault(stems[0], Counter())[word] += count
    ranked = sorted(score, key=lambda s: -(score[s] / size) *
                    math.log((1 + total) / (1 + df[s])))
    return [shown[s].most_common(1)[0][0] for s in ranked[:n] if score[s] / size >= 0.2]


def _nearest(retriever: HybridRetriever, texts: list[str],
             municipality: str | None) -> dict[str, Any] | None:
    """The guide closest in meaning to the cluster's most asked questions: the guide
    with the highest summed cosine over them, and its mean cosine where it was among
    the five nearest (an area entry is never a guide)."""
    mode = "dense" if retriever.has_dense else "bm25"
    total: dict[str, float] = {}
    seen: Counter[str] = Counter()
    for text in texts:
        for hit in retriever.search(text, municipality, k=5, mode=mode):
            if hit.guide.topic != NO_GUIDE_TOPIC:
                total[hit.guide.id] = total.get(hit.guide.id, 0.0) + (
                    hit.dense if retriever.has_dense else hit.score)
                seen[hit.guide.id] += 1
    if not total:
        return None
    gid = max(total, key=lambda g: (total[g], g))
    summed = total[gid]
    g = retriever.guides[gid]
    return {"id": g.id, "title": g.title, "topic": g.topic, "url": g.url,
            "score": round(float(summed) / seen[gid], 3)}


def _topic(rows: list[GapQuestion], nearest: dict[str, Any] | None) -> str | None:
    """The topic a guide for this cluster would belong to: the topic the questions were
    routed under, when it names a subject; a municipal matter without a guide; else the
    nearest guide's."""
    routed = Counter(r.topic for r in rows if r.topic and r.topic not in GENERIC)
    if routed:
        return routed.most_common(1)[0][0]
    if any(r.kind == "no_guide" for r in rows):
        return NO_GUIDE_TOPIC
    return nearest["topic"] if nearest else None


def build_report(store: Any, embedder: Embedder, retriever: HybridRetriever, end: datetime,
                 days: int = 30, municipality: str | None = None,
                 municipalities: list[str] | None = None, limit: int = 20,
                 min_count: int = 2, threshold: float = DEFAULT_THRESHOLD,
                 max_texts: int = MAX_TEXTS, dense_weight: float = DENSE_WEIGHT) -> GapReport:
    """The report for the `days` before `end` (see the module docstring)."""
    start, before = end - timedelta(days=days), end - timedelta(days=2 * days)
    now = gap_questions(store, start, end, municipality, municipalities)
    prev = gap_questions(store, before, start, municipality, municipalities)
    shown: dict[str, str] = {}
    n_now: Counter[str] = Counter()
    n_prev: Counter[str] = Counter()
    rows: dict[str, list[GapQuestion]] = {}
    for q in now:
        k = _key(q.text)
        shown.setdefault(k, q.text)
        n_now[k] += 1
        rows.setdefault(k, []).append(q)
    for q in prev:
        k = _key(q.text)
        shown.setdefault(k, q.text)
        n_prev[k] += 1
    keys = sorted(shown, key=lambda k: (-n_now[k], -n_prev[k], k))
    dropped = 0
    if len(keys) > max_texts:
        head, tail = keys[:max_texts // 2], keys[max_texts // 2:]
        kept = set(random.Random(len(keys)).sample(tail, max_texts - len(head)))
        dropped = len(keys) - max_texts
        keys = head + [k for k in tail if k in kept]
        log.warning("gaps.sampled", distinct=len(shown), clustered=len(keys))
    report = GapReport(start, end, municipality, len(now), len(prev), len(shown), dropped)
    if not keys:
        return report
    texts = [shown[k] for k in keys]
    subjects = [subject(t) for t in texts]
    vectors = VECTORS.embed(embedder, subjects)
    background = _background(retriever)
    reference = np.vstack([vectors, VECTORS.embed(embedder, background)]) \
        if background else vectors
    points = combined(centred(vectors, reference), lexical(subjects), dense_weight)
    df: Counter[str] = Counter()
    for k, subj in zip(keys, subjects, strict=True):
        for stem in set(analyse(subj)):
            df[stem] += n_now[k] + n_prev[k]
    total = len(now) + len(prev)
    # Rank first (counts only), then describe the clusters shown: the nearest guide
    # costs three searches a cluster, and a month has many small clusters.
    ranked = []
    for members in cluster(points, threshold):
        count = sum(n_now[keys[i]] for i in members)
        if count >= min_count:
            previous = sum(n_prev[keys[i]] for i in members)
            ranked.append((-count, previous - count, keys[members[0]], members))
    ranked.sort()
    clusters: list[GapCluster] = []
    for neg_count, _, _, members in ranked[:limit]:
        weights = [n_now[keys[i]] + n_prev[keys[i]] for i in members]
        centre = medoid(points, members, weights)
        ordered = sorted(members, key=lambda i: (-n_now[keys[i]], -n_prev[keys[i]], keys[i]))
        gap_rows = [r for i in members for r in rows.get(keys[i], [])]
        places = Counter(r.municipality or "" for r in gap_rows)
        scope = municipality or (next(iter(places)) if len(places) == 1 and "" not in places
                                 else None)
        nearest = _nearest(retriever, [subjects[i] for i in ordered[:3]], scope)
        clusters.append(GapCluster(
            id=hashlib.sha1(keys[centre].encode()).hexdigest()[:12],
            label=short_label(texts[centre]), count=-neg_count,
            previous=sum(n_prev[keys[i]] for i in members),
            examples=[texts[i] for i in ordered[:EXAMPLES]], nearest_guide=nearest,
            kinds=dict(Counter(r.kind for r in gap_rows).most_common()),
            municipalities={k or "ukendt": v for k, v in places.most_common()},
            topic=_topic(gap_rows, nearest),
            keywords=_keywords(Counter({subjects[i]: n_now[keys[i]] + n_prev[keys[i]]
                                        for i in members}), df, total),
            texts=len(members)))
    report.clusters = clusters
    return report
