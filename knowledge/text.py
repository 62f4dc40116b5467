"""Danish text analysis for lexical search: tokenise, drop stop words, stem, fold.

Stemming runs on the Danish spelling first (the Snowball rules know æ/ø/å), and the
stem is folded afterwards (æ→ae, ø→oe, å→aa) so citizens who type "koerekort" or
"aendre" still match "kørekort" and "ændre".
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_DANISH

_TOKEN = re.compile(r"[0-9a-zæøåéü]+")
_STOP = frozenset(STOPWORDS_DANISH) | {
    "hej", "øh", "øhm", "altså", "ja", "nå", "okay", "ok", "gerne", "lige", "bare", "egentlig",
}
_stemmer = Stemmer.Stemmer("danish")


def fold(token: str) -> str:
    return token.replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace("é", "e")


@lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    return fold(_stemmer.stemWord(token))


def analyse(text: str) -> list[str]:
    """Tokens for BM25 and feature hashing: lower-cased, stop words out, stemmed, folded."""
    tokens = _TOKEN.findall(text.lower())
    return [_stem(t) for t in tokens if t not in _STOP and (len(t) > 1 or t.isdigit())]
