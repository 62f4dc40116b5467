"""Language stage: which language the replies are in (Danish, English; bot/language.py
tells them apart). Decided on the first turn, then again only on turns long enough
to say ("ok", "8" or a postal code says nothing about it)."""

from __future__ import annotations

from bot.language import detect_language
from bot.turn.state import ConversationState
from bot.turn.types import Heard


def language_of(state: ConversationState, heard: Heard) -> str:
    """The conversation's language after this turn (`state.turns` counts it already)."""
    if heard.cues.content_words >= 3 or state.turns == 1:
        return detect_language(heard.text)
    return state.language
