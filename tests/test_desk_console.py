"""The desk through the console's socket (issue 20.2): offers pushed oldest first, a
decline and a lapsed offer moving on, capacity, busy and wrap-up, a silent agent's chat
reassigned, SLA and the citizens waiting elsewhere in the queue frame — and offers from
two gateway processes on one Redis.

Real components: real uvicorn servers (tests/servers.py), the real store on SQLite,
real WebSockets, the real frontdesk deciding the handoffs, a real `redis-server`.
Timeouts are short settings, so the timers run for real in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.frontdesk import Frontdesk
from ddh.vocabulary import Action
from gateway.app import create_app
from gateway.desk_dispatch import REASSIGNED
from gateway.queue_view import apply
from handoff.accounts import Accounts
from handoff.desk import HandoffDesk
from store.outcomes import OutcomeStore, database_url
from store.records import HandoffPacket
from tests.console_sockets import PASSWORD, citizen, console, kind, until
from tests.servers import redis_server, serve_app

MORNING = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


@contextlib.contextmanager
def gateway(knowledge, tmp_path, agents: dict[str, int], **desk: Any) -> Iterator[
        tuple[str, OutcomeStore, Any]]:
    """One gateway with the desk's settings `desk` and agents {username: capacity}."""
    url_db = database_url(None, tmp_path)
    store = OutcomeStore(url_db)
    for username, capacity in agents.items():
        Accounts(store).add(username, username.title(), "agent", None, ("digital-post",),
                            PASSWORD, capacity=capacity)
    settings = knowledge.settings.model_copy(update=desk)
    front = Frontdesk(knowledge, store, handoffs=HandoffDesk.from_settings(settings))
    app = create_app(settings, frontdesk=front, clock=lambda: MORNING + timedelta(seconds=1))
    with serve_app(app) as url:
        yield url, store, app
    store.close()


def test_offers_oldest_first_decline_timeout_capacity_and_wrap_up(knowledge, tmp_path):
    with gateway(knowledge, tmp_path, {"ida": 1, "ole": 2}, queue_offer_timeout_s=1.5,
                 agent_wrapup_s=1.0, queue_reassign_after_s=60.0) as (url, _, app):
        async def scenario() -> None:
            convs = [(await citizen(url))[0] for _ in range(3)]  # before any agent
            ida = await console(url, "ida")
            first = await until(ida, kind("offer"))
            assert first["conversation"] == convs[0]  # the oldest
            assert 0 < first["expires_in_s"] <= 1.5 and first["waiting_s"] >= 0
            assert first["summary"] and first["channel"] == "chat" and first["sla"] == "ok"
            # Ida lets it lapse: withdrawn, and she is set away
            gone = await until(ida, kind("offer_withdrawn"))
            assert (gone["id"], gone["reason"]) == (first["id"], "timeout")
            await until(ida, kind("state", state="away"))
            ole = await console(url, "ole")
            offered = await until(ole, kind("offer"))
            assert offered["conversation"] == convs[0]  # moved on to Ole
            await ole.send({"type": "decline", "id": offered["id"]})
            declined = await until(ole, kind("offer_withdrawn"))
            assert declined["reason"] == "declined"
            nxt = await until(ole, kind("offer"))
            assert nxt["conversation"] == convs[1]  # the next oldest, not the declined
            await ole.send({"type": "accept", "id": nxt["id"]})
            assert (await until(ole, kind("accepted")))["conversation"] == convs[1]
            third = await until(ole, kind("offer"))  # below capacity: offered more
            assert third["conversation"] in (convs[2], convs[0])
            await ole.send({"type": "accept", "id": third["id"]})
            await until(ole, kind("accepted"))
            await until(ole, kind("state", state="busy"))  # 2 of 2
            # Ida comes back and gets what is left; then she is at her capacity of one
            await ida.send({"type": "presence", "state": "available"})
            last = await until(ida, kind("offer"))
            assert last["conversation"] in convs and last["conversation"] != convs[1]
            await ida.send({"type": "accept", "id": last["id"]})
            await until(ida, kind("accepted"))
            await until(ida, kind("state", state="busy"))
            extra, _ = await citizen(url)
            view = await until(ida, lambda e: e.get("type") == "queue" and any(
                x["conversation"] == extra for x in e["entries"]))
            entry = next(x for x in view["entries"] if x["conversation"] == extra)
            await ida.send({"type": "accept", "id": entry["id"]})
            refused = await until(ida, kind("error"))
            assert "så mange som du kan have" in refused["message"]
            # Ole wraps one up: wrap-up, then available by himself, and offered the extra
            await ole.send({"type": "wrapup", "conversation": convs[1],
                                       "outcome": "resolved_agent"})
            await until(ole, kind("state", state="wrap-up"))
            back = await until(ole, lambda e: e.get("type") in ("state", "offer"))
            assert back == {"type": "state", "state": "available"}
            again = await until(ole, kind("offer"))
            assert again["conversation"] == extra
            for ws in (ida, ole):
                await ws.close()

        asyncio.run(scenario())
        counts = app.state.console.dispatch.counts
        assert counts["timeout"] == 1 and counts["declined"] == 1
        assert counts["accepted"] == 3
        assert app.state.console.dispatch.peak == {"ida": 1, "ole": 2}


def test_a_silent_agents_chat_goes_to_another_agent(knowledge, tmp_path):
    with gateway(knowledge, tmp_path, {"ida": 1, "ole": 1}, queue_offer_timeout_s=10.0,
                 queue_reassign_after_s=2.0) as (url, store, app):
        async def scenario() -> None:
            conv, chat = await citizen(url)
            ida = await console(url, "ida")
            offer = await until(ida, kind("offer"))
            await ida.send({"type": "accept", "id": offer["id"]})
            await until(ida, kind("accepted"))
            await until(chat, kind("agent_joined"))
            later, _ = await citizen(url)  # queued after: the reassigned chat goes first
            await chat.send({"type": "message", "id": "m2", "text": "hallo?"})
            moved = await until(ida, kind("reassigned"), within_s=10)
            assert moved == {"type": "reassigned", "conversation": conv, "reason": "silent"}
            told = await until(chat, kind("agent_left"))
            assert told["text"] == REASSIGNED
            assert store.taken_by(conv) is None  # open again in the store
            # Ida is not offered it again; Ole, signing in, is — before the later one
            ole = await console(url, "ole")
            again = await until(ole, kind("offer"))
            assert again["conversation"] == conv and again["id"] == offer["id"]
            ida_next = await until(ida, kind("offer"))
            assert ida_next["conversation"] == later
            await ole.send({"type": "accept", "id": again["id"]})
            await until(ole, kind("accepted"))
            joined = await until(chat, kind("agent_joined"))
            assert "Ole" in joined["text"]
            # Ida can no longer write in it
            await ida.send({"type": "message", "conversation": conv, "text": "x"})
            assert (await until(ida, kind("error")))["message"] == "ikke din samtale"
            for ws in (ida, ole, chat):
                await ws.close()

        asyncio.run(scenario())
        audit = [r for r in Accounts(store).audit_log() if r["action"] == "reassign"]
        assert [(r["username"], r["detail"]) for r in audit] == [("ida", "silent")]
        assert app.state.console.dispatch.counts["reassigned"] == 1


def test_sla_and_the_citizens_waiting_elsewhere(knowledge, tmp_path):
    with gateway(knowledge, tmp_path, {"ida": 1}, queue_sla_overrides="ddh=1",
                 queue_overflow_wait_s=180.0) as (url, _, app):
        desk = app.state.frontdesk.handoffs
        for i in range(2):  # two citizens in Aarhus's own queue, which Ida cannot take yet
            desk.offer(HandoffPacket(
                id=f"aarhus{i}", kind=Action.HANDOFF, target="0751", topic="digital-post",
                municipality="0751", reason="r", summary="Aarhus", channel="chat",
                created_at=datetime.now(UTC)), f"conv-aarhus{i}", "chat")

        async def scenario() -> None:
            ida = await console(url, "ida")
            await ida.send({"type": "presence", "state": "away"})  # no offers
            view = await until(ida, lambda e: e.get("type") == "queue" and e["elsewhere"])
            (aarhus,) = view["elsewhere"]
            assert aarhus["queue"] == "0751" and aarhus["name"] == "Aarhus Kommune"
            assert aarhus["count"] == 2 and 170 < aarhus["opens_in_s"] <= 180
            conv, chat = await citizen(url)
            view = await until(ida, lambda e: e.get("type") == "queue" and any(
                x["conversation"] == conv for x in e["entries"]))
            assert next(x for x in view["entries"] if x["conversation"] == conv)["sla"] in (
                "ok", "warning")
            breached = await until(ida, lambda e: e.get("type") == "queue" and any(
                x["conversation"] == conv and x["sla"] == "breached" for x in e["entries"]))
            assert breached["entries"][0]["conversation"] == conv
            for ws in (ida, chat):
                await ws.close()

        asyncio.run(scenario())


def test_two_processes_on_one_redis_offer_each_citizen_once(knowledge, tmp_path):
    """Citizens on one process, agents on both: every conversation is offered to one
    agent at a time, the oldest first, and each is accepted once."""
    url_db = database_url(None, tmp_path)
    store = OutcomeStore(url_db)
    for username, capacity in (("ida", 1), ("ole", 2)):
        Accounts(store).add(username, username.title(), "agent", None, ("digital-post",),
                            PASSWORD, capacity=capacity)
    with redis_server() as redis:
        settings = knowledge.settings.model_copy(update={
            "redis_url": redis, "queue_offer_timeout_s": 20.0})

        def make():
            front = Frontdesk(knowledge, OutcomeStore(url_db),
                              handoffs=HandoffDesk.from_settings(settings))
            return create_app(settings, frontdesk=front,
                              clock=lambda: MORNING + timedelta(seconds=1))

        with serve_app(make()) as one, serve_app(make()) as two:
            async def scenario() -> tuple[list[str], list[tuple[str, str]]]:
                convs = [(await citizen(one))[0] for _ in range(4)]
                agents = {"ida": await console(one, "ida"), "ole": await console(two, "ole")}
                taken: list[tuple[str, str]] = []

                async def work(name: str, ws, n: int) -> None:
                    for _ in range(n):
                        offer = await until(ws, kind("offer"))
                        await ws.send({"type": "accept", "id": offer["id"]})
                        got = await until(ws, lambda e: e.get("type") in ("accepted",
                                                                          "error"))
                        assert got["type"] == "accepted", got
                        taken.append((name, got["conversation"]))

                await asyncio.gather(work("ida", agents["ida"], 1),
                                     work("ole", agents["ole"], 2))
                for ws in agents.values():
                    await ws.close()
                return convs, taken

            convs, taken = asyncio.run(scenario())
    store.close()
    got = [c for _, c in taken]
    assert len(got) == len(set(got)) == 3
    assert set(got) == set(convs[:3])  # the three oldest; the fourth still waits


def test_a_console_taking_changes_shows_what_a_whole_view_shows(knowledge, tmp_path):
    """The console page asks for queue changes (`?view=delta`). While citizens join, SLA
    states turn and a colleague takes some, a console applying the changes shows the same
    entries, in the same order, as one sent the whole view every time — for fewer bytes."""
    with gateway(knowledge, tmp_path, {"ida": 1, "ole": 3}, queue_sla_overrides="ddh=3",
                 queue_offer_timeout_s=30.0) as (url, _, _):
        async def scenario() -> None:
            arrived = asyncio.Event()
            got = {view: {"entries": [], "bytes": 0, "frames": 0} for view in ("whole", "delta")}

            async def follow(view: str) -> None:
                sock = await console(url, "ida", view=view)
                await sock.send({"type": "presence", "state": "away"})  # no offers to Ida
                while True:
                    raw = await sock.ws.recv()
                    event = json.loads(raw)
                    if event["type"] in ("queue", "queue_delta"):
                        mine = got[view]
                        mine["entries"] = apply(mine["entries"], event)
                        mine["bytes"] += len(raw)
                        mine["frames"] += 1
                        arrived.set()

            followers = [asyncio.create_task(follow(v)) for v in got]
            convs = [(await citizen(url))[0] for _ in range(8)]
            ole = await console(url, "ole")
            taken = []
            for _ in range(3):
                offer = await until(ole, kind("offer"))
                await ole.send({"type": "accept", "id": offer["id"]})
                taken.append((await until(ole, kind("accepted")))["conversation"])
            await asyncio.sleep(4.5)  # SLA warning and breach, and two whole-view ticks

            def shown(view: str) -> list[tuple]:
                return [(e["conversation"], e["sla"], e["priority"])
                        for e in got[view]["entries"]]
            async with asyncio.timeout(10):
                while shown("delta") != shown("whole") or not shown("whole"):
                    arrived.clear()
                    await arrived.wait()
            assert [c for c, _, _ in shown("delta")] == [c for c in convs if c not in taken]
            assert {sla for _, sla, _ in shown("delta")} == {"breached"}
            assert got["delta"]["bytes"] < got["whole"]["bytes"] / 3, got
            for task in followers:
                task.cancel()
            await ole.close()

        asyncio.run(scenario())
