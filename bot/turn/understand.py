"""Understand stage: what the citizen asks for, and which guides are about it.

`read` works out the question of the turn (or the one a crisis notice was waiting to
answer), whether a person is needed and why, and the text to search for; `search`
finds the guides and says whether the best one is confident enough to answer.
Searching is left to the decide stage, which needs it only when no earlier rule
(an emergency, a rating, a goodbye …) has settled the turn.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from bot.cues.talk import CONDITION, WHEN_TO_CALL
from bot.intents import Cues, detect, subject_text
from bot.turn.decision import GENERIC_TOPICS
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Ask, Heard, Located, Need
from ddh.numbers import without_numbers
from ddh.redaction import strip_labels
from ddh.vocabulary import Action
from knowledge.apps import apps_named
from knowledge.glossary import danish_terms
from knowledge.guide import NO_GUIDE_TOPIC, Guide
from knowledge.retrieval import Hit
from knowledge.text import analyse


@dataclass(frozen=True)
class Understanding:
    text: str  # what is asked: this turn, or the question resumed for a crisis notice
    cues: Cues  # the cues of `text`
    need: Need | None  # why a person is needed, if one is
    query: str  # what to search for: with a need, its subject only
    # The turn goes on from the topic of the previous answer ("og til et barn?", "hvad
    # koster det", only "jeg bor i Aarhus"): that topic holds unless the turn names
    # another one.
    follows: bool = False
    place_only: bool = False  # the turn only said where the citizen lives
    alternatives: tuple[str, ...] = ()  # speech: what the recogniser may also have heard
    unsure: bool = False  # speech: the recogniser was unsure of `text`


# How many words a turn that leans on the previous one with a pronoun may have: past
# that, "det" is more likely part of a new question ("det er fordi jeg skal flytte …").
FOLLOW_UP_WORDS = 12
# Of two topics a turn names, the lower ranked goes first on this much more lexical
# evidence.
NAMED_LEAD = 1.15
SHORT_WORDS = 7
# An area without a guide that the question names wins on this many times the terms of
# a guide it does not name, however close that guide is in meaning.
AREA_LEAD = 4.0


def need_of(cues: Cues, pending: Ask | None, answered: bool = True) -> Need | None:
    """Why a person is needed. "virker ikke" is only "the guide did not help" after a
    guide was given (`answered`); before, it states the problem ("internettet virker
    ikke")."""
    if (cues.not_helped and answered) or (pending == Ask.HELPED and (
            cues.no or cues.starts_no) and not cues.question):
        return Need.NOT_HELPED  # about the guide just given: keeps its topic
    if cues.complaint:
        return Need.COMPLAINT
    if cues.wants_person:
        return Need.WANTS_PERSON
    if cues.own_case:
        return Need.OWN_CASE
    return None


def read(sv: Services, state: ConversationState, heard: Heard,
         located: Located | None = None) -> Understanding:
    """The question of this turn. `state` is the state at the start of the turn (with
    this turn's municipality already noted), read and never changed; `located` is what
    this turn said about the municipality (its words are not the question)."""
    pending = state.pending
    text, cues = heard.text, heard.cues
    if pending is not None and pending.ask == Ask.NOTICE and pending.question and \
            state.municipality:
        # The municipality asked for a crisis notice is known now: back to the question.
        text = pending.question
        cues = detect(text)
    need = need_of(cues, pending.ask if pending else None,
                   bool(state.last_guides or state.notice_id))
    # With a person needed, the subject is what is left without the request itself:
    # "tale med en medarbejder om mit pas" is about pas, not about reaching a person.
    query = subject_text(text) if need else text
    # "do you speak english? I lost my licence …": asking about the language is no part
    # of the question (the reply is in the citizen's language anyway)
    aside = _LANGUAGE_ASIDE.sub(" ", query)
    if len(aside.split()) >= 3:
        query = aside
    # "jeg har mistet mit pas, nej vent, det er kørekortet der er væk": what comes after
    # the correction is the question
    corrected = _CORRECTION.split(query)
    if len(corrected) > 1 and len(corrected[-1].split()) >= 3:
        query = corrected[-1]
    found = located.found if located else None
    if state.municipality:
        query = sv.detector.without_places(query, state.municipality)
    if state.municipality_turn == state.turns and state.municipality_source == "postal_code":
        query = without_numbers(query)  # the number was the postal code
    # the place's own words are not the question (a town that is in several
    # municipalities too: "jeg bor i Værløse")
    place = found.evidence if found is not None and found.source == "name" else \
        located.evidence if located is not None and located.candidates else None
    if place:
        query = re.sub(rf"(?<![\wæøå]){re.escape(place)}(?![\wæøå])", " ", query,
                       flags=re.IGNORECASE)
        query = _LIVES_IN.sub(" ", query)
    place_only = found is not None and found.code is not None and \
        state.municipality_turn == state.turns and not analyse(_PLACE_WORDS.sub(" ", query))
    # an answer, or a redirect to the authority the topic belongs to ("hvorfor kan
    # kommunen ikke bare tjekke det" after boligstøtte was sent to Udbetaling Danmark)
    answered = state.last_topic is not None and state.last_topic not in GENERIC_TOPICS and (
        bool(state.last_guides) or (bool(state.actions) and state.actions[-1] == Action.REDIRECT))
    # a short question that names no topic of its own leans on the last answer too
    # ("skal vi selv have vidner med?" after the wedding guide)
    short = cues.question and cues.content_words <= SHORT_WORDS and \
        not named_anew(sv, state, query, besides=False)
    follows = answered and not cues.new_subject and (place_only or cues.continues or short or (
        cues.refers and cues.content_words <= FOLLOW_UP_WORDS) or leans_first(text))
    return Understanding(text, cues, need, query, follows, place_only,
                         heard.alternatives, heard.unsure)


# A first clause that points back to the last answer with a pronoun, however long the
# rest: "hvordan bestiller jeg det så til hele familien, vi er 2 voksne og 3 børn",
# "kan I ikke bare aflyse den for mig, …". Not "det er/var …" that opens a new statement.
_FIRST_CLAUSE = re.compile(r"^[^,.;:!?]+")
_POINTS_BACK = re.compile(r"(?<![\wæøå])(?:det|den|dem|dét|it|that)(?![\wæøå])", re.IGNORECASE)
_EXPLETIVE = re.compile(r"(?<![\wæøå])(?:det|dét|it|that) (?:er|var|bliver|blev|drejer|handler|"
                        r"gælder|sker|is|was)(?![\wæøå])", re.IGNORECASE)
FIRST_CLAUSE_WORDS = 8


def leans_first(text: str) -> bool:
    """The turn's first clause is short and points back with a pronoun."""
    m = _FIRST_CLAUSE.match(text.strip())
    clause = m.group(0) if m else ""
    return len(clause.split()) <= FIRST_CLAUSE_WORDS and \
        bool(_POINTS_BACK.search(_EXPLETIVE.sub(" ", clause)))


# A citizen correcting themselves mid-turn.
_CORRECTION = re.compile(r"(?<![\wæøå])(?:nej vent|nej undskyld|undskyld,? jeg mener|nej,? jeg "
                         r"mener|jeg mener selvfølgelig|rettelse|eller nej|no wait|sorry,? i mean)"
                         r"(?![\wæøå])", re.IGNORECASE)


# Asking whether English (or poor Danish) will do.
_LANGUAGE_ASIDE = re.compile(
    r"(?<![\wæøå])(?:(?:do|can) you (?:speak|understand|write) english|(?:can|may) i "
    r"(?:write|ask|speak) (?:in )?english|(?:is it )?(?:ok|okay|fine) (?:if i write |to write )?"
    r"(?:in )?english|taler (?:du|i) engelsk|forstår (?:du|i) engelsk|kan (?:jeg|man) skrive "
    r"(?:på )?engelsk|(?:sorry|excuse) (?:for )?my (?:bad |poor )?danish|undskyld mit "
    r"(?:dårlige )?dansk)(?![\wæøå])\W*", re.IGNORECASE)


# "jeg bor i …" around a place named in the turn: not part of the question.
_LIVES_IN = re.compile(r"(?<![\wæøå])(?:jeg|vi|han|hun|de|min \w+) (?:bor|boede|er flyttet|"
                       r"er fra|lives?|live)(?: (?:i|på|ved|til|in|at))?(?![\wæøå])",
                       re.IGNORECASE)
# What people say around where they live: "jeg bor i", "vi er fra", "kommune".
_PLACE_WORDS = re.compile(r"(?<![\wæøå])(?:bor|boede|bo|fra|kommune|kommunen|i|på|ved|"
                          r"live|lives|living|in|from|municipality|postnummer|postnr)"
                          r"(?![\wæøå])", re.IGNORECASE)


def search(sv: Services, state: ConversationState, text: str,
           subject: bool = False, follows: bool = False) -> tuple[list[Hit], bool]:
    """Guides for the text, and whether the first is confident enough to answer.
    `subject`: only the topic of an escalation is wanted, so intent-only topics are
    skipped and a weaker match will do. `follows`: the turn goes on from the previous
    answer's topic, which holds unless the turn itself names another topic clearly."""
    retriever = sv.retriever
    text = strip_labels(text)
    # a thing the citizen lacks is a condition on the same errand ("og hvad hvis jeg
    # ikke har et pas?" after MitID), not a new subject: named without it
    lacking = CONDITION.sub(" ", text)
    if state.language == "en":  # the guides' Danish terms for the English words
        text = f"{text} {danish_terms(text)}".strip()
        lacking = f"{lacking} {danish_terms(lacking)}".strip()
    if WHEN_TO_CALL.search(text):  # "hvornår kan man ringe til jer?" asks the hours
        text = f"{text} åbningstider hvornår har borgerservice åbent"
    hits = retriever.search(text, state.municipality, k=5)
    if subject:
        intent = hits[0] if hits and hits[0].guide.topic in GENERIC_TOPICS else None
        hits = [h for h in hits if h.guide.topic not in GENERIC_TOPICS][:3]
        top = hits[0] if hits else None
        # The subject must share a term with the guide: a residue like "jeg skal
        # nogen" is close in meaning to everything and names nothing. And when an
        # intent's guide ("følg din sag") matches the residue on more terms than any
        # subject does, the residue is about the request itself, not a subject.
        c = sv.confidence
        names = retriever.named_topics(text)
        if top is not None and top.guide.topic not in names:
            # a subject the residue names a little lower goes first ("fuldmagt til min
            # digitale post" names Digital Post)
            # (whatever its score when it is the one subject and called by its name:
            # "mit MitID … en person")
            subjects = names - GENERIC_TOPICS - {NO_GUIDE_TOPIC}
            by_name = len(subjects) == 1 and says_name(sv, text, next(iter(subjects)))
            other = next((h for h in hits[1:] if h.guide.topic in names and
                          (by_name or h.score >= top.score - c.named_margin)), None)
            if other is not None:
                hits = [other] + [h for h in hits if h is not other]
                top = other
        # a subject the residue names ("… om plejebolig") will do
        named = top is not None and top.guide.topic in names and \
            top.lexical >= c.min_lexical / 2
        # else a word of the residue must be one of the topic's own, not only
        # everyday words the topic's keywords also use ("kan jeg ikke bare få lov at")
        # (a one-word residue, "trappelift", is far from every guide in meaning: a clear
        # lexical match on a word of the guide's own will do instead)
        ok = named or (top is not None and top.lexical >= c.min_lexical / 2 and (
            not retriever.has_dense or top.dense >= c.min_similarity - 0.04 or
            top.lexical >= c.min_lexical) and (
            intent is None or intent.lexical <= top.lexical) and
            retriever.uses_term_of(text, top.guide))
        return hits, ok
    hits, covered = weigh(sv, text, hits)
    # judged on the topic's best evidence: a municipality's own guide put first (see
    # HybridRetriever._prefer_local) answers when the national one of its topic would
    confident = covered and bool(hits) and any(
        sv.confidence.accepts(h, retriever.has_dense) for h in hits
        if h.guide.topic == hits[0].guide.topic)
    if confident and not follows:
        hits = as_precedents_say(sv, text, hits)
    if state.language == "en" and hits and hits[0].guide.en is None:
        # an English speaker gets the topic's guide that has an English text
        english = next((h for h in hits if h.guide.topic == hits[0].guide.topic and
                        h.guide.en is not None), None)
        if english is not None:
            hits = [english] + [h for h in hits if h is not english]
    if follows and state.last_topic:
        # A new subject needs a word of its own: "ja og så kørekortet" after the
        # passport answer names driving licences; "og til et barn?" names nothing.
        named = named_anew(sv, state, lacking) - {NO_GUIDE_TOPIC}
        # the conversation's topic named too, and first on the turn alone ("og brugte
        # batterier, må de ligge i skraldespanden?" after sorting), is no switch either
        stays = bool(hits) and hits[0].guide.topic == state.last_topic and \
            state.last_topic in retriever.named_topics(lacking)
        if state.last_topic not in named and not stays:
            # the named topic's best guide, wherever the turn alone ranked it
            other = next((h for h in hits if h.guide.topic in named), None)
            if other is not None:
                return [other] + [h for h in hits if h is not other], True
        kept = in_context(sv, state, text)
        if kept is not None:
            return kept, True
    if confident:
        return hits, True
    # A follow-up ("hvad koster det?") leans on the guide already given.
    if state.last_guides and state.last_guides[-1] in retriever.guides:
        title = retriever.guides[state.last_guides[-1]].title
        again = retriever.search(f"{title}: {text}", state.municipality, k=3)
        if sv.confidence.accepts(again[0] if again else None, retriever.has_dense):
            return again, True
    return hits, False


# The share of the labelled neighbours' weight a topic needs to reorder the guides found
# (calibrated on the blind sets: README, "Precedents").
TOPIC_SHARE = 0.8


def as_precedents_say(sv: Services, text: str, hits: list[Hit]) -> list[Hit]:
    """Of the guides found, the one of the topic that labelled conversations gave turns
    closest in meaning to this one, on a clear vote: the rules weigh words, and a
    citizen may name a thing in words of their own ("min mors breve fra kommunen og
    sygehuset" is Digital Post, not digital help). Only among what retrieval found
    anyway, and only between guides: whether a guide covers the question at all is for
    `weigh` (labelled turns about things no guide covers are too varied to vote on)."""
    first = hits[0] if hits else None
    if sv.precedents is None or first is None or first.guide.topic in _NOT_SUBJECTS or \
            says_name(sv, text, first.guide.topic) or \
            len(apps_named(text, sv.retriever.guides)) == 1:  # the app is the subject
        return hits
    vote = sv.precedents.topic(text)
    if vote is None or vote.share < TOPIC_SHARE or vote.label == first.guide.topic or \
            vote.label in _NOT_SUBJECTS:
        return hits
    other = next((h for h in hits if h.guide.topic == vote.label), None)
    if other is None:
        return hits
    # Nor against the words, when the turn names the first's topic: not for a topic it
    # does not name ("et nyt skattekort" is close in meaning to "et nyt sundhedskort",
    # and names tax), nor for a guide matching under half its words ("brugte batterier
    # i skraldespanden" is about sorting, though turns about bins are close).
    named = sv.retriever.named_topics(text)
    if first.guide.topic in named and (vote.label not in named or
                                       2 * other.lexical < first.lexical):
        return hits
    return [other] + [h for h in hits if h is not other]


def weigh(sv: Services, text: str, hits: list[Hit]) -> tuple[list[Hit], bool]:
    """Whether a guide covers the question, and the hits in the order that says so.

    A guide answers when the question names its topic by a word of its own, or is
    close to it in meaning and terms. Otherwise an entry of a municipal area that has
    no guide (`andet-kommunalt`) that scores about as well goes first: the bot then
    says it has no guide; and a guide that is neither named nor close is not enough."""
    # an app called by its name is what the question is about ("Min Læge-appen … logge
    # ind" is the doctor's app, not MitID): its topic's best guide goes first
    apps = apps_named(text, sv.retriever.guides)
    if len(apps) == 1:
        app = next((h for h in hits if h.guide.topic in apps), None)
        if app is not None:
            return [app] + [h for h in hits if h is not app], True
    real = next((h for h in hits if h.guide.topic != NO_GUIDE_TOPIC), None)
    area = next((h for h in hits if h.guide.topic == NO_GUIDE_TOPIC), None)
    named = sv.retriever.named_topics(text)
    c = sv.confidence
    if area is not None and hits[0] is area:
        # an area without a guide, named or close in meaning ("blå trampolin" is neither)
        return hits, NO_GUIDE_TOPIC in named or (
            sv.retriever.has_dense and area.dense >= c.unnamed_similarity)
    if real is None:
        return hits, True
    if real.guide.topic == OUT_OF_SCOPE and not says_name(sv, text, OUT_OF_SCOPE):
        # the citizen's own thing called by its name is what they ask about, not the
        # out-of-scope place a word of theirs points to ("mit pas lå også i pungen" is
        # about the passport, not lost property)
        # (unless the out-of-scope entry matches twice the words: "vores hund skal have
        # et pas" is the vet's pet passport)
        mine = next((h for h in hits[1:] if h.guide.topic not in _NOT_SUBJECTS and
                     says_name(sv, text, h.guide.topic)), None)
        if mine is not None and 2 * best_of(hits, mine.guide.topic)[1] >= real.lexical:
            return [mine] + [h for h in hits if h is not mine], True
    if real.guide.topic in named:
        # both named: the area wins on clearly more of the question's words ("de banker
        # pæle ned på byggepladsen … larme" is about noise, not banks)
        if area is not None and NO_GUIDE_TOPIC in named and \
                area.lexical >= 2 * real.lexical and area.score >= real.score - c.area_margin:
            return [area] + [h for h in hits if h is not area], True
        # both named, the first not by its own name, the other about as close in
        # meaning and on clearly more of the question's words: the other is the
        # question's thing ("kan ikke logge ind i appen Mit Sygehus" is about the
        # hospital app, "logge ind" only how it fails; "mit kørekort" stays itself)
        # (the first topic judged on its best evidence: a municipality's own guide put
        # first may score below the national one of its topic)
        score, lexical = best_of(hits, real.guide.topic)
        for h in hits[1:] if not says_name(sv, text, real.guide.topic) else ():
            if h.guide.topic in named and h.guide.topic not in (real.guide.topic,
                                                                NO_GUIDE_TOPIC) and \
                    h.score >= score - c.named_margin and h.lexical >= NAMED_LEAD * lexical:
                return [h] + [x for x in hits if x is not h], True
        return hits, True
    # a guide a little lower whose topic the question names goes first ("min su"),
    # unless the first matches clearly more of the question ("hunden skal have et pas")
    for h in hits[1:]:
        if h.guide.topic in named and h.guide.topic != NO_GUIDE_TOPIC and \
                h.score >= real.score - c.named_margin and real.lexical < 2 * h.lexical:
            return [h] + [x for x in hits if x is not h], True
    if area is not None and (area.score >= real.score - c.area_margin or (
            area.lexical >= real.lexical and area.score >= real.score - 3 * c.area_margin)) \
            and (not sv.retriever.has_dense or area.dense >= real.dense - c.area_dense_margin
                 # an area the question names, on many times the guide's terms: its
                 # words decide, not a hair of cosine ("cykelstien … ryddet … glat" is
                 # winter service, not a missed bin collection)
                 or (NO_GUIDE_TOPIC in named and area.lexical >= AREA_LEAD * real.lexical)):
        return [area] + [h for h in hits if h is not area], True
    close = real.lexical >= c.unnamed_lexical or (
        sv.retriever.has_dense and real.dense >= c.unnamed_similarity)
    return hits, close


def best_of(hits: list[Hit], topic: str) -> tuple[float, float]:
    """A topic's best evidence among the hits: its best score and its best term match
    (its guides may be ranked apart: a municipality's own guide put first)."""
    own = [h for h in hits if h.guide.topic == topic]
    return max((h.score for h in own), default=0.0), max((h.lexical for h in own), default=0.0)


def in_context(sv: Services, state: ConversationState, text: str) -> list[Hit] | None:
    """The guides of the conversation's topic for a turn that goes on from it, read
    together with the guide given last ("og til et barn?" after the passport guide is
    about children's passports): the best of that topic first, in the citizen's scope
    (a local guide of the topic wins once the municipality is known)."""
    retriever = sv.retriever
    if state.last_topic is None:
        return None
    # after a redirect no guide was given: the topic's own national guide stands in
    last = retriever.guides.get(state.last_guides[-1]) if state.last_guides else \
        guide_for_topic(sv, state.last_topic)
    if last is None:
        return None
    query = f"{last.title}. {strip_labels(text)}"
    hits = retriever.search(query, state.municipality, k=8)
    same = [h for h in hits if h.guide.topic == state.last_topic]
    if not same:
        return None
    return same + [h for h in hits if h.guide.topic != state.last_topic][:2]


def named_anew(sv: Services, state: ConversationState, text: str,
               besides: bool = True) -> frozenset[str]:
    """Topics a turn names besides the one the conversation is on: not by a word the
    citizen took from a compound of the guide just given ("skal jeg til lægen først?"
    after the licence guide that asks for a "lægeattest" is about that certificate), nor,
    with `besides`, by words the conversation's topic's own phrases use often. A word
    the guide used on its own names its topic as usual ("og hendes læge?" after the
    moving guide that says to choose a doctor), and so does a topic called by its name."""
    retriever = sv.retriever
    on = state.last_topic if besides else None
    named = retriever.named_topics(text, besides=on)
    last = retriever.guides.get(state.last_guides[-1]) if state.last_guides else None
    if not named or last is None:
        return named
    read = set(analyse(" ".join((last.title, last.summary, *last.steps))))
    by_word = [(w, retriever.named_topics(w, besides=on)) for w in _WORD.findall(text)]
    kept = {t for w, found in by_word for t in found
            if not all(_echoes(stem, read) for stem in analyse(w))}
    return frozenset(t for t in named if t in kept or says_name(sv, text, t) or
                     all(t not in found for _, found in by_word))


def _echoes(stem: str, read: set[str]) -> bool:
    """The word was in the text read only as a part of a compound ("lægen" after
    "lægeattest")."""
    return stem not in read and len(stem) >= 4 and any(
        r != stem and (r.startswith(stem) or r.endswith(stem)) for r in read)


def guide_for_topic(sv: Services, topic: str) -> Guide | None:
    """The national guide of a topic (a redirect's contact details when no search
    found one)."""
    for g in sv.retriever.guides.values():
        if g.topic == topic and g.national:
            return g
    return None


def consented_number(state: ConversationState, heard: Heard) -> str | None:
    """A phone number is kept for a callback only when the citizen gives it for one:
    asked for it, or asking to be called back in the same turn."""
    if heard.phones and (state.awaits(Ask.CALLBACK) or heard.cues.callback):
        return heard.phones[-1]
    return None


_WORD = re.compile(r"[\wæøåÆØÅ]+(?:-[\wæøåÆØÅ]+)*")
_JOINED = re.compile(r"(?<![\wæøå])(?:og|samt|and|plus|eller|or)(?![\wæøå])", re.IGNORECASE)
# what may stand between two coordinated things: "sundhedskortet og kørekortet", "mit pas
# og mit kørekort", "my passport and my licence" — a conjunction, articles, possessives
_BETWEEN = frozenset({"og", "samt", "and", "plus", "eller", "or", "også", "min", "mit",
                      "mine", "din", "dit", "dine", "vores", "hans", "hendes", "deres", "det",
                      "den", "de", "et", "en", "nyt", "ny", "nye", "the", "my", "a", "an",
                      "his", "her", "our", "their", "new", "also"})


def _coordinated(between: str) -> bool:
    """Two things joined: a conjunction, and around it only articles and possessives —
    and before it at most the first thing's own noun ("det gule kort og kørekortet")."""
    m = _JOINED.search(between)
    if m is None:
        return False
    before = re.findall(r"[\wæøå]+", between[:m.start()].lower())
    after = re.findall(r"[\wæøå]+", between[m.end():].lower())
    return len(before) + len(after) <= 4 and set(after) <= _BETWEEN and \
        len(set(before) - _BETWEEN) <= 1
# topics a question may name beside its subject without being a second question
OUT_OF_SCOPE = "uden-for-omraade"
_NOT_SUBJECTS = {*GENERIC_TOPICS, NO_GUIDE_TOPIC, OUT_OF_SCOPE}


def two_subjects(sv: Services, text: str) -> list[tuple[str, str]] | None:
    """One question about two things joined by "og": "jeg har mistet min pung med
    sundhedskortet og kørekortet i, hvad gør jeg?" — as two questions, in the order
    the citizen named them, each with the rest of the sentence ("… mistet min pung med
    sundhedskortet i, hvad gør jeg?") and the topic that names it. Only when each
    thing is named by a word of its own topic and the two are joined closely (a few
    words apart), so a topic word mentioned in passing is no second question."""
    retriever = sv.retriever
    named = retriever.named_topics(text) - _NOT_SUBJECTS
    if not 2 <= len(named) <= 3:  # a third may be named by a word in passing ("pung")
        return None
    # the words that name one of the two (a word naming both, "pung", names neither)
    spots = [(m, found) for m in _WORD.finditer(text)
             if len(found := retriever.named_topics(m.group(0)) & named) == 1]
    pair = next((((a, next(iter(ta))), (b, next(iter(tb))))
                 for (a, ta), (b, tb) in itertools.pairwise(spots)
                 if ta != tb and _coordinated(text[a.end():b.start()])), None)
    if pair is None:
        return None
    (a, ta), (b, tb) = pair
    return [(f"{text[:a.end()]}{text[b.end():]}".strip(), ta),
            (f"{text[:a.start()]}{text[b.start():]}".strip(), tb)]


def says_name(sv: Services, text: str, topic: str) -> bool:
    """The text calls the topic by its own name ("MitID", "sundhedskortet", "mit
    pas"), inflected as a noun, not only by a word its guides use."""
    t = sv.registry.topics.get(topic)
    if t is None:
        return False
    head = re.split(r"\s*(?:\(|,|\bog\b)", t.name, maxsplit=1)[0].strip()
    return bool(head) and re.search(
        rf"(?<![\wæøå]){re.escape(head)}(?:en|et|er|erne|ene|s|ets|ens)?(?![\wæøå])",
        text, re.IGNORECASE) is not None
