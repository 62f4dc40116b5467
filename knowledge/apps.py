"""Apps named in a question, and the topic whose guides are about each app.

"Min Læge-appen bliver ved med at bede mig logge ind" is about the Min Læge app, not
about MitID, although "logge ind" is MitID's word and "læge" names choosing a doctor.
An app is called by its name with "app" or "appen" before or after it ("appen Mit
Sygehus", "Kørekort-appen", "digital post app"). The guides' own keywords say which
topic each app belongs to ("min læge app" in a health-IT guide), so the table is the
corpus's, built from it, and grows with the guides without code. A name that guides of
several topics use ("MitID app" in a driving-licence guide's keywords) names none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from knowledge.guide import Guide

# "<name> app", "<name>-appen", "<name>appen", "appen <name>" in a keyword or a question
# ("app" as a word of its own: "trappen" is no app; after "appen" only a capitalised name:
# "appen Mit Sygehus", not "appen som id")
_AFTER = re.compile(r"([\wæøå.]+(?: [\wæøå.]+)?)[ -]app(?:en|s)?(?![\wæøå])", re.IGNORECASE)
_BEFORE = re.compile(r"(?<![\wæøå])[Aa]ppen ([A-ZÆØÅ][\wæøå.]*(?: [A-ZÆØÅ][\wæøå.]*)?)")
_NOT_A_NAME = {"en", "den", "det", "min", "mit", "jeres", "din", "deres", "ny", "nye", "the",
               "a", "an", "my", "your", "på", "i", "til", "af", "og", "med", "hent", "åbn",
               "slet", "brug", "bruge", "installere", "kan", "jeg", "som", "uden", "use",
               "using", "without", "with", "in", "on", "of", "and", "to", "or", "eller"}


def _norm(name: str) -> str:
    return re.sub(r"[\s.-]+", "", name.lower())


def _names(text: str) -> set[str]:
    """Candidate app names in a text: one or two words before "app", or after "appen",
    and the last word alone ("kan ikke åbne Min Læge-appen" gives "min læge", "læge")."""
    out: set[str] = set()
    for m in (*_AFTER.finditer(text), *_BEFORE.finditer(text)):
        words = m.group(1).split()
        for k in (2, 1):
            part = words[-k:] if m.re is _AFTER else words[:k]
            # "min læge app" is a name, "min app" and "den nye app" are not
            if len(part) == k and part[-1].lower() not in _NOT_A_NAME:
                out.add(_norm(" ".join(part)))
    return out


def app_table(guides: Mapping[str, Guide]) -> dict[str, str]:
    """App name (normalised) → the one topic whose guides' keywords and titles name it."""
    seen: dict[str, set[str]] = {}
    for g in guides.values():
        for phrase in (g.title, *g.keywords):
            for name in _names(phrase):
                seen.setdefault(name, set()).add(g.topic)
    return {name: next(iter(topics)) for name, topics in seen.items() if len(topics) == 1}


# The table of the guides it was built from: a reload gives a new mapping (snapshots
# are never changed in place), so identity says whether it is still the same corpus.
_CACHE: list[tuple[Mapping[str, Guide], dict[str, str]]] = []


def apps_named(text: str, guides: Mapping[str, Guide]) -> frozenset[str]:
    """The topics of the apps the text calls by name."""
    if not _CACHE or _CACHE[0][0] is not guides:
        _CACHE[:] = [(guides, app_table(guides))]
    table = _CACHE[0][1]
    return frozenset(table[n] for n in _names(text) if n in table)
