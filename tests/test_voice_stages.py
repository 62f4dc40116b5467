"""The voice pipeline's own stages, each driven with pipecat's test runner.

Real components: the frontdesk over the real index and a real SQLite store, espeak-ng,
the bundled Whisper model, and a fake Twilio REST API on a real socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pipecat.frames.frames import (
    BotStoppedSpeakingFrame,
    ErrorFrame,
    Frame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
)
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService
from pipecat.tests.utils import SleepFrame, run_test

from bot.frontdesk import Frontdesk
from bot.replies import spaced_phone
from bot.voice.frames import SpeechNotUnderstoodFrame
from bot.voice.frontdesk_stage import FrontdeskProcessor
from bot.voice.speakable import speakable
from bot.voice.stt import FrontdeskSTTService, SpeechRecognizer
from bot.voice.tts import EspeakTTSService, FallbackTTSService
from bot.voice.vocabulary import vocabulary
from evals.caller import synthesize
from gateway.telephony import CallInfo, OutboxSms, OutboxTelephony, TwilioTelephony, _TwilioREST
from store.outcomes import OutcomeStore, database_url
from tests.fake_twilio import fake_twilio

TZ = ZoneInfo("Europe/Copenhagen")
WEEKDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)


@pytest.fixture
def desk(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store)
    desk.warm_up()  # language detection loads its model on first use (1.5 s)
    yield desk
    store.close()


def stage_for(desk, tmp_path, telephony=None, caller="+4512345678", called=None,
              municipality=None, at=WEEKDAY_MORNING, **kw) -> FrontdeskProcessor:
    call = CallInfo(conversation="call-1", carrier="twilio", call_id="CA1", caller=caller,
                    called=called)
    return FrontdeskProcessor(desk, call, telephony or OutboxTelephony(tmp_path / "calls.jsonl"),
                              OutboxSms(tmp_path / "sms.jsonl"), municipality=municipality,
                              clock=lambda: at, **kw)


def spoken(frames) -> list[str]:
    return [f.text for f in frames if isinstance(f, TTSSpeakFrame)]


# --- speakable text, vocabulary -------------------------------------------------------


@pytest.mark.parametrize(("text", "said"), [
    ("Ring på tlf. 72 22 18 18 kl. 9-15.", "Ring på telefon 72 22 18 18 klokken 9 til 15."),
    ("Se borger.dk, fx under Pas.", "Se borger punktum dk, for eksempel under Pas."),
    ("Åbent 24.12.2026 kl. 10.30", "Åbent 24. december 2026 klokken 10 30"),
    ("Læs https://www.borger.dk/pas og ring.", "Læs og ring."),
    ("Jeg er en digital assistent (AI).", "Jeg er en digital assistent A I."),
])
def test_speakable(text, said):
    assert speakable(text) == said


def test_phone_numbers_in_pairs():
    assert spaced_phone("+4512345678") == "12 34 56 78"
    assert spaced_phone("45 12 34 56 78") == "12 34 56 78"
    assert spaced_phone("") == ""


def test_vocabulary_is_a_short_danish_sentence_from_the_corpus(knowledge):
    prompt, hotwords = vocabulary(knowledge)
    assert prompt.startswith("Borgeren ringer til kommunen") and len(prompt) <= 260
    assert "MitID" in prompt and "pas" in prompt and "storskrald" in prompt
    assert "Aarhus" in hotwords


# --- the frontdesk stage --------------------------------------------------------------


async def test_greets_with_ai_disclosure_then_answers(desk, tmp_path):
    stage = stage_for(desk, tmp_path)
    down, _ = await run_test(stage, frames_to_send=[
        SleepFrame(0.3), TranscriptionFrame("jeg kan ikke logge på med mitid", "", ""),
        SleepFrame(1.0)])
    said = spoken(down)
    assert "digital assistent A I" in said[0]
    assert stage.results[0].action == "answer" and stage.results[0].topic == "mitid"
    assert "https" not in said[1] and said[1].endswith("Hjalp det?")
    assert len(said[1].split()) <= 45  # short on the phone


async def test_a_crisis_notice_is_spoken_and_nothing_is_texted(desk, tmp_path):
    """Beredskab in the call's own stage: a caller from Favrskov asks about the water
    (as speech recognition hands it over) and hears the notice, briefly; "ja" after it
    sends no SMS, since a notice has no link. Published through the frontdesk's own
    board: another board's notice reaches the frontdesk only when its cache expires."""
    assert desk.notices is not None
    desk.notices.publish(
        "jens", "0710", "Forurenet drikkevand i Hinnerup",
        "Der er fundet bakterier i drikkevandet i Hinnerup. Kog vandet i fem minutter, før "
        "du drikker det. Vi skriver på favrskov.dk, når vandet er rent igen.",
        WEEKDAY_MORNING + timedelta(days=1), ["drikkevand", "vandet fra hanen"],
        at=WEEKDAY_MORNING - timedelta(hours=1))
    stage = stage_for(desk, tmp_path, municipality="0710")
    down, _ = await run_test(stage, frames_to_send=[
        SleepFrame(0.3), TranscriptionFrame("øh er der noget galt med drikkevandet", "", ""),
        SleepFrame(1.0), TranscriptionFrame("ja", "", ""), SleepFrame(1.0)])
    said = spoken(down)
    assert (stage.results[0].action, stage.results[0].topic) == ("answer", "krise")
    notice = next(t for t in said if "Hinnerup" in t)
    assert "Favrskov Kommune" in notice and "Kog vandet" in notice and "https" not in notice
    assert "favrskov punktum dk" in notice  # spoken, not spelled as a domain
    assert not OutboxSms(tmp_path / "sms.jsonl").outbox.read()


async def test_yes_to_sms_texts_the_link_to_the_caller(desk, tmp_path):
    stage = stage_for(desk, tmp_path)
    down, _ = await run_test(stage, frames_to_send=[
        SleepFrame(0.3), TranscriptionFrame("jeg kan ikke logge på med mitid", "", ""),
        SleepFrame(1.0), TranscriptionFrame("ja tak", "", ""), SleepFrame(1.0)])
    sms = OutboxSms(tmp_path / "sms.jsonl").outbox.read()
    assert len(sms) == 1 and sms[0]["to"] == "+4512345678"
    assert sms[0]["body"].startswith(stage.results[0].guides[0]["title"])
    assert "https://" in sms[0]["body"]
    assert "Jeg har sendt linket til dig på sms." in spoken(down)


async def test_transfer_moves_the_call_through_twilio_after_the_announcement(desk, tmp_path):
    with fake_twilio() as (url, twilio):
        tel = TwilioTelephony(_TwilioREST(url, "ACtest", "secret"))
        stage = stage_for(desk, tmp_path, telephony=tel, municipality="0615",
                          at=datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
        await run_test(stage, frames_to_send=[
            SleepFrame(0.3),
            TranscriptionFrame("jeg vil gerne tale med en i borgerservice om mit pas", "", ""),
            SleepFrame(1.0)])
        assert stage.results[0].action == "transfer"
        assert twilio.requests == []  # not while the announcement is being spoken
        stage = stage_for(desk, tmp_path, telephony=tel, municipality="0615",
                          at=datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
        down, up = await run_test(stage, frames_to_send=[
            SleepFrame(0.3),
            TranscriptionFrame("jeg vil gerne tale med en i borgerservice om mit pas", "", ""),
            SleepFrame(1.0), BotStoppedSpeakingFrame(), SleepFrame(0.5)], send_end_frame=False)
    assert [r["path"] for r in twilio.requests] == ["/2010-04-01/Accounts/ACtest/Calls/CA1.json"]
    assert twilio.requests[0]["form"]["Twiml"] == \
        "<Response><Dial>+4576292929</Dial></Response>"
    assert twilio.requests[0]["user"] == "ACtest"
    assert any(type(f).__name__ == "EndWorkerFrame" for f in [*down, *up])


async def test_failed_transfer_tells_the_caller_the_number(desk, tmp_path):
    with fake_twilio() as (url, twilio):
        twilio.fail_next = 5
        tel = TwilioTelephony(_TwilioREST(url, "ACtest", "secret"))
        stage = stage_for(desk, tmp_path, telephony=tel, municipality="0615",
                          at=datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
        down, _ = await run_test(stage, frames_to_send=[
            SleepFrame(0.3),
            TranscriptionFrame("jeg vil gerne tale med en i borgerservice om mit pas", "", ""),
            SleepFrame(1.0), BotStoppedSpeakingFrame(), SleepFrame(0.5)])
    assert "Ring selv til Horsens Kommune på 76 29 29 29." in spoken(down)[-1]


async def test_unheard_twice_offers_a_person(desk, tmp_path):
    stage = stage_for(desk, tmp_path, municipality="0751")
    down, _ = await run_test(stage, frames_to_send=[
        SleepFrame(0.3), SpeechNotUnderstoodFrame(reason="empty"), SleepFrame(0.3),
        SpeechNotUnderstoodFrame(reason="empty"), SleepFrame(1.0)])
    said = spoken(down)
    assert said[1] == "Undskyld, det fangede jeg ikke. Vil du sige det igen?"
    assert stage.results[-1].action in ("handoff", "ticket", "transfer")
    assert stage.results[-1].reason.startswith("not_understood")


async def test_failed_recognition_escalates_at_once(desk, tmp_path):
    stage = stage_for(desk, tmp_path, municipality="0751")
    await run_test(stage, frames_to_send=[
        SleepFrame(0.3), SpeechNotUnderstoodFrame(reason="timeout"), SleepFrame(1.0)])
    assert len(stage.results) == 1 and stage.results[0].action != "clarify"


async def test_silence_prompts_then_hangs_up(desk, tmp_path):
    stage = stage_for(desk, tmp_path, silence_s=0.3)
    down, up = await run_test(stage, frames_to_send=[
        SleepFrame(0.3), BotStoppedSpeakingFrame(), SleepFrame(0.6), BotStoppedSpeakingFrame(),
        SleepFrame(0.6)], send_end_frame=False)
    said = spoken(down)
    assert said[1].startswith("Er du der stadig?") and said[2].startswith("Jeg kan ikke høre dig")
    assert any(type(f).__name__ == "EndWorkerFrame" for f in [*down, *up])


async def test_ticket_reads_back_the_callers_number(desk, tmp_path):
    stage = stage_for(desk, tmp_path, municipality="0615",
                      at=datetime(2026, 11, 28, 10, 0, tzinfo=TZ))  # Saturday: closed
    down, _ = await run_test(stage, frames_to_send=[
        SleepFrame(0.3),
        TranscriptionFrame("jeg vil gerne tale med en om fornyelse af mit kørekort", "", ""),
        SleepFrame(1.0), TranscriptionFrame("ja", "", ""), SleepFrame(1.0)])
    assert stage.results[0].action == "ticket"
    assert any("12 34 56 78" in s for s in spoken(down))
    ticket = stage.results[0].handoff.id
    assert desk.store.callback_for(ticket).endswith("12345678")
    # The number is kept for the callback only, never in the transcript.
    conv = desk.store.conversation("call-1")
    assert all("12345678" not in t["text"] for t in conv["transcript"])


async def test_hang_up_closes_the_conversation_in_the_store(desk, tmp_path):
    stage = stage_for(desk, tmp_path)
    await run_test(stage, frames_to_send=[SleepFrame(0.3)])
    await stage.finish()
    conv = desk.store.conversation("call-1")
    assert conv is not None and conv["ended_at"] is not None
    assert conv["outcome"] == "abandoned"
    assert desk.states.peek("call-1") is None


# --- speech to text ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    from bot.stt_model import model_dir
    from tests.conftest import MODELS

    return SpeechRecognizer(model_dir(None, MODELS), "cpu", "int8", beam_size=5,
                            prompt="Borgeren ringer til kommunen og spørger om MitID.")


async def test_stt_transcribes_danish_speech(recognizer):
    audio = synthesize("Jeg kan ikke logge på med MitID.", rate=16000, speed=140)
    pcm = (audio * 32767).astype(np.int16).tobytes()
    stt = FrontdeskSTTService(recognizer, timeout_s=10)
    out = [f async for f in stt.run_stt(pcm)]
    assert isinstance(out[0], TranscriptionFrame) and "MitID" in out[0].text


async def test_stt_timeout_becomes_not_understood(recognizer):
    pcm = (synthesize("Jeg har mistet mit pas.", rate=16000) * 32767).astype(np.int16).tobytes()
    stt = FrontdeskSTTService(recognizer, timeout_s=0.01)
    out = [f async for f in stt.run_stt(pcm)]
    assert isinstance(out[0], SpeechNotUnderstoodFrame) and out[0].reason == "timeout"


async def test_a_turn_queued_behind_busy_workers_is_still_transcribed(recognizer):
    """Under load a turn waits for a free worker: that wait is not the engine's time
    limit, so a clear question queued behind other calls is transcribed, not dropped."""
    import asyncio
    import time

    audio = synthesize("Jeg kan ikke logge på med MitID.", rate=16000, speed=140)
    pcm = (audio * 32767).astype(np.int16).tobytes()
    t0 = time.monotonic()
    await recognizer.transcribe_async(pcm, 30)  # warm, and how long one turn takes here
    alone = time.monotonic() - t0
    loop = asyncio.get_running_loop()
    limit = alone * 3 + 1.0
    # every worker busy for most of the limit: waiting plus transcribing exceeds it
    busy = [loop.run_in_executor(recognizer._pool, time.sleep, limit * 0.8)
            for _ in range(recognizer._pool._max_workers)]
    result = await recognizer.transcribe_async(pcm, limit)
    await asyncio.gather(*busy)
    assert "mitid" in result.text.lower()


# --- text to speech ---------------------------------------------------------------------


def audio_of(frames) -> bytes:
    return b"".join(f.audio for f in frames if isinstance(f, TTSAudioRawFrame))


async def test_espeak_speaks_danish():
    down, _ = await run_test(EspeakTTSService(sample_rate=16000),
                             frames_to_send=[TTSSpeakFrame("Hej, hvad kan jeg hjælpe med?")])
    pcm = np.frombuffer(audio_of(down), np.int16)
    assert len(pcm) > 16000 and np.abs(pcm).max() > 1000  # over a second, not silence


class _BrokenTTS(TTSService):
    def __init__(self, mode: str, **kw) -> None:
        super().__init__(settings=TTSSettings(model=None, voice=None, language=None), **kw)
        self.mode = mode

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        if self.mode == "slow":
            await asyncio.sleep(30)
        yield ErrorFrame(error="engine down")


@pytest.mark.parametrize("mode", ["error", "slow"])
async def test_failing_tts_falls_back_to_espeak(mode):
    tts = FallbackTTSService(_BrokenTTS(mode), EspeakTTSService(), first_audio_s=0.5,
                             sample_rate=16000)
    down, _ = await run_test(tts, frames_to_send=[TTSSpeakFrame("Et øjeblik.")])
    assert len(audio_of(down)) > 8000 and tts.fallbacks == 1


@pytest.mark.parametrize("said", ["otte tusind", "otte nul nul nul", "jeg bor i 8000"])
async def test_postal_code_in_spoken_digits(desk, tmp_path, said):
    stage = stage_for(desk, tmp_path)
    await run_test(stage, frames_to_send=[
        SleepFrame(0.3), TranscriptionFrame(said, "", ""), SleepFrame(1.0)])
    assert stage.results[0].municipality == "0751"
    assert stage.results[0].reply.startswith("Tak, du bor i Aarhus Kommune.")


async def test_voice_handoff_holds_announces_and_puts_through(knowledge, tmp_path):
    from handoff.backends import MemoryBackend
    from handoff.desk import HandoffDesk

    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    desk.warm_up()
    with fake_twilio() as (url, twilio):
        tel = TwilioTelephony(_TwilioREST(url, "ACtest", "secret"))
        stage = stage_for(desk, tmp_path, telephony=tel, municipality="0849",
                          at=datetime(2026, 11, 24, 11, 0, tzinfo=TZ), hold_announce_s=0.4,
                          silence_s=0.2)

        async def agent_accepts() -> None:
            await asyncio.sleep(2.2)
            await stage.connect_agent("Anne", "+4511223344")

        accepting = asyncio.create_task(agent_accepts())
        down, _ = await run_test(stage, frames_to_send=[
            SleepFrame(0.3),
            TranscriptionFrame("jeg vil gerne tale med en medarbejder om min digitale post",
                               "", ""),
            SleepFrame(1.2), BotStoppedSpeakingFrame(), SleepFrame(1.2),
            BotStoppedSpeakingFrame(), SleepFrame(0.5)], send_end_frame=False)
        await accepting
    said = spoken(down)
    assert stage.results[0].action == "handoff"
    assert "Du er nummer 1 i køen." in said[1]
    assert any(s.startswith("Du venter stadig på en medarbejder") for s in said)
    assert not any(s.startswith("Er du der stadig") for s in said)  # on hold, not silent
    assert said[-1] == "Nu stiller jeg dig om til Anne fra Den Digitale Hotline."
    assert twilio.requests[-1]["form"]["Twiml"] == "<Response><Dial>+4511223344</Dial></Response>"
    store.close()


@pytest.mark.parametrize(("engine", "extra", "primary"), [
    ("openai", {"tts_api_key": "sk-test"}, "OpenAITTSService"),
    ("elevenlabs", {"tts_api_key": "el-test", "tts_voice": "abc123"}, "ElevenLabsTTSService"),
    ("elevenlabs", {"tts_api_key": "el-test"}, None),  # no voice id: espeak-ng alone
    ("openai", {}, None),  # no key: espeak-ng alone
    ("piper", {}, None),  # no voice file: espeak-ng alone
])
def test_tts_engines_from_configuration(engine, extra, primary):
    from pydantic import SecretStr

    from bot.voice.tts import make_tts
    from ddh.settings import Settings

    if "tts_api_key" in extra:
        extra = {**extra, "tts_api_key": SecretStr(extra["tts_api_key"])}
    tts = make_tts(Settings(tts=engine, **extra), sample_rate=8000)
    if primary is None:
        assert isinstance(tts, EspeakTTSService)
    else:
        assert isinstance(tts, FallbackTTSService) and type(tts.primary).__name__ == primary
        assert isinstance(tts.fallback, EspeakTTSService)


async def test_asked_which_municipality_the_next_answer_is_scored_among_the_names(desk,
                                                                                  tmp_path):
    """A caller with no municipality asks for a person: the bot asks where they live, and
    tells the recogniser that a municipality's name comes next (bot/voice/turn_stt.py
    scores a misheard name among the names spelled most like it)."""
    from bot.voice.frames import ExpectAnswerFrame

    stage = stage_for(desk, tmp_path, municipality=None)
    _, up = await run_test(stage, frames_to_send=[
        SleepFrame(0.3), TranscriptionFrame("jeg vil gerne tale med en medarbejder", "", ""),
        SleepFrame(1.0)])
    assert stage.results[0].awaiting == "municipality", stage.results[0].reply
    expected = [f for f in up if isinstance(f, ExpectAnswerFrame)]
    assert expected and len(expected[-1].choices) == 98
    assert ("Aarhus", "Aarhus.") in expected[-1].choices
