"""Speech to text per caller turn, started before the turn is known to be over.

With Smart Turn deciding the end of a turn (pipecat's `LocalSmartTurnAnalyzerV3`, an
audio model that hears whether a sentence is finished), VAD only needs a short pause
(0.2 s) to ask it. This stage sits after pipecat's `UserTurnProcessor` and:
- keeps the caller's audio from the start of the turn (with a little before it, as
  VAD starts late) across the pauses inside it;
- at every pause VAD reports, starts transcribing what it has (speculatively: the
  caller may go on, and then that result is dropped);
- when the turn ends (`UserStoppedSpeakingFrame`), releases the transcript at once if
  the caller said nothing since that pause, else transcribes the whole turn.
So the caller's words are transcribed while Smart Turn decides, and a sentence with a
pause in it is one turn, one transcript, not two. When Smart Turn hears an unfinished
sentence it waits for a longer silence (2 s); if by `sentence_wait_s` (0.6 s, the
old fixed silence) the transcript of the pause reads as a finished sentence, the turn
is released then: never later than the plain silence rule for a complete sentence.
One `SpeechRecognizer` (one model, a few worker threads) serves every call of the
process.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import time
from dataclasses import replace
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from bot.voice.frames import ExpectAnswerFrame, SpeechNotUnderstoodFrame
from bot.voice.stt import SpeechRecognizer, Transcript

_SENTENCE = re.compile(r"[.?!]\s*$")


def _answers(text: str, expect: tuple[tuple[str, str], ...]) -> bool:
    """The free transcript already says one of the expected answers (as whole words:
    "ja", "Ringkøbing-Skjern")."""
    low = text.lower()
    return any(re.search(rf"(?<![\wæøå]){re.escape(meaning.lower())}(?![\wæøå])", low)
               for meaning, _ in expect)


# Decoder scoring costs about 0.1–0.2 s a phrase on a CPU core: of many expected answers
# (the 98 municipalities) only those spelled most like the free transcript are scored.
SHORTLIST = 6


def shortlist(heard: str, expect: tuple[tuple[str, str], ...],
              most: int = SHORTLIST) -> tuple[tuple[str, str], ...]:
    """The expected answers most like what was heard ("Kaldin." → Kolding, Kalundborg …),
    in their given order when there are few."""
    if len(expect) <= most:
        return expect
    said = heard.lower().strip(" .,!?")
    ranked = sorted(expect, key=lambda e: -difflib.SequenceMatcher(
        None, said, e[1].lower().strip(" .,!?")).ratio())
    return tuple(ranked[:most])


RATE = 16000
BYTES_PER_S = RATE * 2
PRE_ROLL_S = 0.5  # VAD starts after 0.2 s of speech: keep what came before
MAX_TURN_S = 30.0  # a monologue is cut here and transcribed


class TurnSTTService(FrameProcessor):
    """See module docstring. Needs VAD frames and the user-turn frames upstream."""

    def __init__(self, recognizer: SpeechRecognizer, *, timeout_s: float = 4.0,
                 sentence_wait_s: float | None = 0.6, **kwargs: Any) -> None:
        super().__init__(name="TurnSTTService", **kwargs)
        self.recognizer = recognizer
        self.timeout_s = timeout_s
        self._pre = bytearray()  # rolling audio before a turn
        self._turn = bytearray()  # the turn's audio so far
        self._in_turn = False
        self._vad_speaking = False
        self._spoken_since = False  # speech after the last speculative start
        self._guess: asyncio.Task[Transcript] | None = None
        self._guess_len = 0
        self.sentence_wait_s = sentence_wait_s
        self._early: asyncio.Task[None] | None = None
        self._long: asyncio.Task[None] | None = None
        self._expect: tuple[tuple[str, str], ...] | None = None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            self._audio(frame.audio)
        elif isinstance(frame, VADUserStartedSpeakingFrame):
            self._vad_speaking = True
            if not self._in_turn:
                self._begin()
            self._spoken_since = True
        elif isinstance(frame, UserStartedSpeakingFrame) and not self._in_turn:
            self._begin()
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._vad_speaking = False
            if self._in_turn:
                self._speculate()
        elif isinstance(frame, UserStoppedSpeakingFrame) and self._in_turn:
            await self.push_frame(frame, direction)
            await self._release()
            return
        elif isinstance(frame, ExpectAnswerFrame):
            self._expect = frame.choices or None  # for the next turn
            return
        elif isinstance(frame, (EndFrame, CancelFrame)):
            self._drop_guess()
        await self.push_frame(frame, direction)

    def _audio(self, audio: bytes) -> None:
        if self._in_turn:
            self._turn.extend(audio)
            if len(self._turn) > MAX_TURN_S * BYTES_PER_S and self._long is None:
                # a monologue: transcribed and acted on at 30 s (Whisper's window)
                self._long = self.create_task(self._release_long(), name="long-turn")
        else:
            self._pre.extend(audio)
            excess = len(self._pre) - int(PRE_ROLL_S * BYTES_PER_S)
            if excess > 0:
                del self._pre[:excess]

    async def _release_long(self) -> None:
        try:
            await self._release()
        finally:
            self._long = None

    def _begin(self) -> None:
        self._in_turn = True
        self._turn = bytearray(self._pre)
        self._pre.clear()
        self._spoken_since = True
        self._drop_guess()

    def _speculate(self) -> None:
        """A pause: transcribe what the turn holds so far, in case it is the end."""
        self._drop_guess()
        self._spoken_since = False
        self._guess_len = len(self._turn)
        self._guess = asyncio.ensure_future(
            self.recognizer.transcribe_async(bytes(self._turn), self.timeout_s))
        if self.sentence_wait_s is not None:
            self._early = self.create_task(self._sentence_end(self._guess), name="sentence")

    async def _sentence_end(self, guess: asyncio.Future[Transcript]) -> None:
        """Release the turn at the plain silence mark when its words end a sentence."""
        paused = time.monotonic()
        try:
            result = await asyncio.shield(guess)
        except BaseException:
            return
        await asyncio.sleep(max(0.0, paused + (self.sentence_wait_s or 0) - time.monotonic()))
        if self._guess is guess and self._in_turn and not self._spoken_since and \
                _SENTENCE.search(result.text) and len(result.text.split()) >= 2:
            await self._release()

    def _drop_guess(self) -> None:
        if self._early is not None and self._early is not asyncio.current_task():
            self._early.cancel()
        self._early = None
        if self._guess is not None:
            self._guess.cancel()  # the worker thread finishes; its result is ignored
            self._guess = None

    async def _closed(self, audio: bytes, result: Transcript,
                      expect: tuple[tuple[str, str], ...]) -> Transcript:
        """A short turn after a closed question, not heard as one of its answers: the
        answer the decoder finds likeliest (the free transcript when scoring fails)."""
        expect = shortlist(result.text, expect)
        try:
            scores = await self.recognizer.choose_async(
                audio, [phrase for _, phrase in expect], self.timeout_s)
        except Exception as exc:  # scoring is a help, never a reason to fail the turn
            logger.warning(f"{self}: closed-set scoring failed: {exc!r}")
            return result
        meaning = expect[max(range(len(scores)), key=scores.__getitem__)][0]
        logger.info(f"{self}: heard {result.text!r}, scored as {meaning!r}")
        return replace(result, text=meaning)

    async def _release(self) -> None:
        """The turn is over: its transcript, from the guess when nothing came after."""
        audio, guess = bytes(self._turn), self._guess
        self._in_turn, self._turn, self._guess = False, bytearray(), None
        if self._early is not None and self._early is not asyncio.current_task():
            self._early.cancel()
        self._early = None
        reused = guess is not None and not self._spoken_since
        if self._vad_speaking:
            # the caller went on before the turn was judged over: what follows is the
            # next turn from here, not lost in the pre-roll
            self._in_turn, self._spoken_since = True, True
        try:
            if reused and guess is not None:
                result = await guess
            else:
                if guess is not None:
                    guess.cancel()
                result = await self.recognizer.transcribe_async(audio, self.timeout_s)
        except TimeoutError:
            logger.warning(f"{self}: transcription over {self.timeout_s} s; given up")
            await self.push_frame(SpeechNotUnderstoodFrame(reason="timeout"))
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any engine failure becomes an apology, not silence
            logger.error(f"{self}: transcription failed: {exc!r}")
            await self.push_frame(SpeechNotUnderstoodFrame(reason="error"))
            return
        expect, self._expect = self._expect, None
        # (nothing heard among many answers: no guess, the question is asked again)
        if expect and (result.text or len(expect) <= SHORTLIST) and \
                not _answers(result.text, expect) and len(result.text.split()) <= 3:
            result = await self._closed(audio, result, expect)
        if result.text:
            await self.push_frame(TranscriptionFrame(
                result.text, "caller", time_now_iso8601(), Language.DA,
                result=result.recognition,
                finalized=True))
        else:
            await self.push_frame(SpeechNotUnderstoodFrame(reason="empty"))
