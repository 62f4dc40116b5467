"""Redact stage: personal data out of the citizen's text before anything else sees it.

What follows (cues, search, the store, logs, a language model) gets only the
redacted text; the phone numbers found are kept aside, used only when the citizen
gives one for a callback.
"""

from __future__ import annotations

from bot.intents import detect
from bot.turn.types import Heard, Recognition
from ddh.redaction import date_fragments, redact


def hear(text: str, recognition: Recognition | None = None,
         serial_expected: bool = False) -> Heard:
    """The turn's text redacted, and the recogniser's other hypotheses too: they are
    searched like the text, so they must be as clean. `serial_expected`: the last turn
    gave a CPR number's date part, so four digits now are its serial."""
    red = redact(text, serial_expected)
    alternatives = tuple(redact(a, serial_expected).text for a in recognition.alternatives) \
        if recognition else ()
    return Heard(red.text, tuple(red.phones), tuple(sorted(red.kinds)), detect(red.text),
                 alternatives, recognition.unsure if recognition else False,
                 red.serial_to_come, red.serial, tuple(date_fragments(red.text)))
