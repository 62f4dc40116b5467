"""Where queues and presence live: in this process, or in Redis for several processes.

The embedded default keeps them in memory. With `DDH_REDIS_URL` every gateway process
shares them through Redis, so a citizen on one process can be taken by an agent
connected to another. The operations that must be atomic are `claim` — two agents
clicking "accept" on the same conversation: exactly one gets it — and `make_offer`: a
conversation is offered to one agent at a time and an agent gets one offer at a time,
whichever process offers (Lua scripts in Redis, a lock in memory). Offers, the passes
agents made on entries (handoff/offers.py) and the consoles' heartbeats live here too.
"""

from __future__ import annotations

import math
import threading
from typing import Protocol

from handoff.offers import Offer
from handoff.queues import Agent, Waiting


class QueueBackend(Protocol):
    def enqueue(self, entry: Waiting) -> None: ...

    def waiting(self) -> list[Waiting]: ...

    def claim(self, entry_id: str, agent_id: str) -> Waiting | None: ...

    def remove(self, entry_id: str) -> bool: ...

    def put_agent(self, agent: Agent) -> None: ...

    def agent(self, agent_id: str) -> Agent | None: ...

    def agents(self) -> list[Agent]: ...

    def ping(self) -> None: ...

    # offers (handoff/offers.py)
    def offers(self) -> list[Offer]: ...

    def make_offer(self, offer: Offer) -> bool: ...

    def withdraw(self, entry_id: str, agent_id: str, at: float) -> bool: ...

    def passes(self) -> dict[str, dict[str, float]]: ...

    def requeue(self, entry: Waiting, agent_id: str) -> bool:
        """Back in the queue (its place kept), unless another agent has claimed it."""
        ...

    def claimed_by(self, entry_id: str) -> str | None: ...

    def touch(self, agent_ids: list[str], at: float) -> None: ...

    def seen(self) -> dict[str, float]: ...


def _passes(raw: str) -> dict[str, float]:
    """Agent@when items, one a line ("bo@inf": for good) → {agent: when}."""
    out: dict[str, float] = {}
    for item in raw.split("\n"):
        agent, _, at = item.rpartition("@")
        if agent:
            out[agent] = float(at)
    return out


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class MemoryBackend:
    """One process's queues (the embedded default)."""

    def __init__(self) -> None:
        self._waiting: dict[str, Waiting] = {}
        self._claimed: dict[str, str] = {}
        self._agents: dict[str, Agent] = {}
        self._offers: dict[str, Offer] = {}  # entry → its pending offer
        self._passes: dict[str, dict[str, float]] = {}  # entry → agent → when
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def _drop_offer(self, entry_id: str) -> None:
        self._offers.pop(entry_id, None)
        self._passes.pop(entry_id, None)

    def enqueue(self, entry: Waiting) -> None:
        with self._lock:
            if entry.id not in self._claimed:
                self._waiting.setdefault(entry.id, entry)

    def waiting(self) -> list[Waiting]:
        with self._lock:
            return list(self._waiting.values())

    def claim(self, entry_id: str, agent_id: str) -> Waiting | None:
        with self._lock:
            entry = self._waiting.pop(entry_id, None)
            if entry is not None:
                self._claimed[entry_id] = agent_id
                self._drop_offer(entry_id)
            return entry

    def remove(self, entry_id: str) -> bool:
        with self._lock:
            self._drop_offer(entry_id)
            return self._waiting.pop(entry_id, None) is not None

    def put_agent(self, agent: Agent) -> None:
        with self._lock:
            self._agents[agent.id] = agent

    def agent(self, agent_id: str) -> Agent | None:
        with self._lock:
            return self._agents.get(agent_id)

    def agents(self) -> list[Agent]:
        with self._lock:
            return list(self._agents.values())

    def ping(self) -> None:
        return None

    def offers(self) -> list[Offer]:
        with self._lock:
            return list(self._offers.values())

    def make_offer(self, offer: Offer) -> bool:
        with self._lock:
            if offer.entry not in self._waiting or offer.entry in self._offers or \
                    any(o.agent == offer.agent for o in self._offers.values()):
                return False
            self._offers[offer.entry] = offer
            return True

    def withdraw(self, entry_id: str, agent_id: str, at: float) -> bool:
        with self._lock:
            offer = self._offers.get(entry_id)
            if offer is None or offer.agent != agent_id:
                return False
            del self._offers[entry_id]
            self._passes.setdefault(entry_id, {})[agent_id] = at
            return True

    def passes(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {e: dict(p) for e, p in self._passes.items()}

    def requeue(self, entry: Waiting, agent_id: str) -> bool:
        with self._lock:
            # not known as claimed (this process restarted): the store's word is taken
            if self._claimed.get(entry.id, agent_id) != agent_id:
                return False
            self._claimed.pop(entry.id, None)
            self._waiting.setdefault(entry.id, entry)  # rebuilt from the store already
            self._passes.setdefault(entry.id, {})[agent_id] = math.inf
            return True

    def claimed_by(self, entry_id: str) -> str | None:
        with self._lock:
            return self._claimed.get(entry_id)

    def touch(self, agent_ids: list[str], at: float) -> None:
        with self._lock:
            self._seen.update(dict.fromkeys(agent_ids, at))

    def seen(self) -> dict[str, float]:
        with self._lock:
            return dict(self._seen)


# The entry's offer withdrawn (from both sides of the offer index) and its passes
# forgotten; the key positions are filled in per script.
_DROP_OFFER = """
local o = redis.call('HGET', KEYS[{offers}], ARGV[1])
if o then
  local a = cjson.decode(o)['agent']
  redis.call('HDEL', KEYS[{offers}], ARGV[1])
  if redis.call('HGET', KEYS[{agents}], a) == ARGV[1] then
    redis.call('HDEL', KEYS[{agents}], a)
  end
end
redis.call('HDEL', KEYS[{passes}], ARGV[1])
"""
# KEYS: waiting, claimed, offers, offer_agents, passes; ARGV: entry, agent
_CLAIM = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
""" + _DROP_OFFER.format(offers=3, agents=4, passes=5) + """
end
return v
"""
# KEYS: waiting, offers, offer_agents, passes; ARGV: entry
_REMOVE = _DROP_OFFER.format(offers=2, agents=3, passes=4) + """
return redis.call('HDEL', KEYS[1], ARGV[1])
"""
# One offer per conversation and per agent, and only while it waits.
# KEYS: waiting, offers, offer_agents; ARGV: entry, agent, offer JSON
_OFFER = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[3], ARGV[2], ARGV[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[2])
  return 0
end
return 1
"""
# KEYS: offers, offer_agents, passes; ARGV: entry, agent, at
_WITHDRAW = """
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[2])
local p = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], (p and (p .. '\\n') or '') .. ARGV[2] .. '@' .. ARGV[3])
return 1
"""
# KEYS: waiting, claimed, passes; ARGV: entry, agent, entry JSON
_REQUEUE = """
local c = redis.call('HGET', KEYS[2], ARGV[1])
if c and c ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3])
local p = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], (p and (p .. '\\n') or '') .. ARGV[2] .. '@inf')
return 1
"""


class RedisBackend:
    """Queues and presence in Redis hashes (`<prefix>waiting`, `claimed`, `agents`;
    offers: `offers` entry → offer, `offer_agents` agent → entry, `passes`, `seen`)."""

    def __init__(self, url: str, prefix: str = "ddh:") -> None:
        import redis

        self.r = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.k_waiting, self.k_claimed, self.k_agents = (
            f"{prefix}waiting", f"{prefix}claimed", f"{prefix}agents")
        self.k_offers, self.k_offer_agents, self.k_passes, self.k_seen = (
            f"{prefix}offers", f"{prefix}offer_agents", f"{prefix}passes", f"{prefix}seen")
        self._claim = self.r.register_script(_CLAIM)
        self._remove = self.r.register_script(_REMOVE)
        self._offer = self.r.register_script(_OFFER)
        self._withdraw = self.r.register_script(_WITHDRAW)
        self._requeue = self.r.register_script(_REQUEUE)

    def enqueue(self, entry: Waiting) -> None:
        if not self.r.hexists(self.k_claimed, entry.id):
            self.r.hsetnx(self.k_waiting, entry.id, entry.to_json())

    def waiting(self) -> list[Waiting]:
        return [Waiting.from_json(v) for v in self.r.hvals(self.k_waiting)]

    def claim(self, entry_id: str, agent_id: str) -> Waiting | None:
        raw = self._claim(keys=[self.k_waiting, self.k_claimed, self.k_offers,
                                self.k_offer_agents, self.k_passes], args=[entry_id, agent_id])
        return Waiting.from_json(raw) if raw else None

    def remove(self, entry_id: str) -> bool:
        return bool(self._remove(keys=[self.k_waiting, self.k_offers, self.k_offer_agents,
                                       self.k_passes], args=[entry_id]))

    def put_agent(self, agent: Agent) -> None:
        self.r.hset(self.k_agents, agent.id, agent.to_json())

    def agent(self, agent_id: str) -> Agent | None:
        raw = self.r.hget(self.k_agents, agent_id)
        return Agent.from_json(raw) if raw else None

    def agents(self) -> list[Agent]:
        return [Agent.from_json(v) for v in self.r.hvals(self.k_agents)]

    def ping(self) -> None:
        self.r.ping()

    def offers(self) -> list[Offer]:
        return [Offer.from_json(v) for v in self.r.hvals(self.k_offers)]

    def make_offer(self, offer: Offer) -> bool:
        return bool(self._offer(keys=[self.k_waiting, self.k_offers, self.k_offer_agents],
                                args=[offer.entry, offer.agent, offer.to_json()]))

    def withdraw(self, entry_id: str, agent_id: str, at: float) -> bool:
        return bool(self._withdraw(keys=[self.k_offers, self.k_offer_agents, self.k_passes],
                                   args=[entry_id, agent_id, repr(at)]))

    def passes(self) -> dict[str, dict[str, float]]:
        return {_text(k): _passes(_text(v)) for k, v in self.r.hgetall(self.k_passes).items()}

    def requeue(self, entry: Waiting, agent_id: str) -> bool:
        return bool(self._requeue(keys=[self.k_waiting, self.k_claimed, self.k_passes],
                                  args=[entry.id, agent_id, entry.to_json()]))

    def claimed_by(self, entry_id: str) -> str | None:
        raw = self.r.hget(self.k_claimed, entry_id)
        return _text(raw) if raw else None

    def touch(self, agent_ids: list[str], at: float) -> None:
        if agent_ids:
            self.r.hset(self.k_seen, mapping=dict.fromkeys(agent_ids, repr(at)))

    def seen(self) -> dict[str, float]:
        return {_text(k): float(v) for k, v in self.r.hgetall(self.k_seen).items()}


def make_backend(redis_url: str | None) -> QueueBackend:
    return RedisBackend(redis_url) if redis_url else MemoryBackend()
