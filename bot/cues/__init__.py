"""Cue phrases: the regular expressions that find what a citizen wants beyond
information (bot/intents.py reads a turn with them).

One module per kind, so each list stays readable: what a person is needed for
(`needs`), the talk around a question (`talk`: thanks, goodbyes, yes/no, the wait,
follow-ups) and emergencies (`emergency`). Every pattern matches whole words, written
or spoken Danish and common English.
"""

from __future__ import annotations

import re


def rx(*parts: str) -> re.Pattern[str]:
    """Alternatives as one whole-word, case-blind pattern."""
    # Longest alternative first, so "tak for hjælpen" is one cue, not "tak" plus words.
    ordered = sorted(parts, key=len, reverse=True)
    return re.compile(r"(?<![\wæøå])(?:" + "|".join(ordered) + r")(?![\wæøå])", re.IGNORECASE)


# Degree words in praise: "rigtig", "så", "virkelig" …
VERY = r"(?:(?:så|rigtig|rigtigt|meget|virkelig|super|utrolig|vildt|altså) )*"
VERY_EN = r"(?:(?:so|very|really|super|incredibly) )*"
