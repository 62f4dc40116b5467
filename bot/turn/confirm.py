"""Confirming what was heard, when speech recognition or the search is unsure.

A phone line and a small recogniser garble words ("mitsfondens kort"); a switchboard
that answers the wrong guide wastes the caller's time, and one that keeps saying "say
it again" loses them. So, for speech:
- sure of the words and the guide → answer (the decide stage's answer stands);
- unsure → one short question that names the topic: "Handler det om sundhedskort?",
  answered by voice (yes/no) or on the keypad (1/2); the topic comes from the search,
  or from the recogniser's other hypotheses and the topic words heard approximately
  (`knowledge.spotting`);
- nothing to name → "say it in a few words" once; then a keypad menu of the likeliest
  topics with 0 for a person; after that a person (or a callback ticket when closed).
Never more than two re-prompts before a person. Typed text is certain, so chat keeps
its plain "say it in other words"; a keypad press is certain too.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot import replies
from bot.turn.answer import on_topic
from bot.turn.decision import Decision
from bot.turn.escalate import to_person
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Ask, Heard, Need, Pending
from bot.turn.understand import Understanding, search
from ddh.vocabulary import Action, Channel
from knowledge.guide import NO_GUIDE_TOPIC

# Never named in a confirmation or offered in the menu: no guide of theirs answers.
NOT_OFFERED = frozenset({NO_GUIDE_TOPIC, "uden-for-omraade", "krise"})
# The menu's fallback when the call gave no candidates: what callers ask DDH most
# (MitID and Digital Post lead DDH's contacts; DOMAIN.md).
MENU_TOPICS = ("mitid", "digital-post", "sundhedskort", "pas", "koerekort", "flytning")
MENU_SIZE = 4
_KEY = re.compile(r"^\W*(\d)\W*$")


def spoken_topic(sv: Services, topic: str) -> str:
    """A topic's name as said in a sentence: "Sundhedskort (gult kort)" → "sundhedskort";
    names with capitals inside ("MitID", "Digital Post") keep them."""
    name = re.split(r" \(", sv.registry.topics[topic].name)[0].strip()
    return name if any(c.isupper() for c in name[1:]) else name[0].lower() + name[1:]


def candidates(sv: Services, state: ConversationState, u: Understanding) -> list[str]:
    """Topics the turn may be about, likeliest first: a confident search over the
    recogniser's other hypotheses, then topic words heard approximately."""
    out: list[str] = []
    for alt in u.alternatives:
        hits, ok = search(sv, state, alt)
        if ok and hits and hits[0].guide.topic not in out:
            out.append(hits[0].guide.topic)
    for spotted in sv.retriever.spotter.spot([u.query, *u.alternatives]):
        if spotted.topic not in out:
            out.append(spotted.topic)
    return [t for t in out if t not in NOT_OFFERED and t in sv.registry.topics]


def _ask_topic(sv: Services, topic: str, u: Understanding, lang: str, why: str,
               others: list[str], d: Decision | None = None) -> Decision:
    return Decision(Action.CLARIFY, topic,
                    replies.t("confirm_topic", lang, topic=spoken_topic(sv, topic)),
                    f"unsure what was heard ({why}): {topic} confirmed first",
                    d.hits if d else (),
                    pending=Pending(Ask.TOPIC, topic=topic, question=u.text,
                                    options=tuple(others)))


def _menu(sv: Services, state: ConversationState, question: str | None, lang: str,
          first: list[str], at: datetime) -> Decision:
    """The keypad menu: this call's candidates, then what callers ask most at this
    time of day, then what DDH's callers ask most overall."""
    popular = sv.popular(at) if sv.popular is not None else ()
    options: list[str] = []
    for t in [*first, *popular, *MENU_TOPICS]:
        if t not in options and t not in NOT_OFFERED and t in sv.registry.topics:
            options.append(t)
    options = options[:MENU_SIZE]
    said = [f"{i} for {spoken_topic(sv, t)}" for i, t in enumerate(options, 1)]
    choices = ", ".join(said[:-1]) + (" eller " if lang == "da" else " or ") + said[-1]
    return Decision(Action.CLARIFY, None, replies.t("menu", lang, choices=choices),
                    "not made out twice: a keypad menu",
                    pending=Pending(Ask.MENU, question=question, options=tuple(options)),
                    misheard=state.misheard + 1)


def sure_enough(sv: Services, state: ConversationState, u: Understanding, d: Decision,
                lang: str) -> Decision:
    """An answer from speech the recogniser was unsure of is confirmed first."""
    if state.channel != Channel.VOICE or not u.unsure or d.topic is None or \
            d.topic in NOT_OFFERED or d.action not in (Action.ANSWER, Action.REDIRECT):
        return d
    return _ask_topic(sv, d.topic, u, lang, "low recognition score", [], d)


def unclear(sv: Services, state: ConversationState, u: Understanding, at: datetime,
            lang: str) -> Decision | None:
    """Speech that no guide matched confidently: a topic to confirm, one short
    "say it again", the keypad menu, then a person. None: typed text (the caller
    asks the citizen to rephrase)."""
    if state.channel != Channel.VOICE:
        return None
    if state.misheard >= 2:
        return to_person(sv, state, state.last_topic or "menneske", Need.NOT_UNDERSTOOD, at,
                         lang, question=u.text)
    found = candidates(sv, state, u)
    if found:
        return _ask_topic(sv, found[0], u, lang, "no confident match", found[1:])
    if state.misheard == 1:
        return _menu(sv, state, u.text, lang, [], at)
    return Decision(Action.CLARIFY, None, replies.t("say_again_short", lang),
                    "not made out: asked again in a few words", misheard=1)


def answer_pending(sv: Services, state: ConversationState, heard: Heard, at: datetime,
                   lang: str) -> Decision | None:
    """The answer to "Handler det om …?" or to the keypad menu; None when the turn is
    something else (a new question, which then goes the usual way)."""
    pending = state.pending
    if pending is None or pending.ask not in (Ask.TOPIC, Ask.MENU):
        return None
    key = _KEY.match(heard.text)
    digit = key.group(1) if key else None
    cues = heard.cues
    if pending.ask == Ask.TOPIC and pending.topic:
        if digit == "1" or (cues.yes and not cues.no):
            d = on_topic(sv, state, pending.topic, pending.question, at, lang)
            return replace(d, reason=f"confirmed: {d.reason}")
        if digit == "2" or cues.no:
            if state.misheard >= 1:
                return _menu(sv, state, pending.question, lang, list(pending.options), at)
            return Decision(Action.CLARIFY, None, replies.t("say_again_short", lang),
                            f"not {pending.topic}: asked again in a few words", misheard=1)
        return None
    if digit == "0":
        return to_person(sv, state, "menneske", Need.WANTS_PERSON, at, lang,
                         question=pending.question)
    if digit is not None and 1 <= int(digit) <= len(pending.options):
        d = on_topic(sv, state, pending.options[int(digit) - 1], pending.question, at, lang)
        return replace(d, reason=f"chosen on the keypad: {d.reason}")
    return None
