"""Frames of our own that travel through the voice pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.frames.frames import DataFrame


@dataclass
class SpeechNotUnderstoodFrame(DataFrame):
    """The caller said something we could not turn into text.

    `reason`: `empty` (nothing recognisable), `timeout` or `error` (the speech-to-text
    engine was too slow or failed). The frontdesk stage answers with an apology and,
    when it keeps happening, offers a person.
    """

    reason: str = "empty"
