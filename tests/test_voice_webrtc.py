"""Browser calls: an aiortc peer talks to the gateway over WebRTC on loopback."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.frontdesk import Frontdesk
from bot.stt_model import model_dir
from evals.caller import WebRTCCaller, synthesize, transcribe
from gateway.app import create_app
from gateway.telephony import OutboxSms, OutboxTelephony
from store.outcomes import OutcomeStore, database_url
from tests.conftest import MODELS
from tests.servers import serve_app

TZ = ZoneInfo("Europe/Copenhagen")


def weekday_morning():
    """A clock from Tuesday 10:00 that runs: calls keep their order in the store."""
    start, t0 = datetime(2026, 11, 24, 10, 0, tzinfo=TZ), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


@pytest.fixture(scope="module")
def browser_phone(knowledge, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("webrtc")
    store = OutcomeStore(database_url(None, tmp))
    desk = Frontdesk(knowledge, store)
    app = create_app(knowledge.settings, frontdesk=desk,
                     voice_adapters=(OutboxTelephony(tmp / "c.jsonl"), OutboxSms(tmp / "s.jsonl")),
                     clock=weekday_morning())
    with serve_app(app) as url:
        yield url, store
    store.close()


def test_a_browser_call_is_answered(browser_phone):
    url, store = browser_phone
    whisper = str(model_dir(None, MODELS))

    async def call():
        caller = WebRTCCaller()
        t0 = time.monotonic()
        await caller.call(url, municipality="0751")
        greeting = await caller.wait_for_bot(t0, within_s=60)
        for question in ("Jeg kan ikke logge på med MitID.", "Jeg har problemer med MitID."):
            done = caller.say(synthesize(question, rate=48000, speed=140))
            await asyncio.sleep(max(0.0, done - time.monotonic()))
            spoke = time.monotonic()
            reply = await caller.wait_for_bot(spoke, within_s=30)
            latency = (caller.first_sound_after(spoke) or 99) - spoke
            convs = store.recent(1)
            if convs and convs[0]["decisions"] and \
                    convs[0]["decisions"][-1]["action"] != "clarify":
                break
        async with httpx.AsyncClient() as http:
            live = (await http.get(f"{url}/api/voice/calls")).json()
            await caller.hang_up()
            hung_up = time.monotonic()
            while (await http.get(f"{url}/api/voice/calls")).json():
                assert time.monotonic() - hung_up < 2.0, "browser call not cleaned up"
                await asyncio.sleep(0.05)
        return greeting, reply, latency, live

    greeting, reply, latency, live = asyncio.run(call())
    assert live and live[0]["carrier"] == "webrtc"
    assert "aarhus" in transcribe(greeting, whisper, rate=48000).lower() or len(greeting) > 48000
    conv = store.recent(1)[0]
    assert conv["municipality"] == "0751" and conv["channel"] == "voice"
    answered = [d for d in conv["decisions"] if d["action"] != "clarify"]
    assert answered and answered[0]["topic"] == "mitid", conv["transcript"]
    assert latency < 5.0 and len(reply) > 48000  # a spoken answer, no dead air
    assert conv["ended_at"] is not None
