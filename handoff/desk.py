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


class HandoffDesk:
    def __init__(self, backend: QueueBackend, rules: RoutingRules | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.backend = backend
        self.rules = rules or RoutingRules()
        self.clock = clock
        self.listeners: list[Callable[[], None]] = []  # told when the queues change

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
        entry = Waiting(
            id=packet.id, conversation=conversation, queue=packet.target or "ddh",
            topic=packet.topic, municipality=packet.municipality,
            channel=channel, summary=packet.summary, enqueued_at=self.clock(),
            priority=1 if packet.topic in self.rules.crisis_topics else 0,
            reason_kind=str(packet.reason_kind) if packet.reason_kind else None)
        self.backend.enqueue(entry)
        self._changed()
        return entry

    def place(self, entry_id: str) -> tuple[int | None, float]:
        """(place in its queue, expected wait in seconds; inf when nobody is on duty)."""
        waiting = self.backend.waiting()
        place = position(entry_id, waiting)
        if place is None:
            return None, 0.0
        queue = next(w.queue for w in waiting if w.id == entry_id)
        return place, expected_wait_s(place, self.backend.agents(), queue, self.rules)

    def leave(self, entry_id: str) -> bool:
        """The citizen left the queue (hung up, closed the chat)."""
        gone = self.backend.remove(entry_id)
        self._changed()
        return gone

    # --- the agents' side --------------------------------------------------------------

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
            self.set_state(agent_id, "busy")
            self._changed()
        return claimed
