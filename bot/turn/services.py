"""What the stages of a turn consult: the registry, opening hours, retrieval, crisis
notices, the optional language model. Read-only for the stages; built once by the
frontdesk, so a stage receives what it needs instead of the whole `Frontdesk`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.llm import LLM
from bot.municipality import MunicipalityDetector
from bot.notices import NoticeBoard
from bot.schedule import Schedule
from knowledge.precedents import Precedents
from knowledge.registry import Registry
from knowledge.retrieval import Hit, HybridRetriever


@dataclass(frozen=True)
class Confidence:
    """When a guide answers a question: it is close in meaning or shares its terms.

    Either signal alone is weak with a small multilingual model (unrelated chit-chat
    reaches cosine 0.87), so both thresholds are settings, calibrated on the labelled
    sets: see README, 'Answer confidence'."""

    min_similarity: float = 0.86
    min_lexical: float = 1.5
    # A guide whose topic the question does not name by a word of its own must be
    # closer (calibrated on the out-of-corpus and in-corpus sets: README, 'Knowing what
    # it does not know'), and loses to an entry of a municipal area without a guide
    # that scores within `area_margin` of it or shares as many terms.
    unnamed_similarity: float = 0.84
    unnamed_lexical: float = 2.0
    area_margin: float = 0.1
    area_dense_margin: float = 0.02  # ... and is about as close in meaning
    named_margin: float = 0.15

    def accepts(self, hit: Hit | None, has_dense: bool) -> bool:
        if hit is None:
            return False
        if hit.lexical >= self.min_lexical:
            return True
        return has_dense and hit.dense >= self.min_similarity


@dataclass(frozen=True)
class Services:
    registry: Registry
    schedule: Schedule
    detector: MunicipalityDetector
    retriever: HybridRetriever
    confidence: Confidence
    notices: NoticeBoard | None = None
    llm: LLM | None = None
    # the topics asked most around a time of day (the voice menu's order), if known
    popular: Callable[[datetime], tuple[str, ...]] | None = None
    # what labelled conversations say a turn like this was (goodbyes, topics)
    precedents: Precedents | None = None
