"""Record stage: the turn as the channel's result and as the store's record.

Built after the decision was applied, from the redacted text only. The store write
itself is retried and queued by the store (`store/outcomes.py`), never dropped.
"""

from __future__ import annotations

from datetime import datetime

from bot.turn.act import Acted
from bot.turn.decision import Decision
from bot.turn.state import ConversationState
from bot.turn.types import Heard, TurnResult
from ddh.vocabulary import Action
from store.records import TurnRecord


def record(state: ConversationState, heard: Heard, decision: Decision, acted: Acted,
           at: datetime, consented: bool) -> tuple[TurnResult, TurnRecord]:
    guides = [h.as_dict() for h in decision.hits]
    topic = decision.topic if decision.topic else (
        state.last_topic if decision.action == Action.END else None)
    new_packet = decision.handoff if decision.new_handoff else None
    new_ticket = new_packet is not None and new_packet.kind == Action.TICKET
    awaiting = state.pending.ask if state.pending else None
    result = TurnResult(state.id, decision.action, topic, state.municipality, acted.reply,
                        guides, decision.handoff, state.language, decision.reason,
                        heard.text, awaiting=awaiting, mode=decision.mode)
    rec = TurnRecord(
        conversation_id=state.id, channel=state.channel, seq=state.turns, at=at,
        citizen_text=heard.text, bot_text=acted.reply, language=state.language,
        action=decision.action, topic=topic, municipality=state.municipality,
        municipality_source=state.municipality_source, reason=decision.reason,
        target=decision.target, guides=guides, pii_kinds=list(heard.pii_kinds),
        outcome=state.outcome, conversation_topic=state.last_topic,
        notice_id=state.notice_id, ended=decision.action == Action.END,
        satisfaction=state.satisfaction, handoff=new_packet, mode=decision.mode,
        # with a new ticket; or given now for the ticket made earlier
        callback_phone=state.callback_number if new_ticket or consented else None,
        deliveries=list(acted.deliveries))
    return result, rec
