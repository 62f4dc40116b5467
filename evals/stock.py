"""A stock pipecat voice pipeline: the baseline the voice figures are compared with.

What a team gets from pipecat's own parts, on the same bundled Whisper base and the
same Twilio media-stream protocol: Silero VAD with its default parameters, pipecat's
`WhisperSTTService` (one model per call, faster-whisper's default decoding), a fixed
reply instead of the frontdesk, and the project's text to speech. Served by a small
FastAPI app with the same webhook and stream URLs as the gateway, so the same caller
(`evals.voice.call`, `evals.callers`) dials both in the same run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import Response

from ddh.settings import Settings

GREETING = "Hej, du har ringet til kommunen. Hvad kan jeg hjælpe med?"
REPLY = "Tak for dit spørgsmål. Jeg finder svaret til dig."


def stock_app(settings: Settings, model: Path) -> FastAPI:
    """The baseline as an ASGI app: POST /voice/twilio/incoming, WS /voice/stock."""
    app = FastAPI()

    @app.post("/voice/twilio/incoming")
    async def incoming(request: Request) -> Response:
        host = request.headers.get("host", "127.0.0.1")
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
                        f'<Stream url="ws://{host}/voice/stock"></Stream></Connect>'
                        '</Response>', media_type="application/xml")

    @app.websocket("/voice/stock")
    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        await _run(ws, settings, model)

    return app


async def _run(ws: WebSocket, settings: Settings, model: Path) -> None:
    import json

    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.frames.frames import Frame, StartFrame, TranscriptionFrame, TTSSpeakFrame
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.audio.vad_processor import VADProcessor
    from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
    from pipecat.serializers.twilio import TwilioFrameSerializer
    from pipecat.services.whisper.stt import WhisperSTTService
    from pipecat.transcriptions.language import Language
    from pipecat.transports.websocket.fastapi import (
        FastAPIWebsocketParams,
        FastAPIWebsocketTransport,
    )
    from pipecat.workers.runner import WorkerRunner

    from bot.voice.tts import make_tts

    start: dict[str, Any] = {}
    while not start:  # Twilio's `connected`, then `start`
        msg = json.loads(await ws.receive_text())
        if msg.get("event") == "start":
            start = msg["start"]

    class FixedReply(FrameProcessor):
        async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
            await super().process_frame(frame, direction)
            await self.push_frame(frame, direction)
            if isinstance(frame, StartFrame):
                await self.push_frame(TTSSpeakFrame(GREETING))
            elif isinstance(frame, TranscriptionFrame) and frame.text.strip():
                await self.push_frame(TTSSpeakFrame(REPLY))

    serializer = TwilioFrameSerializer(
        start["streamSid"], start.get("callSid"),
        params=TwilioFrameSerializer.InputParams(auto_hang_up=False))
    transport = FastAPIWebsocketTransport(ws, FastAPIWebsocketParams(
        audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
        serializer=serializer))
    pipeline = Pipeline([transport.input(), VADProcessor(vad_analyzer=SileroVADAnalyzer()),
                         WhisperSTTService(device="cpu", settings=WhisperSTTService.Settings(
                             model=str(model), language=Language.DA)),
                         FixedReply(), make_tts(settings), transport.output()])
    worker = PipelineWorker(pipeline, params=PipelineParams(
        audio_in_sample_rate=16000, audio_out_sample_rate=8000),
        idle_timeout_secs=None, enable_rtvi=False)

    @transport.event_handler("on_client_disconnected")
    async def _gone(_t: Any, _c: Any) -> None:
        await worker.cancel(reason="caller hung up")

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await runner.run()
