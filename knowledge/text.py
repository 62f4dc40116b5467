"""Danish text analysis for lexical search: tokenise, drop stop words, stem, fold.

Stemming runs on the Danish spelling first (the Snowball rules know æ/ø/å), and the
stem is folded afterwards (æ→ae, ø→oe, å→aa) so citizens who type "koerekort" or
"aendre" still match "kørekort" and "ændre".
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_DANISH

_TOKEN = re.compile(r"[0-9a-zæøåéü]+")
_STOP = frozenset(STOPWORDS_DANISH) | {
    "hej", "øh", "øhm", "altså", "ja", "nå", "okay", "ok", "gerne", "lige", "bare", "egentlig",
}
STOPWORDS = _STOP
_stemmer = Stemmer.Stemmer("danish")


def fold(token: str) -> str:
    return token.replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace("é", "e")


@lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    return fold(_stemmer.stemWord(token))


def stem(token: str) -> str:
    """One lower-case word's folded stem."""
    return _stem(token)


# "p-" before a word is "parkerings-": "p-afgift", "p-plads", "p-vagt" (the tokens would
# otherwise lose the "p" and leave "afgift", a tax word).
_P_PREFIX = re.compile(r"(?<![0-9a-zæøåéü])p-(?=[a-zæøå]{3,})")


def _expanded(text: str) -> str:
    return _P_PREFIX.sub("parkerings", text.lower())


def analyse(text: str) -> list[str]:
    """Tokens for BM25 and feature hashing: lower-cased, stop words out, stemmed, folded."""
    tokens = _TOKEN.findall(_expanded(text))
    return [_stem(t) for t in tokens if t not in _STOP and (len(t) > 1 or t.isdigit())]


def words_and_stems(text: str) -> list[tuple[str, str]]:
    """(word, stem) of each word that is not a stop word, the word folded like the stem:
    for when the word form matters, not only its stem ("passe" and "pas" share one)."""
    return [(fold(w), _stem(w)) for w in _TOKEN.findall(_expanded(text))
            if w not in _STOP and (len(w) > 1 or w.isdigit())]


def split_compound(token: str, vocabulary: set[str] | frozenset[str]) -> list[str]:
    """A compound the corpus never uses whole, as two parts it does use.

    Danish writes compounds as one word ("vuggestuepladsen", "drikkevandet"), and a
    citizen's compound is often one the guides never wrote ("vuggestue" ... "plads").
    For a stemmed token that is not in the vocabulary, the longest first part whose
    stem is in it, with a second part (after an optional linking s or e, as in
    "sundhed-s-kort") whose stem is in it too, each at least three letters; [] when no
    such split exists.
    """
    for i in range(len(token) - 3, 2, -1):
        head = _known(token[:i], vocabulary)
        if head is None:
            continue
        rest = token[i:]
        for tail in (rest, rest[1:]) if rest[0] in "se" else (rest,):
            found = _known(tail, vocabulary) if len(tail) >= 3 else None
            if found is not None:
                return [head, found]
    return []


def _known(part: str, vocabulary: set[str] | frozenset[str]) -> str | None:
    for candidate in (part, _stem(part)):
        if candidate in vocabulary:
            return candidate
    return None


def joined_compounds(text: str, vocabulary: set[str] | frozenset[str]) -> list[str]:
    """Compounds written apart ("kontant hjælpen", "sundheds kort"): the stems of two
    neighbouring words written together, where the corpus knows the whole word."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOP]
    out = []
    for a, b in itertools.pairwise(words):
        if len(a) >= 3 and len(b) >= 3 and not a.isdigit() and not b.isdigit():
            joined = _stem(a + b)
            if joined in vocabulary:
                out.append(joined)
    return out
