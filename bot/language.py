"""Language of a citizen turn: Danish, English, or another language.

Stop-word counts decide between Danish and English, which is what matters for
reply templates; they beat statistical identifiers on the short, colloquial turns
citizens write (langid calls "jeg har mistet mit pas" Norwegian and "I lost my
passport" Spanish). langid is consulted only for longer turns with neither
language's function words, to record what else citizens write in.
"""

from __future__ import annotations

import re
from functools import lru_cache

DA = {
    "jeg", "mit", "min", "mine", "er", "hvordan", "hvad", "hvor", "hvornår", "har", "det", "og",
    "at", "kan", "skal", "på", "til", "ikke", "en", "et", "af", "med", "mig", "vil", "gerne",
    "hej", "tak", "nej", "ja", "du", "den", "de", "der", "som", "om", "få", "mistet", "ny",
    "nyt", "hjælp", "øh", "bor", "kommune", "fået", "noget", "jo", "lige", "sådan",
}
EN = {
    "my", "is", "how", "what", "where", "when", "do", "does", "can", "to", "the", "an",
    "have", "has", "need", "lost", "get", "please", "hello", "hi", "thanks", "thank", "you",
    "it", "for", "of", "and", "not", "with", "me", "am", "are", "want", "new", "help", "which",
    "who", "should", "would", "could", "there", "this", "that", "yes", "no", "bye", "from",
}
_WORD = re.compile(r"[a-zæøåäöüß']+")
_SCANDINAVIAN = {"da", "no", "nb", "nn", "sv"}


@lru_cache(maxsize=1)
def _langid():
    import langid

    # Languages of Denmark's larger immigrant groups that langid's model knows.
    langid.set_languages(["da", "en", "de", "sv", "no", "pl", "uk", "ar", "tr", "ro", "es",
                          "fr", "fa", "ur", "lt", "it", "nl", "ru", "vi", "th"])
    return langid


def detect_language(text: str) -> str:
    """ISO 639-1 code; 'da' when in doubt (the frontdesk's language)."""
    words = _WORD.findall(text.lower())
    if any(c in text.lower() for c in "æøå"):
        return "da"
    da = sum(w in DA for w in words)
    en = sum(w in EN for w in words)
    if en > da:
        return "en"
    if da or len(words) < 4:
        return "da"
    lang, _ = _langid().classify(text)
    return "da" if lang in _SCANDINAVIAN else lang
