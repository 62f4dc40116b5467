"""Redact stage: personal data out of the citizen's text before anything else sees it.

What follows (cues, search, the store, logs, a language model) gets only the
redacted text; the phone numbers found are kept aside, used only when the citizen
gives one for a callback.
"""

from __future__ import annotations

from bot.intents import detect
from bot.turn.types import Heard, Recognition
from ddh.redaction import redact


def hear(text: str, recognition: Recognition | None = None) -> Heard:
    """The turn's text redacted, and the recogniser's other hypotheses too: they are
    searched like the text, so they must be as clean."""
    red = redact(text)
    alternatives = tuple(redact(a).text for a in recognition.alternatives) \
        if recognition else ()
    return Heard(red.text, tuple(red.phones), tuple(sorted(red.kinds)), detect(red.text),
                 alternatives, recognition.unsure if recognition else False)
