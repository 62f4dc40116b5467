"""Offers: the desk pushes each waiting conversation to one free agent at a time.

The rules, as pure functions over plain records (handoff/queues.py), so that both
backends and every gateway process offer alike and the rules are tested without them:
- free: an agent who is available, below their capacity (conversations at once), signed
  in (their console was heard from lately) and has no offer pending;
- what first: the service order — crisis, then entries past their queue's SLA target,
  then the longest waiting;
- to whom: among the free agents who may take the entry (queue, skills, overflow; a call
  needs a phone), the one idle longest. An agent who declined the entry or let its offer
  lapse is passed over for it for `PASS_HOLD` offer timeouts (after a reassignment, for
  good); one conversation has at most one offer pending, one agent at most one;
- SLA: each queue has a target wait; an entry is "warning" from 80 % of it, "breached"
  past it;
- status follows the work: busy at capacity, wrap-up after a conversation, then back;
- reassignment: a taken chat whose citizen has waited on the agent, or whose agent's
  console has been gone, for `reassign_after_s` goes back to the front of its queue.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ddh.settings import parse_sla_overrides
from handoff.queues import Agent, RoutingRules, Waiting, may_take

SLA_WARNING = 0.8  # share of the target from which an entry is "warning"
PASS_HOLD = 3.0  # offer timeouts an agent who passed on an entry is not offered it again
FOREVER = math.inf  # a pass that does not lapse (the agent the chat was taken from)
SLA_STATES = ("ok", "warning", "breached")


@dataclass(frozen=True)
class DeskPolicy:
    """How the desk offers: `DDH_AGENT_CAPACITY`, `DDH_QUEUE_OFFER_TIMEOUT_S`, … ."""

    capacity: int = 2  # an agent's conversations at once, unless their account says
    offer_timeout_s: float = 20.0
    missed_offer_away: bool = True  # an agent who lets an offer lapse is set away
    wrapup_s: float = 30.0
    reassign_after_s: float = 180.0
    sla_s: float = 120.0
    sla_overrides: tuple[tuple[str, float], ...] = ()  # (queue, target) pairs
    online_s: float = 15.0  # a console not heard from for this long is gone

    @classmethod
    def from_settings(cls, settings: Any) -> DeskPolicy:
        return cls(capacity=settings.agent_capacity,
                   offer_timeout_s=settings.queue_offer_timeout_s,
                   missed_offer_away=settings.queue_missed_offer_away,
                   wrapup_s=settings.agent_wrapup_s,
                   reassign_after_s=settings.queue_reassign_after_s,
                   sla_s=settings.queue_sla_s,
                   sla_overrides=parse_sla_overrides(settings.queue_sla_overrides))

    def sla_for(self, queue: str) -> float:
        return next((s for q, s in self.sla_overrides if q == queue), self.sla_s)

    @property
    def tick_s(self) -> float:
        """How often a process looks at offers, wrap-ups and taken chats."""
        shortest = min(self.offer_timeout_s, self.wrapup_s or math.inf, self.reassign_after_s)
        return min(1.0, max(0.1, shortest / 4))


@dataclass(frozen=True)
class Offer:
    """A waiting conversation offered to one agent, pending their answer."""

    entry: str  # the handoff's id
    agent: str
    at: float  # when it was made (epoch seconds)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Offer:
        return cls(**json.loads(raw))


# --- the SLA and the service order ----------------------------------------------------


def sla_state(entry: Waiting, now: float, policy: DeskPolicy) -> str:
    waited, target = now - entry.enqueued_at, policy.sla_for(entry.queue)
    if waited >= target:
        return "breached"
    return "warning" if waited >= SLA_WARNING * target else "ok"


def service_order(entries: Iterable[Waiting], now: float, policy: DeskPolicy) -> list[Waiting]:
    """Crisis first, then entries past their SLA, then the longest waiting."""
    return sorted(entries, key=lambda w: (-w.priority, sla_state(w, now, policy) != "breached",
                                          w.enqueued_at, w.id))


# --- who is free, and who gets what -----------------------------------------------------


def at_capacity(agent: Agent) -> bool:
    return len(agent.conversations) >= agent.capacity


def idle_since(agent: Agent) -> float:
    """Since when the agent has had nothing new: their last state change or take."""
    return max(agent.since, agent.taken_at)


def is_free(agent: Agent, now: float, seen: Mapping[str, float], policy: DeskPolicy) -> bool:
    return agent.state == "available" and not at_capacity(agent) and \
        now - seen.get(agent.id, -math.inf) <= policy.online_s


def may_offer(agent: Agent, entry: Waiting, now: float, rules: RoutingRules) -> bool:
    return may_take(agent, entry, now, rules) and (entry.channel != "voice" or agent.takes_calls)


def passed_over(agent_id: str, entry_id: str, passes: Mapping[str, Mapping[str, float]],
                now: float, policy: DeskPolicy) -> bool:
    """Did this agent pass on this entry lately (declined it, let it lapse, or had it
    taken from them)?"""
    at = passes.get(entry_id, {}).get(agent_id)
    return at is not None and (at == FOREVER or now - at < PASS_HOLD * policy.offer_timeout_s)


def plan(waiting: Iterable[Waiting], agents: Iterable[Agent], offers: Iterable[Offer],
         passes: Mapping[str, Mapping[str, float]], seen: Mapping[str, float], now: float,
         rules: RoutingRules, policy: DeskPolicy) -> list[Offer]:
    """The offers to make now: each entry without an offer, in service order, to the free
    agent idle longest who may take it and has not passed on it."""
    offers = list(offers)
    pending_entries = {o.entry for o in offers}
    pending_agents = {o.agent for o in offers}
    free = sorted((a for a in agents
                   if a.id not in pending_agents and is_free(a, now, seen, policy)),
                  key=lambda a: (idle_since(a), a.id))
    made: list[Offer] = []
    for entry in service_order(waiting, now, policy):
        if not free:
            break
        if entry.id in pending_entries:
            continue
        agent = next((a for a in free if may_offer(a, entry, now, rules) and
                      not passed_over(a.id, entry.id, passes, now, policy)), None)
        if agent is not None:
            made.append(Offer(entry.id, agent.id, now))
            free.remove(agent)
    return made


def lapsed(offers: Iterable[Offer], now: float, policy: DeskPolicy) -> list[Offer]:
    """The offers nobody answered in time."""
    return [o for o in offers if now - o.at >= policy.offer_timeout_s]


# --- status follows the work --------------------------------------------------------------


def took(agent: Agent, conversation: str, now: float) -> Agent:
    """The agent accepted a conversation: busy once at capacity."""
    agent.conversations = (*agent.conversations, conversation)
    agent.taken_at = now
    if at_capacity(agent) and agent.state != "busy":
        agent.state, agent.since = "busy", now
    return agent


def let_go(agent: Agent, conversation: str, now: float, wrap_up: bool) -> Agent:
    """The agent no longer has the conversation: wrapped up (then in wrap-up for a
    while), or reassigned (busy only while still at capacity)."""
    full = at_capacity(agent)
    agent.conversations = tuple(c for c in agent.conversations if c != conversation)
    if wrap_up:
        agent.state, agent.since = "wrap-up", now
    elif full and agent.state == "busy" and not at_capacity(agent):
        agent.state, agent.since = "available", now
    return agent


def wrapup_over(agent: Agent, now: float, policy: DeskPolicy) -> bool:
    return agent.state == "wrap-up" and now - agent.since >= policy.wrapup_s


def settled_state(agent: Agent) -> str:
    """After wrap-up, or on choosing "Klar": busy while at capacity, else available."""
    return "busy" if at_capacity(agent) else "available"


def reassign_due(waiting_since: float | None, seen_at: float | None, now: float,
                 policy: DeskPolicy) -> str | None:
    """Why a taken chat should go to another agent now, if it should: "silent" (the
    citizen has waited on the agent's answer since `waiting_since`) or "gone" (the
    agent's console was last heard from at `seen_at`)."""
    if waiting_since is not None and now - waiting_since >= policy.reassign_after_s:
        return "silent"
    if seen_at is not None and now - seen_at >= policy.reassign_after_s:
        return "gone"
    return None


# --- what the agent cannot take yet -------------------------------------------------------


def opens_at(agent: Agent, entry: Waiting, rules: RoutingRules) -> float | None:
    """When the agent may take this entry (overflow, skill wait); None: never."""
    if entry.priority:
        return entry.enqueued_at
    at = entry.enqueued_at
    if entry.queue not in agent.queues:
        if entry.queue == "ddh" or "ddh" not in agent.queues:
            return None
        at = entry.enqueued_at + rules.overflow_wait_s
    if entry.topic is not None and entry.topic not in agent.skills:
        at = max(at, entry.enqueued_at + rules.skill_wait_s)
    return at


def elsewhere(agent: Agent, entries: Iterable[Waiting], now: float,
              rules: RoutingRules) -> list[dict[str, Any]]:
    """Citizens waiting that this agent cannot take yet, by queue: how many, and in how
    many seconds the first of them opens to the agent (None: not by overflow)."""
    groups: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if may_take(agent, entry, now, rules):
            continue
        group = groups.setdefault(entry.queue, {"queue": entry.queue, "count": 0,
                                                "opens_in_s": None})
        group["count"] += 1
        at = opens_at(agent, entry, rules)
        if at is not None:
            left = max(0.0, round(at - now, 1))
            group["opens_in_s"] = left if group["opens_in_s"] is None else \
                min(group["opens_in_s"], left)
    return sorted(groups.values(), key=lambda g: (-g["count"], g["queue"]))
