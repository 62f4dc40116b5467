"""Escalating to a person: the routing policy's answer as a decision with its warm
handoff packet (for `handoff`, `transfer` and `ticket`), a redirect, or the question
for the municipality that the policy needs first.

Pure: the packet is built from the redacted state; queuing it is the act stage's job.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot import replies
from bot.policy import Escalation, escalate
from bot.turn.decision import REASON_DA, Decision
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Ask, Need, Pending
from bot.turn.understand import guide_for_topic
from ddh.vocabulary import Action, Channel
from handoff.packet import build_packet
from knowledge.retrieval import Hit


def ask_municipality(sv: Services, state: ConversationState, lang: str) -> str:
    return replies.ask_municipality(sv.registry, state.candidates,
                                    state.candidates_evidence, lang)


def to_person(sv: Services, state: ConversationState, topic: str, need: Need,
              at: datetime, lang: str, hits: list[Hit] | None = None,
              question: str | None = None) -> Decision:
    """How a citizen who needs a person about `topic` is helped now. `question`: the
    citizen's need as known in this turn (the packet's "Henvendelse")."""
    esc = escalate(sv.registry, sv.schedule, topic, state.municipality, at)
    if state.channel == Channel.EMAIL and esc.action == Action.TRANSFER and esc.target:
        # A mail cannot be put through: the municipality, open now, gets it as a ticket
        # and answers by mail.
        esc = Escalation(Action.TICKET, esc.target, f"{esc.reason}; a mail is not put "
                         "through: a ticket", sv.schedule.municipality(esc.target, at))
    found = tuple(hits or ())
    if esc.action == Action.REDIRECT:
        guide = found[0].guide if found else guide_for_topic(sv, topic)
        return Decision(Action.REDIRECT, topic,
                        replies.redirect(sv.registry, topic, guide, state.channel, lang),
                        esc.reason, found)
    if esc.action == Action.CLARIFY:
        return Decision(Action.CLARIFY, topic, ask_municipality(sv, state, lang),
                        "the municipality is needed for a person",
                        pending=Pending(Ask.MUNICIPALITY, topic, need))
    action = esc.action
    target = esc.target or "ddh"
    next_open = esc.opening.next_open if esc.opening else None
    sent = state.last_ticket
    if action == Action.TICKET and sent is not None and sent.target == target and \
            sent.topic == topic:
        # Asked again for the same thing: the case is with them already. A second
        # ticket would open a second case at the municipality for one need.
        has_number = state.callback_number is not None
        return Decision(Action.TICKET, topic,
                        replies.ticket(sv.registry, target, next_open, at, lang, has_number,
                                       exists=True),
                        "a ticket for this need was already sent: not a second one",
                        found, target=target, handoff=sent, new_handoff=False,
                        pending=None if has_number else Pending(Ask.CALLBACK))
    guides = sv.retriever.guides
    titles = [guides[g].title for g in state.last_guides if g in guides]
    packet = build_packet(
        sv.registry, kind=action, target=target, topic=topic,
        municipality=state.municipality, channel=state.channel,
        need=question if question is not None else state.first_question,
        guide_titles=titles, reason_da=REASON_DA.get(need, str(need)),
        reason=f"{need}: {esc.reason}",
        transcript=[(t.role, t.text) for t in state.transcript], at=at, next_open=next_open,
        reason_kind=Need(need))
    pending = None
    if state.channel == Channel.EMAIL:  # the answer comes by mail: no queue, no callback
        reply = replies.passed_on(sv.registry, target, action, esc.opening, at, lang)
    elif action == Action.HANDOFF:
        reply = replies.t("handoff", lang)
    elif action == Action.TRANSFER:
        reply = replies.transfer(sv.registry, target if target != "ddh" else
                                 state.municipality or "", state.channel, lang)
    else:
        has_number = state.callback_number is not None
        reply = replies.ticket(sv.registry, target, next_open, at, lang, has_number)
        if not has_number:
            pending = Pending(Ask.CALLBACK)
    return Decision(action, topic, reply, packet.reason, found, target=target,
                    handoff=packet, pending=pending)


def queue_down(sv: Services, state: ConversationState, decision: Decision,
               lang: str) -> Decision:
    """The handoff could not join the agents' queue (it is down): a ticket with the
    same packet instead, to the same team, and the citizen told so plainly."""
    assert decision.handoff is not None
    who = replies.team(sv.registry, decision.target or "ddh")
    has_number = state.callback_number is not None
    reply = (f"{replies.t('queue_down', lang, who=who)} "
             f"{replies.callback_line(lang, has_number)}")
    return replace(decision, action=Action.TICKET, reply=reply,
                   reason=f"{decision.reason} (queue unavailable: a ticket instead)",
                   handoff=replace(decision.handoff.as_ticket(),
                                   reason=f"{decision.handoff.reason}; queue unavailable"),
                   pending=None if has_number else Pending(Ask.CALLBACK))


def hand_over(sv: Services, state: ConversationState, at: datetime, lang: str) -> Decision:
    """The channel must end the conversation now (the process stops): what the citizen
    needs goes to a person — a transfer of the call where one is open for the topic,
    else a ticket to the team that would have taken it (DDH when unknown) — and the
    citizen is told why, briefly."""
    topic = state.last_topic or "menneske"
    d = to_person(sv, state, topic, Need.NOT_HELPED, at, lang)
    sorry = replies.t("hand_over", lang)
    if d.action == Action.TRANSFER:
        return replace(d, reply=f"{sorry} {d.reply}",
                       reason=f"{d.reason} (the call had to end: handed over)")
    packet = d.handoff
    if packet is None:  # a redirect or the municipality still unknown: DDH takes it
        packet = build_packet(
            sv.registry, kind=Action.TICKET, target="ddh", topic=topic,
            municipality=state.municipality, channel=state.channel,
            need=state.first_question, guide_titles=[], reason_da=REASON_DA[Need.NOT_HELPED],
            reason="not_helped: the call had to end (restart)",
            transcript=[(t.role, t.text) for t in state.transcript], at=at,
            reason_kind=Need.NOT_HELPED)
    who = replies.team(sv.registry, packet.target)
    # the need was ticketed in this call already (to_person said so): not twice
    new = d.new_handoff or d.handoff is None
    return Decision(Action.TICKET, topic,
                    f"{sorry} {replies.t('hand_over_ticket', lang, who=who)}",
                    f"{packet.reason} (the call had to end: a ticket instead)",
                    target=packet.target, handoff=packet.as_ticket() if new else packet,
                    new_handoff=new)
