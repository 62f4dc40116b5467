"""The handoff desk: conversations offered to agents, and agents taking them.

The frontdesk offers a conversation when its decision is `handoff` (the packet is
already built and stored); the citizen is told their place in the queue and the
expected wait. Agents' presence and their "accept" go through the same desk, on
whatever backend the deployment configured (memory or Redis).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ddh.logging import get_logger
from handoff.backends import QueueBackend, make_backend
from handoff.queues import (
    AGENT_STATES,
    Agent,
    RoutingRules,
    Waiting,
    expected_wait_s,
    may_take,
    next_for,
    order,
    position,
)
from store.records import HandoffPacket

log = get_logger(__name__)
CLAIM_MEMORY_S = 120.0


class QueueUnavailable(Exception):
    """The agents' queue cannot be reached (its Redis is down)."""


class HandoffDesk:
    def __init__(self, backend: QueueBackend, rules: RoutingRules | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.backend = backend
        self.rules = rules or RoutingRules()
        self.clock = clock
        self.listeners: list[Callable[[], None]] = []  # told when the queues change
        # taken here lately: the store may not say so yet when the queue is reconciled
        self._claimed: dict[str, float] = {}

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    @classmethod
    def from_settings(cls, settings: Any) -> HandoffDesk:
        return cls(make_backend(settings.redis_url), RoutingRules(
            skill_wait_s=settings.queue_skill_wait_s,
            overflow_wait_s=settings.queue_overflow_wait_s,
            handle_time_s=settings.queue_handle_time_s))

    # --- the citizen's side ------------------------------------------------------------

    def offer(self, packet: HandoffPacket, conversation: str, channel: str) -> Waiting:
        """Queue a warm handoff; `QueueUnavailable` when the queue cannot be reached
        (Redis down): the caller then makes a ticket, nothing is lost."""
        entry = Waiting(
            id=packet.id, conversation=conversation, queue=packet.target or "ddh",
            topic=packet.topic, municipality=packet.municipality,
            channel=channel, summary=packet.summary, enqueued_at=self.clock(),
            priority=1 if packet.topic in self.rules.crisis_topics else 0,
            reason_kind=str(packet.reason_kind) if packet.reason_kind else None)
        try:
            self.backend.enqueue(entry)
        except Exception as exc:  # the backend's own errors (redis.ConnectionError, …)
            raise QueueUnavailable(str(exc)) from exc
        self._changed()
        return entry

    def place(self, entry_id: str) -> tuple[int | None, float]:
        """(place in its queue, expected wait in seconds; inf when nobody is on duty).
        `QueueUnavailable` when the queue cannot be reached."""
        try:
            waiting = self.backend.waiting()
        except Exception as exc:
            raise QueueUnavailable(str(exc)) from exc
        place = position(entry_id, waiting)
        if place is None:
            return None, 0.0
        queue = next(w.queue for w in waiting if w.id == entry_id)
        return place, expected_wait_s(place, self.backend.agents(), queue, self.rules)

    def leave(self, entry_id: str) -> bool:
        """The citizen left the queue (hung up, closed the chat). Best effort: with the
        queue unreachable the entry stays gone anyway, because the store has the
        conversation as ended and the queue is rebuilt from the store."""
        try:
            gone = self.backend.remove(entry_id)
        except Exception as exc:
            log.error("handoff.leave_failed", entry=entry_id, error=str(exc)[:200])
            return False
        self._changed()
        return gone

    # --- the agents' side --------------------------------------------------------------

    def reconcile(self, open_handoffs: list[dict[str, Any]]) -> int:
        """Put back the waiting handoffs the queue lost (Redis restarted empty, or this
        process restarted with the queue in its memory), with their first place in
        line; how many. `open_handoffs`: the store's (`OutcomeStore.open_handoffs`)."""
        present = {w.id for w in self.backend.waiting()}
        now = time.monotonic()
        self._claimed = {i: t for i, t in self._claimed.items() if now - t < CLAIM_MEMORY_S}
        restored = 0
        for h in open_handoffs:
            if h["id"] in present or h["id"] in self._claimed:
                continue
            self.backend.enqueue(Waiting(
                id=h["id"], conversation=h["conversation"], queue=h["target"] or "ddh",
                topic=h["topic"], municipality=h["municipality"], channel=h["channel"],
                summary=h["summary"], enqueued_at=h["created_at"].timestamp(),
                priority=1 if h["topic"] in self.rules.crisis_topics else 0,
                reason_kind=h["reason_kind"]))
            restored += 1
        if restored:
            self._changed()
        return restored

    def register(self, agent: Agent) -> None:
        self.backend.put_agent(agent)

    def agent(self, agent_id: str) -> Agent | None:
        return self.backend.agent(agent_id)

    def set_state(self, agent_id: str, state: str) -> Agent:
        if state not in AGENT_STATES:
            raise ValueError(f"state must be one of {AGENT_STATES}")
        agent = self.agent(agent_id)
        if agent is None:
            raise KeyError(agent_id)
        agent.state, agent.since = state, self.clock()
        self.backend.put_agent(agent)
        return agent

    def next_for(self, agent_id: str) -> Waiting | None:
        agent = self.agent(agent_id)
        if agent is None:
            return None
        return next_for(agent, self.backend.waiting(), self.clock(), self.rules)

    def visible_to(self, agent_id: str) -> list[Waiting]:
        """What the agent's queue view lists: entries they may take now, in order."""
        agent = self.agent(agent_id)
        if agent is None:
            return []
        now = self.clock()
        return [w for w in order(self.backend.waiting()) if may_take(agent, w, now, self.rules)]

    def accept(self, agent_id: str, entry_id: str, takes_calls: bool = True) -> Waiting | None:
        """Take a conversation; None if another agent was quicker, it is not theirs, or
        it is a call and the agent has no phone to put it through to."""
        agent = self.agent(agent_id)
        if agent is None:
            return None
        entry = next((w for w in self.backend.waiting() if w.id == entry_id), None)
        if entry is None or not may_take(agent, entry, self.clock(), self.rules) or \
                (entry.channel == "voice" and not takes_calls):
            return None
        claimed = self.backend.claim(entry_id, agent_id)
        if claimed is not None:
            self._claimed[entry_id] = time.monotonic()
            self.set_state(agent_id, "busy")
            self._changed()
        return claimed
