"""Which municipality is the citizen from? Widget, called number, postal code, or name.

Sources, most reliable first: the chat widget's configured municipality, the number
the citizen dialled, a postal code in the text ("8000 Aarhus C", "otte tusind"), and a
municipality or town name ("jeg bor i Viborg"). A postal code or town that spans
several municipalities gives candidates to ask about, never a guess, unless the town the
citizen names settles it: "9500 Hobro" or "jeg bor i Hobro" is Mariagerfjord, whose seat is
Hobro, though 9500 also reaches into a neighbour. A town settles it when exactly one
candidate has it as its name, its seat, or a part of its name ("Taastrup" in Høje-Taastrup).

Town names that are also ordinary words ("Vejen" = the road, "Skive" = a disc, "Ry")
only count with a cue ("bor i", "fra", "kommune") or, in typed text, a capital letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from ddh.numbers import number_runs, spoken_thousands
from knowledge.registry import Registry
from knowledge.routing import normalise_number

ALIASES = {"århus": "0751", "aarhus": "0751", "kbh": "0101", "københavn": "0101",
           "koebenhavn": "0101", "ålborg": "0851", "aalborg": "0851", "frb": "0147"}
# Municipality and town names that are everyday Danish words.
COMMON_WORDS = {
    "vejen", "skive", "odder", "greve", "ry", "hals", "vig", "them", "ans", "bred", "borup",
    "lunde", "hammel", "holme", "snoghøj", "strib", "spjald", "stege", "tune", "hjallerup",
    "kolind", "nord", "syd", "øst", "vest", "centrum", "city", "sand", "ørum", "ulstrup",
    "allingåbro", "dronninglund", "skibby", "jyderup", "høng", "mern", "præstø", "lem",
    "harpelunde", "fur", "glesborg", "tarm", "skals", "kvols", "lind", "hørning", "skørping",
    "mou", "bælum", "gørlev", "ruds", "sorø", "faxe", "stevns", "lejre", "dragør", "rødby",
}
_CUE = r"(?:bor i|bor på|fra|i|ved|omkring|kommune i|flyttet til|flytter til)"
_POSTAL = re.compile(r"(?<![\d,.\-/])(\d{4})(?![\d,.\-/:])(?:\s+([^\W\d_][\w.\- ]{1,30}))?")
_POSTAL_CUE = re.compile(r"(postnummer|postnr|post nummer|bor i|bor på|adresse)", re.I)


# The letters after some postal towns: the island or region they lie on.
_REGIONS = {"M": "Mors", "F": "Falster", "Sj": "Sjælland", "L": "Lolland", "J": "Jylland"}
_REGION = re.compile(r"^(.*\S)\s+(M|F|Sj|L|J)$")

# Danish letters and their two-letter spellings: "Grenå" and "Grenaa", "Åbenrå" and
# "Aabenraa", "Køge" and "Koege" name the same place.
_SPELLINGS = (("å", "aa"), ("æ", "ae"), ("ø", "oe"))


def spellings(name: str) -> set[str]:
    """The other common spellings of a lower-case place name (each letter pair swapped
    throughout, one pair at a time and all together)."""
    out = set()
    for letter, pair in _SPELLINGS:
        for a, b in ((letter, pair), (pair, letter)):
            if a in name:
                out.add(name.replace(a, b))
    every = name
    for letter, pair in _SPELLINGS:
        every = every.replace(pair, letter)
    out.add(every)
    every = name
    for letter, pair in _SPELLINGS:
        every = every.replace(letter, pair)
    out.add(every)
    out.discard(name)
    return out


@dataclass(frozen=True)
class Detection:
    """What the text (or channel) says about the municipality."""

    code: str | None = None
    candidates: tuple[str, ...] = ()
    source: str | None = None  # widget | called_number | postal_code | name
    evidence: str | None = None

    @property
    def ambiguous(self) -> bool:
        return self.code is None and len(self.candidates) > 1


@dataclass
class MunicipalityDetector:
    registry: Registry

    @cached_property
    def names(self) -> dict[str, tuple[str, ...]]:
        """Lower-case municipality and town names → kommunekoder."""
        names: dict[str, set[str]] = {}
        for pc in self.registry.postal_codes.values():
            base = re.sub(r"\s+[A-ZØÆÅ][a-zæøå]?$|\s+(SØ|SV|NV|NØ|Ø|V|N|S|K|C)$", "",
                          pc.name)
            for n in {pc.name, base}:
                names.setdefault(n.lower(), set()).update(pc.municipalities)
        for m in self.registry.municipalities.values():
            names[m.name.lower()] = {m.code}  # the municipality's own name decides
        for alias, code in ALIASES.items():
            names[alias] = {code}
        for name, codes in list(names.items()):
            for variant in spellings(name):
                names.setdefault(variant, set()).update(codes)
        return {k: tuple(sorted(v)) for k, v in names.items() if len(k) >= 2}

    @cached_property
    def _town_keys(self) -> dict[str, frozenset[str]]:
        """Kommunekode → the lower-case town names that mean that municipality among
        candidates: its name, its seat, the parts of a hyphenated name, in every spelling."""
        out: dict[str, frozenset[str]] = {}
        for m in self.registry.municipalities.values():
            keys = {m.name.lower(), *m.name.lower().split("-")}
            if m.seat:
                keys.add(m.seat.lower())
            for key in list(keys):
                keys.update(spellings(key))
            out[m.code] = frozenset(k for k in keys if len(k) >= 2)
        # a postal town's island or region letter, written short or out: "Nykøbing M",
        # "Nykøbing Mors", "Nykøbing Sj", "Nykøbing Sjælland"
        for pc in self.registry.postal_codes.values():
            m = _REGION.match(pc.name)
            if m is None or len(pc.municipalities) != 1:
                continue
            code = pc.municipalities[0]
            short = pc.name.lower()
            long = f"{m.group(1)} {_REGIONS[m.group(2)]}".lower()
            out[code] = out.get(code, frozenset()) | {short, long, *spellings(short),
                                                       *spellings(long)}
        return out

    def _settled_by_town(self, town: str, codes: tuple[str, ...]) -> str | None:
        """The one candidate that the named town settles, or None. `town` may run on past
        the town ("Hobro og jeg vil..."): a key counts when the text starts with it as
        whole words."""
        text = town.lower()
        hits = [c for c in codes if any(
            text.startswith(k) and not re.match(r"[\wæøå]", text[len(k):len(k) + 1])
            for k in self._town_keys.get(c, ()))]
        return hits[0] if len(hits) == 1 else None

    @cached_property
    def _name_pattern(self) -> re.Pattern[str]:
        alts = sorted(self.names, key=len, reverse=True)
        return re.compile(r"(?<![\wæøå])(" + "|".join(re.escape(a) for a in alts) +
                          r")(?![\wæøå])", re.IGNORECASE)

    def from_channel(self, municipality: str | None, called_number: str | None) -> Detection:
        if municipality and municipality in self.registry.municipalities:
            return Detection(municipality, (municipality,), "widget", municipality)
        number = normalise_number(called_number)
        if number and number in self.registry.routing.called_numbers:
            code = self.registry.routing.called_numbers[number]
            return Detection(code, (code,), "called_number", number)
        return Detection()

    def _postal(self, text: str) -> Detection:
        spans: list[tuple[str, str | None, int, int]] = []
        for m in _POSTAL.finditer(text):
            spans.append((m.group(1), m.group(2), m.start(), m.end(1)))
        for a, b, digits in spoken_thousands(text):
            spans.append((digits, None, a, b))
        for run in number_runs(text, min_words=4):
            if len(run.digits) == 4 and run.spoken:
                spans.append((run.digits, None, run.start, run.end))
        for code, town, a, b in spans:
            pc = self.registry.postal_codes.get(code)
            if pc is None:
                continue
            first = pc.name.lower().split()[0]
            # the postal town after the code ("9520 Skørping") or before it ("Skørping,
            # 9520")
            before = re.findall(r"[\wæøå]+", text[:a].lower())[-1:]
            town_ok = (bool(town) and any(
                town.lower().startswith(f) for f in {first, *spellings(first)})) or (
                bool(before) and before[0] in {first, *spellings(first)})
            # The whole message is the number: an answer to "what is your postal code?"
            alone = len(re.sub(r"[\W_]|øh|det er|postnummer", "", text[:a] + text[b:])) <= 3
            if not (town_ok or alone or _POSTAL_CUE.search(text)):
                continue
            if pc.ambiguous:
                settled = self._settled_by_town(town, pc.municipalities) if town else None
                if settled:
                    return Detection(settled, (settled,), "postal_code", code)
                # the rest of the turn may name which ("8340 Malling, det hører under
                # Aarhus Kommune")
                later = self._name(text[b:])
                if later.code in pc.municipalities:
                    return Detection(later.code, (later.code,), "postal_code", code)
                return Detection(None, pc.municipalities, "postal_code", code)
            return Detection(pc.municipalities[0], pc.municipalities, "postal_code", code)
        return Detection()

    def _name(self, text: str) -> Detection:
        for m in self._name_pattern.finditer(text):
            word = m.group(1)
            key = word.lower()
            codes = self.names.get(key, ())
            if not codes:
                continue
            before = text[max(0, m.start() - 20):m.start()].lower()
            after = text[m.end():m.end() + 10].lower()
            cued = bool(re.search(_CUE + r"\s+$", before)) or after.lstrip().startswith("kommune")
            is_muni = any(self.registry.municipalities[c].name.lower() == key for c in codes)
            # the whole message is the name: an answer to "where do you live?"
            alone = len(re.sub(r"[\W_]|øh|kommune", "", text[:m.start()] + text[m.end():],
                               flags=re.IGNORECASE)) <= 3
            # a town, or a name that is also a word, needs a cue or a capital letter
            if (key in COMMON_WORDS or not is_muni) and not (
                    cued or alone or (word[0].isupper() and key not in COMMON_WORDS)):
                continue
            if len(codes) == 1:
                return Detection(codes[0], codes, "name", word)
            # the words after the name may settle it: "Nykøbing Mors", "Nykøbing Falster"
            settled = self._settled_by_town(text[m.start():m.start() + 40], codes)
            if settled:
                return Detection(settled, (settled,), "name", word)
            # a town of several municipalities; the rest of the turn may name which
            # ("Galten, det hører under Skanderborg Kommune")
            later = self._name(text[m.end():])
            if later.code in codes:
                return Detection(later.code, (later.code,), "name", word)
            return Detection(None, codes, "name", word)
        return Detection()

    def without_places(self, text: str, code: str) -> str:
        """The text without the names of the municipality `code` and its towns: where
        the citizen lives is never what they ask about ("pasningsgaranti i Horsens"
        is about childcare, not about Horsens' local guides)."""
        def drop(m: re.Match[str]) -> str:
            return " " if code in self.names.get(m.group(1).lower(), ()) else m.group(0)
        return " ".join(self._place_pattern.sub(drop, text).split())

    @cached_property
    def _place_pattern(self) -> re.Pattern[str]:
        """A place name with how it is said ("jeg bor i 9000 Aalborg", "fra Horsens")."""
        alts = sorted(self.names, key=len, reverse=True)
        return re.compile(
            r"(?<![\wæøå])(?:(?:jeg|vi|han|hun|de|min \w+|mine \w+) (?:bor|boede|er|kommer)"
            r"(?: fra)? (?:i|på|fra) |i |på |fra |in |from )?(?:\d{4} )?"
            r"(" + "|".join(re.escape(a) for a in alts) + r")(?: kommune)?(?![\wæøå])",
            re.IGNORECASE)

    def from_text(self, text: str) -> Detection:
        """A municipality mentioned in the text: postal codes first, then names."""
        found = self._postal(text)
        if found.code or found.candidates:
            return found
        return self._name(text)
