"""Where queues and presence live: in this process, or in Redis for several processes.

The embedded default keeps them in memory. With `DDH_REDIS_URL` every gateway process
shares them through Redis, so a citizen on one process can be taken by an agent
connected to another. The one operation that must be atomic is `claim`: two agents
clicking "accept" on the same conversation — exactly one gets it (a Lua script in
Redis, a lock in memory).
"""

from __future__ import annotations

import threading
from typing import Protocol

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


class MemoryBackend:
    """One process's queues (the embedded default)."""

    def __init__(self) -> None:
        self._waiting: dict[str, Waiting] = {}
        self._claimed: dict[str, str] = {}
        self._agents: dict[str, Agent] = {}
        self._lock = threading.Lock()

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
            return entry

    def remove(self, entry_id: str) -> bool:
        with self._lock:
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


_CLAIM = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return v
"""


class RedisBackend:
    """Queues and presence in Redis hashes (`<prefix>waiting`, `claimed`, `agents`)."""

    def __init__(self, url: str, prefix: str = "ddh:") -> None:
        import redis

        self.r = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.k_waiting, self.k_claimed, self.k_agents = (
            f"{prefix}waiting", f"{prefix}claimed", f"{prefix}agents")
        self._claim = self.r.register_script(_CLAIM)

    def enqueue(self, entry: Waiting) -> None:
        if not self.r.hexists(self.k_claimed, entry.id):
            self.r.hsetnx(self.k_waiting, entry.id, entry.to_json())

    def waiting(self) -> list[Waiting]:
        return [Waiting.from_json(v) for v in self.r.hvals(self.k_waiting)]

    def claim(self, entry_id: str, agent_id: str) -> Waiting | None:
        raw = self._claim(keys=[self.k_waiting, self.k_claimed], args=[entry_id, agent_id])
        return Waiting.from_json(raw) if raw else None

    def remove(self, entry_id: str) -> bool:
        return bool(self.r.hdel(self.k_waiting, entry_id))

    def put_agent(self, agent: Agent) -> None:
        self.r.hset(self.k_agents, agent.id, agent.to_json())

    def agent(self, agent_id: str) -> Agent | None:
        raw = self.r.hget(self.k_agents, agent_id)
        return Agent.from_json(raw) if raw else None

    def agents(self) -> list[Agent]:
        return [Agent.from_json(v) for v in self.r.hvals(self.k_agents)]

    def ping(self) -> None:
        self.r.ping()


def make_backend(redis_url: str | None) -> QueueBackend:
    return RedisBackend(redis_url) if redis_url else MemoryBackend()
