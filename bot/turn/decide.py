"""Decide stage: one action for the turn, as a `Decision`; the state is only read.

The rules, in order: an emergency; the answer to the question the bot asked (a
rating, a callback number, the municipality an escalation waits for, "did it
help?"); a goodbye; a greeting or a request with no subject; a live crisis notice;
a need for a person (escalate, `bot.turn.escalate`); a guide that answers (or the
national authority that owns the matter); else a clarifying question. The routing
policy itself (who helps, when) is `bot.policy`; DOMAIN.md is the specification.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot import replies
from bot.intents import Cues, detect, questions, satisfaction_score, subject_text, words
from bot.turn import confirm, escalate, llm
from bot.turn.answer import answer, no_guide
from bot.turn.decision import GENERIC_TOPICS, INTENT_NEED, Decision
from bot.turn.escalate import ask_municipality, to_person
from bot.turn.services import Services
from bot.turn.state import ConversationState
from bot.turn.types import Ask, Heard, Located, Need, Pending
from bot.turn.understand import Understanding, in_context, search, two_subjects
from ddh.vocabulary import Action
from knowledge.guide import NO_GUIDE_TOPIC
from knowledge.precedents import Act
from knowledge.retrieval import Hit


def decide(sv: Services, state: ConversationState, heard: Heard, u: Understanding,
           at: datetime, lang: str, unheard: bool = False, hand_over: bool = False,
           located: Located | None = None, ends: bool = False) -> Decision:
    if ends:  # "Afslut samtalen": the citizen is done, said by the page, not in words
        return _end(state, lang)
    if hand_over:  # the channel must end it now: to a person, said why
        return escalate.hand_over(sv, state, at, lang)
    if unheard:
        # The channel could not make out the citizen: a person, and the question the
        # bot asked before stays open.
        d = to_person(sv, state, state.last_topic or "menneske", Need.NOT_UNDERSTOOD, at,
                      lang)
        return replace(d, pending=d.pending or state.pending)
    placed = None if heard.cues.emergency else _place(sv, state, u, located, at, lang)
    if placed is not None:
        return placed
    early = _answer_to_pending(sv, state, heard, at, lang)
    if early is not None:
        return early
    confirmed = confirm.answer_pending(sv, state, heard, at, lang)
    if confirmed is not None:
        return confirmed
    if u.cues.greeting_only or (u.cues.vague and not u.cues.needs_person):
        return Decision(Action.CLARIFY, None, replies.t("how_help", lang),
                        "greeting or a request for help without a subject")
    question = state.first_question
    if question is None and u.cues.content_words >= 2:
        question = u.text
    d = _on_question(sv, state, u, at, lang, question)
    return replace(d, first_question=question) if question != state.first_question else d


def _answer_to_pending(sv: Services, state: ConversationState, heard: Heard, at: datetime,
                       lang: str) -> Decision | None:
    """What this turn says as the answer to the bot's last question, and goodbyes."""
    cues, pending = heard.cues, state.pending
    ask = pending.ask if pending else None
    if cues.emergency:
        return Decision(Action.REDIRECT, "uden-for-omraade",
                        replies.t("despair" if cues.despair else "emergency", lang),
                        "emergency: 112 first")
    if state.waiting_packet is not None:
        waiting = _while_waiting(state, cues, lang)
        if waiting is not None:
            return waiting
    late = state.actions and state.actions[-1] == Action.END and \
        state.satisfaction is None and words(heard.text) <= 3  # a score after goodbye
    if ask == Ask.SATISFACTION or late:
        score = satisfaction_score(heard.text)
        if score is not None:
            return Decision(Action.END, None, replies.t("bye", lang),
                            f"satisfaction {score}/10 recorded", satisfaction=score)
        if ask == Ask.SATISFACTION and (cues.thanks or cues.positive) and \
                not cues.question and not cues.needs_person:
            # another goodbye instead of a rating: the rating question is asked once
            return Decision(Action.END, None, replies.t("goodbye", lang),
                            "the citizen said goodbye without a rating")
    if ask == Ask.CALLBACK and heard.phones and state.last_ticket:
        ticket = state.last_ticket
        return Decision(Action.TICKET, ticket.topic, replies.t("callback_saved", lang),
                        "consented callback number added to the ticket",
                        target=ticket.target, handoff=ticket, new_handoff=False)
    if pending is not None and ask == Ask.MUNICIPALITY and pending.topic:
        if state.municipality:
            return to_person(sv, state, pending.topic, pending.need or Need.WANTS_PERSON,
                             at, lang)
        if not cues.question and state.clarifications < 2:
            return Decision(Action.CLARIFY, pending.topic, ask_municipality(sv, state, lang),
                            "the municipality is needed for a person", pending=pending,
                            clarified=True)
    if pending is not None and ask == Ask.HELPED and pending.question and \
            not cues.needs_person and not _closes(cues) and (cues.yes or (
                cues.positive and cues.continues and _same_subject(sv, heard.text,
                                                                  pending.question)) or
                                   bool(_THE_OTHER.search(heard.text))):
        # "ja" (or "ja og så åbningstiderne") to the second question of an earlier turn:
        # take it now.
        text = pending.question
        return _on_question(sv, state, Understanding(text, detect(text), None, text), at,
                            lang, state.first_question)
    if ask == Ask.HELPED and not cues.needs_person and (cues.yes or cues.thanks or (
            cues.positive and not cues.continues and
            not sv.retriever.named_topics(heard.text))):
        return _end(state, lang)
    if (cues.thanks and not cues.needs_person and not cues.question) or \
            _goodbye_by_precedent(sv, state, heard):
        return _end(state, lang)
    if cues.farewell and cues.thanks and state.last_ticket is not None and \
            not cues.question and not cues.complaint:
        # "okay tak, så venter jeg på at blive ringet op": the ticket is made, the
        # callback it promised is what they wait for, not a new request
        return _end(state, lang)
    return None


# The share of the labelled neighbours' weight that makes a turn a goodbye the cues
# missed (calibrated on the blind sets: README, "Precedents").
GOODBYE_SHARE = 0.85


# Asked for something that is no goodbye (a place, a yes or a choice): the answer is read
# as such, never voted a goodbye ("otte tusind" is a postal code). Asked for a number to
# call back, "det er i orden, tak for nu" declines it and says goodbye.
_ANSWERS_EXPECTED = frozenset({Ask.MUNICIPALITY, Ask.NOTICE, Ask.TOPIC, Ask.MENU, Ask.PLACE})


def _goodbye_by_precedent(sv: Services, state: ConversationState, heard: Heard) -> bool:
    """A goodbye in words the cues do not know ("Tak for oplysningen. Med venlig hilsen
    Kirsten"): the labelled turns closest in meaning were goodbyes. Only once the bot
    has answered something, and never for a question, a request for a person, a number,
    a greeting, a turn that goes on ("og når man så kommer hjem igen"), names a topic
    ("menneske tak") or a place, an answer to a question that expects something else,
    or a citizen waiting in the queue (who leaves it only on their word)."""
    cues = heard.cues
    asked = state.pending.ask if state.pending else None
    if sv.precedents is None or state.turns == 0 or state.waiting_packet is not None or \
            asked in _ANSWERS_EXPECTED or state.municipality_turn == state.turns or \
            cues.question or cues.needs_person or cues.greeting_only or cues.asks_wait or \
            cues.emergency or cues.continues or any(c.isdigit() for c in heard.text) or \
            sv.retriever.named_topics(heard.text):
        return False
    vote = sv.precedents.act(heard.text)
    return vote is not None and vote.label == Act.END and vote.share >= GOODBYE_SHARE


def _place(sv: Services, state: ConversationState, u: Understanding,
           located: Located | None, at: datetime, lang: str) -> Decision | None:
    """Speech that seemed to name a municipality: asked first ("Bor du i Aarhus
    Kommune?"); a yes resumes what was waiting for it, a no asks for the postal code
    on the keypad. The request the caller made stays pending throughout."""
    pending = state.pending
    waiting = pending if pending is not None and pending.ask in (
        Ask.MUNICIPALITY, Ask.PLACE) else None
    question = (waiting.question if waiting else None) or state.first_question or (
        u.text if u.cues.content_words >= 3 else None)
    if located is not None and located.unsure is not None and located.unsure.code:
        code = located.unsure.code
        name = sv.registry.municipalities[code].name
        return Decision(Action.CLARIFY, waiting.topic if waiting else None,
                        replies.t("confirm_place", lang, name=name),
                        f"unsure what was heard: {name} confirmed first",
                        pending=Pending(Ask.PLACE, waiting.topic if waiting else None,
                                        waiting.need if waiting else None, question,
                                        (code,)), clarified=True)
    if pending is None or pending.ask != Ask.PLACE:
        return None
    if located is not None and located.declined:
        return Decision(Action.CLARIFY, pending.topic, replies.t("postal_keypad", lang),
                        "not that municipality: the postal code on the keypad",
                        pending=Pending(Ask.MUNICIPALITY, pending.topic, pending.need,
                                        pending.question))
    if state.municipality is None:
        return None
    if pending.topic and pending.need:
        return to_person(sv, state, pending.topic, pending.need, at, lang,
                         question=pending.question)
    if pending.question:
        text = pending.question
        return _on_question(sv, state, Understanding(text, detect(text), None, text), at,
                            lang, state.first_question or text)
    return _noted(sv, state, lang)


def _on_question(sv: Services, state: ConversationState, u: Understanding, at: datetime,
                 lang: str, question: str | None) -> Decision:
    """The turn asks something: a crisis notice, a person, or a guide answers."""
    pending = state.pending
    if sv.notices is not None and words(u.query):
        crisis = _from_notice(sv, state, u, at, lang, question)
        if crisis is not None:
            return crisis
    if u.place_only and not u.need:
        # only where the citizen lives: the topic goes on, or the question is asked for
        return _same_topic_here(sv, state, lang) if u.follows else _noted(sv, state, lang)
    parts = questions(u.query) if not u.follows else [u.query]
    subjects: list[str] = []
    if len(parts) == 1 and not u.follows and not u.need:
        split = two_subjects(sv, u.query)
        # only when the whole turn is about one of the two ("mit betalingskort er
        # spærret og banken …" is about a bank, whatever "spærret" names)
        whole = search(sv, state, u.query)[0] if split is not None else []
        if split is not None and whole and whole[0].guide.topic in {t for _, t in split}:
            parts, subjects = [p for p, _ in split], [t for _, t in split]
    asked = questions(u.text) if u.need and not u.follows else []
    if len(asked) == 2:
        # the person is needed for the part that asks for one (else the first)
        asking = [p for p in asked if detect(p).needs_person]
        u = replace(u, query=subject_text(asking[0] if len(asking) == 1 else asked[0]))
        parts = [u.query]
    if len(parts) == 2 and not u.need:
        both = _two_questions(sv, state, parts, lang, subjects)
        if both is not None:
            return both
    if len(parts) == 2 and u.need:
        u = replace(u, query=parts[0])
    hits, confident = search(sv, state, u.query, subject=bool(u.need),
                             follows=u.follows) if words(u.query) else ([], False)
    topic = hits[0].guide.topic if confident else None
    if not u.need and topic in INTENT_NEED and not u.cues.how_to:
        # the guide found is about reaching a person, one's own case or complaining: the
        # citizen needs that, not the guide ("how do I do it" is answered by the guide)
        return _on_question(sv, state, replace(u, need=INTENT_NEED[topic],
                                               query=subject_text(u.text)), at, lang, question)

    if u.need:
        if topic in GENERIC_TOPICS:
            topic = None
        # "kan jeg snakke med nogen om det?" after an answer is about that answer's
        # topic, unless the turn names another one
        leans = (u.follows or state.last_topic not in GENERIC_TOPICS) and \
            topic not in sv.retriever.named_topics(u.query) - {NO_GUIDE_TOPIC}
        if topic is None or u.need == Need.NOT_HELPED or leans:
            topic = state.last_topic or topic
        t = sv.registry.topics.get(topic or "")
        if u.cues.complaint and (t is None or (t.authority in (None, "none") and
                                               t.route != "redirect")):
            topic = "klage"  # a complaint about the municipality's own service goes there
        if topic is None:
            topic = "sagsstatus" if u.cues.own_case else "menneske"
        return to_person(sv, state, topic, u.need, at, lang, hits if confident else [],
                         question)

    if not confident and sv.llm is not None:
        understood = llm.understand(sv, state, u.text, at, lang, question)
        if understood is not None:
            return understood
    if not confident and state.municipality_turn == state.turns and state.municipality:
        return _noted(sv, state, lang)  # a place and words that ask nothing
    if not confident and state.waiting_packet is not None:
        # in a queue, a turn that asks nothing the bot can answer is about the wait
        waiting = _while_waiting(state, replace(u.cues, asks_wait=True), lang)
        if waiting is not None:
            return waiting
    if not confident:
        if pending is not None and pending.ask == Ask.MUNICIPALITY and \
                state.municipality is None and state.candidates:
            return Decision(Action.CLARIFY, pending.topic, ask_municipality(sv, state, lang),
                            "the municipality is needed for a person", pending=pending)
        unclear = confirm.unclear(sv, state, u, at, lang)  # speech: confirm, menu
        if unclear is not None:
            return unclear
        return Decision(Action.CLARIFY, None, replies.t("rephrase", lang),
                        "no guide matches confidently", tuple(hits))
    if hits[0].guide.topic == NO_GUIDE_TOPIC:
        return no_guide(sv, state, hits, at, lang, question)
    return confirm.sure_enough(sv, state, u, answer(sv, state, hits, lang), lang)


def _two_questions(sv: Services, state: ConversationState, parts: list[str],
                   lang: str, subjects: list[str] | None = None) -> Decision | None:
    """Two questions in one turn about two topics: answer the first, say that the
    second is next, and take it when the citizen says yes (or asks it again).
    `subjects`: the topic each part is about, when the split was made by them."""
    first, first_ok = search(sv, state, parts[0])
    second, second_ok = search(sv, state, parts[1])
    if subjects:
        first, second = _led_by(first, subjects[0]), _led_by(second, subjects[1])
    if not (first_ok and second_ok):
        return None
    a, b = first[0].guide.topic, second[0].guide.topic
    if a == b or NO_GUIDE_TOPIC in (a, b) or b in GENERIC_TOPICS:
        # "… hvem skal jeg kontakte?" after a question asks where to go with that
        # question, not a second one
        return None
    d = answer(sv, state, first, lang)
    also = replies.t("also_asked", lang, topic=sv.registry.topics[b].name.lower()
                     if lang == "da" else sv.registry.topics[b].name)
    return replace(d, reply=f"{d.reply} {also}", reason=f"{d.reason}; second question: {b}",
                   pending=Pending(Ask.HELPED, question=parts[1]))


def _led_by(hits: list[Hit], topic: str) -> list[Hit]:
    """The hits with the best of the topic's first (kept as they are without one)."""
    best = next((h for h in hits if h.guide.topic == topic), None)
    return hits if best is None else [best] + [h for h in hits if h is not best]


def _noted(sv: Services, state: ConversationState, lang: str) -> Decision:
    """Only a postal code or a town ("8000", typed on the keypad): noted; ask on."""
    name = sv.registry.municipalities[state.municipality or ""].name
    return Decision(Action.CLARIFY, None,
                    f"{replies.t('noted_municipality', lang, name=name)} "
                    f"{replies.t('how_help', lang)}", "municipality given, no question")


def _same_topic_here(sv: Services, state: ConversationState, lang: str) -> Decision:
    """Only where the citizen lives, after an answer: the same topic, with the
    municipality's own guide when it has one."""
    name = sv.registry.municipalities[state.municipality or ""].name
    noted = replies.t("noted_municipality", lang, name=name)
    hits = in_context(sv, state, "") or []
    if not hits:
        return _noted(sv, state, lang)
    d = answer(sv, state, hits, lang)
    return replace(d, reply=f"{noted} {d.reply}",
                   reason=f"municipality given after {state.last_topic}: {d.reason}")


def _from_notice(sv: Services, state: ConversationState, u: Understanding, at: datetime,
                 lang: str, question: str | None) -> Decision | None:
    """A live crisis notice of the citizen's municipality answers at once; asked for
    a person, the escalation carries the crisis topic (queue priority)."""
    assert sv.notices is not None
    notice = sv.notices.match(u.query, state.municipality, at)
    if notice is None:
        return None
    if state.municipality is None:  # some municipality has one: is it theirs?
        if state.clarifications >= 2:
            return None
        return Decision(Action.CLARIFY, "krise", replies.t("notice_where", lang),
                        f"crisis notice {notice.id} may apply: municipality unknown",
                        pending=Pending(Ask.NOTICE, question=u.query), clarified=True)
    if u.need:  # a person about a live crisis: the crisis is the reason (queue priority)
        d = to_person(sv, state, "krise", Need.CRISIS, at, lang, question=question)
        return replace(d, notice_id=notice.id)
    return Decision(Action.ANSWER, "krise",
                    replies.notice(sv.registry, notice, state.channel, lang),
                    f"crisis notice {notice.id} answers it", notice_id=notice.id,
                    pending=Pending(Ask.HELPED))


def _while_waiting(state: ConversationState, cues: Cues, lang: str) -> Decision | None:
    """A citizen waiting in a queue is never queued again: asking for a person or about
    the wait gets the live place (filled in by the act stage); not wanting to wait any
    more leaves the queue. Other questions are answered as usual while they wait."""
    packet = state.waiting_packet
    if cues.leaves or (cues.thanks and not cues.needs_person and not cues.question):
        left = replies.t("left_queue", lang) if cues.leaves else ""
        d = _end(state, lang)
        return replace(d, reply=f"{left} {d.reply}".strip(),
                       reason="the citizen left the queue")
    if cues.asks_wait or cues.needs_person or cues.greeting_only:  # "hallo?? er der nogen"
        return Decision(Action.HANDOFF, packet.topic if packet else state.last_topic,
                        replies.t("still_waiting", lang),
                        "already waiting: the place in the live queue, not a second entry",
                        target=packet.target if packet else None, handoff=packet,
                        new_handoff=False)
    return None


# "ja, det andet også", "og den anden?", "the other one too": the waiting second question.
_THE_OTHER = re.compile(r"(?<![\wæøå])(?:det andet|den anden|det næste|det sidste|"
                        r"the other(?: one| question)?)(?![\wæøå])", re.IGNORECASE)


def _same_subject(sv: Services, text: str, question: str) -> bool:
    """The turn names no topic, or one the waiting question names too."""
    named = sv.retriever.named_topics(text)
    return not named or bool(named & sv.retriever.named_topics(question))


def _closes(cues: Cues) -> bool:
    """A goodbye, not a yes: "ja tak, det var det hele"."""
    return cues.thanks and not cues.yes


def rating_asked(state: ConversationState) -> bool:
    """The rating question was asked in this conversation already: every `end`
    before this turn asked it, or followed it (a score, a goodbye)."""
    return Action.END in state.actions or state.satisfaction is not None


def _end(state: ConversationState, lang: str) -> Decision:
    """The citizen is done: the rating question, asked once per conversation (a
    second goodbye, however it comes — typed, or the page's end button — gets a
    goodbye only)."""
    if rating_asked(state):
        return Decision(Action.END, None, replies.t("goodbye", lang),
                        "the citizen is done; the rating was asked before")
    return Decision(Action.END, None, replies.t("end", lang), "the citizen is done",
                    pending=Pending(Ask.SATISFACTION))
