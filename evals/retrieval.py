"""Retrieval evaluation: labelled queries → hit@k, MRR and latency for any search function.

A query is a hit at k when a guide of the expected topic is among the first k
guides returned. The same code scores our hybrid retriever, its parts and the
LangChain baseline, so the figures in bench/retrieval.py compare like with like.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from evals.suite import Item, SuiteReport, ratio
from knowledge.guide import NO_GUIDE_TOPIC

DEV_SET = Path(__file__).resolve().parent / "retrieval" / "dev.yaml"
HOLDOUT_SET = DEV_SET.parent / "holdout.yaml"


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    q: str
    topic: str
    municipality: str | None = None
    style: str = "typed"


@dataclass
class RetrievalScore:
    name: str
    n: int = 0
    hits: dict[int, int] = field(default_factory=dict)
    reciprocal_ranks: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[LabelledQuery, list[str]]] = field(default_factory=list)

    def hit_at(self, k: int) -> float:
        return self.hits.get(k, 0) / self.n if self.n else 0.0

    @property
    def mrr(self) -> float:
        return float(np.mean(self.reciprocal_ranks)) if self.reciprocal_ranks else 0.0

    def latency(self, pct: float) -> float:
        return float(np.percentile(self.latencies_ms, pct)) if self.latencies_ms else 0.0


def load_queries(path: Path = DEV_SET) -> list[LabelledQuery]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for i, q in enumerate(data.get("queries") or []):
        if not q.get("q") or not q.get("topic"):
            raise ValueError(f"{path}: query #{i + 1} needs q and topic")
        muni = q.get("municipality")
        out.append(LabelledQuery(str(q["q"]), str(q["topic"]),
                                 f"{muni:04d}" if isinstance(muni, int) else muni,
                                 str(q.get("style", "typed"))))
    return out


def evaluate(name: str, search: Callable[[LabelledQuery], Sequence[str]],
             queries: Sequence[LabelledQuery], ks: Sequence[int] = (1, 3, 5)) -> RetrievalScore:
    """Run `search` (returns ranked topic slugs) on every query and score it."""
    score = RetrievalScore(name)
    for lq in queries:
        t0 = time.perf_counter()
        topics = list(search(lq))
        score.latencies_ms.append((time.perf_counter() - t0) * 1000)
        score.n += 1
        rank = next((i + 1 for i, t in enumerate(topics) if t == lq.topic), None)
        score.reciprocal_ranks.append(1.0 / rank if rank else 0.0)
        for k in ks:
            if rank is not None and rank <= k:
                score.hits[k] = score.hits.get(k, 0) + 1
        if rank != 1:
            score.misses.append((lq, topics[:3]))
    return score


def run(knowledge: Any, path: Path, data: dict[str, Any],
        progress: Callable[[int], None] = lambda n: None) -> SuiteReport:
    """The retrieval suite: the hybrid retriever on every labelled query (one item
    each); hit@1/3/5, MRR and latency, and hit@3 per style (typed, voice, English…)."""
    queries = load_queries(path)
    items: list[Item] = []

    def search(lq: LabelledQuery) -> list[str]:
        # the answers ranked: entries of areas without a guide are never one
        topics = [h.guide.topic for h in knowledge.retriever.search(lq.q, lq.municipality, k=8)
                  if h.guide.topic != NO_GUIDE_TOPIC][:5]
        progress(1)
        return topics

    score = evaluate("hybrid", search, queries)
    missed = {id(lq): top for lq, top in score.misses}
    for i, (lq, rr) in enumerate(zip(queries, score.reciprocal_ranks, strict=True)):
        rank = round(1 / rr) if rr else None
        items.append(Item(f"q{i + 1}", rank is not None and rank <= 3, {
            "q": lq.q, "topic": lq.topic, "style": lq.style, "rank": rank,
            "top": missed.get(id(lq))}))
    metrics: dict[str, Any] = {"queries": score.n, "hit_at_1": round(score.hit_at(1), 4),
                               "hit_at_3": round(score.hit_at(3), 4),
                               "hit_at_5": round(score.hit_at(5), 4),
                               "mrr": round(score.mrr, 4), "p95_ms": round(score.latency(95), 1)}
    for style in sorted({lq.style for lq in queries}):
        mine = [it for it in items if it.detail["style"] == style]
        metrics[f"hit_at_3_{style}"] = ratio(sum(it.passed for it in mine), len(mine))
    return SuiteReport("retrieval", str(path), "-", metrics, dict(data.get("thresholds") or {}),
                       items)
