"""Who waits, who answers, and in which order: the routing rules of the agent queues.

There is a queue for DDH and one for each municipality that answers in the console.
The rules (DOMAIN.md, "Operations"):
- crisis topics first, then first come, first served; a crisis is open to every
  agent on duty at once, whatever their queue or skills (DOMAIN.md: beredskab);
- skills: an agent with the topic's skill gets the conversation first; after
  `skill_wait_s` anyone serving that queue may take it;
- overflow: an entry in a municipality's own queue that has waited `overflow_wait_s`
  opens to DDH agents too.
These are pure functions over plain records, so the in-memory and the Redis backend
(`handoff/backends.py`) route identically and the rules are tested without either.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

AGENT_STATES = ("available", "busy", "away", "wrap-up")


@dataclass
class Waiting:
    """A conversation in a queue, waiting for an agent."""

    id: str  # the handoff packet's id
    conversation: str
    queue: str  # "ddh" or a kommunekode
    topic: str | None
    municipality: str | None
    channel: str
    summary: str
    enqueued_at: float  # epoch seconds
    priority: int = 0  # 1: crisis
    reason_kind: str | None = None  # ddh.vocabulary.HandoffReason: why a person is needed

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Waiting:
        return cls(**json.loads(raw))


@dataclass
class Agent:
    """An agent's presence: who they are, what they serve, and their state now."""

    id: str
    name: str
    queues: tuple[str, ...] = ("ddh",)  # "ddh" and/or their own municipality's code
    skills: tuple[str, ...] = ()  # topic slugs, e.g. ("pas", "koerekort", "mitid")
    state: str = "away"
    since: float = 0.0  # when the state last changed
    capacity: int = 1  # conversations at once (handoff/offers.py)
    conversations: tuple[str, ...] = ()  # the conversations they have now
    taken_at: float = 0.0  # when they last took one (who is idle longest)
    takes_calls: bool = True  # has a phone a call can be put through to

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Agent:
        data = json.loads(raw)
        return cls(**{**data, "queues": tuple(data["queues"]), "skills": tuple(data["skills"]),
                      "conversations": tuple(data.get("conversations") or ())})


@dataclass(frozen=True)
class RoutingRules:
    skill_wait_s: float = 60.0
    overflow_wait_s: float = 180.0
    handle_time_s: float = 300.0  # average handling time, for expected waits
    crisis_topics: frozenset[str] = field(default_factory=lambda: frozenset({"krise"}))


def order(entries: list[Waiting]) -> list[Waiting]:
    """Service order: crisis first, then longest waiting."""
    return sorted(entries, key=lambda w: (-w.priority, w.enqueued_at, w.id))


def serves(agent: Agent, entry: Waiting, now: float, rules: RoutingRules) -> bool:
    """May this agent take this entry now (queue and overflow; skills aside)?"""
    if entry.queue in agent.queues or entry.priority:
        return True
    return entry.queue != "ddh" and "ddh" in agent.queues and \
        now - entry.enqueued_at >= rules.overflow_wait_s


def may_take(agent: Agent, entry: Waiting, now: float, rules: RoutingRules) -> bool:
    if not serves(agent, entry, now, rules):
        return False
    skilled = entry.topic is None or entry.topic in agent.skills or bool(entry.priority)
    return skilled or now - entry.enqueued_at >= rules.skill_wait_s


def next_for(agent: Agent, entries: list[Waiting], now: float,
             rules: RoutingRules) -> Waiting | None:
    """The conversation this agent should take next, if any."""
    return next((w for w in order(entries) if may_take(agent, w, now, rules)), None)


def position(entry_id: str, entries: list[Waiting]) -> int | None:
    """1-based place in its own queue's service order (None: no longer waiting)."""
    mine = next((w for w in entries if w.id == entry_id), None)
    if mine is None:
        return None
    same = order([w for w in entries if w.queue == mine.queue])
    return same.index(mine) + 1


def expected_wait_s(place: int, agents: list[Agent], queue: str,
                    rules: RoutingRules) -> float:
    """A plain estimate: the entries ahead shared over the agents on duty for the queue
    (available, busy or in wrap-up), each taking the average handling time."""
    on_duty = [a for a in agents if a.state != "away" and (queue in a.queues or
                                                            "ddh" in a.queues)]
    if not on_duty:
        return math.inf
    return math.ceil(place / len(on_duty)) * rules.handle_time_s


def spoken_wait(seconds: float) -> str | None:
    """"cirka 5 minutter" (rounded up to whole minutes), or None when unknown."""
    if not math.isfinite(seconds):
        return None
    minutes = max(1, math.ceil(seconds / 60))
    return "cirka 1 minut" if minutes == 1 else f"cirka {minutes} minutter"
