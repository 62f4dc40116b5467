"""Topic words found in text that speech recognition misheard or a citizen misspelt.

A weak recogniser writes "mitsfondens kort" for "mit sundhedskort" and "sun hets kort"
for "sundhedskort"; a citizen types "terase" and "tiladelse". Exact word matching finds
no topic in either. The spotter compares a sound-alike key of each word that names a
topic (`HybridRetriever.topic_words`, so a new guide adds its words without code)
with every stretch of the text's key, spaces removed so words split apart still match,
using rapidfuzz's best partial alignment. What it returns is evidence to confirm, not
to answer on: the voice dialogue asks "Handler det om dit sundhedskort?" first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge.text import fold

# Letters a telephone line and a small recogniser confuse: voiced and voiceless stops,
# Danish vowels and their folded spellings, silent h, doubled letters.
_SOUNDS = [("aa", "o"), ("oe", "o"), ("ae", "e"), ("å", "o"), ("ø", "o"), ("æ", "e"),
           ("y", "i"), ("ü", "i"), ("w", "v"), ("c", "k"), ("q", "k"), ("x", "ks"), ("z", "s"),
           ("d", "t"), ("b", "p"), ("g", "k"), ("h", "")]
_NOT_LETTER = re.compile(r"[^a-zæøåéü]+")
_DOUBLE = re.compile(r"(.)\1+")
MIN_LETTERS = 6  # shorter words match too much by chance ("pas" in "passer")


def sound_key(text: str) -> str:
    """A sound-alike key: lower-cased, letters only, confusable sounds merged."""
    key = _NOT_LETTER.sub("", fold(text.lower()))
    for a, b in _SOUNDS:
        key = key.replace(a, b)
    return _DOUBLE.sub(r"\1", key)


@dataclass(frozen=True)
class Spotted:
    topic: str
    word: str  # the topic word that was found
    score: float  # 0-100: how closely the best stretch of the text sounds like it


class TopicSpotter:
    """Finds the topic words of `words` (topic → its words) in a text, approximately."""

    def __init__(self, words: dict[str, frozenset[str]], min_score: float = 82.0,
                 skip: frozenset[str] = frozenset()) -> None:
        self.min_score = min_score
        self._keys: list[tuple[str, str, str]] = []  # (key, word, topic)
        seen: set[tuple[str, str]] = set()
        for topic, ws in words.items():
            if topic in skip:
                continue
            for w in ws:
                key = sound_key(w)
                if len(key) >= MIN_LETTERS and (key, topic) not in seen:
                    seen.add((key, topic))
                    self._keys.append((key, w, topic))

    def spot(self, texts: list[str]) -> list[Spotted]:
        """The topics whose words sound like a stretch of any of `texts`, best first
        (one per topic)."""
        best: dict[str, Spotted] = {}
        for text in texts:
            target = sound_key(text)
            if len(target) < MIN_LETTERS:
                continue
            for key, word, topic in self._keys:
                score = fuzz.partial_ratio(key, target, score_cutoff=self.min_score)
                # a longer word found is stronger evidence than a short one
                score = score * min(1.0, 0.85 + len(key) / 60) if score else 0.0
                if score and score > (best[topic].score if topic in best else 0.0):
                    best[topic] = Spotted(topic, word, round(score, 1))
        return sorted(best.values(), key=lambda s: -s.score)
