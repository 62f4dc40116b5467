"""Municipality stage: what the channel or the citizen's words say about where they
live. The widget's page or the number called decides first; then a postal code or a
town in the text; a name that settles an earlier ambiguous one ("Favrskov" after
"8382 dækker Favrskov eller Aarhus?"). Once known, it is not asked again."""

from __future__ import annotations

from bot.municipality import Detection
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Located, TurnInput


def locate(sv: Services, state: ConversationState, turn: TurnInput, text: str) -> Located:
    if state.municipality is not None:
        return Located()
    found = sv.detector.from_channel(turn.municipality, turn.called_number)
    if found.code:
        return Located(found)
    found = sv.detector.from_text(text)
    if found.code:
        return Located(found)
    if found.candidates:
        return Located(candidates=found.candidates, evidence=found.evidence)
    lowered = text.lower()
    for code in state.candidates:
        if sv.registry.municipalities[code].name.lower() in lowered:
            return Located(Detection(code, (code,), "name", code))
    return Located()
