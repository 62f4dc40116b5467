"""Ending a chat, the rating question and the availability banner, server side.

"Afslut samtalen" is an `end` frame, not a made-up citizen message: the reply asks
the rating once, with buttons (`quick_replies`), and nothing is logged as the
citizen's words. Whichever way a citizen closes — the button, a typed goodbye, both,
again after another question — the rating question is asked at most once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.frontdesk import Frontdesk, TurnInput
from gateway.app import create_app
from gateway.chat_replies import RATING
from store.outcomes import OutcomeStore, database_url
from tests.servers import serve_app

TZ = ZoneInfo("Europe/Copenhagen")
TUESDAY_11 = datetime(2026, 11, 24, 11, 0, tzinfo=TZ)
TUESDAY_20 = datetime(2026, 11, 24, 20, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def server(knowledge, tmp_path_factory):
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("chat-end")))
    now = [TUESDAY_11]
    app = create_app(knowledge.settings, frontdesk=Frontdesk(knowledge, store),
                     clock=lambda: now[0])
    with serve_app(app) as url:
        yield url, store, now
    store.close()


def open_chat(url: str, municipality: str = "0751") -> dict:
    r = httpx.post(f"{url}/api/chat/conversations", json={"municipality": municipality})
    assert r.status_code == 201, r.text
    return r.json()


async def reply(ws, frame: dict) -> list[dict]:
    """Send a frame; the logged events up to and including the bot's message."""
    await ws.send(json.dumps(frame))
    events = []
    while True:
        ev = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if ev["type"] == "message":
            events.append(ev)
            if ev["role"] == "bot":
                return events


def test_availability_in_and_out_of_hours(server):
    url, _, now = server
    now[0] = TUESDAY_11
    a = httpx.get(f"{url}/api/chat/availability", params={"municipality": "0751"}).json()
    assert a["person_now"] is True and a["route"] == "handoff" and not a["callback"]
    assert [h["who"] for h in a["hours"]] == ["ddh", "0751"]
    assert a["hours"][0]["opens"] == "08:00" and a["hours"][0]["closes"] == "18:00"
    assert "8.00–18.00" in a["hours"][0]["text"]
    now[0] = TUESDAY_20
    a = httpx.get(f"{url}/api/chat/availability", params={"municipality": "0751"}).json()
    assert a["person_now"] is False and a["route"] == "ticket" and a["callback"]
    assert a["next_open"].startswith("2026-11-25T08:00")
    assert "i morgen kl. 8.00" in a["otherwise"] and "telefonnummer" in a["otherwise"]
    now[0] = TUESDAY_11
    assert httpx.get(f"{url}/api/chat/availability",
                     params={"municipality": "9999"}).status_code == 422
    plain = httpx.get(f"{url}/api/chat/availability").json()
    assert plain["municipality"] is None and plain["hours"][0]["who"] == "ddh"


def test_end_frame_asks_rating_once_and_records_the_score(server):
    url, store, _ = server
    conv = open_chat(url)

    async def go() -> tuple[list, list, list, list, list]:
        async with websockets.connect(url.replace("http://", "ws://") + conv["websocket"]) as ws:
            answer = await reply(ws, {"type": "message", "id": "m1",
                                      "text": "jeg har mistet mit sundhedskort"})
            ended = await reply(ws, {"type": "end", "id": "e1"})
            again = await reply(ws, {"type": "end", "id": "e1"})  # re-sent: from the log
            rated = await reply(ws, {"type": "message", "id": "m2", "text": "8"})
            closed = await reply(ws, {"type": "end", "id": "e2"})
            return answer, ended, again, rated, closed

    answer, ended, again, rated, closed = asyncio.run(go())
    assert answer[-1]["action"] == "answer" and answer[-1]["quick_replies"] == ["Ja", "Nej"]
    # no citizen message for the button, one bot message asking the rating with buttons
    assert [e["role"] for e in ended] == ["bot"]
    assert ended[0]["action"] == "end" and ended[0]["ask_rating"] is True
    assert ended[0]["quick_replies"] == RATING and "1 til 10" in ended[0]["text"]
    assert again == ended  # answered once
    assert rated[-1]["action"] == "end" and not rated[-1]["ask_rating"]
    assert closed[-1]["action"] == "end" and not closed[-1]["ask_rating"]
    assert "1 til 10" not in closed[-1]["text"]
    log = httpx.get(f"{url}/api/chat/conversations/{conv['id']}/messages").json()
    assert sum(1 for e in log if e.get("ask_rating")) == 1
    assert [e["text"] for e in log if e["role"] == "citizen"] == [
        "jeg har mistet mit sundhedskort", "8"]
    store.flush()
    record = store.conversation(conv["id"])
    assert record["satisfaction"] == 8
    assert [d["action"] for d in record["decisions"]] == ["answer", "end", "end", "end"]


CLOSINGS = ["<end>", "tak", "tak, det var det", "tusind tak for hjælpen", "nej tak",
            "farvel", "jeg har mistet mit pas", "8", "ja"]


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(CLOSINGS), min_size=1, max_size=6))
def test_rating_is_asked_at_most_once_however_the_citizen_closes(desk, steps):
    cid = uuid.uuid4().hex
    desk.open(cid, "chat", "0751", at=TUESDAY_11, new=True)
    first = desk.handle(TurnInput(cid, "jeg har mistet mit sundhedskort", municipality="0751",
                                  at=TUESDAY_11))
    asked = int(first.asks_rating)
    for step in steps:
        ends = step == "<end>"
        result = desk.handle(TurnInput(cid, "" if ends else step, municipality="0751",
                                       at=TUESDAY_11, ends=ends))
        asked += result.asks_rating
        assert asked <= 1, (steps, result.reply)
        if ends:
            assert result.action == "end"
    if "<end>" in steps:  # the button always closes with the one rating question
        assert asked == 1
