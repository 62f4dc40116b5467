"""A scripted, OpenAI-compatible chat-completions server on a real loopback socket.

Tests of the LLM mode talk to it through the real `openai` client, so timeouts, HTTP
errors and malformed bodies happen on the wire as they would with a real endpoint; the
privacy suite uses it to capture every request the LLM mode sends.
Each request takes the next scripted reply (a `Reply`, or a function of the request
for a "model" that obeys instructions planted in its input); every request is
recorded so tests can assert what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Reply:
    """One scripted response. `raw` replaces the OpenAI envelope with a body as-is."""

    content: str | None = None
    status: int = 200
    delay: float = 0.0
    raw: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        return cls(content=json.dumps(obj, ensure_ascii=False), **kw)


Responder = Callable[["Recorded"], Reply]


@dataclass
class Recorded:
    """A request as it arrived: path, headers, the raw body and its JSON."""

    path: str
    headers: dict[str, str]
    body: bytes
    json: dict[str, Any] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.json.get("messages", []))

    def message(self, role: str) -> str:
        return next(m["content"] for m in self.messages if m["role"] == role)


class FakeOpenAI:
    """`with FakeOpenAI() as fake: fake.script(Reply.json({...}))`; `fake.url` is the
    base URL to configure (it ends in /v1, like the real one)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queue: deque[Reply | Responder] = deque()
        self.default: Reply | Responder | None = None  # when nothing is scripted
        self._closing = False
        # Set on `stop` (from the test's thread, through the server's loop): cuts delays short.
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | Responder) -> None:
        self._queue.extend(replies)

    # --- the server --------------------------------------------------------------------

    async def _completions(self, request: Request) -> Response:
        body = await request.body()
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        rec = Recorded(request.url.path, dict(request.headers), body, data)
        self.requests.append(rec)
        if not self._queue and self.default is None:
            return JSONResponse({"error": {"message": "no scripted reply"}}, status_code=500)
        step = self._queue.popleft() if self._queue else self.default
        assert step is not None
        reply = step if isinstance(step, Reply) else step(rec)
        await self._pause(reply.delay)
        if reply.raw is not None:
            return Response(reply.raw, status_code=reply.status,
                            media_type="application/json" if reply.raw.startswith("{")
                            else "text/html")
        if reply.status != 200:
            return JSONResponse({"error": {"message": "scripted failure", "type": "server_error"}},
                                status_code=reply.status)
        return JSONResponse({
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": data.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": reply.finish_reason, "logprobs": None,
                         "message": {"role": "assistant", "content": reply.content,
                                     "refusal": reply.refusal}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        })

    async def _pause(self, seconds: float) -> None:
        """Wait out a scripted delay, cut short when the server stops (interruptible on
        shutdown, so a test that scripts a slow reply does not hold up its teardown)."""
        self._loop = asyncio.get_running_loop()  # before reading `_closing`: see `stop`
        if seconds <= 0 or self._closing:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def start(self) -> FakeOpenAI:
        app = Starlette(routes=[Route("/v1/chat/completions", self._completions,
                                      methods=["POST"])])
        # Bind first and hand the socket to uvicorn: no race for a "free" port.
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(
            app, log_config=None, lifespan="off", timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._closing = True  # a request that has not yet reached its pause skips it
        if self._loop is not None and not self._loop.is_closed():
            # asyncio.Event is not thread-safe: set it on the server's own loop.
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._stopping.set)
        if self._server is not None:
            self._server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
