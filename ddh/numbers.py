"""Danish spoken numbers → digits, for voice transcripts.

Speech-to-text writes what people say: "nul et et nul ni nul et to tre fire",
"et nul et halvfems tolv fireogtredive", "otte tusind". Redaction (CPR and phone
numbers read aloud) and postal-code detection both need the digits, and the span of
text they came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "nul": 0, "en": 1, "et": 1, "én": 1, "ét": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
    "seks": 6, "syv": 7, "otte": 8, "ni": 9,
}
TEENS = {
    "ti": 10, "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14, "femten": 15,
    "seksten": 16, "sytten": 17, "atten": 18, "nitten": 19,
}
TENS = {
    "tyve": 20, "tredive": 30, "tredve": 30, "fyrre": 40, "fyrretyve": 40, "halvtreds": 50,
    "tres": 60, "halvfjerds": 70, "firs": 80, "halvfems": 90,
}
# English digits, for expats reading numbers aloud.
UNITS.update({"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
              "six": 6, "seven": 7, "eight": 8, "nine": 9})
TEENS.update({"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
              "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19})
TENS.update({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
             "seventy": 70, "eighty": 80, "ninety": 90})
_COMPOUND = re.compile(r"^(en|et|to|tre|fire|fem|seks|syv|otte|ni)og(" + "|".join(TENS) + ")$")
FILLERS = {"øh", "øhm", "øhh", "æh", "ehm", "hmm", "og", "streg", "bindestreg", "mellemrum",
           "komma", "uh", "um", "dash"}
_WORD = re.compile(r"[\wæøåÆØÅ]+|[^\s\w]", re.UNICODE)


def word_value(word: str) -> str | None:
    """Digits a single spoken or written number word stands for ('halvfems' → '90')."""
    w = word.lower()
    if w.isdigit():
        return w
    if w in UNITS:
        return str(UNITS[w])
    if w in TEENS:
        return str(TEENS[w])
    if w in TENS:
        return str(TENS[w])
    m = _COMPOUND.match(w)
    if m:
        return str(TENS[m.group(2)] + UNITS[m.group(1)])
    return None


@dataclass(frozen=True, slots=True)
class NumberRun:
    """A run of number words (and digits) in a text: its span and the digits it spells."""

    start: int
    end: int
    digits: str
    words: int
    spoken: int  # how many of the words were spelled out (not digits)
    parts: tuple[tuple[int, int, str], ...] = ()  # each word's span and digits


def number_runs(text: str, *, min_words: int = 2) -> list[NumberRun]:
    """Maximal runs of number words/digits, allowing fillers ('øh', 'streg') inside."""
    runs: list[NumberRun] = []
    cur: list[tuple[int, int, str]] = []
    pending_fill = 0

    def close() -> None:
        if len(cur) >= min_words:
            spoken = sum(1 for a, b, _ in cur if not text[a:b].isdigit())
            runs.append(NumberRun(cur[0][0], cur[-1][1], "".join(d for _, _, d in cur),
                                  len(cur), spoken, tuple(cur)))
        cur.clear()

    for m in _WORD.finditer(text):
        token = m.group(0)
        value = word_value(token)
        if value is not None:
            cur.append((m.start(), m.end(), value))
            pending_fill = 0
        elif cur and (token.lower() in FILLERS or token in "-–,./") and pending_fill < 2:
            pending_fill += 1
        else:
            close()
            pending_fill = 0
    close()
    return runs


def spoken_thousands(text: str) -> list[tuple[int, int, str]]:
    """'otte tusind' → 8000, 'otte tusind to hundrede' → 8200 (postal codes said aloud)."""
    pattern = re.compile(
        r"\b(\w+)\s+tusind(?:\s+(?:og\s+)?(\w+)\s+hundrede)?(?:\s+og\s+(\w+)|\s+(\w+))?\b",
        re.IGNORECASE,
    )
    out = []
    for m in pattern.finditer(text):
        thousands = word_value(m.group(1))
        if thousands is None or len(thousands) != 1:
            continue
        value = int(thousands) * 1000
        if m.group(2):
            h = word_value(m.group(2))
            if h is None or len(h) != 1:
                continue
            value += int(h) * 100
        rest = m.group(3) or m.group(4)
        end = m.end()
        if rest:
            r = word_value(rest)
            if r is not None and int(r) < 100:
                value += int(r)
            else:
                end = m.end() - len(rest)
        out.append((m.start(), end, f"{value:04d}"))
    return out


def without_numbers(text: str) -> str:
    """The text with its numbers (digits, spoken runs, 'otte tusind') cut out.

    A postal code said on its own ("otte tusind") names a place, not a subject; left
    in, a small embedding model finds it "close" to some guide.
    """
    spans = [(a, b) for a, b, _ in spoken_thousands(text)]
    spans += [(r.start, r.end) for r in number_runs(text, min_words=1)]
    out = text
    for a, b in sorted(spans, reverse=True):
        out = out[:a] + " " + out[b:]
    return re.sub(r"\d+", " ", out)
