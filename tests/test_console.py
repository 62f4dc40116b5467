"""The console's socket protocol end to end: a citizen chats, an agent accepts, makes a
ticket with a callback number, sends the citizen to the municipality, and the callback
list is scoped by role."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import websockets

from bot.frontdesk import Frontdesk
from ddh.vocabulary import Action
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store.outcomes import OutcomeStore, database_url
from store.records import HandoffPacket
from tests.servers import serve_app

PASSWORD = "korrekt-hest-batteri"


@pytest.fixture(scope="module")
def gateway(knowledge, tmp_path_factory):
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("console")))
    accounts = Accounts(store)
    accounts.add("anne", "Anne Agent", "agent", "0849", ("digital-post",), PASSWORD)
    accounts.add("vera", "Vera Manager", "manager", "0791", (), PASSWORD)
    accounts.add("jens", "Jens Manager", "manager", "0849", (), PASSWORD)
    start = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    app = create_app(knowledge.settings, frontdesk=desk,
                     clock=lambda: start + timedelta(seconds=1))
    with serve_app(app) as url:
        yield url, store, app
    store.close()


def cookie(url: str, username: str) -> str:
    r = httpx.post(f"{url}/api/agent/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return r.cookies["ddh_session"]


async def until(ws, kind: str, per_event_s: float = 15.0) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), per_event_s))
        if event.get("type") == kind:
            return event


def test_ticket_transfer_and_scoped_callback_list(gateway):
    url, store, _ = gateway
    ws_base = url.replace("http://", "ws://")

    async def scenario():
        conv = (await asyncio.to_thread(
            httpx.post, f"{url}/api/chat/conversations", json={"municipality": "0849"})).json()
        agent = await websockets.connect(f"{ws_base}/api/agent/ws", additional_headers={
            "Cookie": f"ddh_session={cookie(url, 'anne')}"})
        citizen = await websockets.connect(ws_base + conv["websocket"])
        await citizen.send(json.dumps({"type": "message", "id": "m1",
                                       "text": "kan jeg tale med en medarbejder om digital post"}))
        view = await until(agent, "queue")
        while not view["entries"]:
            view = await until(agent, "queue")
        await agent.send(json.dumps({"type": "accept", "id": view["entries"][0]["id"]}))
        accepted = await until(agent, "accepted")
        assert accepted["conversation"] == conv["id"]
        await agent.send(json.dumps({"type": "ticket", "conversation": conv["id"],
                                     "target": "0849", "phone": "28123456",
                                     "note": "ring om fritagelse"}))
        ticket = await until(agent, "ticket")
        await agent.send(json.dumps({"type": "transfer", "conversation": conv["id"],
                                     "target": "0849"}))
        moved = await until(agent, "transferred")
        heard = await until(citizen, "message")
        while heard.get("role") != "agent":
            heard = await until(citizen, "message")
        await agent.send(json.dumps({"type": "callbacks"}))
        mine = await until(agent, "callbacks")
        lists = {}
        for manager in ("vera", "jens"):
            async with websockets.connect(f"{ws_base}/api/agent/ws", additional_headers={
                    "Cookie": f"ddh_session={cookie(url, manager)}"}) as ws:
                await ws.send(json.dumps({"type": "callbacks"}))
                lists[manager] = (await until(ws, "callbacks"))["tickets"]
        await agent.send(json.dumps({"type": "wrapup", "conversation": conv["id"],
                                     "outcome": "ticket"}))
        wrapped = await until(agent, "wrapped")
        await agent.close()
        await citizen.close()
        return ticket, moved, heard, mine, lists, wrapped

    ticket, moved, heard, mine, lists, wrapped = asyncio.run(scenario())
    assert ticket["target"] == "0849" and wrapped["ok"]
    assert "Jammerbugt" in moved["text"] and heard["text"] == moved["text"]
    (row,) = [t for t in mine["tickets"] if t["id"] == ticket["id"]]
    assert row["callback_phone"] == "28123456" and row["deliveries"] == ["pending"]
    assert [t["id"] for t in lists["jens"]] == [ticket["id"]]  # his municipality's
    assert lists["vera"] == []  # another municipality's manager sees none of it
    (stored,) = [t for t in store.tickets() if t["id"] == ticket["id"]]
    assert "oprettet af Anne Agent" in stored["summary"]


def test_a_waiting_call_goes_to_an_agent_with_a_phone(gateway):
    """Voice handoff: the agent's screen gets the packet, the caller is put through."""
    from concurrent.futures import Future
    from types import SimpleNamespace

    url, store, app = gateway
    Accounts(store).add("bo", "Bo Agent", "agent", "0849", ("digital-post",), PASSWORD,
                        phone="+4511223344")
    connected: list[tuple[str, str]] = []

    class Stage:  # the call's frontdesk stage (its own behaviour is tested in test_voice_stages)
        async def connect_agent(self, name: str, phone: str) -> None:
            connected.append((name, phone))

    voice: Future = Future()
    voice.set_result(SimpleNamespace(calls={"call-v1": SimpleNamespace(stage=Stage())}))
    app.state.voice = voice
    app.state.frontdesk.handoffs.offer(
        HandoffPacket(id="v1", kind=Action.HANDOFF, target="ddh", topic="digital-post",
                      municipality="0849", reason="r", summary="Opkald", channel="voice",
                      created_at=datetime.now(UTC)), "call-v1", "voice")

    async def try_accept(username: str) -> dict:
        async with websockets.connect(url.replace("http://", "ws://") + "/api/agent/ws",
                                      additional_headers={
                                          "Cookie": f"ddh_session={cookie(url, username)}"}) as ws:
            await until(ws, "queue")
            await ws.send(json.dumps({"type": "accept", "id": "v1"}))
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 15))
                if event["type"] in ("accepted", "error"):
                    return event

    assert asyncio.run(try_accept("anne"))["type"] == "error"  # no phone to ring
    screen = asyncio.run(try_accept("bo"))
    assert screen["type"] == "accepted" and screen["summary"] == "Opkald"
    assert connected == [("Bo Agent", "+4511223344")]
    app.state.voice = None


def test_prometheus_metrics(gateway):
    url, _, _ = gateway
    conv = httpx.post(f"{url}/api/chat/conversations", json={"municipality": "0849"}).json()

    async def ask():
        async with websockets.connect(url.replace("http://", "ws://") + conv["websocket"]) \
                as ws:
            await ws.send(json.dumps({"type": "message", "id": "m1",
                                      "text": "jeg vil tale med en medarbejder om digital post"}))
            while (event := json.loads(await ws.recv()))["type"] != "message" or \
                    event["role"] != "bot":
                pass

    asyncio.run(ask())
    text = httpx.get(f"{url}/metrics").text
    lines = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
             if line and not line.startswith("#")}
    assert lines['ddh_actions_total{action="handoff",channel="chat"}'] >= 1
    assert lines['ddh_conversations_total{channel="chat"}'] >= 1
    assert lines['ddh_queue_waiting{queue="ddh"}'] >= 1
    assert lines['ddh_turn_seconds_count{channel="chat"}'] >= 1
    assert 'ddh_agents{state="available"}' in lines
    assert "# TYPE ddh_ticket_deliveries gauge" in text
    assert "# TYPE ddh_llm_fallbacks gauge" in text and "ddh_voice_calls_active" in lines
