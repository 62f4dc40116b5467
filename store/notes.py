"""Agents' internal notes on conversations, and where a handed-over conversation goes.

A note is written by the agent who has the conversation (gateway/console_tools.py
redacts it first) and read by the next agent when the conversation is handed over, and
by managers and administrators in the conversation view. The citizen never gets a
note: notes are not transcript lines (`turns`), so no chat log, transcript mail or
ticket carries them. Retention forgets them with the conversation's text
(store/retention.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from store.models import ConversationNote, HandoffPacket, Turn


def _as_dict(n: ConversationNote) -> dict[str, Any]:
    return {"id": n.id, "conversation": n.conversation_id, "agent": n.agent,
            "name": n.name, "text": n.text, "at": n.at.isoformat()}


def add_note(sessions: sessionmaker[Session], conversation_id: str, agent: str, name: str,
             text: str, at: datetime) -> dict[str, Any]:
    """Store a (redacted) note; the note as the console shows it."""
    with sessions.begin() as s:
        note = ConversationNote(conversation_id=conversation_id, agent=agent, name=name,
                                text=text, at=at)
        s.add(note)
        s.flush()
        return _as_dict(note)


def notes_of(sessions: sessionmaker[Session], conversation_id: str) -> list[dict[str, Any]]:
    """A conversation's notes, oldest first."""
    with sessions() as s:
        return [_as_dict(n) for n in s.scalars(select(ConversationNote).where(
            ConversationNote.conversation_id == conversation_id).order_by(
            ConversationNote.at, ConversationNote.id))]


def with_notes(sessions: sessionmaker[Session], conversation_id: str,
               transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The transcript (`OutcomeStore.conversation`'s) with the notes between its lines,
    where they were written: `{"role": "note", "text", "name", "agent", "at"}`."""
    notes = notes_of(sessions, conversation_id)
    if not notes:
        return transcript
    with sessions() as s:
        times = {seq: at for seq, at in s.execute(select(Turn.seq, Turn.at).where(
            Turn.conversation_id == conversation_id))}
    out: list[dict[str, Any]] = []
    pending = [{**n, "role": "note"} for n in notes]
    for line in transcript:
        at = times.get(line.get("seq", -1))
        while pending and at is not None and datetime.fromisoformat(pending[0]["at"]) <= at:
            out.append(pending.pop(0))
        out.append(line)
    return out + pending


def retarget(sessions: sessionmaker[Session], handoff_id: str, queue: str) -> None:
    """The handoff now waits in another queue (handed over to it): the queue is rebuilt
    from here after a restart, so it must say where."""
    with sessions.begin() as s:
        s.execute(update(HandoffPacket).where(HandoffPacket.id == handoff_id)
                  .values(target=queue))
