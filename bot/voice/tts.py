"""Text to speech: an offline Danish default around espeak-ng, and real voices by config.

No Danish neural voice ships on PyPI, so the default speaks through Debian's espeak-ng
(`-v da`): robotic but intelligible, instant (first audio in ~20 ms) and offline. A
deployment sets `DDH_TTS` to `piper` (with a Danish voice file, e.g. da_DK-talesyntese),
`azure`, `openai` or `elevenlabs` (with `DDH_TTS_API_KEY`); those are pipecat's own
services. Whatever the engine, a failing or slow engine must not leave the caller in
silence: `FallbackTTSService` speaks the utterance with espeak-ng instead.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from loguru import logger
from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService

from ddh.settings import Settings

ESPEAK_RATE_HZ = 22050  # espeak-ng's output sample rate
WAV_HEADER = 44


class TTSUnavailable(RuntimeError):
    """The configured engine cannot start (missing binary, package, key or voice)."""


def espeak_binary() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise TTSUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
    return path


@dataclass
class EspeakTTSSettings(TTSSettings):
    """Settings for `EspeakTTSService` (`voice` is an espeak-ng voice, e.g. `da`)."""


class EspeakTTSService(TTSService):
    """espeak-ng as a pipecat TTS service, streaming its PCM as it is produced.

    Each utterance is one espeak-ng process writing WAV to stdout; an interruption
    (the caller barges in) cancels the generator and the process is killed at once.
    """

    Settings = EspeakTTSSettings

    def __init__(self, *, voice: str = "da", rate: int = 165, **kwargs: Any) -> None:
        super().__init__(push_start_frame=True, push_stop_frames=True,
                         settings=self.Settings(model=None, voice=voice, language=None),
                         **kwargs)
        self._binary = espeak_binary()
        self._rate = rate

    def can_generate_metrics(self) -> bool:
        return True

    async def _pcm(self, text: str) -> AsyncIterator[bytes]:
        voice = str(getattr(self._settings, "voice", None) or "da")
        proc = await asyncio.create_subprocess_exec(
            self._binary, "-v", voice, "-s", str(self._rate),
            "--stdout", text,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        header = b""
        try:
            while len(header) < WAV_HEADER:
                chunk = await proc.stdout.read(WAV_HEADER - len(header))
                if not chunk:
                    break
                header += chunk
            while chunk := await proc.stdout.read(4096):
                yield chunk
            if await proc.wait() != 0:
                err = (await proc.stderr.read()).decode(errors="replace") if proc.stderr else ""
                raise TTSUnavailable(f"espeak-ng exited {proc.returncode}: {err.strip()}")
        finally:
            if proc.returncode is None:  # cancelled mid-utterance: no orphan process
                proc.kill()
                await proc.wait()

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        try:
            await self.start_tts_usage_metrics(text)
            async for frame in self._stream_audio_frames_from_iterator(
                    self._pcm(text), in_sample_rate=ESPEAK_RATE_HZ, context_id=context_id):
                await self.stop_ttfb_metrics()
                yield frame
        except TTSUnavailable as exc:
            logger.error(f"{self}: {exc}")
            yield ErrorFrame(error=str(exc))


class FallbackTTSService(TTSService):
    """The configured engine, with espeak-ng taking over an utterance it fails.

    Failure is an exception, an error frame before any audio, or no audio within
    `first_audio_s`: the caller then hears the same words from espeak-ng, so a cloud
    outage costs voice quality, never silence.
    """

    def __init__(self, primary: TTSService, fallback: EspeakTTSService, *,
                 first_audio_s: float = 3.0, **kwargs: Any) -> None:
        super().__init__(push_start_frame=True, push_stop_frames=True,
                         settings=TTSSettings(model=None, voice=None, language=None), **kwargs)
        self.primary = primary
        self.fallback = fallback
        self._first_audio_s = first_audio_s
        self.fallbacks = 0

    async def setup(self, setup: Any) -> None:
        await super().setup(setup)
        await self.primary.setup(setup)
        await self.fallback.setup(setup)

    async def start(self, frame: Any) -> None:
        await super().start(frame)
        for svc in (self.primary, self.fallback):
            await svc.start(frame)

    async def cleanup(self) -> None:
        await self.primary.cleanup()
        await self.fallback.cleanup()
        await super().cleanup()

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        agen = self.primary.run_tts(text, context_id).__aiter__()
        got_audio = False
        try:
            while True:
                timeout = None if got_audio else self._first_audio_s
                frame = await asyncio.wait_for(agen.__anext__(), timeout)
                if isinstance(frame, ErrorFrame) and not got_audio:
                    raise TTSUnavailable(frame.error)
                got_audio = got_audio or isinstance(frame, TTSAudioRawFrame)
                yield frame
        except StopAsyncIteration:
            return
        except (TimeoutError, TTSUnavailable, OSError, RuntimeError) as exc:
            if got_audio:
                logger.warning(f"{self}: primary failed mid-utterance: {exc}")
                return
            self.fallbacks += 1
            logger.warning(f"{self}: primary TTS failed ({exc!r}); speaking with espeak-ng")
        finally:
            if isinstance(agen, AsyncGenerator):
                await agen.aclose()
        async for frame in self.fallback.run_tts(text, context_id):
            yield frame


def _cloud_tts(settings: Settings, sample_rate: int | None) -> TTSService:
    key = settings.tts_api_key.get_secret_value() if settings.tts_api_key else None
    if settings.tts == "piper":
        if settings.tts_model_path is None or not settings.tts_model_path.is_file():
            raise TTSUnavailable("DDH_TTS=piper needs DDH_TTS_MODEL_PATH (a Danish .onnx voice)")
        try:
            from pipecat.services.piper.tts import PiperTTSService
        except ImportError as exc:
            raise TTSUnavailable(f"piper is not installed: {exc}") from None
        return PiperTTSService(
            settings=PiperTTSService.Settings(voice=settings.tts_model_path.stem),
            download_dir=settings.tts_model_path.parent, sample_rate=sample_rate)
    if not key:
        raise TTSUnavailable(f"DDH_TTS={settings.tts} needs DDH_TTS_API_KEY")
    try:
        if settings.tts == "azure":
            from pipecat.services.azure.tts import AzureTTSService

            return AzureTTSService(api_key=key, region=settings.tts_region or "westeurope",
                                   settings=AzureTTSService.Settings(
                                       voice=settings.tts_voice or "da-DK-ChristelNeural",
                                       language="da-DK"), sample_rate=sample_rate)
        if settings.tts == "openai":
            from pipecat.services.openai.tts import OpenAITTSService

            return OpenAITTSService(api_key=key, settings=OpenAITTSService.Settings(
                voice=settings.tts_voice or "alloy"), sample_rate=sample_rate)
        from pipecat.services.elevenlabs.tts import ElevenLabsTTSService

        if not settings.tts_voice:
            raise TTSUnavailable("DDH_TTS=elevenlabs needs DDH_TTS_VOICE (a voice id)")
        return ElevenLabsTTSService(api_key=key, settings=ElevenLabsTTSService.Settings(
            voice=settings.tts_voice, model="eleven_multilingual_v2"), sample_rate=sample_rate)
    except ImportError as exc:
        raise TTSUnavailable(f"pipecat's {settings.tts} service is not installed: {exc}") \
            from None


def make_tts(settings: Settings, sample_rate: int | None = None) -> TTSService:
    """The configured engine (wrapped with the espeak-ng fallback), or espeak-ng itself."""
    espeak = EspeakTTSService(voice=settings.tts_voice or "da" if settings.tts == "espeak"
                              else "da", rate=settings.tts_rate, sample_rate=sample_rate)
    if settings.tts == "espeak":
        return espeak
    try:
        primary = _cloud_tts(settings, sample_rate)
    except (TTSUnavailable, TypeError, ValueError) as exc:  # bad config never breaks calls
        logger.error(f"TTS {settings.tts} unavailable ({exc}); using espeak-ng")
        return espeak
    return FallbackTTSService(primary, espeak, first_audio_s=settings.tts_timeout_s,
                              sample_rate=sample_rate)
