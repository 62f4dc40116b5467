"""Speech to text: faster-whisper, one model shared by every call, biased to our words.

pipecat's `WhisperSTTService` loads a model per instance (one per call) and cannot
set temperature or beam width; ours subclasses pipecat's `SegmentedSTTService` (VAD
segments in, one `TranscriptionFrame` per utterance out) and transcribes through a
process-wide `SpeechRecognizer`:
- temperature 0 only (faster-whisper's temperature fallback caused 3–7 s outliers),
  Danish, beam width by configuration;
- decoded with CTranslate2 directly (faster-whisper loads the model, computes the
  features and tokenises), so one beam search gives several hypotheses with scores:
  the frontdesk searches them all and confirms the topic when the recogniser was unsure
  (`Recognition`: mean log-probability, no-speech probability, compression ratio);
- a turn is dropped as silence only when Whisper both thinks it held no speech and
  is unsure of the words (faster-whisper's own rule): a no-speech score alone dropped
  clear requests ("jeg vil gerne tale med en medarbejder" scored 0.81);
- `initial_prompt` and `hotwords` from the knowledge base's vocabulary
  (`bot/voice/vocabulary.py`), which helps the small default model with names; a
  transcript that is the prompt written back (`bot.voice.echo`) is decoded again
  without it and counts as unsure;
- a time limit: a transcription slower than `DDH_STT_TIMEOUT_S` once a worker has
  started on it (the wait for a free worker is bounded apart), or one that fails,
  becomes a `SpeechNotUnderstoodFrame`, so the frontdesk stage apologises and offers
  a person instead of leaving the caller in silence.
"""

from __future__ import annotations

import asyncio
import threading
import zlib
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
from bot.turn.types import Recognition
from bot.voice.echo import echoes_prompt
from bot.voice.frames import SpeechNotUnderstoodFrame
from ddh.settings import Settings

NO_SPEECH = 0.6  # with a low score too: Whisper judges the audio as silence
SILENT_LOGPROB = -1.0
HYPOTHESES = 3  # the best and two alternatives
WINDOW = 3000  # feature frames Whisper's encoder takes (30 s)
QUEUE_WAIT_FACTOR = 1.0  # a turn may wait one time limit for a free worker, then is heard


@dataclass
class Transcript:
    text: str
    seconds: float  # audio length
    recognition: Recognition = field(default_factory=Recognition)


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


class SpeechRecognizer:
    """One faster-whisper model for the whole process (thread-safe, a few workers)."""

    def __init__(self, path: Path, device: str = "cpu", compute_type: str = "int8",
                 beam_size: int = 1, prompt: str | None = None,
                 hotwords: str | None = None, workers: int = 2,
                 min_logprob: float = -1.0, max_no_speech: float = 0.5,
                 max_compression: float = 2.4) -> None:
        from faster_whisper import WhisperModel

        self.device = resolve_device(device)
        if self.device == "cuda" and compute_type == "int8":
            compute_type = "float16"
        self.model = WhisperModel(str(path), device=self.device, compute_type=compute_type,
                                  cpu_threads=2, num_workers=workers)
        self.beam_size = beam_size
        self.min_logprob = min_logprob
        self.max_no_speech = max_no_speech
        self.max_compression = max_compression
        self.prompt = prompt
        self.hotwords = hotwords
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stt")
        self._prompt_tokens: list[int] | None = None
        self._tokenizer: Any = None
        self.calls = 0
        self.failures = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, prompt: str | None = None,
                      hotwords: str | None = None) -> SpeechRecognizer:
        path = model_dir(settings.stt_model, settings.model_cache)
        return cls(path, settings.stt_device, settings.stt_compute_type,
                   settings.stt_beam_size, prompt,
                   hotwords if settings.stt_hotwords else None,
                   min_logprob=settings.stt_min_logprob)

    def _prompt(self) -> list[int]:
        """The decoder's start: the vocabulary prompt (and hotwords) as previous text,
        then Danish, transcribe, no timestamps (as faster-whisper builds it)."""
        if self._prompt_tokens is None:
            from faster_whisper.tokenizer import Tokenizer

            tok = Tokenizer(self.model.hf_tokenizer, True, task="transcribe", language="da")
            half = self.model.max_length // 2 - 1
            prompt: list[int] = []
            if self.prompt or self.hotwords:
                prompt.append(tok.sot_prev)
                if self.hotwords:
                    prompt += tok.encode(" " + self.hotwords.strip())[:half]
                if self.prompt:
                    prompt += tok.encode(" " + self.prompt.strip())[-half:]
            self._tokenizer = tok
            self._prompt_tokens = [*prompt, *tok.sot_sequence, tok.no_timestamps]
        return self._prompt_tokens

    def _bias(self) -> str:
        return ", ".join(t.strip() for t in (self.hotwords, self.prompt) if t)

    def _plain_start(self) -> list[int]:
        tok = self._tokenizer
        return [*tok.sot_sequence, tok.no_timestamps]

    def _decode(self, encoded: Any, start: list[int]) -> tuple[Any, list[str]]:
        result = self.model.model.generate(
            encoded, [start], beam_size=max(self.beam_size, HYPOTHESES),
            num_hypotheses=HYPOTHESES, return_scores=True, return_no_speech_prob=True,
            no_repeat_ngram_size=3,  # the small model otherwise loops on a word
            max_length=self.model.max_length, suppress_blank=True)[0]
        return result, [self._tokenizer.decode(ids).strip() for ids in result.sequences_ids]

    def transcribe(self, pcm16: bytes, sample_rate: int = 16000) -> Transcript:
        """Blocking: 16-bit mono PCM at 16 kHz to text (empty when it heard nothing),
        with the recogniser's scores and its other hypotheses."""
        audio = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        if sample_rate != 16000:
            raise ValueError("the recogniser expects 16 kHz audio")
        prompt = self._prompt()
        features = self.model.feature_extractor(audio)
        texts: list[str] = []
        alternatives: list[str] = []
        logprobs: list[float] = []
        no_speech: list[float] = []
        echoed = False
        for start in range(0, max(features.shape[-1], 1), WINDOW):
            window = features[:, start:start + WINDOW]
            window = np.pad(window, ((0, 0), (0, WINDOW - window.shape[-1])))
            encoded = self.model.encode(window)
            result, decoded = self._decode(encoded, prompt)
            if decoded and echoes_prompt(decoded[0], self._bias()):
                # the prompt written back: decode again, unbiased (the encoder's output
                # is reused, so this costs a decoder pass), and confirm what was heard
                echoed = True
                result, decoded = self._decode(encoded, self._plain_start())
            score = float(result.scores[0]) if result.scores else -10.0
            if not decoded or (result.no_speech_prob > NO_SPEECH and score < SILENT_LOGPROB):
                continue  # silence (or noise) in this window
            texts.append(decoded[0])
            logprobs.append(score)
            no_speech.append(float(result.no_speech_prob))
            if start == 0:
                alternatives = [d for d in dict.fromkeys(decoded[1:]) if d and d != decoded[0]]
        text = " ".join(t for t in texts if t).strip()
        with self._lock:
            self.calls += 1
        logprob = round(float(np.mean(logprobs)), 3) if logprobs else 0.0
        silence = round(max(no_speech), 3) if no_speech else 0.0
        ratio = round(compression_ratio(text), 3)
        recognition = Recognition(
            tuple(alternatives) if len(texts) == 1 else (), logprob, silence, ratio,
            unsure=echoed or logprob < self.min_logprob or silence > self.max_no_speech or
            ratio > self.max_compression)
        return Transcript(text, len(audio) / sample_rate, recognition)

    def choose(self, pcm16: bytes, phrases: list[str]) -> list[float]:
        """Blocking: how likely Whisper's decoder finds each phrase as the whole of what
        was said (sum of token log-probabilities, end of text included): closed-set
        recognition for the few answers a switchboard must get right. ~0.1 s a phrase
        on a CPU core (CTranslate2 `Whisper.align`, as faster-whisper uses for word
        timestamps)."""
        import ctranslate2

        self._prompt()
        audio = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        features = self.model.feature_extractor(audio)[:, :WINDOW]
        frames = features.shape[-1]
        encoded = np.asarray(self.model.encode(
            np.pad(features, ((0, 0), (0, WINDOW - frames)))))
        tok = self._tokenizer
        tokens = [[*tok.encode(" " + p.strip()), tok.eot] for p in phrases]
        start = self._plain_start()
        batch = ctranslate2.StorageView.from_array(np.repeat(encoded, len(phrases), axis=0))
        results = self.model.model.align(batch, start, tokens, frames)
        return [float(np.sum(np.log(np.maximum(np.asarray(r.text_token_probs), 1e-9))))
                for r in results]

    async def choose_async(self, pcm16: bytes, phrases: list[str],
                           timeout_s: float) -> list[float]:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(
            loop.run_in_executor(self._pool, self.choose, pcm16, phrases), timeout_s)

    async def transcribe_async(self, pcm16: bytes, timeout_s: float) -> Transcript:
        """The transcript, or `TimeoutError` when the engine took longer than
        `timeout_s` once it had started on this turn. The wait for a free worker
        counts separately (up to `QUEUE_WAIT_FACTOR` × `timeout_s`): under load the
        turn is queued behind other calls' turns, and giving it up after it has waited
        its time in line made an empty transcript of a clear question. Bounded, so a
        caller never waits in silence for long: past it, the apology and a person."""
        loop = asyncio.get_running_loop()
        started = asyncio.Event()

        def job() -> Transcript:
            loop.call_soon_threadsafe(started.set)
            return self.transcribe(pcm16)

        fut = loop.run_in_executor(self._pool, job)
        try:
            await asyncio.wait_for(started.wait(), timeout_s * QUEUE_WAIT_FACTOR)
            return await asyncio.wait_for(fut, timeout_s)
        except BaseException:
            fut.cancel()  # not started yet: it never runs; running: its result is dropped
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
            # the scores and alternatives travel in the frame's `result` field
            yield TranscriptionFrame(result.text, self._user_id, time_now_iso8601(),
                                     Language.DA, result=result.recognition)
        else:
            yield SpeechNotUnderstoodFrame(reason="empty")
