"""Act stage: what a decision sets going outside the conversation, and the reply the
citizen finally reads or hears.

A new warm handoff joins the agents' queue (the reply then tells the citizen their
place and the expected wait); a new ticket gets its delivery destinations (written to
the outbox with the turn). The first reply of a conversation starts with the AI
disclosure (EU AI Act art. 50).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import replies
from bot.turn.decision import Decision
from bot.turn.state import ConversationState
from ddh.vocabulary import Action, Channel
from handoff.desk import HandoffDesk, QueueUnavailable
from handoff.tickets import destinations
from knowledge.registry import Registry


@dataclass(frozen=True)
class Acted:
    reply: str  # what the citizen gets
    waiting_id: str | None = None  # the queue entry of a new handoff
    deliveries: tuple[tuple[str, str], ...] = ()  # a new ticket's (channel, address)


def act(registry: Registry, handoffs: HandoffDesk | None, state: ConversationState,
        decision: Decision, lang: str) -> Acted:
    reply = decision.reply
    waiting_id = None
    packet = decision.handoff if decision.new_handoff else None
    if handoffs is not None and decision.action == Action.HANDOFF and packet is not None:
        entry = handoffs.offer(packet, state.id, state.channel)
        waiting_id = entry.id
        if state.channel != Channel.EMAIL:  # a mail is answered by mail, not in a queue
            place, wait = handoffs.place(entry.id)
            reply = f"{reply} {replies.queue_place(place, wait, lang)}"
    elif handoffs is not None and state.waiting_id is not None:
        if decision.action == Action.HANDOFF:  # already waiting: the live place
            try:
                place, wait = handoffs.place(state.waiting_id)
                reply = f"{reply} {replies.queue_place(place, wait, lang)}" if place else \
                    replies.t("queue_taken", lang)
            except QueueUnavailable:  # the queue is rebuilt from the store when it is back
                reply = replies.t("queue_unknown", lang)
        elif decision.action == Action.END:
            handoffs.leave(state.waiting_id)  # nobody waits for the agent any more
    deliveries: tuple[tuple[str, str], ...] = ()
    if packet is not None and packet.kind == Action.TICKET:
        deliveries = tuple(destinations(registry, decision.target or "ddh"))
    if not state.disclosed:
        reply = f"{replies.disclosure(registry, state.municipality, lang)} {reply}"
    return Acted(reply, waiting_id, deliveries)
