"""Twilio `clear` only while the bot's audio may still be playing (issue 16: a `clear`
was sent every time a caller started speaking, even after the greeting had ended)."""

from __future__ import annotations

import asyncio
import json

from pipecat.frames.frames import InterruptionFrame, OutputAudioRawFrame

from bot.voice.twilio import TwilioSerializer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_clear_only_while_audio_may_still_be_playing():
    clock = Clock()
    s = TwilioSerializer("MZ1", "CA1", params=TwilioSerializer.InputParams(auto_hang_up=False),
                         clock=clock)

    async def run() -> list[object]:
        out: list[object] = [await s.serialize(InterruptionFrame())]  # nothing sent yet
        second = OutputAudioRawFrame(audio=b"\x10\x00" * 16000, sample_rate=16000,
                                     num_channels=1)
        media = await s.serialize(second)
        out.append(json.loads(str(media))["event"])
        clock.now += 0.5  # half of it played
        out.append(await s.serialize(InterruptionFrame()))
        out.append(await s.serialize(InterruptionFrame()))  # cleared: nothing left
        await s.serialize(second)
        clock.now += 1.2  # all of it played
        out.append(await s.serialize(InterruptionFrame()))
        return out

    first, media, cleared, again, late = asyncio.run(run())
    assert first is None and media == "media"
    assert json.loads(str(cleared)) == {"event": "clear", "streamSid": "MZ1"}
    assert again is None and late is None
