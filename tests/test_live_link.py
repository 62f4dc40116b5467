"""Citizen and agent on different gateway processes (issue 17): the citizen's socket on
one, the agent's console on the other, one store and one Redis. The takeover, the
agent's words and the citizen's replies cross between them live.

Real components: two real uvicorn servers, a real `redis-server`, the real frontdesk,
the real console protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import websockets

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.desk import HandoffDesk
from store.outcomes import OutcomeStore, database_url
from tests.servers import redis_server, serve_app

PASSWORD = "korrekt-hest-batteri"
MORNING = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


async def until(ws, match, per_event_s: float = 20.0) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), per_event_s))
        if match(event):
            return event


@contextlib.contextmanager
def two_gateways(knowledge, tmp_path) -> Iterator[tuple[str, str, str]]:
    """Two gateway processes on one store and one Redis; (url one, url two, the
    session cookie of agent Anne, signed in on two)."""
    url_db = database_url(None, tmp_path)
    Accounts(OutcomeStore(url_db)).add("anne", "Anne Agent", "agent", "0849",
                                       ("digital-post",), PASSWORD)
    with redis_server() as redis:
        settings = knowledge.settings.model_copy(update={"redis_url": redis})

        def gateway():
            desk = Frontdesk(knowledge, OutcomeStore(url_db),
                             handoffs=HandoffDesk.from_settings(settings))
            return create_app(settings, frontdesk=desk,
                              clock=lambda: MORNING + timedelta(seconds=1))

        with serve_app(gateway()) as one, serve_app(gateway()) as two:
            login = httpx.post(f"{two}/api/agent/login",
                               json={"username": "anne", "password": PASSWORD})
            login.raise_for_status()
            yield one, two, login.cookies["ddh_session"]


async def taken_over(one: str, two: str, cookie: str) -> tuple[Any, Any, str]:
    """A citizen on `one` asks for a person; Anne on `two` takes the chat. (citizen
    socket, agent socket, conversation id)"""
    async with httpx.AsyncClient() as http:
        conv = (await http.post(f"{one}/api/chat/conversations",
                                json={"municipality": "0849"})).json()
    agent = await websockets.connect(two.replace("http", "ws") + "/api/agent/ws",
                                     additional_headers={"Cookie": f"ddh_session={cookie}"})
    citizen = await websockets.connect(one.replace("http", "ws") + conv["websocket"])
    await citizen.send(json.dumps({"type": "message", "id": "m1",
                                   "text": "kan jeg tale med en medarbejder om digital post"}))
    queued = await until(citizen, lambda e: e.get("role") == "bot")
    assert queued["action"] == "handoff"
    view = await until(agent, lambda e: e.get("type") == "queue" and any(
        x["conversation"] == conv["id"] for x in e["entries"]))
    entry = next(x for x in view["entries"] if x["conversation"] == conv["id"])
    await agent.send(json.dumps({"type": "accept", "id": entry["id"]}))
    await until(agent, lambda e: e.get("type") == "accepted")
    # the takeover reaches the citizen's process
    await until(citizen, lambda e: e.get("type") == "agent_joined")
    return citizen, agent, conv["id"]


def test_citizen_and_agent_on_two_processes(knowledge, tmp_path):
    with two_gateways(knowledge, tmp_path) as (one, two, cookie):
        async def scenario() -> None:
            citizen, agent, cid = await taken_over(one, two, cookie)
            conv = {"id": cid}
            await agent.send(json.dumps({"type": "message", "conversation": conv["id"],
                                         "text": "Hej, det er Anne. Hvad drejer det sig om?"}))
            said = await until(citizen, lambda e: e.get("role") == "agent")
            assert "Anne" in said["text"]
            # the citizen answers on their process; the agent gets it on theirs
            await citizen.send(json.dumps({"type": "message", "id": "m2",
                                           "text": "Jeg kan ikke åbne min post"}))
            mine = await until(citizen, lambda e: e.get("id") == "m2")
            assert mine["role"] == "citizen"
            got = await until(agent, lambda e: e.get("type") == "message" and
                              e.get("role") == "citizen")
            assert got["conversation"] == conv["id"] and "post" in got["text"]
            # the agent's console reconnects to the other process (a restart, the
            # balancer) and goes on there: the store knows who took the chat
            await agent.close()
            agent = await websockets.connect(
                one.replace("http", "ws") + "/api/agent/ws",
                additional_headers={"Cookie": f"ddh_session={cookie}"})
            await agent.send(json.dumps({"type": "message", "conversation": conv["id"],
                                         "text": "Prøv at logge ud og ind igen."}))
            again = await until(citizen, lambda e: e.get("role") == "agent" and
                    e["type"] == "message")
            assert "logge ud" in again["text"]
            await agent.send(json.dumps({"type": "wrapup", "conversation": conv["id"],
                                         "outcome": "resolved_agent"}))
            await until(citizen, lambda e: e.get("type") == "agent_left")
            await agent.close()
            await citizen.close()

        asyncio.run(scenario())


def test_typing_and_presence_cross_processes_and_are_not_logged(knowledge, tmp_path):
    """The citizen writing shows in the agent's console, the agent writing on the
    citizen's page, and the page closing or coming back in the console, each on the
    other process; none of it is logged, and typing is passed on once a second."""
    with two_gateways(knowledge, tmp_path) as (one, two, cookie):
        async def scenario() -> None:
            citizen, agent, cid = await taken_over(one, two, cookie)
            for _ in range(5):  # a burst of key presses: one sign a second
                await citizen.send(json.dumps({"type": "typing"}))
            sign = await until(agent, lambda e: e.get("type") == "typing")
            assert sign == {"type": "typing", "role": "citizen", "conversation": cid}
            await agent.send(json.dumps({"type": "typing", "conversation": cid}))
            shown = await until(citizen, lambda e: e.get("type") == "typing")
            assert shown["role"] == "agent" and shown["name"] == "Anne Agent"
            # the burst gave one sign: the next thing the agent gets is the page closing
            await citizen.close()
            gone = await until(agent, lambda e: e.get("type") in ("typing", "presence"))
            assert gone == {"type": "presence", "role": "citizen", "online": False,
                            "conversation": cid}
            citizen = await websockets.connect(f"{one.replace('http', 'ws')}/api/chat/ws/{cid}")
            back = await until(agent, lambda e: e.get("type") == "presence")
            assert back["online"] is True
            # the agent's console goes (a reload): the citizen's page is told, and again
            # when it is back
            await agent.close()
            away = await until(citizen, lambda e: e.get("type") == "presence")
            assert away == {"type": "presence", "role": "agent", "online": False,
                            "name": "Anne Agent"}
            agent = await websockets.connect(
                two.replace("http", "ws") + "/api/agent/ws",
                additional_headers={"Cookie": f"ddh_session={cookie}"})
            here = await until(citizen, lambda e: e.get("type") == "presence")
            assert here["online"] is True
            async with httpx.AsyncClient() as http:
                for url in (one, two):
                    logged = (await http.get(
                        f"{url}/api/chat/conversations/{cid}/messages")).json()
                    assert not [e for e in logged if e["type"] in ("typing", "presence")]
                    assert all("seq" in e for e in logged)
            await agent.close()
            await citizen.close()

        asyncio.run(scenario())
