"""The chat channel over a real server: open, stream, resume, duplicates, limits, origin."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from store.outcomes import OutcomeStore, database_url
from tests.servers import serve_app


@pytest.fixture(scope="module")
def server(knowledge, tmp_path_factory):
    settings = knowledge.settings.model_copy(update={
        "chat_rate_limit": 4, "chat_rate_window_s": 30.0, "chat_max_chars": 300,
        "allowed_origins": ["https://www.aarhus.dk"]})
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("chat")))
    desk = Frontdesk(knowledge, store)
    with serve_app(create_app(settings, frontdesk=desk)) as url:
        yield url, store
    store.close()


def open_chat(url: str, municipality: str | None = "0751") -> dict:
    r = httpx.post(f"{url}/api/chat/conversations", json={"municipality": municipality})
    assert r.status_code == 201, r.text
    return r.json()


async def until_reply(ws, per_event_s: float = 20.0) -> list[dict]:
    events = []
    while True:
        ev = json.loads(await asyncio.wait_for(ws.recv(), per_event_s))
        events.append(ev)
        if ev["type"] == "error" or (ev["type"] == "message" and ev["role"] == "bot"):
            return events


def ws_url(url: str, conv: dict) -> str:
    return url.replace("http://", "ws://") + conv["websocket"]


def test_open_discloses_ai(server):
    url, _ = server
    conv = open_chat(url)
    assert "AI" in conv["greeting"]["text"] and "Aarhus" in conv["greeting"]["text"]
    assert httpx.post(f"{url}/api/chat/conversations",
                      json={"municipality": "9999"}).status_code == 422


def test_message_streams_and_is_recorded(server):
    url, store = server
    conv = open_chat(url)

    async def run():
        async with websockets.connect(ws_url(url, conv)) as ws:
            await ws.send(json.dumps({"type": "message", "id": "m1",
                                      "text": "hvordan bestiller jeg storskrald"}))
            return await until_reply(ws)

    events = asyncio.run(run())
    kinds = [e["type"] for e in events]
    assert kinds[0] == "typing" and "delta" in kinds
    reply = events[-1]
    assert reply["action"] == "answer" and reply["topic"] == "storskrald"
    assert reply["guides"] and reply["guides"][0]["url"].startswith("https://")
    deltas = "".join(e["text"] for e in events if e["type"] == "delta")
    assert deltas.replace(" ", "") == reply["text"].replace(" ", "").replace("\n", "")
    stored = store.conversation(conv["id"])
    assert stored["transcript"][0]["text"] == "hvordan bestiller jeg storskrald"


def test_resume_after_drop_without_duplicates(server):
    url, store = server
    conv = open_chat(url)

    async def run():
        async with websockets.connect(ws_url(url, conv)) as ws:
            await ws.send(json.dumps({"type": "message", "id": "a1",
                                      "text": "jeg har mistet mit pas"}))
            first = await until_reply(ws)
        # The connection dropped; the client reconnects, resumes and re-sends a1.
        async with websockets.connect(ws_url(url, conv)) as ws:
            await ws.send(json.dumps({"type": "resume", "since": 1}))
            replay = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
            await ws.send(json.dumps({"type": "message", "id": "a1",
                                      "text": "jeg har mistet mit pas"}))
            again = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
        return first, replay, again

    first, replay, again = asyncio.run(run())
    assert [e["seq"] for e in replay] == [2, 3]
    assert [e["seq"] for e in again] == [2, 3]  # answered from the log
    assert again[1]["text"] == first[-1]["text"]
    assert store.conversation(conv["id"])["turns"] == 1  # processed once


def test_malformed_frame_closes_only_that_connection(server):
    url, _ = server
    conv = open_chat(url)

    async def run():
        async with websockets.connect(ws_url(url, conv)) as bad, \
                websockets.connect(ws_url(url, conv)) as good:
            await bad.send("{not json")
            err = json.loads(await asyncio.wait_for(bad.recv(), 5))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(bad.recv(), 5)
            await good.send(json.dumps({"type": "message", "id": "g1", "text": "hej"}))
            ok = await until_reply(good)
            return err, closed.value.rcvd.code, ok

    err, code, ok = asyncio.run(run())
    assert err["code"] == "malformed" and code == 1003
    assert ok[-1]["action"] == "clarify"


def test_size_and_rate_limits(server):
    url, _ = server
    conv = open_chat(url)

    async def run():
        async with websockets.connect(ws_url(url, conv)) as ws:
            await ws.send(json.dumps({"type": "message", "id": "big", "text": "x" * 301}))
            too_long = json.loads(await asyncio.wait_for(ws.recv(), 5))
            codes = []
            for i in range(6):
                await ws.send(json.dumps({"type": "message", "id": f"r{i}", "text": "hej"}))
                codes.append((await until_reply(ws))[-1].get("code", "ok"))
            return too_long, codes

    too_long, codes = asyncio.run(run())
    assert too_long["code"] == "too_long"
    assert codes[:4] == ["ok"] * 4 and codes[4:] == ["rate_limited"] * 2


def test_origin_check(server):
    url, _ = server
    conv = open_chat(url)

    async def attempt(origin: str) -> int | None:
        try:
            async with websockets.connect(ws_url(url, conv), origin=origin) as ws:
                await ws.send(json.dumps({"type": "resume", "since": 0}))
                await asyncio.wait_for(ws.recv(), 5)
                return None
        except websockets.InvalidStatus as exc:
            return exc.response.status_code
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else -1

    assert asyncio.run(attempt("https://www.aarhus.dk")) is None
    assert asyncio.run(attempt("https://evil.example")) in (403, 1008)


def test_unknown_conversation_is_refused(server):
    url, _ = server

    async def run():
        try:
            async with websockets.connect(url.replace("http://", "ws://") +
                                          "/api/chat/ws/nope") as ws:
                await asyncio.wait_for(ws.recv(), 5)
        except websockets.InvalidStatus as exc:
            return exc.response.status_code
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code

    assert asyncio.run(run()) in (403, 4404)
