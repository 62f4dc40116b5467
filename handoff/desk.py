"""The handoff desk: conversations offered to agents, and agents taking them.

The frontdesk offers a conversation when its decision is `handoff` (the packet is
already built and stored); the citizen is told their place in the queue and the
expected wait. Agents' presence and their "accept" go through the same desk, on
whatever backend the deployment configured (memory or Redis). The desk also offers
(pushes) waiting conversations to free agents, within each agent's capacity, and keeps
their status following the work (handoff/offers.py has the rules).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ddh.logging import get_logger
from handoff import offers as rules_of
from handoff.backends import QueueBackend, make_backend
from handoff.offers import DeskPolicy, Offer, at_capacity, service_order
from handoff.queues import (
    AGENT_STATES,
    Agent,
    RoutingRules,
    Waiting,
    expected_wait_s,
    may_take,
    position,
)
from store.records import HandoffPacket

log = get_logger(__name__)
CLAIM_MEMORY_S = 120.0


class QueueUnavailable(Exception):
    """The agents' queue cannot be reached (its Redis is down)."""


class HandoffDesk:
    def __init__(self, backend: QueueBackend, rules: RoutingRules | None = None,
                 clock: Callable[[], float] = time.time,
                 policy: DeskPolicy | None = None) -> None:
        self.backend = backend
        self.rules = rules or RoutingRules()
        self.clock = clock
        self.policy = policy or DeskPolicy()
        self._agent_lock = threading.RLock()  # an agent's record is read, changed, written
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
            handle_time_s=settings.queue_handle_time_s),
            policy=DeskPolicy.from_settings(settings))

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
        """An agent's console opened: the conversations they have stay theirs."""
        with self._agent_lock:
            known = self.backend.agent(agent.id)
            if known is not None and not agent.conversations:
                agent.conversations, agent.taken_at = known.conversations, known.taken_at
            self.backend.put_agent(agent)

    def agent(self, agent_id: str) -> Agent | None:
        return self.backend.agent(agent_id)

    def _update(self, agent_id: str, change: Callable[[Agent], object]) -> Agent:
        with self._agent_lock:
            agent = self.agent(agent_id)
            if agent is None:
                raise KeyError(agent_id)
            change(agent)
            self.backend.put_agent(agent)
            return agent

    def _try_update(self, agent_id: str, change: Callable[[Agent], object]) -> Agent | None:
        try:
            return self._update(agent_id, change)
        except KeyError:  # not signed in (here or anywhere): nothing to change
            return None

    def set_state(self, agent_id: str, state: str) -> Agent:
        """The agent's own choice (or the console's): "Klar" at capacity is busy."""
        if state not in AGENT_STATES:
            raise ValueError(f"state must be one of {AGENT_STATES}")
        if state == "available":  # also ends wrap-up early
            return self._update(agent_id, lambda a: self._set(
                a, rules_of.settled_state(a)))
        return self._update(agent_id, lambda a: self._set(a, state))

    def _set(self, agent: Agent, state: str) -> None:
        agent.state, agent.since = state, self.clock()

    def hold(self, agent_id: str, conversations: list[str]) -> Agent | None:
        """The conversations the agent has (the store's word, after a restart)."""
        def change(a: Agent) -> None:
            a.conversations = tuple(conversations)
            if a.state == "available" and at_capacity(a):
                self._set(a, "busy")
        return self._try_update(agent_id, change)

    def release(self, agent_id: str, conversation: str) -> Agent | None:
        """The agent wrapped up (or deleted) a conversation: wrap-up for a while."""
        return self._try_update(agent_id, lambda a: rules_of.let_go(
            a, conversation, self.clock(), wrap_up=True))

    def at_capacity(self, agent_id: str) -> bool:
        agent = self.agent(agent_id)
        return agent is not None and at_capacity(agent)

    def next_for(self, agent_id: str) -> Waiting | None:
        agent = self.agent(agent_id)
        if agent is None:
            return None
        now = self.clock()
        return next((w for w in self.in_order() if may_take(agent, w, now, self.rules)), None)

    def in_order(self) -> list[Waiting]:
        """Everyone waiting, in service order (crisis, past the SLA, longest waiting)."""
        return service_order(self.backend.waiting(), self.clock(), self.policy)

    def visible_to(self, agent_id: str) -> list[Waiting]:
        """What the agent's queue view lists: entries they may take now, in order."""
        agent = self.agent(agent_id)
        if agent is None:
            return []
        now = self.clock()
        return [w for w in self.in_order() if may_take(agent, w, now, self.rules)]

    def accept(self, agent_id: str, entry_id: str, takes_calls: bool = True) -> Waiting | None:
        """Take a conversation; None if another agent was quicker, it is not theirs, it
        is a call and the agent has no phone to put it through to, or the agent has as
        many conversations as their capacity."""
        agent = self.agent(agent_id)
        if agent is None or at_capacity(agent):
            return None
        entry = next((w for w in self.backend.waiting() if w.id == entry_id), None)
        if entry is None or not may_take(agent, entry, self.clock(), self.rules) or \
                (entry.channel == "voice" and not takes_calls):
            return None
        claimed = self.backend.claim(entry_id, agent_id)
        if claimed is not None:
            self._claimed[entry_id] = time.monotonic()
            self._update(agent_id, lambda a: rules_of.took(a, claimed.conversation,
                                                           self.clock()))
            self._changed()
        return claimed

    # --- offers (handoff/offers.py) ------------------------------------------------------

    def offers(self) -> list[Offer]:
        return self.backend.offers()

    def make_offers(self) -> list[Offer]:
        """Offer the waiting conversations to free agents; the offers this call made
        (another process may have made others at the same moment: each conversation and
        each agent still gets one at most)."""
        now = self.clock()
        planned = rules_of.plan(self.backend.waiting(), self.backend.agents(),
                                self.backend.offers(), self.backend.passes(),
                                self.backend.seen(), now, self.rules, self.policy)
        return [o for o in planned if self.backend.make_offer(o)]

    def expire_offers(self) -> list[Offer]:
        """Withdraw the offers nobody answered in time (any process may: one succeeds);
        the agent is passed over for that conversation for a while."""
        now = self.clock()
        return [o for o in rules_of.lapsed(self.backend.offers(), now, self.policy)
                if self.backend.withdraw(o.entry, o.agent, now)]

    def withdraw(self, entry_id: str, agent_id: str) -> bool:
        """The agent declined (or can no longer take) the offer."""
        return self.backend.withdraw(entry_id, agent_id, self.clock())

    def fate(self, entry_id: str, agent_id: str) -> str:
        """Why an agent's offer is gone: "accepted" (by them), "taken" (by another),
        "timeout" (still waiting) or "left" (the citizen left)."""
        claimed = self.backend.claimed_by(entry_id)
        if claimed is not None:
            return "accepted" if claimed == agent_id else "taken"
        return "timeout" if any(w.id == entry_id for w in self.backend.waiting()) else "left"

    def missed(self, agent_id: str) -> Agent | None:
        """The agent let an offer lapse: set away when the policy says so."""
        if not self.policy.missed_offer_away:
            return None
        return self._try_update(agent_id, lambda a: self._set(a, "away"))

    def settle(self, agent_ids: list[str]) -> list[Agent]:
        """Agents whose wrap-up is over go back to work (available, or busy at capacity)."""
        now, done = self.clock(), []

        def back(a: Agent) -> None:
            if rules_of.wrapup_over(a, now, self.policy):  # still, under the lock
                self._set(a, rules_of.settled_state(a))
        for agent_id in agent_ids:
            agent = self.agent(agent_id)
            if agent is not None and rules_of.wrapup_over(agent, now, self.policy):
                done.append(self._update(agent_id, back))
        return done

    def touch(self, agent_ids: list[str]) -> None:
        """These agents' consoles are open (a heartbeat: offers go to consoles heard
        from lately)."""
        self.backend.touch(agent_ids, self.clock())

    def requeue(self, entry: Waiting, agent_id: str) -> bool:
        """Take a conversation back from an agent: to the front of its queue (its
        original place), never offered to that agent again; False when another agent
        has claimed it. (The store decides first whether it is still theirs:
        `OutcomeStore.release_handoff`.)"""
        back = replace(entry, priority=1 if entry.topic in self.rules.crisis_topics else 0)
        if not self.backend.requeue(back, agent_id):
            return False
        self._claimed.pop(entry.id, None)
        self._try_update(agent_id, lambda a: rules_of.let_go(a, entry.conversation,
                                                             self.clock(), wrap_up=False))
        self._changed()
        return True

    def sla(self, entry: Waiting) -> str:
        return rules_of.sla_state(entry, self.clock(), self.policy)

    def elsewhere(self, agent_id: str) -> list[dict[str, Any]]:
        """Citizens waiting in queues this agent cannot take yet, by queue."""
        agent = self.agent(agent_id)
        if agent is None:
            return []
        return rules_of.elsewhere(agent, self.backend.waiting(), self.clock(), self.rules)
