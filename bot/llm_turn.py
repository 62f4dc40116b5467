"""The optional language model in a turn: understanding when retrieval is unsure,
wording answers from the chosen guides, and writing handoff summaries.

The grounded decision stays the frame: the model never picks an action the policy did
not allow, and any failure leaves the grounded reply in place (counted in metrics).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot import replies
from bot.decision import GENERIC_TOPICS, Decision
from bot.state import ConversationState

if TYPE_CHECKING:
    from bot.frontdesk import Frontdesk


def reword(desk: Frontdesk, state: ConversationState, decision: Decision, text: str,
           lang: str) -> None:
    """Word answers and summaries with the LLM; on any failure keep the grounded text.

    The grounded decision is made first and stands: the model only rewords an answer
    from the guides the retriever chose (with citations checked) or writes the
    handoff summary. Its failures are counted in `llm.metrics`.
    """
    assert desk.llm is not None
    if decision.action == "answer" and decision.hits:
        guides = [h.guide for h in decision.hits[:3]]
        out = desk.llm.answer(text, guides, state.channel)
        if out is None:
            decision.mode = "llm-fallback"
            return
        helped = replies.t("helped", lang)
        if state.channel == "voice":
            body = f"{out.text} {replies.t('sms_offer', lang)}"
        else:
            cited = [g for g in guides if g.id in out.citations]
            links = " ".join(g.url for g in cited if g.url not in out.text)
            body = f"{out.text}\n\n{replies.t('more', lang)} {links}" if links else out.text
        decision.reply = f"{body} {helped}" if state.channel == "voice" else \
            f"{body}\n\n{helped}"
        decision.mode = "llm"
    elif decision.handoff is not None and decision.new_handoff:
        summary = desk.llm.summarize([*state.transcript, ("citizen", text)],
                                     decision.topic, state.municipality)
        if summary is None:
            decision.mode = "llm-fallback"
            return
        decision.handoff["summary"] = summary
        decision.handoff["packet"]["summary"] = summary
        decision.mode = "llm"

def understand(desk: Frontdesk, state: ConversationState, text: str, at: datetime,
           lang: str) -> Decision | None:
    """When retrieval is unsure, let the model name the topic and intent; the action
    is still decided by the policy, and the answer still comes from a guide."""
    assert desk.llm is not None
    topics = [{"slug": t.slug, "name": t.name, "about": t.about}
              for t in desk.registry.topics.values()]
    u = desk.llm.understand(text, topics, state.last_topic)
    if u is None:
        return None
    if u.intent == "emergency":
        return Decision("redirect", "uden-for-omraade", replies.t("emergency", lang),
                         "emergency (LLM): 112 first", mode="llm")
    if u.intent in ("wants_person", "own_case", "complaint", "not_helped"):
        topic = u.topic if u.topic not in GENERIC_TOPICS else None
        topic = topic or state.last_topic or {"own_case": "sagsstatus",
                                              "complaint": "klage"}.get(u.intent, "menneske")
        decision = desk.escalate_to_person(state, topic, u.intent, at, lang)
        decision.mode = "llm"
        return decision
    if u.topic:
        hits = [h for h in desk.knowledge.retriever.search(text, state.municipality, k=10)
                if h.guide.topic == u.topic][:3]
        if hits:
            guide = hits[0].guide
            state.last_guides.append(guide.id)
            if desk.registry.topics[guide.topic].route == "redirect":
                return Decision("redirect", guide.topic, replies.redirect(
                    desk.registry, guide.topic, guide, state.channel, lang),
                    f"{guide.topic} (LLM) belongs to a national authority", hits, mode="llm")
            state.pending = "helped"
            return Decision("answer", guide.topic,
                             replies.answer(guide, state.channel, lang),
                             f"guide {guide.id} answers it (topic from LLM)", hits,
                             guide=guide, mode="llm")
    return None
