"""One call = one pipecat pipeline; the heavy parts are shared by all calls.

    transport in → Silero VAD → user turns (Smart Turn; barge-in) → speech to text →
    DTMF → frontdesk stage → text to speech → transport out

`VoiceServices` is created once per process (the Whisper model, the vocabulary, the
frontdesk, the carrier adapters); the carrier adapters are built by whoever hosts the
pipeline (the web app, from its settings) and handed in, so this package knows only
their interfaces (`bot/voice/carrier.py`). `run_call` builds a pipeline for one call on any
pipecat transport (Twilio media stream, WebRTC) and runs it until the call ends. The
barge-in rule: when VAD hears the caller start speaking, pipecat's user-turn processor
broadcasts an interruption — TTS stops, queued audio is dropped and the carrier is told
to clear what it buffered (Twilio's `clear`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.dtmf_aggregator import DTMFAggregator
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.base_transport import BaseTransport
from pipecat.turns.user_start import VADUserTurnStartStrategy
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_processor import UserTurnProcessor
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

from bot.frontdesk import Frontdesk
from bot.voice.carrier import CallInfo, SmsSender, Telephony
from bot.voice.frontdesk_stage import FrontdeskProcessor
from bot.voice.stt import FrontdeskSTTService, SpeechRecognizer
from bot.voice.tts import make_tts
from bot.voice.turn_stt import TurnSTTService
from bot.voice.vocabulary import vocabulary
from ddh.settings import Settings

IN_RATE = 16000  # what VAD and Whisper want; transports resample to it


KEEP_ALIVE_S = 5.0  # well inside the frontdesk's call lease (CALL_LEASE_S)


@dataclass
class ActiveCall:
    call: CallInfo
    started: float
    worker: PipelineWorker
    stage: FrontdeskProcessor


@dataclass
class VoiceServices:
    """Everything calls share. Created lazily by the app (loading Whisper takes ~1 s)."""

    settings: Settings
    frontdesk: Frontdesk
    recognizer: SpeechRecognizer
    telephony: Telephony
    sms: SmsSender
    calls: dict[str, ActiveCall] = field(default_factory=dict)
    clock: Callable[[], datetime] | None = None

    @classmethod
    def create(cls, settings: Settings, frontdesk: Frontdesk, telephony: Telephony,
               sms: SmsSender) -> VoiceServices:
        """Load the speech model with the vocabulary of `frontdesk`'s knowledge; the
        carrier adapters come from the host (the web app builds them from settings)."""
        prompt, hotwords = vocabulary(frontdesk.knowledge)
        recognizer = SpeechRecognizer.from_settings(
            settings, prompt if settings.stt_prompt else None, hotwords)
        return cls(settings, frontdesk, recognizer, telephony, sms)


def _hearing(s: Settings, services: VoiceServices) -> list[FrameProcessor]:
    """VAD, the end of the caller's turn and speech to text, in pipeline order.

    Smart Turn (default): VAD reports pauses of 0.2 s, pipecat's Smart Turn v3 model
    decides from the audio whether the caller has finished (else a longer silence
    does), and the turn is transcribed as one (`TurnSTTService`, started at the pause).
    Silence: a fixed 0.6 s silence ends the utterance, transcribed per VAD segment."""
    if s.voice_end_of_turn == "smart_turn":
        from pipecat.audio.turn.smart_turn.base_smart_turn import SmartTurnParams
        from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import (
            LocalSmartTurnAnalyzerV3,
        )
        from pipecat.turns.user_stop import TurnAnalyzerUserTurnStopStrategy

        vad = VADProcessor(vad_analyzer=SileroVADAnalyzer(
            sample_rate=IN_RATE, params=VADParams(stop_secs=s.voice_turn_pause_s)))
        analyzer = LocalSmartTurnAnalyzerV3(
            sample_rate=IN_RATE, params=SmartTurnParams(stop_secs=s.voice_turn_max_wait_s))
        turns = UserTurnProcessor(user_turn_strategies=UserTurnStrategies(
            start=[VADUserTurnStartStrategy()],
            stop=[TurnAnalyzerUserTurnStopStrategy(turn_analyzer=analyzer,
                                                   wait_for_transcript=False)]),
            user_turn_stop_timeout=s.voice_turn_max_wait_s + 0.5)  # pipecat's default: 5 s
        return [vad, turns, TurnSTTService(services.recognizer, timeout_s=s.stt_timeout_s,
                                           sentence_wait_s=s.voice_vad_stop_s)]
    vad = VADProcessor(vad_analyzer=SileroVADAnalyzer(
        sample_rate=IN_RATE, params=VADParams(stop_secs=s.voice_vad_stop_s)))
    stt = FrontdeskSTTService(services.recognizer, timeout_s=s.stt_timeout_s)
    turns = UserTurnProcessor(user_turn_strategies=UserTurnStrategies(
        start=[VADUserTurnStartStrategy()],
        stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=s.voice_vad_stop_s,
                                                wait_for_transcript=False)]))
    return [vad, stt, turns]


def build_pipeline(transport: BaseTransport, services: VoiceServices, call: CallInfo,
                   municipality: str | None = None) -> tuple[Pipeline, FrontdeskProcessor]:
    s = services.settings
    dtmf = DTMFAggregator(timeout=3.0, prefix="")
    stage = FrontdeskProcessor(services.frontdesk, call, services.telephony, services.sms,
                               municipality=municipality, silence_s=s.voice_silence_s,
                               hold_announce_s=s.voice_hold_announce_s, clock=services.clock)
    tts = make_tts(s)
    pipeline = Pipeline([transport.input(), *_hearing(s, services), dtmf, stage, tts,
                         transport.output()])
    return pipeline, stage


async def _keep_alive(services: VoiceServices, conversation: str) -> None:
    """While the call lives, its lease is renewed: should this process die, another
    finds the lease run out and records the call as dropped (`Frontdesk.expire_dropped`)."""
    while True:
        await asyncio.sleep(KEEP_ALIVE_S)
        try:
            await asyncio.to_thread(services.frontdesk.keep_alive, conversation)
        except Exception as exc:  # the store is down: the call goes on regardless
            logger.warning(f"call {conversation}: lease not renewed: {exc!r}")


async def run_call(transport: BaseTransport, services: VoiceServices, call: CallInfo, *,
                   municipality: str | None = None, out_rate: int = 8000,
                   on_worker: Callable[[PipelineWorker], Any] | None = None) -> ActiveCall:
    """Run one call to its end (hang-up, goodbye or transfer); cleans up on any exit."""
    pipeline, stage = build_pipeline(transport, services, call, municipality)
    worker = PipelineWorker(pipeline, params=PipelineParams(
        audio_in_sample_rate=IN_RATE, audio_out_sample_rate=out_rate),
        idle_timeout_secs=None, enable_rtvi=False, conversation_id=call.conversation)
    active = ActiveCall(call, time.monotonic(), worker, stage)
    services.calls[call.conversation] = active

    @transport.event_handler("on_client_disconnected")
    async def _hung_up(_transport: Any, _client: Any) -> None:
        await worker.cancel(reason="caller hung up")

    if on_worker is not None:
        on_worker(worker)
    runner = WorkerRunner(handle_sigint=False)
    alive = asyncio.create_task(_keep_alive(services, call.conversation))
    try:
        await runner.add_workers(worker)
        await runner.run()
    except asyncio.CancelledError:
        await worker.cancel(reason="server shutting down")
        raise
    finally:
        alive.cancel()
        services.calls.pop(call.conversation, None)
        # A cancelled pipeline may not have passed CancelFrame to every stage.
        await stage.finish()
        logger.info(f"call {call.conversation} ended after "
                    f"{time.monotonic() - active.started:.1f} s")
    return active
