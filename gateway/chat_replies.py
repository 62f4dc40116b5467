"""Quick replies: the answers a chat page may offer as buttons under a bot message.

The bot's questions that take a short, known answer (yes or no, a 1–10 rating) are
offered as buttons, so a citizen on a phone taps instead of typing. Each button sends
its text as an ordinary citizen message, so typed answers work the same and clients
that ignore the `quick_replies` field lose nothing. Decided from the question the
reply asked (`TurnResult.awaiting`), never from its wording.
"""

from __future__ import annotations

from bot.turn.types import Ask

YES_NO = ["Ja", "Nej"]
RATING = [str(i) for i in range(1, 11)]
# Yes/no questions a chat reply can ask: "Hjalp det?", "Bor du i … Kommune?",
# "Handler det om …?"
_YES_NO_ASKS = (Ask.HELPED, Ask.PLACE, Ask.TOPIC)

# The page's "Afslut samtalen" while an agent has the chat: the agent wraps it up
# (the console sees the page go), so the bot asks no rating over their head.
ENDED_WITH_AGENT = "Du har afsluttet samtalen. Tak for nu."


def quick_replies(awaiting: Ask | None) -> list[str]:
    """The buttons for a reply that asked `awaiting` (empty: none)."""
    if awaiting == Ask.SATISFACTION:
        return list(RATING)
    if awaiting in _YES_NO_ASKS:
        return list(YES_NO)
    return []
