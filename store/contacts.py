"""A returning citizen's earlier contacts, found by the callback number they consented
to (`callback_contacts`, kept with tickets only).

Numbers are compared by their last eight digits (a Danish number, whether written
"+45 28 12 34 56", "0045-28123456" or "28123456"). Only numbers the citizen gave with
consent for a ticket are ever looked up: the console asks with a conversation, and the
numbers are that conversation's own (`numbers_of`), never typed in by a person. Who may
read which of the contacts found (Account.may_read) is the caller's to decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from store.models import CallbackContact, Conversation, HandoffPacket

DIGITS = 8  # a Danish subscriber number


def number_key(phone: str) -> str | None:
    """The last eight digits, or None for something that is no Danish number."""
    digits = re.sub(r"\D", "", phone)
    return digits[-DIGITS:] if len(digits) >= DIGITS else None


def numbers_of(sessions: sessionmaker[Session], conversation_id: str) -> list[str]:
    """The consented callback numbers of this conversation's tickets."""
    with sessions() as s:
        return sorted(set(s.scalars(select(CallbackContact.phone).join(
            HandoffPacket, HandoffPacket.id == CallbackContact.handoff_id).where(
            HandoffPacket.conversation_id == conversation_id))))


def earlier(sessions: sessionmaker[Session], numbers: Iterable[str], exclude: str,
            limit: int = 20) -> list[dict[str, Any]]:
    """Other conversations with a ticket to one of these numbers, newest first."""
    keys = sorted({k for k in (number_key(n) for n in numbers) if k})
    if not keys:
        return []
    plain: Any = CallbackContact.phone
    for sep in (" ", "-", ".", "+", "(", ")"):
        plain = func.replace(plain, sep, "")
    matches = select(HandoffPacket.conversation_id).join(
        CallbackContact, CallbackContact.handoff_id == HandoffPacket.id).where(
        or_(*[plain.like(f"%{k}") for k in keys]))
    with sessions() as s:
        rows = s.scalars(select(Conversation).where(
            Conversation.id.in_(matches), Conversation.id != exclude)
            .order_by(Conversation.started_at.desc()).limit(limit)).all()
        return [{"id": c.id, "started_at": c.started_at.isoformat(), "channel": c.channel,
                 "municipality": c.municipality, "topic": c.topic, "outcome": c.outcome,
                 "agent": c.agent} for c in rows]
