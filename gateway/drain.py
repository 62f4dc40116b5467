"""Graceful drain: a gateway asked to stop (SIGTERM on a deploy) finishes what it started.

Like LiveKit's `Worker.drain()`: on the first signal the process stops taking new work
— `/readyz` answers 503 at once so the balancer sends citizens elsewhere, new chats
and new sockets are refused with "reconnect now" (1012) — while the turns in flight
finish and their replies reach the citizens over their open sockets. Then uvicorn's own
shutdown closes the remaining sockets with 1012, and the pages reconnect to another
process (or to this one, restarted), resuming from the store. A second signal stops at
once; `DDH_DRAIN_TIMEOUT_S` bounds the wait. Live calls may go on until the last
seconds of it; then each is handed over (the caller hears why, and their need goes to
a person: a transfer or a ticket), never cut mid-sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import FrameType
from typing import Any

import uvicorn

from ddh.logging import get_logger

log = get_logger(__name__)
HAND_OVER_S = 10.0  # of the drain timeout, kept for saying goodbye to calls still live


class Drain:
    """The draining flag and the work in flight of one gateway process."""

    def __init__(self) -> None:
        self.draining = False
        self.since: float | None = None
        self.in_flight = 0
        self._idle: asyncio.Event | None = None
        # Run when work outlives the drain (live calls): they end it gracefully.
        self.overdue: list[Callable[[], Awaitable[None]]] = []

    def _event(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            if self.in_flight == 0:
                self._idle.set()
        return self._idle

    @contextlib.asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        """Around a citizen's turn: drain waits for it."""
        self.in_flight += 1
        self._event().clear()
        try:
            yield
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._event().set()

    def start(self) -> None:
        if not self.draining:
            self.draining, self.since = True, time.monotonic()
            log.info("gateway.draining", in_flight=self.in_flight)

    async def finished(self, timeout_s: float) -> bool:
        """Wait until no work is in flight; False when `timeout_s` ran out first."""
        try:
            await asyncio.wait_for(self._event().wait(), timeout_s)
            return True
        except TimeoutError:
            return False


class DrainingServer(uvicorn.Server):
    """uvicorn, draining the app (`app.state.drain`) on the first SIGTERM or SIGINT
    before its own shutdown; a second signal exits at once."""

    def __init__(self, config: uvicorn.Config, drain: Drain, timeout_s: float) -> None:
        super().__init__(config)
        self.drain = drain
        self.timeout_s = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining: asyncio.Task[None] | None = None

    async def startup(self, sockets: Any = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain.draining or self._loop is None:
            log.warning("gateway.stop_now", signal=signal.Signals(sig).name)
            self.force_exit = True
            self.should_exit = True
            return
        self.drain.start()
        self._loop.call_soon_threadsafe(self._begin)

    def _begin(self) -> None:
        self._draining = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        grace = min(HAND_OVER_S, self.timeout_s / 3)
        done = await self.drain.finished(self.timeout_s - grace)
        if not done:  # calls still going: handed over, with a word, before the end
            log.info("gateway.handing_over", in_flight=self.drain.in_flight)
            for hook in self.drain.overdue:
                try:
                    await hook()
                except Exception as exc:
                    log.error("gateway.hand_over_failed", error=repr(exc)[:200])
            done = await self.drain.finished(grace)
        log.info("gateway.drained", complete=done, in_flight=self.drain.in_flight)
        self.should_exit = True
