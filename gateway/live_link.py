"""The live part of a conversation across gateway processes: citizen ↔ agent.

Once an agent has taken a chat over, the citizen's socket and the agent's console may
sit on different processes (a balancer without sticky sessions). The chat log in the
store holds every event; this link carries them live: each process that has a
citizen's socket or the agent of a conversation watches it, and an event appended on
one process reaches the others within milliseconds. With `DDH_REDIS_URL` it is Redis
pub/sub (channel `ddh:conv:<id>`, one pattern subscription per process: a socket
opening or closing costs Redis nothing; only live conversations publish, so every
process reading every live event is cheap); without it there is one process, and the
link has nothing to carry. A dead Redis costs liveness, not data: the page's `resume` and the
console's transcript read the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from ddh.logging import get_logger

log = get_logger(__name__)
Handler = Callable[[dict[str, Any], dict[str, Any]], Awaitable[None]]


class LiveLink:
    """In one process: everything is local already, so nothing is carried."""

    async def publish(self, conversation: str, event: dict[str, Any],
                      meta: dict[str, Any] | None = None) -> None:
        return None

    def watch(self, conversation: str, handler: Handler) -> None:
        return None

    def unwatch(self, conversation: str, handler: Handler) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisLink(LiveLink):
    """Redis pub/sub between the gateway processes (one subscriber per process)."""

    PREFIX = "ddh:conv:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.redis = redis.Redis.from_url(url)
        self.origin = uuid.uuid4().hex  # this process: its own events are not replayed
        self.handlers: dict[str, set[Handler]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[Any]] = set()

    async def publish(self, conversation: str, event: dict[str, Any],
                      meta: dict[str, Any] | None = None) -> None:
        body = json.dumps({"origin": self.origin, "event": event, "meta": meta or {}},
                          ensure_ascii=False)
        try:
            await self.redis.publish(self.PREFIX + conversation, body)
        except Exception as exc:  # Redis down: the store still has it (resume)
            log.warning("live_link.publish_failed", error=str(exc)[:200])

    def _later(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def watch(self, conversation: str, handler: Handler) -> None:
        self.handlers.setdefault(conversation, set()).add(handler)
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            self._later(self._subscribe())

    def unwatch(self, conversation: str, handler: Handler) -> None:
        handlers = self.handlers.get(conversation)
        if handlers is None:
            return
        handlers.discard(handler)
        if not handlers:
            del self.handlers[conversation]

    async def _subscribe(self) -> None:
        try:
            await self._pubsub.psubscribe(self.PREFIX + "*")
        except Exception as exc:  # Redis down: redis-py subscribes again on reconnect
            log.warning("live_link.subscribe_failed", error=str(exc)[:200])
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception as exc:  # Redis went away: try again shortly
                log.warning("live_link.read_failed", error=str(exc)[:200])
                await asyncio.sleep(1.0)
                if not self._pubsub.patterns:  # the first subscription never got through
                    with contextlib.suppress(Exception):
                        await self._pubsub.psubscribe(self.PREFIX + "*")
                continue
            if message is None or message.get("type") not in ("message", "pmessage"):
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            data = json.loads(message["data"])
            if data.get("origin") == self.origin:
                continue
            for handler in list(self.handlers.get(channel.removeprefix(self.PREFIX), ())):
                try:
                    await handler(data["event"], data.get("meta") or {})
                except Exception as exc:  # one bad handler does not stop the link
                    log.error("live_link.handler_failed", error=repr(exc)[:200])

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.redis.aclose()


def make_link(redis_url: str | None) -> LiveLink:
    return RedisLink(redis_url) if redis_url else LiveLink()
