"""A chat client that behaves as the citizen page does (CONTRACT.md §4), for fault tests.

It sends its messages one after the other; whenever its socket closes or cannot be
opened (a restart, a process killed, a balancer switching), it reconnects, resumes
from the last sequence number it saw and re-sends the message that has no reply yet,
with the same id. It records every reply it got, so that a test can count replies
delivered, duplicates and losses.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import websockets


@dataclass
class Conversation:
    id: str
    replies: dict[str, list[dict]] = field(default_factory=dict)  # message id → replies
    closes: list[int | None] = field(default_factory=list)
    last_seq: int = 1  # the greeting
    # seconds from a lost socket to the next one open (a reconnect, as the page does)
    reconnects: list[float] = field(default_factory=list)


async def converse(base: Callable[[], str], conv: Conversation, messages: list[str],
                   fresh_socket_per_message: bool = False, tries: int = 120,
                   think: Callable[[], float] | None = None) -> None:
    """Send `messages` (ids `<conversation>-<n>`) and wait for each reply; `think`:
    seconds to wait before each message."""
    lost: float | None = None
    for n, text in enumerate(messages):
        mid = f"{conv.id}-{n}"
        if think is not None:
            await asyncio.sleep(think())
        for _ in range(tries):
            try:
                url = base().replace("http://", "ws://") + f"/api/chat/ws/{conv.id}"
                async with websockets.connect(url, open_timeout=10) as sock:
                    if lost is not None:
                        conv.reconnects.append(time.monotonic() - lost)
                        lost = None
                    await sock.send(json.dumps({"type": "resume", "since": conv.last_seq}))
                    await sock.send(json.dumps({"type": "message", "id": mid, "text": text}))
                    while mid not in conv.replies:
                        ev = json.loads(await asyncio.wait_for(sock.recv(), 30))
                        if ev.get("seq"):
                            conv.last_seq = max(conv.last_seq, ev["seq"])
                        if ev["type"] == "message" and ev.get("role") == "bot" and \
                                ev.get("reply_to"):
                            conv.replies.setdefault(ev["reply_to"], []).append(ev)
                        if ev["type"] == "error" and ev.get("reply_to") == mid:
                            raise RuntimeError(f"{mid}: {ev}")
                if fresh_socket_per_message or mid in conv.replies:
                    break
            except (websockets.ConnectionClosed, websockets.InvalidStatus, OSError,
                    TimeoutError) as exc:
                rcvd = getattr(exc, "rcvd", None)
                conv.closes.append(getattr(rcvd, "code", None))
                lost = lost if lost is not None else time.monotonic()
                await asyncio.sleep(0.3)
        else:
            raise AssertionError(f"{mid}: no reply after {tries} tries")


async def ask(base: str, cid: str, mid: str, text: str) -> dict:
    """One message on a new socket: the bot's reply, or the error it got."""
    url = base.replace("http://", "ws://") + f"/api/chat/ws/{cid}"
    async with websockets.connect(url) as sock:
        await sock.send(json.dumps({"type": "message", "id": mid, "text": text}))
        while True:
            ev = json.loads(await asyncio.wait_for(sock.recv(), 20))
            if ev["type"] == "error" or (ev["type"] == "message" and ev["role"] == "bot"):
                return ev
