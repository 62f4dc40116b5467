"""Intent cues in a citizen turn: what the citizen wants beyond information.

Retrieval finds the topic; these cues find what the policy needs on top: a request
for a person, a question about the citizen's own case, a complaint, a "that did
not help", thanks and goodbye, a greeting, a yes/no, a satisfaction score, an
emergency. Patterns cover written and spoken Danish and common English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.cues.emergency import DESPAIR, EMERGENCY
from bot.cues.needs import (
    COMPLAINT,
    DEPARTMENT,
    NOT_HELPED,
    OWN_CASE,
    OWN_CASE_NAMED,
    PERSON,
    RELUCTANT,
    SPAN,
    UNREACHED,
)
from bot.cues.talk import (
    ALSO,
    ANAPHOR,
    CALLBACK,
    CLOSING,
    CONTINUES,
    FILLER,
    GREETING,
    HOW_TO,
    LEAVE,
    MORE,
    NEW_SUBJECT,
    NO,
    NO_FIRST,
    POSITIVE,
    QUESTION_WORDS,
    SCORE,
    SIGH,
    THANKS,
    VAGUE,
    WAIT,
    WAIT_SHORT,
    WHEN_TO_CALL,
    YES,
)
from ddh.numbers import word_value
from ddh.redaction import strip_labels


@dataclass(frozen=True, slots=True)
class Cues:
    wants_person: bool = False
    own_case: bool = False
    complaint: bool = False
    not_helped: bool = False
    thanks: bool = False
    greeting_only: bool = False
    yes: bool = False
    no: bool = False
    emergency: bool = False
    despair: bool = False  # thoughts of suicide: Livslinien besides 112
    callback: bool = False  # asks to be called back: a number in the turn is consented
    question: bool = False
    vague: bool = False  # "kan du hjælpe mig?" and nothing more
    content_words: int = 0
    positive: bool = False  # "ja det gjorde det", "cheers, that's all": a yes or thanks
    asks_wait: bool = False  # how long the wait is, which place in the queue
    leaves: bool = False  # does not want to wait any more
    continues: bool = False  # goes on from the previous turn ("og til et barn?")
    refers: bool = False  # leans on the previous turn with a pronoun ("hvad koster det")
    how_to: bool = False  # asks how something is done ("hvordan klager jeg")
    starts_no: bool = False  # "nej, min bank siger noget helt andet": a no first
    new_subject: bool = False  # "et helt andet spørgsmål": not about the last answer
    farewell: bool = False  # says what they will do now ("så venter jeg på opkaldet")

    @property
    def needs_person(self) -> bool:
        return self.wants_person or self.own_case or self.complaint or self.not_helped


def _leftover(text: str, *patterns: re.Pattern[str]) -> int:
    """Words left after removing the given cue phrases and fillers."""
    rest = text
    for p in patterns:
        rest = p.sub(" ", rest)
    return len([w for w in FILLER.split(rest) if w])


_FIRST_SENTENCE = re.compile(r"[^.?!]*[.?!]?")


def _first_sentence(text: str) -> str:
    m = _FIRST_SENTENCE.match(text)
    return m.group(0) if m else text
_IKKE = re.compile(r"(?<![\wæøå])ik(?:k|ke)?(?![\wæøå'])", re.IGNORECASE)


def detect(text: str) -> Cues:
    # "det virker stadig ikk", "har ik hørt noget": spoken "ikke" as typed
    text = _IKKE.sub("ikke", text)
    words = len([w for w in FILLER.split(text) if w])
    # asking how to complain or follow a case, without wanting a person: a guide answers
    how_to = bool(HOW_TO.search(text)) and not PERSON.search(text) and \
        not re.search(r"(?<![\wæøå])(?:jeg|vi) vil (?:gerne )?klage", text, re.IGNORECASE)
    closing = _leftover(text, THANKS, YES, NO, GREETING, SIGH) == 0
    # with thanks, or with little else ("nå okay, så ringer jeg til yousee")
    farewell = bool(CLOSING.search(text)) and "?" not in text and not MORE.search(text) \
        and not QUESTION_WORDS.search(SIGH.sub(" ", CLOSING.sub(" ", text))) and (
            bool(THANKS.search(text)) or _leftover(text, CLOSING, YES, GREETING) <= 3)
    return Cues(
        wants_person=bool(PERSON.search(text)) and not WHEN_TO_CALL.search(text),
        own_case=bool(OWN_CASE.search(text) or OWN_CASE_NAMED.search(text)) and not how_to,
        complaint=bool(COMPLAINT.search(text)) and not how_to,
        not_helped=bool(NOT_HELPED.search(text)),
        thanks=(bool(THANKS.search(text)) and closing) or farewell,
        greeting_only=bool(GREETING.search(text)) and _leftover(text, GREETING) == 0,
        yes=bool(YES.search(text)) and _leftover(text, YES, THANKS, GREETING) <= 1,
        no=bool(NO.search(text)) and _leftover(text, NO, THANKS) <= 1,
        emergency=bool(EMERGENCY.search(text) or DESPAIR.search(text)),
        despair=bool(DESPAIR.search(text)),
        callback=bool(CALLBACK.search(text)),
        question=(bool(QUESTION_WORDS.search(text)) or "?" in text) and not farewell,
        vague=bool(VAGUE.search(text)) and _leftover(text, VAGUE, GREETING, THANKS) <= 1,
        content_words=words,
        positive=bool(POSITIVE.match(text) or THANKS.search(text)) and "?" not in text and
        not MORE.search(text) and not QUESTION_WORDS.search(text) and not NO.search(text),
        # a short first sentence about the wait: "hvor lang tid cirka? skal hente mine unger"
        asks_wait=bool(WAIT.search(text)) or (bool(WAIT_SHORT.search(text)) and words <= 8) or (
            bool(WAIT_SHORT.search(first := _first_sentence(text))) and
            len([w for w in FILLER.split(first) if w]) <= 5),
        leaves=bool(LEAVE.search(text)),
        continues=bool(CONTINUES.search(text)) or (
            bool(ALSO.search(text)) and words <= 12),
        refers=bool(ANAPHOR.search(text)),
        how_to=how_to,
        starts_no=bool(NO_FIRST.match(text)),
        new_subject=bool(NEW_SUBJECT.search(text)),
        farewell=farewell,
    )


# Where a second question starts: "…, og skal jeg så også …", "… og hvordan …",
# "…? og …", "… and also …". Split only where a question word or a modal follows.
_NEXT_QUESTION = re.compile(
    r"(?:[?.!]+\s+|\s*[,–—-]?\s+)(?:og|samt|and)\s+"
    r"(?:(?:så|bagefter|derefter|dernæst|desuden|derudover|samtidig|i øvrigt|til sidst|"
    r"then|afterwards|besides)\s+){0,2}(?:også\s+|also\s+)?"
    r"(?:om\s+|et spørgsmål om\s+|spørge om\s+)?"
    r"(?=(?:hvordan|hvad|hvornår|hvor|hvem|hvilke[nt]?|om|skal|kan|må|vil|"
    r"får|er|how|what|when|where|which|who|can|do|does|is|should)\b)"
    r"|,?\s+og (?:så )?(?:har jeg|jeg har|så har jeg) (?:også )?(?:lige )?(?:et )?(?:andet )?"
    r"spørgsmål(?: om)?\s+"
    # "det ene er …, og det andet er at …", "for det første …, for det andet …"
    r"|,?\s+(?:og )?(?:så )?(?:for )?det andet(?: er| var| handler om| drejer sig om)?"
    r"(?: at| om)?:?\s+"
    r"|[?]+\s+(?=\w)", re.IGNORECASE)


def questions(text: str) -> list[str]:
    """The questions of a turn, in order: one, or two when a second is joined on."""
    m = _NEXT_QUESTION.search(text)
    if m is None:
        return [text]
    parts = [text[:m.start()].strip(" ,"), text[m.end():].strip(" ,")]
    # both must ask something: "… siger jeg sorterer forkert?? hvad må …" is one
    # question; "… og så har jeg et spørgsmål om mit pas" says the second asks
    marker = m.group(0).lower()
    # "…, og kan hun også få …": the second asks, so the first was a request too
    also = bool(re.match(r"\W*(?:\w+ ){0,3}også\b", parts[1], re.IGNORECASE)) and \
        words(parts[0]) >= 3
    asks = all(QUESTION_WORDS.search(p) or _ASKS.match(p) or (i == 0 and (
        _NEEDS.match(p) or (_PROBLEM.search(p) and words(p) >= 4 and
                            bool(_WH_FIRST.match(parts[1])))))
               for i, p in enumerate(parts)) or (
        "spørgsmål" in marker and bool(QUESTION_WORDS.search(parts[0]) or
                                       PERSON.search(parts[0]))) or "det andet" in marker or (
        also and bool(QUESTION_WORDS.search(parts[1]) or _ASKS.match(parts[1])))
    least = 1 if "det andet" in marker else 2  # "…, det andet om kørekort"
    return [p for p in parts if p] if asks and all(words(p) >= least for p in parts) else [text]


# A first part that reports a problem: "skraldespanden blev ikke tømt – og hvornår …".
_PROBLEM = re.compile(r"(?<![\wæøå])(?:ikke|i stykker|væk|mistet|tabt|stjålet|udløbet)"
                      r"(?![\wæøå])", re.IGNORECASE)
_WH_FIRST = re.compile(r"^\W*(?:hvordan|hvad|hvornår|hvor|hvem|hvilke[nt]?|how|what|when|"
                       r"where|which|who)(?![\wæøå])", re.IGNORECASE)
# A first part that states a need: "jeg skal have fornyet mit pas, og hvad koster …".
_NEEDS = re.compile(r"^\W*(?:\w+ ){0,3}(?:jeg|vi|min \w+|vores \w+) (?:skal|vil gerne|mangler|"
                    r"har brug for|skal bruge|skal have|må have)\b", re.IGNORECASE)
# A part that asks without a question word: "skal jeg …", "om jeg kan …", "er der …".
_ASKS = re.compile(r"^\W*(?:og |så |også )*(?:skal|kan|må|vil|får|er|har|om|do|does|is|can|"
                   r"should|will)\b", re.IGNORECASE)


def satisfaction_score(text: str) -> int | None:
    """A 1-10 rating in digits or words ('8', '8/10', 'otte', 'ti ud af ti')."""
    m = SCORE.search(text)
    if m:
        return int(m.group(1))
    for word in re.findall(r"[\wæøå]+", text.lower()):
        v = word_value(word)
        if v is not None and v.isdigit() and 1 <= int(v) <= 10 and word not in ("en", "et"):
            return int(v)
    return None


def words(text: str) -> int:
    return len([w for w in FILLER.split(text) if w])


def subject_text(text: str) -> str:
    """The text without the request for a person, case or complaint phrases, and without
    how long the citizen has waited: its subject (with a department named kept by the
    word it is named for)."""
    rest = strip_labels(text)
    departments = [m.group(1) for m in DEPARTMENT.finditer(rest)]
    for p in (PERSON, RELUCTANT, OWN_CASE, NOT_HELPED, COMPLAINT, GREETING, THANKS, SPAN,
              UNREACHED):
        rest = p.sub(" ", rest)
    rest = re.sub(r"(?<![\wæøå])(jeg vil gerne|jeg vil|kan jeg|vil gerne|gerne|om|angående|"
                  r"vedrørende|omkring|i forbindelse med)(?![\wæøå])", " ", rest, flags=re.I)
    # who the person is to be ("en fra kommunen", "someone from the municipality
    # please") says where, not what about
    rest = re.sub(r"(?<![\wæøå])(?:(?:fra|hos|i|ved) (?:kommunen|kommune)|"
                  r"(?:from|at|in) the (?:municipality|council)|please)(?![\wæøå])",
                  " ", rest, flags=re.I)
    return " ".join([*rest.split(), *departments])
