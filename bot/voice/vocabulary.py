"""The words callers use with us, to bias speech recognition towards them.

Whisper decodes better when the prompt already contains the domain's rare words
(MitID, NemKonto, sundhedskort, Ikast-Brande). We build the prompt from the knowledge
base itself — topic names, guide titles, municipality names — so a new guide or a new
member municipality improves recognition without code. Whisper's prompt window is
224 tokens, so the prompt is capped; topic names (short, frequent) go first.
"""

from __future__ import annotations

import re
from collections import Counter

from knowledge.guide import NO_GUIDE_TOPIC
from knowledge.service import Knowledge

UNSPOKEN = frozenset({NO_GUIDE_TOPIC, "uden-for-omraade", "krise", "menneske"})
MAX_PROMPT_CHARS = 260  # a short sentence; long keyword lists make Whisper hallucinate
MAX_HOTWORDS_CHARS = 300


def _unique(words: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for w in words:
        key = w.casefold()
        if w and key not in seen:
            seen.add(key)
            out.append(w)
    return out


def _capped(words: list[str], limit: int) -> str:
    out: list[str] = []
    size = 0
    for w in words:
        if size + len(w) + 2 > limit:
            break
        out.append(w)
        size += len(w) + 2
    return ", ".join(out)


def _plain(name: str) -> str:
    """'Sundhedskort (gult kort)' → 'sundhedskort'; 'MitID' keeps its capitals."""
    head = re.split(r"[(,]| og ", name)[0].strip()
    inner = re.search(r"\(([^)]+)\)", name)
    if head.endswith("-") and inner:  # 'Børne- og ungeydelse (børnepenge)'
        head = inner.group(1)
    elif len(head) <= 5 and " og " in name:  # 'Valg og skift af læge': the whole name
        head = re.split(r" \(", name)[0].strip()
    return head if any(c.isupper() for c in head[1:]) else head.lower()


def vocabulary(knowledge: Knowledge) -> tuple[str, str]:
    """(initial prompt, hotwords) for the recogniser.

    The prompt is a plain Danish sentence naming the topics, the way a caller would:
    measured on synthetic Danish calls, a sentence helped Whisper base spell the
    domain words ("storskrald", "boligstøtte", "MitID") while a long comma list of
    every title made it loop on them. Hotwords (municipality names first) are offered
    for engines that use them; the recogniser passes them only when configured to.
    """
    registry = knowledge.registry
    # Topics with the most guides first: they are what callers ask about most.
    guides = Counter(g.topic for g in knowledge.retriever.guides.values())
    ordered = sorted(registry.topics.values(), key=lambda t: -guides[t.slug])
    # Topics no guide answers (municipal areas without a guide, out of scope) would put
    # "andre kommunale opgaver" first: their many entries are no sign of callers' words.
    topics = _unique([_plain(t.name) for t in ordered
                      if guides[t.slug] and t.slug not in UNSPOKEN])
    members = [registry.municipalities[c].name for c in registry.members
               if c in registry.municipalities]
    others = [m.name for m in registry.municipalities.values()]
    head = "Borgeren ringer til kommunen og spørger om "
    tail = " eller en medarbejder."
    prompt = head + _capped(topics, MAX_PROMPT_CHARS - len(head) - len(tail)) + tail
    hotwords = _capped(_unique(members + others), MAX_HOTWORDS_CHARS)
    return prompt, hotwords
