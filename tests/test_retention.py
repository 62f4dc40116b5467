"""Retention and the right to be forgotten (issue 18): after `DDH_RETENTION_DAYS` no
transcript or callback number is left, and the dashboard's figures are the same; a
citizen's "Slet min samtale" ends the conversation and deletes its text at once,
audited.

Real components: a real SQLite store, the real frontdesk, a real server for the chat.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import websockets
from sqlalchemy import func, select

from bot.frontdesk import Frontdesk, TurnInput
from gateway.app import create_app
from store import kpi, retention, rollup
from store.models import AuditEntry, CallbackContact, ChatEvent, HandoffPacket, Turn
from store.outcomes import OutcomeStore, database_url
from tests.servers import serve_app

SATURDAY = datetime(2026, 11, 28, 23, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


def _left(store: OutcomeStore) -> dict[str, int]:
    with store.sessions() as s:
        return {
            "turns": s.scalar(select(func.count()).select_from(Turn)) or 0,
            "chat_events": s.scalar(select(func.count()).select_from(ChatEvent)) or 0,
            "callback_numbers": s.scalar(select(func.count()).select_from(CallbackContact))
            or 0,
            "summaries": s.scalar(select(func.count()).select_from(HandoffPacket)
                                  .where(HandoffPacket.summary != "")) or 0,
        }


def test_past_the_retention_period_no_text_is_left_and_the_figures_stay(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path), ticket_grace_s=0)
    desk = Frontdesk(knowledge, store)
    for n in range(6):  # answers, a ticket with a callback number, a redirect
        cid = f"c{n}"
        desk.open(cid, "chat", "0751", at=SATURDAY)
        for text in ("jeg har mistet mit sundhedskort", "hvad med boligstøtte",
                     "ring til mig på 28 12 34 56, jeg vil gerne tale med en om mit pas"):
            desk.handle(TurnInput(cid, text, municipality="0751", at=SATURDAY))
        store.live.append(cid, [{"type": "message", "role": "citizen", "text": "hej"}],
                          None, 1)
    store.flush()
    rollup.refresh(store)
    before = kpi.headline(store)
    left = _left(store)
    assert all(left.values()), left  # there was text to forget
    # a month passes: still kept (30 days), and the day after the period it goes
    assert retention.expire(store.sessions, SATURDAY - timedelta(days=1)).conversations == 0
    done = retention.expire(store.sessions, SATURDAY + timedelta(days=31))
    assert done.conversations == 6 and done.callback_numbers >= 1
    assert _left(store) == {"turns": 0, "chat_events": 0, "callback_numbers": 0,
                            "summaries": 0}
    rollup.refresh(store)
    assert kpi.headline(store) == before  # the figures are the same
    conv = store.conversation("c0")
    assert conv["transcript"] == [] and conv["outcome"] and conv["topic"]
    assert retention.expire(store.sessions, SATURDAY + timedelta(days=31)).conversations == 0
    store.close()


def test_slet_min_samtale_deletes_it_at_once_and_is_audited(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    app = create_app(knowledge.settings, frontdesk=Frontdesk(knowledge, store))
    with serve_app(app) as url:
        async def chat() -> tuple[dict, int | None]:
            async with httpx.AsyncClient(base_url=url) as http:
                conv = (await http.post("/api/chat/conversations",
                                        json={"municipality": "0751"})).json()
            async with websockets.connect(url.replace("http", "ws") + conv["websocket"]) as ws:
                await ws.send(json.dumps({"type": "message", "id": "m1",
                                          "text": "jeg har mistet mit sundhedskort"}))
                while True:
                    ev = json.loads(await ws.recv())
                    if ev["type"] == "message" and ev.get("reply_to") == "m1":
                        break
                await ws.send(json.dumps({"type": "forget"}))
                said = json.loads(await ws.recv())
                try:
                    await asyncio.wait_for(ws.recv(), 5)
                except websockets.ConnectionClosed as closed:
                    return {**said, "id": conv["id"]}, closed.rcvd.code if closed.rcvd else None
            return {**said, "id": conv["id"]}, None

        said, code = asyncio.run(chat())
        assert said["type"] == "forgotten" and code == 1000
        cid = said["id"]
        assert httpx.get(f"{url}/api/chat/conversations/{cid}/messages").status_code == 404
    conv = store.conversation(cid)
    assert conv is not None and conv["transcript"] == [] and conv["ended_at"] is not None
    with store.sessions() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "forget")).all()
    assert [(a.username, a.object) for a in audit] == [("citizen", f"conversation:{cid}")]
    store.close()


def test_an_agent_deletes_a_conversation_on_the_citizens_request(knowledge, tmp_path):
    """From the console, on another process than the citizen's page: the page is told,
    the text is gone from the store, and the agent's name is in the audit log."""
    from tests.test_live_link import taken_over, two_gateways, until

    with two_gateways(knowledge, tmp_path) as (one, two, cookie):
        async def scenario() -> str:
            citizen, agent, cid = await taken_over(one, two, cookie)
            await agent.send(json.dumps({"type": "forget", "conversation": cid}))
            done = await until(agent, lambda e: e.get("type") == "forgotten")
            assert done["ok"] is True
            told = await until(citizen, lambda e: e.get("type") == "forgotten")
            assert told["message"] == "Din samtale er slettet."
            await agent.close()
            await citizen.close()
            return cid

        cid = asyncio.run(scenario())
        for url in (one, two):  # neither process serves it any more
            assert httpx.get(f"{url}/api/chat/conversations/{cid}/messages").status_code == 404
    store = OutcomeStore(database_url(None, tmp_path))
    assert store.conversation(cid)["transcript"] == []
    with store.sessions() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "forget")).all()
    assert [(a.username, a.object) for a in audit] == [("anne", f"conversation:{cid}")]
    store.close()
