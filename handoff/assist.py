"""Agent assist: the guides suggested to the agent who took over a conversation.

The citizen's latest line alone is a poor query. After a handoff it is often "kan jeg
tale med en medarbejder", which finds the guide on how to reach a person and then
whatever else mentions a "medarbejder", whatever the conversation is about.
Suggestions are therefore ranked over the conversation: the latest line, the
citizen's first question (the packet's "Henvendelse", the subject) and the citizen's
side as a whole each retrieve candidates; their retrieval scores (0..1, relative to
each query) are combined with weights, and guides of the conversation's topic (the
packet's topic) get a boost that keeps them above guides of other topics that only
the latest line found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from knowledge.guide import NO_GUIDE_TOPIC, Guide
from knowledge.retrieval import Hit

# How much each query counts; they add up to 1.
W_LATEST = 0.4  # what the citizen just said
W_FIRST = 0.35  # the first question: what the conversation is about
W_SIDE = 0.25  # everything the citizen said
# A guide of the conversation's topic: above one that only the latest line found
# (that one may be a new subject: it still gets a place when it matches well).
TOPIC_BOOST = 0.3
# Guides on how to reach a person (the topic of a bare "kan jeg tale med en
# medarbejder"): the citizen has one now, so they are never suggested to the agent;
# nor the entries of municipal areas without a guide (nothing to send).
NOT_FOR_AGENTS = frozenset({"menneske", NO_GUIDE_TOPIC})
CANDIDATES = 10  # guides taken from each query
SIDE_LINES = 8  # the citizen's first line and their last ones: a long chat stays short


class Searcher(Protocol):
    def search(self, query: str, municipality: str | None = None,
               k: int = 5) -> list[Hit]: ...


@dataclass(frozen=True)
class Suggestion:
    guide: Guide
    score: float  # the combined score (the topic boost included)
    on_topic: bool  # the guide is of the conversation's topic

    def as_json(self) -> dict[str, object]:
        g = self.guide
        return {"id": g.id, "title": g.title, "url": g.url, "summary": g.summary,
                "topic": g.topic, "score": round(self.score, 4)}


def side_text(citizen: Sequence[str]) -> str:
    """The citizen's side of the conversation as one query: the first line and the
    last ones."""
    lines = [t for t in citizen if t.strip()]
    if len(lines) > SIDE_LINES:
        lines = [lines[0], *lines[-(SIDE_LINES - 1):]]
    return " ".join(lines)


def suggest(retriever: Searcher, *, latest: str, citizen: Sequence[str] = (),
            topic: str | None = None, municipality: str | None = None,
            k: int = 3) -> list[Suggestion]:
    """The top-k guides for the agent, best first. `citizen`: the citizen's lines so
    far, oldest first (redacted); `topic`: the conversation's topic, if known."""
    lines = [t for t in citizen if t.strip()]
    queries = [(latest, W_LATEST), (lines[0] if lines else latest, W_FIRST),
               (side_text(lines) if lines else latest, W_SIDE)]
    scores: dict[str, float] = {}
    guides: dict[str, Guide] = {}
    for query, weight in queries:
        if not query.strip():
            continue
        for hit in retriever.search(query, municipality, k=CANDIDATES):
            if hit.guide.topic in NOT_FOR_AGENTS:
                continue
            guides[hit.guide.id] = hit.guide
            scores[hit.guide.id] = scores.get(hit.guide.id, 0.0) + weight * hit.score
    for gid, guide in guides.items():
        if topic and guide.topic == topic:
            scores[gid] += TOPIC_BOOST
    ranked = sorted(guides, key=lambda g: (-scores[g], g))[:k]
    return [Suggestion(guides[g], scores[g], bool(topic) and guides[g].topic == topic)
            for g in ranked]
