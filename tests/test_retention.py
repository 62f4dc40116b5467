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
import pytest
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


@pytest.mark.parametrize(("first", "second"), [
    ("jeg skal bruge hjælp med mit pas, mit nummer er 110311 tak", "og de sidste fire er 2468"),
    ("hej, jeg har et spørgsmål om 11 03 11 og mit sundhedskort", "2468"),
    ("mit nummer hos jer er 110311, kan I hjælpe", "sidste fire cifre: 24 68"),
])
def test_six_digits_left_in_clear_are_redacted_afterwards_when_the_last_four_follow(
        knowledge, tmp_path, first, second):
    """Nothing said the six digits were a CPR number's first half, so the first message
    was kept as written; when the last four follow, that message is redacted everywhere
    the gateway and the store hold it (chat log, transcript, kept answers)."""
    store = OutcomeStore(database_url(None, tmp_path))
    app = create_app(knowledge.settings, frontdesk=Frontdesk(knowledge, store))
    digits = "".join(c for c in first if c.isdigit())[-6:]
    with serve_app(app) as url:
        async def chat() -> str:
            async with httpx.AsyncClient(base_url=url) as http:
                conv = (await http.post("/api/chat/conversations",
                                        json={"municipality": "0751"})).json()
            async with websockets.connect(url.replace("http", "ws") + conv["websocket"]) as ws:
                for mid, text in (("m1", first), ("m2", second)):
                    await ws.send(json.dumps({"type": "message", "id": mid, "text": text}))
                    while True:
                        ev = json.loads(await ws.recv())
                        if ev["type"] == "message" and ev.get("reply_to") == mid:
                            break
            return conv["id"]

        cid = asyncio.run(chat())
        log = httpx.get(f"{url}/api/chat/conversations/{cid}/messages").json()
    said = json.dumps(log, ensure_ascii=False) + json.dumps(
        store.conversation(cid)["transcript"], ensure_ascii=False)
    assert "[CPR]" in said
    for part in (digits, "2468", "24 68", "11 03 11"):
        assert part not in said, part
    store.close()
