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
from dataclasses import dataclass, field
from datetime import date

from bot.numbers import number_runs

LABELS = {"cpr": "[CPR]", "phone": "[TELEFON]", "email": "[EMAIL]", "card": "[KORT]"}

_SEP = r"[ \t.\-–/]"
# 10 digits with optional separators: 010190-1234, 0101901234, 01 01 90 12 34, 01.01.90-1234
_CPR = re.compile(rf"(?<![\d])\d\d{_SEP}?\d\d{_SEP}?\d\d\s?{_SEP}?\s?\d\d{_SEP}?\d\d(?![\d])")
# Danish phone numbers: +45/0045 prefix optional, 8 digits in the usual groupings.
_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)\s?45[ \t\-]?)?"
    r"(?:\d{2}[ \t\-]?\d{2}[ \t\-]?\d{2}[ \t\-]?\d{2}|\d{4}[ \t\-]\d{4})(?![\d])"
)
_CARD = re.compile(r"(?<![\d])\d{4}(?:[ \t\-]?\d{4}){3}(?:[ \t\-]?\d{1,3})?(?![\d])"
                   r"|(?<![\d])\d{4}[ \t\-]?\d{6}[ \t\-]?\d{5}(?![\d])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_SPOKEN_EMAIL = re.compile(
    r"(?<!\w)[\wæøå]+(?:\s+(?:punktum|prik|streg|bindestreg|underscore)\s+[\wæøå]+)*"
    r"\s+(?:snabel[\s-]?a|at)\s+[\wæøå]+(?:\s+(?:punktum|prik)\s+[\wæøå]+)+",
    re.IGNORECASE | re.UNICODE,
)
# Numbers that look like phone numbers but are labelled as something else.
_NOT_PHONE_CUE = re.compile(
    r"(faktura|fakturanummer|ordre|ordrenummer|kundenummer|kundenr|sagsnummer|sagsnr|"
    r"journalnummer|j\.nr|reference|referencenummer|bilag|varenummer|kontonummer|konto|"
    r"registreringsnummer|reg\.nr|invoice|order|case number|policenummer|aftalenummer)"
    r"[\s.:#-]*(?:nr\.?|nummer)?[\s.:#-]*$",
    re.IGNORECASE,
)
_SPOKEN_CPR_CUE = re.compile(r"(cpr|personnummer|person nummer|personnr|født)", re.IGNORECASE)
_SPOKEN_PHONE_CUE = re.compile(
    r"(telefon|nummer|mobil|ring|ringe|sms|kontakt|fange mig|træffes)", re.IGNORECASE
)


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


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def find_personal_data(text: str) -> list[Finding]:
    """Every personal-data span in `text`, non-overlapping, in order."""
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
        if len(d) == 10 and valid_cpr_date(d):
            add("cpr", m.start(), m.end(), d)
    for m in _PHONE.finditer(text):
        if _NOT_PHONE_CUE.search(text[max(0, m.start() - 40):m.start()]):
            continue
        d = _digits(m.group(0))
        add("phone", m.start(), m.end(), d[-8:])
    # Spoken forms: runs of number words ("nul et et nul ni nul et to tre fire").
    for run in number_runs(text, min_words=2):
        if run.spoken == 0 or taken(run.start, run.end):
            continue
        before = text[max(0, run.start - 60):run.start]
        d = run.digits
        if len(d) == 10 and valid_cpr_date(d):
            add("cpr", run.start, run.end, d)
        elif len(d) == 8 and (run.words >= 4 or _SPOKEN_PHONE_CUE.search(before)):
            add("phone", run.start, run.end, d)
        elif len(d) >= 8 and _SPOKEN_CPR_CUE.search(before):
            add("cpr", run.start, run.end, d)  # a CPR said with a slip: still personal data
        elif len(d) >= 8 and _SPOKEN_PHONE_CUE.search(before):
            add("phone", run.start, run.end, d)
    return sorted(found, key=lambda f: f.start)


def redact(text: str) -> Redaction:
    """Replace personal data with labels ('[CPR]', '[TELEFON]', '[EMAIL]', '[KORT]')."""
    findings = find_personal_data(text)
    out, pos = [], 0
    for f in findings:
        out.append(text[pos:f.start])
        out.append(LABELS[f.kind])
        pos = f.end
    out.append(text[pos:])
    return Redaction("".join(out), findings)
