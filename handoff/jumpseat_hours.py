"""The hours jumpseat agents saved, from the store (the counting rule is
`handoff/jumpseat.py`'s, shared with the simulator in `evals/jumpseat.py`).

Why a module of its own: the rule is pure and the simulator applies it to simulated
calls; here the same rule reads the stretches off the line (`jumpseat_legs`) and
judges each by the warm handoffs to DDH offered during it (`handoffs`, kind `handoff`,
target `ddh`) and how many of them an agent answered within the target
(`conversations.queue_wait_s`, written at the wrap-up). Plain SQL counts, the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from handoff.jumpseat import Leg, Saved, level_held, saved
from store.models import Conversation, HandoffPacket, JumpseatLeg, Shift
from store.outcomes import OutcomeStore


def legs(store: OutcomeStore, start: datetime, end: datetime,
         municipality: str | None = None) -> list[Leg]:
    """The stretches off the line that began in [start, end) (of `municipality`'s
    shifts only, when given)."""
    q = select(JumpseatLeg.off_at, JumpseatLeg.on_at, Shift.ends_at).join(
        Shift, Shift.id == JumpseatLeg.shift_id).where(JumpseatLeg.off_at >= start,
                                                       JumpseatLeg.off_at < end)
    if municipality:
        q = q.where(Shift.owner == municipality)
    with store.sessions() as s:
        return [Leg(off, on, shift_end) for off, on, shift_end in s.execute(q)]


def handoffs_in(store: OutcomeStore, start: datetime, end: datetime,
                target_s: float) -> tuple[int, int]:
    """Warm handoffs to DDH offered in [start, end), and of them those answered within
    `target_s`."""
    q = select(func.count(), func.count(Conversation.queue_wait_s).filter(
        Conversation.queue_wait_s <= target_s)).select_from(HandoffPacket).join(
        Conversation, Conversation.id == HandoffPacket.conversation_id).where(
        HandoffPacket.kind == "handoff", HandoffPacket.target == "ddh",
        HandoffPacket.created_at >= start, HandoffPacket.created_at < end)
    with store.sessions() as s:
        offered, within = s.execute(q).one()
    return int(offered or 0), int(within or 0)


def saved_hours(store: OutcomeStore, start: datetime, end: datetime, target_s: float,
                goal: float, now: datetime, municipality: str | None = None) -> Saved:
    """The hours saved by stretches that began in [start, end)."""
    def held(a: datetime, b: datetime) -> bool:
        return level_held(*handoffs_in(store, a, b, target_s), goal)

    return saved(legs(store, start, end, municipality), held, now)
