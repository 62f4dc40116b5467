"""Frames of our own that travel through the voice pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from pipecat.frames.frames import DataFrame, SystemFrame


@dataclass
class SpeechNotUnderstoodFrame(DataFrame):
    """The caller said something we could not turn into text.

    `reason`: `empty` (nothing recognisable), `timeout` or `error` (the speech-to-text
    engine was too slow or failed). The frontdesk stage answers with an apology and,
    when it keeps happening, offers a person.
    """

    reason: str = "empty"


@dataclass
class ExpectAnswerFrame(SystemFrame):
    """Sent upstream by the frontdesk stage when the bot asked a closed question ("Handler
    det om …? Sig ja eller nej"): the next turn is scored against these phrases with the
    recogniser's decoder when its free transcript is not one of them (a small model
    hears a telephone "nej" as "Hej!"). `choices`: (what it means, a phrase to score)."""

    choices: tuple[tuple[str, str], ...] = ()
