"""Municipality stage: what the channel or the citizen's words say about where they
live. The widget's page or the number called decides first; then a postal code or a
town in the text; a name that settles an earlier ambiguous one ("Favrskov" after
"8382 dækker Favrskov eller Aarhus?"). Once known, it is not asked again.

Speech the recogniser was unsure of ("jeg bor i ørhus", heard as something else) is
not taken on its word: the municipality it seems to name, in the text or in the
recogniser's other hypotheses, is confirmed first ("Bor du i Aarhus Kommune?"), and
the caller's yes (or key 1) notes it."""

from __future__ import annotations

import re

from bot.municipality import Detection
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Ask, Heard, Located, TurnInput

_KEY = re.compile(r"^\W*([12])\W*$")
# "ja, det gør jeg", "jo da", "yes I do": a yes first, whatever follows
_YES_FIRST = re.compile(r"^\W*(?:ja|jo|jep|jeps|jamen ja|yes|yeah|yep|korrekt|rigtigt|"
                        r"præcis|det er rigtigt)(?![\wæøå])", re.IGNORECASE)
SPOKEN = ("name", "postal_code")  # what a caller says, as opposed to what the line says


def locate(sv: Services, state: ConversationState, turn: TurnInput, heard: Heard) -> Located:
    if state.municipality is not None:
        return Located()
    text = heard.text
    pending = state.pending
    if pending is not None and pending.ask == Ask.PLACE and pending.options:
        key = _KEY.match(text)
        if (key and key.group(1) == "1") or (
                (heard.cues.yes or _YES_FIRST.match(text)) and not heard.cues.no):
            code = pending.options[0]
            return Located(Detection(code, (code,), "confirmed", code))
        if (key and key.group(1) == "2") or heard.cues.no:
            return Located(declined=True)
    found = sv.detector.from_channel(turn.municipality, turn.called_number)
    if found.code:
        return Located(found)
    found = sv.detector.from_text(text)
    if found.code and heard.unsure and found.source in SPOKEN:
        return Located(unsure=found)
    if found.code:
        return Located(found)
    if heard.unsure and not found.candidates:
        for alternative in heard.alternatives:
            other = sv.detector.from_text(alternative)
            if other.code:
                return Located(unsure=other)
    if found.candidates:
        return Located(candidates=found.candidates, evidence=found.evidence)
    lowered = text.lower()
    for code in state.candidates:
        if sv.registry.municipalities[code].name.lower() in lowered:
            return Located(Detection(code, (code,), "name", code))
    return Located()
