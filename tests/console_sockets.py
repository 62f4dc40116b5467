"""Agents' console sockets and queued citizens over real WebSockets, shared by the
desk and console-tools tests: sign in by the real login route, open the real agent
socket with the session cookie, and await events by kind.

Queue frames (whole views every two seconds, or changes) are skipped by `until`; any other
event that arrives before the one awaited (an offer pushed before the `accepted` that
made room for it) is kept for a later `until`, never lost.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import websockets

PASSWORD = "korrekt-hest-batteri"
ASK = "jeg vil gerne tale med en medarbejder om min digitale post"


class Socket:
    """A WebSocket with the events kept that were read before they were awaited."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.kept: list[dict] = []

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        await self.ws.close()


async def until(sock: Socket, match: Callable[[dict], bool], within_s: float = 20.0) -> dict:
    """The first event that matches, kept or new, within `within_s` in all."""
    for i, event in enumerate(sock.kept):
        if match(event):
            return sock.kept.pop(i)
    async with asyncio.timeout(within_s):
        while True:
            event = json.loads(await sock.ws.recv())
            if match(event):
                return event
            if event.get("type") not in ("queue", "queue_delta"):
                sock.kept.append(event)


def kind(name: str, **fields: Any) -> Callable[[dict], bool]:
    """Matches an event of type `name` whose `fields` have the given values."""
    return lambda e: e.get("type") == name and all(e.get(k) == v for k, v in fields.items())


def signed_in(url: str, username: str) -> httpx.Client:
    """An HTTP client signed in as `username`, with the CSRF header set."""
    client = httpx.Client(base_url=url)
    r = client.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    client.headers["X-CSRF-Token"] = r.json()["csrf"]
    return client


async def console(url: str, username: str, view: str = "whole") -> Socket:
    """The agent console's socket of `username`, signed in by the real login route;
    `view="delta"` asks for queue changes, as the console page does."""
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{url}/api/agent/login",
                            json={"username": username, "password": PASSWORD})
        r.raise_for_status()
    return Socket(await websockets.connect(
        url.replace("http", "ws") + f"/api/agent/ws?view={view}",
        additional_headers={"Cookie": f"ddh_session={r.cookies['ddh_session']}"}))


async def citizen(url: str, municipality: str = "0849") -> tuple[str, Socket]:
    """A citizen who asks for a person and is queued: (conversation, their socket)."""
    async with httpx.AsyncClient() as http:
        conv = (await http.post(f"{url}/api/chat/conversations",
                                json={"municipality": municipality})).json()
    ws = Socket(await websockets.connect(url.replace("http", "ws") + conv["websocket"]))
    await ws.send({"type": "message", "id": "m1", "text": ASK})
    queued = await until(ws, lambda e: e.get("role") == "bot")
    assert queued["action"] == "handoff", queued
    return conv["id"], ws
