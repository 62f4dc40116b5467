"""The optional language model in a turn: understanding when retrieval is unsure,
wording answers from the chosen guides, and writing handoff summaries.

The grounded decision stays the frame: the model never picks an action the policy did
not allow, and any failure leaves the grounded reply in place (counted in metrics).
Both functions receive what they need (the services, the state, the decision) and
return a decision; neither changes the state.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import replies
from bot.llm import LLM
from bot.turn.decision import GENERIC_TOPICS, Decision
from bot.turn.escalate import to_person
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Ask, Need, Pending
from ddh.vocabulary import Action, Channel, Mode

ESCALATING = {n.value: n for n in (Need.WANTS_PERSON, Need.OWN_CASE, Need.COMPLAINT,
                                   Need.NOT_HELPED)}


def reword(llm: LLM, state: ConversationState, decision: Decision, text: str,
           lang: str) -> Decision:
    """Word answers and summaries with the LLM; on any failure keep the grounded text.

    The grounded decision is made first and stands: the model only rewords an answer
    from the guides the retriever chose (with citations checked) or writes the
    handoff summary. Its failures are counted in `llm.metrics`.
    """
    if decision.action == Action.ANSWER and decision.hits:
        guides = [h.guide for h in decision.hits[:3]]
        out = llm.answer(text, guides, state.channel)
        if out is None:
            return replace(decision, mode=Mode.LLM_FALLBACK)
        helped = replies.t("helped", lang)
        if state.channel == Channel.VOICE:
            body = f"{out.text} {replies.t('sms_offer', lang)}"
            return replace(decision, reply=f"{body} {helped}", mode=Mode.LLM)
        cited = [g for g in guides if g.id in out.citations]
        links = " ".join(g.url for g in cited if g.url not in out.text)
        body = f"{out.text}\n\n{replies.t('more', lang)} {links}" if links else out.text
        return replace(decision, reply=f"{body}\n\n{helped}", mode=Mode.LLM)
    if decision.handoff is not None and decision.new_handoff:
        transcript = [(t.role, t.text) for t in state.transcript]
        summary = llm.summarize([*transcript, ("citizen", text)], decision.topic,
                                state.municipality)
        if summary is None:
            return replace(decision, mode=Mode.LLM_FALLBACK)
        return replace(decision, handoff=decision.handoff.with_summary(summary),
                       mode=Mode.LLM)
    return decision


def understand(sv: Services, state: ConversationState, text: str, at: datetime, lang: str,
               question: str | None) -> Decision | None:
    """When retrieval is unsure, let the model name the topic and intent; the action
    is still decided by the policy, and the answer still comes from a guide."""
    assert sv.llm is not None
    topics = [{"slug": t.slug, "name": t.name, "about": t.about}
              for t in sv.registry.topics.values()]
    u = sv.llm.understand(text, topics, state.last_topic)
    if u is None:
        return None
    if u.intent == "emergency":
        return Decision(Action.REDIRECT, "uden-for-omraade", replies.t("emergency", lang),
                        "emergency (LLM): 112 first", mode=Mode.LLM)
    need = ESCALATING.get(u.intent or "")
    if need is not None:
        topic = u.topic if u.topic not in GENERIC_TOPICS else None
        topic = topic or state.last_topic or {Need.OWN_CASE: "sagsstatus",
                                              Need.COMPLAINT: "klage"}.get(need, "menneske")
        return replace(to_person(sv, state, topic, need, at, lang, question=question),
                       mode=Mode.LLM)
    if u.topic:
        hits = tuple(h for h in sv.retriever.search(text, state.municipality, k=10)
                     if h.guide.topic == u.topic)[:3]
        if hits:
            guide = hits[0].guide
            if sv.registry.topics[guide.topic].route == "redirect":
                return Decision(Action.REDIRECT, guide.topic, replies.redirect(
                    sv.registry, guide.topic, guide, state.channel, lang),
                    f"{guide.topic} (LLM) belongs to a national authority", hits,
                    mode=Mode.LLM, given_guide=guide.id)
            return Decision(Action.ANSWER, guide.topic,
                            replies.answer(guide, state.channel, lang),
                            f"guide {guide.id} answers it (topic from LLM)", hits,
                            mode=Mode.LLM, given_guide=guide.id, pending=Pending(Ask.HELPED))
    return None
