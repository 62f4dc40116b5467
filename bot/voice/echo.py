"""Whisper repeating its prompt instead of hearing the caller.

The recogniser is biased with a prompt that names our topics ("Borgeren ringer til
kommunen og spørger om MitID, Digital Post, …"). On audio it cannot make out, a
small Whisper sometimes writes the prompt back, or a list of its topics ("MitID,
manglende tømning, skat, medarbejder"): a transcript that would answer a topic the
caller never named. Such a hypothesis is detected here and decoded again without the
prompt (`bot.voice.stt`), and the turn counts as unsure, so the topic is confirmed.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

_WORD = re.compile(r"\w+")
RUN = 7  # this many words in a row from the prompt's sentence is a copy, not speech
ITEMS = 3  # a caller does not list three of our topics in a row ...
SHARE = 0.5  # ... making up half of what they said
NAME_WORDS = 5  # "valg og skift af læge"
ITEM_SCORE = 88  # how closely a misspelt topic name must match ("menglende tømning")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _longest_run(a: list[str], b: list[str]) -> int:
    """The longest stretch of consecutive words that `a` and `b` share."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def prompt_items(prompt: str) -> list[str]:
    """The names a prompt lists: its comma- and "eller"-separated parts, words only;
    of a part that holds the sentence around the list, its last one to three words."""
    out: list[str] = []
    for part in re.split(r"[,;.]| eller ", prompt):
        words = _words(part)
        if len(words) <= NAME_WORDS:
            out.append(" ".join(words))
        else:
            out += [" ".join(words[-n:]) for n in (1, 2, 3)]
    return [o for o in out if o]


def echoes_prompt(text: str, prompt: str | None) -> bool:
    """Whether a transcript is the prompt written back rather than what was said."""
    if not prompt or not text.strip():
        return False
    said = _words(text)
    if _longest_run(said, _words(prompt)) >= RUN:
        return True
    parts = [" ".join(_words(p)) for p in re.split(r"[,;]", text)]
    items = prompt_items(prompt)
    named = [p for p in parts if p and any(
        fuzz.ratio(p, item) >= ITEM_SCORE or (len(item) >= 4 and item in p.split())
        for item in items)]
    covered = sum(len(p.split()) for p in named)
    return len(named) >= ITEMS and covered >= SHARE * len(said)
