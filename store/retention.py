"""Retention and the right to be forgotten: what a conversation leaves behind.

A transcript is kept as long as it is needed to help the citizen and to check the
work (`DDH_RETENTION_DAYS`, default 30: Nordic municipal bots keep chat logs for
weeks, not forever), or until the citizen asks for it to go ("Slet min samtale", or
an agent on their request). Then every text the citizen wrote or was told goes:
the transcript lines, the chat log, the held state, the answers kept for re-sent
messages, the handoff summaries and packets, and consented callback numbers. What
the figures need stays, without text: the conversation row (channel, municipality,
topic, outcome, turns, satisfaction), the decisions' actions and topics, the handoffs'
kind, team, topic and reason — so the dashboard reads the same before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ddh.redaction import redact_fragments
from store.models import (
    AuditEntry,
    CallbackContact,
    ChatEvent,
    Conversation,
    ConversationNote,
    ConversationStateRow,
    Decision,
    EmailMessage,
    HandoffPacket,
    Turn,
)

BATCH = 500


@dataclass
class Forgotten:
    conversations: int = 0
    lines: int = 0  # transcript lines and chat events deleted
    callback_numbers: int = 0

    def add(self, other: Forgotten) -> None:
        self.conversations += other.conversations
        self.lines += other.lines
        self.callback_numbers += other.callback_numbers


def forget(s: Session, ids: list[str]) -> Forgotten:
    """Remove the text of these conversations (inside the caller's transaction)."""
    if not ids:
        return Forgotten()
    handoffs = select(HandoffPacket.id).where(HandoffPacket.conversation_id.in_(ids))
    conn = s.connection()  # Core deletes: nothing to load first
    numbers = conn.execute(delete(CallbackContact).where(
        CallbackContact.handoff_id.in_(handoffs))).rowcount
    lines = conn.execute(delete(Turn).where(Turn.conversation_id.in_(ids))).rowcount
    lines += conn.execute(delete(ChatEvent).where(ChatEvent.conversation_id.in_(ids))).rowcount
    # agents' internal notes (store/notes.py) are about the citizen too
    lines += conn.execute(delete(ConversationNote).where(
        ConversationNote.conversation_id.in_(ids))).rowcount
    conn.execute(delete(ConversationStateRow).where(ConversationStateRow.id.in_(ids)))
    s.execute(update(Decision).where(Decision.conversation_id.in_(ids)).values(result=None)
              .execution_options(synchronize_session=False))
    # the e-mail channel: the citizen's address, subjects and our replies' text
    s.execute(update(EmailMessage).where(EmailMessage.conversation_id.in_(ids)).values(
        address=None, subject="", body=None, attachments=None)
        .execution_options(synchronize_session=False))
    for packet in s.scalars(select(HandoffPacket).where(
            HandoffPacket.conversation_id.in_(ids), HandoffPacket.summary != "")).all():
        packet.summary = ""
        packet.packet = {"kind": packet.kind, "target": packet.target, "topic": packet.topic,
                         "reason_kind": packet.reason_kind, "forgotten": True}
    return Forgotten(len(ids), lines, numbers)


def due(s: Session, before: datetime) -> list[str]:
    """Conversations started before `before` that still hold text, oldest first."""
    c = Conversation
    holds = or_(exists().where(Turn.conversation_id == c.id),
                exists().where(ChatEvent.conversation_id == c.id),
                exists().where(ConversationNote.conversation_id == c.id),
                exists().where(HandoffPacket.conversation_id == c.id,
                               HandoffPacket.summary != ""))
    return list(s.scalars(select(c.id).where(c.started_at < before, holds)
                          .order_by(c.started_at).limit(BATCH)).all())


def expire(sessions: sessionmaker[Session], before: datetime) -> Forgotten:
    """Forget every conversation started before `before` (the retention period), in
    batches; how much went."""
    total = Forgotten()
    while True:
        with sessions.begin() as s:
            ids = due(s, before)
            if not ids:
                return total
            total.add(forget(s, ids))


def forget_now(sessions: sessionmaker[Session], conversation_id: str, actor: str,
               at: datetime) -> Forgotten:
    """Forget one conversation at once (the citizen asked, or an agent on their
    request), audited in the same transaction."""
    with sessions.begin() as s:
        done = forget(s, [conversation_id])
        s.add(AuditEntry(at=at, username=actor, action="forget",
                         object=f"conversation:{conversation_id}",
                         detail=f"{done.lines} lines, {done.callback_numbers} callback numbers"))
    return done


def redact_earlier(s: Session, conversation_id: str, fragments: list[str]) -> None:
    """Replace text a conversation's earlier turn left in clear with `[CPR]`, wherever
    the store holds it: transcript lines, the chat log, answers kept for re-sent
    messages, handoff summaries and packets (inside the caller's transaction)."""
    if not fragments:
        return

    def clean(value: Any) -> Any:
        return redact_fragments(value, fragments)

    for line in s.scalars(select(Turn).where(Turn.conversation_id == conversation_id,
                                             Turn.role == "citizen")).all():
        line.text = clean(line.text)
    for event in s.scalars(select(ChatEvent).where(
            ChatEvent.conversation_id == conversation_id)).all():
        event.data = clean(event.data)
    for decision in s.scalars(select(Decision).where(
            Decision.conversation_id == conversation_id, Decision.result.is_not(None))).all():
        decision.result = clean(decision.result)
    for packet in s.scalars(select(HandoffPacket).where(
            HandoffPacket.conversation_id == conversation_id)).all():
        packet.summary, packet.packet = clean(packet.summary), clean(packet.packet)
