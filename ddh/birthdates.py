"""Dates of birth followed by the four last digits: a CPR number in words.

People do not always say a CPR number as ten digits: "født den femtende april
toogfirs, og de sidste fire er tolv fireogtredive", "15. april 1982 – 1234". The
date (day as a number or an ordinal, month by name, year in two or four digits or in
words) and a four-digit serial soon after it are one CPR number, and are redacted as
one. A date without a serial after it is an ordinary date.
"""

from __future__ import annotations

import re

from ddh.numbers import NumberRun, word_value

MONTHS = {"januar": 1, "jan": 1, "februar": 2, "feb": 2, "marts": 3, "mar": 3, "april": 4,
          "apr": 4, "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8,
          "aug": 8, "september": 9, "sept": 9, "sep": 9, "oktober": 10, "okt": 10,
          "november": 11, "nov": 11, "december": 12, "dec": 12,
          "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
          "october": 10, "oct": 10}
ORDINALS = {w: n for n, w in enumerate((
    "første", "anden", "tredje", "fjerde", "femte", "sjette", "syvende", "ottende",
    "niende", "tiende", "ellevte", "tolvte", "trettende", "fjortende", "femtende",
    "sekstende", "syttende", "attende", "nittende", "tyvende", "enogtyvende",
    "toogtyvende", "treogtyvende", "fireogtyvende", "femogtyvende", "seksogtyvende",
    "syvogtyvende", "otteogtyvende", "niogtyvende", "tredivte", "enogtredivte"), start=1)}
_DATE = re.compile(
    r"(?<![\wæøå])(?P<day>\d{1,2}|[a-zæøå]+)\.?\s+(?:i\s+)?(?P<month>"
    + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?(?![\wæøå])", re.IGNORECASE)
_TOKEN = re.compile(r"[\wæøå]+|[^\s\wæøå]", re.IGNORECASE)
# Between the year and the serial only what people say in between ("og de sidste fire
# er", a dash): "15. april 2026 har vi 1234 sager" is a date and a count.
_GAP = re.compile(r"[\s,.\-/:]*(?:(?:og|så|de|sidste|fire|cifre|er|nummer|numre|streg|"
                  r"bindestreg|slutter|på|the|last|four|digits|is|are|and)"
                  r"(?![\wæøå])[\s,.\-/:]*)*", re.IGNORECASE)
SERIAL_WITHIN = 40  # characters between the year and the serial ("og de sidste fire er")


def _day(word: str) -> int | None:
    w = word.lower()
    if w in ORDINALS:
        return ORDINALS[w]
    value = word_value(w)
    return int(value) if value is not None and 1 <= int(value) <= 31 else None


def _years(text: str, at: int) -> list[tuple[str, int]]:
    """The ways the words from `at` may say a year: its last two digits and where it
    ends, likeliest first ("to tusind og nul ni fire …" is 2009 then a serial, or 2000
    then one; the serial after it decides)."""
    tokens = [(m.group(0).lower(), m.end()) for m in _TOKEN.finditer(text, at)][:6]
    words = [t for t, _ in tokens]
    if not words:
        return []
    if words[0].isdigit() and len(words[0]) in (2, 4):
        return [(words[0][-2:], tokens[0][1])]
    i, century = 0, None
    if words[0] in ("nitten", "tyve"):  # "nitten (hundrede) (og) toogfirs"
        century, i = words[0], 1
    elif words[:2] == ["to", "tusind"] or words[0] == "totusind":  # "to tusind (og) fem"
        century, i = "tyve", 2 if words[0] == "to" else 1
    if century is not None:
        while i < len(words) and words[i] in ("hundrede", "og"):
            i += 1
    out: list[tuple[str, int]] = []
    if i < len(words) and words[i] == "nul" and i + 1 < len(words):  # "nitten nul fem"
        unit = word_value(words[i + 1])
        if unit is not None and len(unit) == 1:
            out.append(("0" + unit, tokens[i + 1][1]))
    value = word_value(words[i]) if i < len(words) else None
    if value is not None and len(value) <= 2:
        out.append((value.zfill(2), tokens[i][1]))
    if century == words[0]:  # "nitten" on its own: the year 19 (or 2019)
        out.append((word_value(words[0]) or "", tokens[0][1]))
    return out


def _serial(run: NumberRun, after: int) -> tuple[int, int, str] | None:
    """The first four digits in a run, from `after` on, that start a part and end one
    ("de sidste fire 1234": the "fire" is not part of it): (start, end, digits)."""
    parts = [p for p in run.parts if p[0] >= after]
    for k in range(len(parts)):
        digits, end = "", parts[k][1]
        for part in parts[k:]:
            digits, end = digits + part[2], part[1]
            if len(digits) >= 4:
                break
        if len(digits) == 4:
            return parts[k][0], end, digits
    return None


def birth_date_serials(text: str, runs: list[NumberRun]) -> list[tuple[int, int, str]]:
    """(start, end, ten digits) of each date of birth with a serial soon after it."""
    out = []
    for m in _DATE.finditer(text):
        day = _day(m.group("day"))
        if day is None:
            continue
        month = MONTHS[m.group("month").lower()]
        for yy, end in _years(text, m.end()):
            hit = _serial_after(text, runs, end)
            if hit is not None:
                out.append((m.start(), hit[1], f"{day:02d}{month:02d}{yy}{hit[2]}"))
                break
    return out


def _serial_after(text: str, runs: list[NumberRun], end: int) -> tuple[int, int, str] | None:
    """The serial said soon after the year (ending at `end`), if there is one."""
    for run in runs:
        if run.end <= end or run.start - end > SERIAL_WITHIN:
            continue
        found = _serial(run, end)
        if found is not None and _GAP.fullmatch(text[end:found[0]]):
            return found
    return None
