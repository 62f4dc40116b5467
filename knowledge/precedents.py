"""Precedents: what labelled conversations say a turn like this one was.

The cue rules (bot/cues) and the topic evidence of retrieval read a turn by its words.
They miss what a citizen says in words of their own: "Tak for oplysningen. Med venlig
hilsen Kirsten" is a goodbye, "min mors breve fra kommunen" is about Digital Post. A
reviewed conversation whose turn was close in meaning says what such a turn was: here,
a k-nearest-neighbour vote over the turns of labelled conversations (the evaluation
scenarios written by people, `knowledge/data/precedents.jsonl`, built by
`scripts/build_precedents.py`), in the same embedding space as the guides.

It is a second opinion only: the frontdesk consults it where the rules found nothing
(a goodbye) or to choose between guides retrieval found anyway (a topic), and only on
a clear vote (see README, "Precedents"). A deployment adds its own reviewed
conversations to the file.

Each example keeps the name of the set it came from, so an evaluation can leave out
the set it measures (`without`): the figures of a set are then those of turns the
vote has never seen.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from ddh.logging import get_logger
from knowledge.embeddings import Embedder

log = get_logger(__name__)
BUNDLED = Path(__file__).parent / "data" / "precedents.jsonl"
NEIGHBOURS = 7


class Act(StrEnum):
    """What a labelled turn did in its conversation."""

    END = "end"  # the citizen was done: a goodbye, thanks, "så ringer jeg selv"
    OTHER = "other"  # anything else (a question, a request, an answer to the bot)


@dataclass(frozen=True)
class Example:
    text: str
    act: Act
    topic: str | None  # the topic of a conversation's opening turn, else None
    source: str  # the labelled set it came from


@dataclass(frozen=True)
class Vote:
    """The neighbours' verdict: the label with the largest similarity-weighted share."""

    label: str
    share: float  # of the weight of all neighbours that carry a label, 0..1
    nearest: float  # cosine similarity of the closest neighbour


def load_examples(path: Path = BUNDLED) -> list[Example]:
    """The labelled turns of a precedents file (JSON lines)."""
    out = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(Example(row["text"], Act(row["act"]), row.get("topic"),
                                   row.get("source", "")))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a precedent ({exc})") from exc
    return out


class Precedents:
    """A nearest-neighbour vote over labelled turns, embedded once (cached on disk)."""

    def __init__(self, examples: list[Example], embedder: Embedder,
                 cache_dir: Path | None = None, vectors: np.ndarray | None = None) -> None:
        self.examples = examples
        self.embedder = embedder
        self._vectors = vectors if vectors is not None else self._embed(cache_dir)
        self._acts = np.array([e.act.value for e in examples])
        self._topics = np.array([e.topic or "" for e in examples])

    @classmethod
    def open(cls, embedder: Embedder, path: Path | None = None,
             cache_dir: Path | None = None) -> Precedents | None:
        """The precedents of `path` (the bundled file by default); None when the
        embedder has no meaning to compare (the BM25-only fallback)."""
        if not getattr(embedder, "dense", False):
            return None
        return cls(load_examples(path or BUNDLED), embedder, cache_dir)

    def without(self, source: str) -> Precedents:
        """The same vote without the examples of one labelled set (an evaluation of
        that set measures turns the vote has not seen)."""
        keep = [i for i, e in enumerate(self.examples) if e.source != source]
        if len(keep) == len(self.examples):
            return self
        return Precedents([self.examples[i] for i in keep], self.embedder,
                          vectors=self._vectors[keep])

    def act(self, text: str) -> Vote | None:
        return self._vote(text, self._acts)

    def topic(self, text: str) -> Vote | None:
        """Among the turns that opened a topic (a conversation's first, or a switch): a
        turn that goes on took its topic from the context."""
        return self._vote(text, self._topics)

    def _vote(self, text: str, labels: np.ndarray) -> Vote | None:
        if not text.strip() or not len(self.examples):
            return None
        sims = self._vectors @ self._query(text)
        sims = np.where(labels != "", sims, -np.inf)
        top = np.argsort(-sims)[:NEIGHBOURS]
        top = top[np.isfinite(sims[top])]
        if not len(top):
            return None
        weight: dict[str, float] = {}
        for i in top:
            weight[str(labels[i])] = weight.get(str(labels[i]), 0.0) + float(sims[i])
        label = max(weight, key=lambda k: weight[k])
        return Vote(label, weight[label] / sum(weight.values()), float(sims[top[0]]))

    def _query(self, text: str) -> np.ndarray:
        # the default embedder keeps recent questions: retrieval embedded this turn already
        return np.asarray(self.embedder.query(text), dtype=np.float32)

    def _embed(self, cache_dir: Path | None) -> np.ndarray:
        """The examples' vectors: read from the cache when this embedder embedded these
        texts before (a few thousand short texts take ~30 s on two cores), else
        embedded now and saved."""
        texts = [e.text for e in self.examples]
        h = hashlib.sha256(getattr(self.embedder, "name", "").encode())
        for t in texts:
            h.update(t.encode())
            h.update(b"\0")
        path = cache_dir / f"precedents-{h.hexdigest()[:20]}.npy" if cache_dir else None
        if path is not None and path.is_file():
            try:
                vectors = np.load(path)
                if vectors.shape[0] == len(texts):
                    return vectors
            except (OSError, ValueError) as exc:
                log.warning("precedents.cache_unreadable", path=str(path), reason=str(exc))
        # queries, not passages: a turn is compared with turns
        vectors = np.stack([np.asarray(self.embedder.query(t), dtype=np.float32)
                            for t in texts]) if texts else np.zeros((0, 384), np.float32)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                with tmp.open("wb") as f:
                    np.save(f, vectors)
                tmp.replace(path)
            except OSError as exc:
                log.warning("precedents.cache_not_saved", path=str(path), reason=str(exc))
        log.info("precedents.embedded", examples=len(texts))
        return vectors
