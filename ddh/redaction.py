"""Personal-data redaction: CPR numbers, phone numbers, e-mail addresses, card numbers.

Runs first on every citizen turn, before anything is stored, logged or sent to a
language model. CPR numbers are recognised by their date part (DDMMYY must be a
real date) and never rejected for failing the modulus-11 check: numbers issued
since 2007 need not pass it. Written and spoken forms are both covered, since voice
transcripts spell numbers out ("nul et et nul ni nul ...").

The citizen's phone number is also what a callback ticket needs: `Redaction.phones`
keeps the numbers found, for the frontdesk to hold separately and only with consent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ddh.birthdates import birth_date_serials
from ddh.numbers import NumberRun, number_runs

LABELS = {"cpr": "[CPR]", "phone": "[TELEFON]", "email": "[EMAIL]", "card": "[KORT]"}
LABEL_RE = re.compile("|".join(re.escape(label) for label in LABELS.values()))


def strip_labels(text: str) -> str:
    """Redacted text without its labels: '[CPR]' carries no meaning for retrieval."""
    return LABEL_RE.sub(" ", text)

# 10 digits: 010190-1234, 0101901234, 010190 1234, 01 01 90 12 34, 01.01.90-1234. The
# date part uses one separator throughout; the serial is 4 digits or "12 34".
_CPR = re.compile(r"(?<![\d])(\d\d)([ .\-/]?)(\d\d)\2(\d\d)\s?[-–]?\s?(\d\d)( ?)(\d\d)(?![\d])")
# Danish phone numbers: +45/0045 prefix optional, 8 digits in the usual groupings
# (one separator throughout: "12 34 56 78", "12-34-56-78", "12345678", "1234 5678").
_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)\s?45[ \t\-]?)?"
    r"(?:\d{2}([ \t\-]?)\d{2}\1\d{2}\1\d{2}|\d{4}[ \t]\d{4})(?![\d])"
)
_CARD = re.compile(r"(?<![\d])\d{4}(?:[ \t\-]?\d{4}){3}(?:[ \t\-]?\d{1,3})?(?![\d])"
                   r"|(?<![\d])\d{4}[ \t\-]?\d{6}[ \t\-]?\d{5}(?![\d])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_SPOKEN_EMAIL = re.compile(
    r"(?<!\w)[\wæøå]+(?:\s+(?:punktum|prik|dot|streg|bindestreg|underscore)\s+[\wæøå]+)*"
    r"\s+(?:snabel[\s-]?a|at)\s+[\wæøå]+(?:\s+(?:punktum|prik|dot)\s+[\wæøå]+)+",
    re.IGNORECASE | re.UNICODE,
)
# Numbers that look like phone numbers but are labelled as something else: the label
# comes shortly before the number, without a phone word in between.
_NOT_PHONE_CUE = re.compile(
    r"(faktura|ordre|kunde|sags|sag\b|journal|j\.nr|reference|bilag|vare|konto|registrering|"
    r"reg\.nr|invoice|order|case|police|aftale|afgift|bøde|nr\.|\bno\.)",
    re.IGNORECASE,
)
_PHONE_WORD = re.compile(r"(?<![\wæøå])(tlf|telefon|mobil|ring|sms|phone|call)", re.IGNORECASE)
_SPOKEN_CPR_CUE = re.compile(r"(cpr|personnummer|person nummer|personnr|født)", re.IGNORECASE)
_SPOKEN_PHONE_CUE = re.compile(
    r"(telefon|nummer|mobil|ring|ringe|sms|kontakt|fange mig|træffes|phone|call)",
    re.IGNORECASE,
)
_SERIAL_CUE = re.compile(r"(cifre|kontrolciffer|slutter på|ender på|resten)", re.IGNORECASE)
_LAST_FOUR = re.compile(r"(sidste fire|fire sidste|sidste cifre|last four|og så)", re.IGNORECASE)


# Before matching, text is read as a person sees it: characters nobody sees (zero-width
# spaces and joiners, soft hyphens, byte-order marks) are dropped, compatibility forms
# folded (NFKC: full-width digits, no-break spaces), and every dash and slash is one.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064"
                       "\ufeff\u00ad\u180e\u034f")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63"
                    "\uff0d\u02d7")
_SLASHES = frozenset("\u2044\u2215\u29f8\uff0f")


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """The text as matched, and for each of its characters the index of the original
    one it came from (None: unchanged, the usual case)."""
    if text.isascii():
        return text, None
    out: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        if c in _INVISIBLE:
            continue
        n = "-" if c in _DASHES else "/" if c in _SLASHES else \
            unicodedata.normalize("NFKC", c)
        out.append(n)
        origin.extend([i] * len(n))
    return "".join(out), origin


def normalise(text: str) -> str:
    """What redaction matches against (see `_normalised`)."""
    return _normalised(text)[0]


_TIGHT = re.compile(r"[\s.\-/]*")


def _cpr_windows(text: str, run: NumberRun) -> list[tuple[int, int, str]]:
    """CPR numbers inside a run of numbers, however its ten digits are grouped:
    consecutive parts with ten digits between them and a real date first, which
    either read as a CPR number is written or said (each part one digit or whole digit
    pairs starting on a pair: "15 04 82", "1 5 0 4", "femten nul fire toogfirs"), or
    sit close together (nothing but spaces, dots, dashes and slashes between them: "0 1
    010 00000"), or follow a word for CPR. So "150, 482 og 1234" stays three ordinary
    numbers, and so does a date with its year written out and a time after it
    ("15.04.2026 12.30") unless a word for CPR comes before it."""
    parts = run.parts
    cue = bool(_SPOKEN_CPR_CUE.search(text[max(0, run.start - 40):run.start]))
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(parts):
        digits, j, aligned, tight = "", i, True, True
        while j < len(parts) and len(digits) < 10:
            d = parts[j][2]
            if len(d) > 1 and (len(digits) % 2 or len(d) % 2):
                aligned = False
            if j > i and not _TIGHT.fullmatch(text[parts[j - 1][1]:parts[j][0]]):
                tight = False
            if len(digits) == 4 and len(d) == 4 and 1900 <= int(d) <= 2099 and not cue \
                    and [len(p[2]) for p in parts[i:j]] == [2, 2]:
                break  # DD.MM.YYYY: a date, whatever follows
            digits += d
            j += 1
        if len(digits) == 10 and valid_cpr_date(digits) and (aligned or tight or cue):
            out.append((parts[i][0], parts[j - 1][1], digits))
            i = j
        else:
            i += 1
    return out


def _date_part(text: str, run: NumberRun) -> bool:
    """Six digits that read as a CPR number's date part (DDMMYY), not labelled as an
    order, case or invoice number."""
    return len(run.digits) == 6 and valid_cpr_date(run.digits + "0000") and \
        not _NOT_PHONE_CUE.search(text[max(0, run.start - 40):run.start])


def _inside_number(text: str, start: int, end: int) -> bool:
    """Part of a longer date or reference ('03.02.2026-17.02.2026', '2026-00081234')."""
    before, after = text[max(0, start - 2):start], text[end:end + 2]
    return bool(re.fullmatch(r"\d[.\-/]", before) or re.match(r"[.\-/]\d", after))


def _labelled_not_phone(text: str, start: int) -> bool:
    before = text[max(0, start - 40):start]
    return bool(_NOT_PHONE_CUE.search(before)) and not _PHONE_WORD.search(before)


def valid_cpr_date(digits: str) -> bool:
    """DDMMYY is a calendar date in some century (29 February only in leap years)."""
    dd, mm, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    for century in (1900, 2000):
        try:
            date(century + yy, mm, dd)
            return True
        except ValueError:
            continue
    return False


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # cpr | phone | email | card
    start: int
    end: int
    value: str  # the digits (or the address), for consented uses such as callbacks


@dataclass
class Redaction:
    text: str  # the redacted text, safe to store, log and send
    findings: list[Finding] = field(default_factory=list)

    @property
    def phones(self) -> list[str]:
        return [f.value for f in self.findings if f.kind == "phone"]

    @property
    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}

    @property
    def serial(self) -> bool:
        """A CPR number's last four digits alone (the date part came the turn before)."""
        return any(f.kind == "cpr" and len(f.value) == 4 for f in self.findings)

    @property
    def serial_to_come(self) -> bool:
        """Only a CPR number's date part was given: its serial may follow next turn."""
        return any(f.kind == "cpr" and len(f.value) == 6 for f in self.findings)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def find_personal_data(text: str, serial_expected: bool = False) -> list[Finding]:
    """Every personal-data span in `text`, non-overlapping, in order. Matched on the
    text as a reader sees it (`normalise`); spans are the original text's.
    `serial_expected`: the conversation's last turn gave a CPR number's date part
    ("mit cpr nummer er 110311"), so four digits now ("og de sidste fire er 2468") are
    its serial."""
    norm, origin = _normalised(text)
    found = _find(norm, serial_expected)
    if origin is None:
        return found
    return [Finding(f.kind, origin[f.start], origin[f.end - 1] + 1, f.value) for f in found]


def _find(text: str, serial_expected: bool = False) -> list[Finding]:
    found: list[Finding] = []

    def taken(a: int, b: int) -> bool:
        return any(a < f.end and f.start < b for f in found)

    def add(kind: str, a: int, b: int, value: str) -> None:
        if not taken(a, b):
            found.append(Finding(kind, a, b, value))

    for m in _EMAIL.finditer(text):
        add("email", m.start(), m.end(), m.group(0))
    for m in _SPOKEN_EMAIL.finditer(text):
        add("email", m.start(), m.end(), m.group(0))
    for m in _CARD.finditer(text):
        d = _digits(m.group(0))
        if 13 <= len(d) <= 19:
            add("card", m.start(), m.end(), d)
    for m in _CPR.finditer(text):
        d = _digits(m.group(0))
        if len(d) == 10 and valid_cpr_date(d) and not _inside_number(text, m.start(), m.end()):
            add("cpr", m.start(), m.end(), d)
    runs = number_runs(text, min_words=1)
    for a, b, d in birth_date_serials(text, runs):  # "15. april 1982, 1234"
        if valid_cpr_date(d):
            add("cpr", a, b, d)
    for run in runs:  # any grouping and separators, digits and words mixed
        for a, b, d in _cpr_windows(text, run):
            if not _inside_number(text, a, b):
                add("cpr", a, b, d)
    for m in _PHONE.finditer(text):
        if _labelled_not_phone(text, m.start()) or _inside_number(text, m.start(), m.end()):
            continue
        d = _digits(m.group(0))
        add("phone", m.start(), m.end(), d[-8:])
    # Spoken forms: runs of number words ("nul et et nul ni nul et to tre fire").
    for run in runs:  # a CPR number's date part, its serial to come (next turn, maybe)
        if taken(run.start, run.end) or not _date_part(text, run):
            continue
        # after a word for CPR, or on its own ("110311", "det er 110311"): a date said
        # in six digits and nothing else is how a CPR number's first half is given
        alone = len((text[:run.start] + text[run.end:]).split()) <= 3
        if alone or _SPOKEN_CPR_CUE.search(text[max(0, run.start - 60):run.start]):
            add("cpr", run.start, run.end, run.digits)
    if serial_expected:  # the last turn gave the date part: the serial may follow alone
        for run in runs:
            rest = (text[:run.start] + text[run.end:]).split()
            if len(run.digits) == 4 and not taken(run.start, run.end) and (
                    _LAST_FOUR.search(text[max(0, run.start - 40):run.start])
                    or _SERIAL_CUE.search(text[max(0, run.start - 40):run.start])
                    or len(rest) <= 2):
                add("cpr", run.start, run.end, run.digits)
    for run in (r for r in runs if r.words >= 2):
        if run.spoken == 0 or taken(run.start, run.end):
            continue
        before = text[max(0, run.start - 60):run.start]
        d = run.digits
        cpr_cue = bool(_SPOKEN_CPR_CUE.search(before))
        if len(d) == 10 and valid_cpr_date(d):
            add("cpr", run.start, run.end, d)
        elif len(d) == 6 and cpr_cue and valid_cpr_date(d + "0000"):
            add("cpr", run.start, run.end, d)  # the date part, the serial said apart
        elif len(d) == 4 and _LAST_FOUR.search(before[-30:]) and \
                any(f.kind == "cpr" for f in found):
            add("cpr", run.start, run.end, d)  # "... og så de sidste fire er femten tres"
        elif _labelled_not_phone(text, run.start):
            continue
        elif len(d) == 8 and (run.words >= 4 or _SPOKEN_PHONE_CUE.search(before)):
            add("phone", run.start, run.end, d)
        elif len(d) >= 8 and _SPOKEN_CPR_CUE.search(before):
            add("cpr", run.start, run.end, d)  # a CPR said with a slip: still personal data
        elif len(d) >= 8 and _SPOKEN_PHONE_CUE.search(before):
            add("phone", run.start, run.end, d)
    return sorted(found, key=lambda f: f.start)


def date_fragments(text: str) -> list[str]:
    """Six-digit numbers that could be a CPR number's date part, left in a (redacted)
    text because nothing said so ("mit nummer er 110311"): as written, so that they
    can be redacted afterwards when the last four digits follow in the next turn."""
    return [text[r.start:r.end] for r in number_runs(text, min_words=1) if _date_part(text, r)]


def redact_fragments(value: Any, fragments: tuple[str, ...] | list[str]) -> Any:
    """`value` (a text, or JSON holding texts) with these fragments as `[CPR]`: an
    earlier turn's six digits, once the last four have shown they were a CPR number."""
    if isinstance(value, str):
        for fragment in fragments:
            value = value.replace(fragment, LABELS["cpr"])
        return value
    if isinstance(value, list):
        return [redact_fragments(v, fragments) for v in value]
    if isinstance(value, dict):
        return {k: redact_fragments(v, fragments) for k, v in value.items()}
    return value


def redact(text: str, serial_expected: bool = False) -> Redaction:
    """Replace personal data with labels ('[CPR]', '[TELEFON]', '[EMAIL]', '[KORT]').
    `serial_expected`: see `find_personal_data`."""
    findings = find_personal_data(text, serial_expected)
    out, pos = [], 0
    for f in findings:
        out.append(text[pos:f.start])
        out.append(LABELS[f.kind])
        pos = f.end
    out.append(text[pos:])
    return Redaction("".join(out), findings)
