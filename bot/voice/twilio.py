"""Twilio's media-stream serializer, with a `clear` only when there is audio to clear.

pipecat's `TwilioFrameSerializer` turns every interruption into a Twilio `clear`. The
user-turn processor interrupts whenever the caller starts speaking, so every caller
utterance sent a `clear`, even long after the bot's last word had been played. Twilio
plays what it is sent in real time; this serializer keeps track of how much of the bot's
audio Twilio may still be playing and sends `clear` only while some is.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pipecat.frames.frames import AudioRawFrame, Frame, InterruptionFrame
from pipecat.serializers.twilio import TwilioFrameSerializer

TWILIO_RATE = 8000  # µ-law bytes a second


class TwilioSerializer(TwilioFrameSerializer):
    def __init__(self, *args: object, clock: Callable[[], float] = time.monotonic,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._clock = clock
        self._playing_until = 0.0  # when Twilio will have played all we sent

    async def serialize(self, frame: Frame) -> str | bytes | None:
        now = self._clock()
        if isinstance(frame, InterruptionFrame):
            if now >= self._playing_until:
                return None  # nothing left to clear: the bot is silent
            self._playing_until = now
            return await super().serialize(frame)
        out = await super().serialize(frame)
        if isinstance(frame, AudioRawFrame) and out is not None:
            seconds = len(frame.audio) / 2 / frame.sample_rate  # 16-bit PCM in
            self._playing_until = max(now, self._playing_until) + seconds
        return out
