"""Opening the frontdesk from settings: knowledge, outcome store, frontdesk."""

from __future__ import annotations

from bot.frontdesk import Frontdesk
from bot.llm import LLM
from ddh.settings import Settings
from handoff.desk import HandoffDesk
from knowledge.service import Knowledge
from store.outcomes import OutcomeStore, open_store


def open_frontdesk(settings: Settings, knowledge: Knowledge | None = None,
                   store: OutcomeStore | None = None) -> Frontdesk:
    knowledge = knowledge or Knowledge.open(settings)
    if knowledge.index.empty():
        knowledge.refresh_index()
    return Frontdesk(knowledge, store or open_store(settings),
                     min_similarity=settings.answer_min_similarity,
                     min_lexical=settings.answer_min_lexical,
                     llm=LLM.from_settings(settings),
                     handoffs=HandoffDesk.from_settings(settings))
