"""Answering from the guides: the guide found, a topic's best guide, or the plain
statement that no guide covers the matter (then routed to the municipality).

Shared by the decide stage and the voice confirmation (`bot.turn.confirm`), which
answers a topic once the caller has confirmed it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import replies
from bot.turn.decision import INTENT_NEED, Decision
from bot.turn.escalate import to_person
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Ask, Need, Pending
from bot.turn.understand import guide_for_topic
from ddh.redaction import strip_labels
from ddh.vocabulary import Action
from knowledge.guide import NO_GUIDE_TOPIC
from knowledge.retrieval import Hit


def answer(sv: Services, state: ConversationState, hits: list[Hit], lang: str) -> Decision:
    """The first guide answers (or names the national authority that owns it)."""
    guide = hits[0].guide
    if sv.registry.topics[guide.topic].route == "redirect":
        return Decision(Action.REDIRECT, guide.topic,
                        replies.redirect(sv.registry, guide.topic, guide, state.channel,
                                         lang),
                        f"{guide.topic} belongs to a national authority", tuple(hits),
                        given_guide=guide.id)
    return Decision(Action.ANSWER, guide.topic, replies.answer(guide, state.channel, lang),
                    f"guide {guide.id} answers it", tuple(hits), given_guide=guide.id,
                    pending=Pending(Ask.HELPED))


def no_guide(sv: Services, state: ConversationState, hits: list[Hit], at: datetime,
             lang: str, question: str | None) -> Decision:
    """A municipal matter no guide covers: say so plainly, say who handles it, and
    route to the municipality (a transfer when it is open, else a ticket; first the
    municipality, when it is not known)."""
    area = hits[0].guide
    d = to_person(sv, state, NO_GUIDE_TOPIC, Need.NO_GUIDE, at, lang, [], question)
    who = area.summary.split(". ")[0].rstrip(".") + "." if lang == "da" else ""
    reply = " ".join(p for p in (replies.t("no_guide", lang), who, d.reply) if p)
    return replace(d, reply=reply, reason=f"no guide: {area.id}; {d.reason}")


def on_topic(sv: Services, state: ConversationState, topic: str, question: str | None,
             at: datetime, lang: str) -> Decision:
    """The topic is known for certain (confirmed, or chosen on the keypad): the guide
    of that topic that fits the question best, in the citizen's scope; a person for the
    topics that mean one; the plain "no guide" for a municipal matter without one."""
    if topic in INTENT_NEED:
        return to_person(sv, state, topic, INTENT_NEED[topic], at, lang, question=question)
    found = sv.retriever.search(strip_labels(question or ""), state.municipality, k=20) \
        if question else []
    hits = [h for h in found if h.guide.topic == topic]
    if topic == NO_GUIDE_TOPIC:
        if hits:
            return no_guide(sv, state, hits, at, lang, question)
        return to_person(sv, state, topic, Need.NO_GUIDE, at, lang, question=question)
    if not hits:
        guide = guide_for_topic(sv, topic)
        if guide is None:
            return to_person(sv, state, topic, Need.WANTS_PERSON, at, lang, question=question)
        hits = [Hit(guide, 1.0, 0.0, 0.0)]
    return answer(sv, state, hits, lang)
