"""Speech to text: faster-whisper, one model shared by every call, biased to our words.

pipecat's `WhisperSTTService` loads a model per instance (one per call) and cannot
set temperature or beam width; ours subclasses pipecat's `SegmentedSTTService` (VAD
segments in, one `TranscriptionFrame` per utterance out) and transcribes through a
process-wide `SpeechRecognizer`:
- temperature 0 only (faster-whisper's temperature fallback caused 3–7 s outliers),
  Danish, beam width by configuration;
- `initial_prompt` and `hotwords` from the knowledge base's vocabulary
  (`bot/voice/vocabulary.py`), which helps the small default model with names;
- a time limit: a transcription slower than `DDH_STT_TIMEOUT_S`, or one that fails,
  becomes a `SpeechNotUnderstoodFrame`, so the frontdesk stage apologises and offers
  a person instead of leaving the caller in silence.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from loguru import logger
from pipecat.frames.frames import Frame, TranscriptionFrame
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from bot.stt_model import model_dir, resolve_device
from bot.voice.frames import SpeechNotUnderstoodFrame
from ddh.settings import Settings

NO_SPEECH = 0.6  # segments Whisper itself judges as silence are dropped


@dataclass
class Transcript:
    text: str
    seconds: float  # audio length


class SpeechRecognizer:
    """One faster-whisper model for the whole process (thread-safe, a few workers)."""

    def __init__(self, path: Path, device: str = "cpu", compute_type: str = "int8",
                 beam_size: int = 1, prompt: str | None = None,
                 hotwords: str | None = None, workers: int = 2) -> None:
        from faster_whisper import WhisperModel

        self.device = resolve_device(device)
        if self.device == "cuda" and compute_type == "int8":
            compute_type = "float16"
        self.model = WhisperModel(str(path), device=self.device, compute_type=compute_type,
                                  cpu_threads=2, num_workers=workers)
        self.beam_size = beam_size
        self.prompt = prompt
        self.hotwords = hotwords
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stt")
        self.calls = 0
        self.failures = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, prompt: str | None = None,
                      hotwords: str | None = None) -> SpeechRecognizer:
        path = model_dir(settings.stt_model, settings.model_cache)
        return cls(path, settings.stt_device, settings.stt_compute_type,
                   settings.stt_beam_size, prompt,
                   hotwords if settings.stt_hotwords else None)

    def transcribe(self, pcm16: bytes, sample_rate: int = 16000) -> Transcript:
        """Blocking: 16-bit mono PCM at 16 kHz to text (empty when it heard nothing)."""
        audio = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        if sample_rate != 16000:
            raise ValueError("the recogniser expects 16 kHz audio")
        segments, _ = self.model.transcribe(
            audio, language="da", task="transcribe", beam_size=self.beam_size,
            temperature=0.0, condition_on_previous_text=False, vad_filter=False,
            initial_prompt=self.prompt, hotwords=self.hotwords, without_timestamps=True,
            no_repeat_ngram_size=3)  # the small model otherwise loops on a word
        text = " ".join(s.text.strip() for s in segments if s.no_speech_prob < NO_SPEECH)
        with self._lock:
            self.calls += 1
        return Transcript(text.strip(), len(audio) / sample_rate)

    async def transcribe_async(self, pcm16: bytes, timeout_s: float) -> Transcript:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._pool, self.transcribe, pcm16)
        try:
            return await asyncio.wait_for(fut, timeout_s)
        except BaseException:
            with self._lock:
                self.failures += 1
            raise


class FrontdeskSTTService(SegmentedSTTService):
    """Segmented STT over the shared recogniser (see module docstring)."""

    def __init__(self, recognizer: SpeechRecognizer, *, timeout_s: float = 4.0,
                 **kwargs: Any) -> None:
        super().__init__(sample_rate=16000,
                         settings=STTSettings(model=None, language=Language.DA), **kwargs)
        self.recognizer = recognizer
        self.timeout_s = timeout_s

    @property
    def wants_wav_segments(self) -> bool:
        return False  # raw 16-bit PCM for the local model

    def can_generate_metrics(self) -> bool:
        return True

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        await self.start_processing_metrics()
        try:
            result = await self.recognizer.transcribe_async(audio, self.timeout_s)
        except TimeoutError:
            logger.warning(f"{self}: transcription over {self.timeout_s} s; given up")
            yield SpeechNotUnderstoodFrame(reason="timeout")
            return
        except Exception as exc:  # any engine failure becomes an apology, not silence
            logger.error(f"{self}: transcription failed: {exc!r}")
            yield SpeechNotUnderstoodFrame(reason="error")
            return
        finally:
            await self.stop_processing_metrics()
        if result.text:
            yield TranscriptionFrame(result.text, self._user_id, time_now_iso8601(),
                                     Language.DA)
        else:
            yield SpeechNotUnderstoodFrame(reason="empty")
