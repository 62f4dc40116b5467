"""Reply text → text that sounds right when synthesised in Danish.

The frontdesk's voice replies are already short and link-free; this stage handles
what a speech engine reads badly: links and domain names, abbreviations, clock times
and ranges, dates written with digits, and symbols. Phone numbers stay in pairs
("72 22 18 18"), which Danish engines read as Danes say them.
"""

from __future__ import annotations

import re

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
          "september", "oktober", "november", "december")

ABBREVIATIONS = {
    "fx": "for eksempel", "f.eks.": "for eksempel", "bl.a.": "blandt andet",
    "evt.": "eventuelt", "ca.": "cirka", "kr.": "kroner", "tlf.": "telefon",
    "nr.": "nummer", "kl.": "klokken", "osv.": "og så videre", "mht.": "med hensyn til",
    "pga.": "på grund af", "dvs.": "det vil sige", "inkl.": "inklusive", "min.": "minutter",
}

_URL = re.compile(r"https?://\S+|www\.\S+")
_DOMAIN = re.compile(r"\b([a-zæøå0-9-]+)\.(dk|com|org|eu|nu)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?\b")
_TIME_RANGE = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s*[-–]\s*(\d{1,2})(?:[.:](\d{2}))?\b")
_CLOCK = re.compile(r"\b(\d{1,2})[.:](\d{2})\b")
_ABBR = re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(
    ABBREVIATIONS, key=len, reverse=True)) + r")(?=\s|$|,)", re.IGNORECASE)


def _clock(hour: str, minute: str | None) -> str:
    return hour if not minute or minute == "00" else f"{hour} {minute}"


def _date(m: re.Match[str]) -> str:
    day, month = int(m.group(1)), int(m.group(2))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return m.group(0)
    year = f" {m.group(3)}" if m.group(3) and len(m.group(3)) == 4 else ""
    return f"{day}. {MONTHS[month - 1]}{year}"


def speakable(text: str) -> str:
    """The reply as it should be spoken (see module docstring)."""
    s = _URL.sub("", text)
    s = _DOMAIN.sub(lambda m: f"{m.group(1)} punktum {m.group(2).lower()}", s)
    s = _DATE.sub(_date, s)
    s = _TIME_RANGE.sub(lambda m: f"{_clock(m.group(1), m.group(2))} til "
                              f"{_clock(m.group(3), m.group(4))}", s)
    s = _CLOCK.sub(lambda m: _clock(m.group(1), m.group(2)), s)
    s = _ABBR.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], s)
    s = s.replace("(AI)", "A I").replace("&", " og ").replace("%", " procent")
    s = re.sub(r"[*_#>\[\]()]", " ", s)  # markdown and brackets are not spoken
    s = re.sub(r"\s+([,.?!])", r"\1", s)
    return re.sub(r"\s{2,}", " ", s).strip()
