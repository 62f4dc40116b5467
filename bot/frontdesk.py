"""The frontdesk: one citizen turn in, one decision and reply out. Every channel uses it.

For each turn: redact → detect language → detect municipality → understand (topic
from retrieval, intent cues) → decide one action → compose the reply → record. The
turn's own clock (`at`) decides opening hours. Nothing about routing lives in a
channel: chat, voice and `ddh ask` all call `Frontdesk.handle`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot import llm_turn, replies
from bot.decision import GENERIC_TOPICS, REASON_DA, Decision
from bot.intents import Cues, detect, satisfaction_score, subject_text, words
from bot.language import detect_language
from bot.llm import LLM
from bot.municipality import Detection, MunicipalityDetector
from bot.notices import NoticeBoard
from bot.policy import escalate
from bot.schedule import TZ, Schedule
from bot.state import ConversationState, ConversationStates, merge_outcome
from ddh.logging import get_logger
from ddh.numbers import without_numbers
from ddh.redaction import redact, strip_labels
from handoff.desk import HandoffDesk
from handoff.packet import build_packet
from handoff.tickets import destinations
from knowledge.guide import Guide
from knowledge.retrieval import Hit
from knowledge.service import Knowledge
from store.outcomes import EndRecord, OutcomeStore, TurnRecord

log = get_logger(__name__)
CHANNELS = ("chat", "voice")
CHANNEL_SOURCES = ("widget", "called_number")
@dataclass(frozen=True)
class TurnInput:
    conversation: str
    text: str
    channel: str = "chat"
    municipality: str | None = None
    called_number: str | None = None
    at: datetime | None = None
    # The channel could not make out what the citizen said (voice: repeatedly): the
    # turn is recorded with empty text and a person is offered.
    unheard: bool = False


@dataclass
class TurnResult:
    conversation: str
    action: str
    topic: str | None
    municipality: str | None
    reply: str
    guides: list[dict[str, Any]] = field(default_factory=list)
    handoff: dict[str, Any] | None = None
    language: str = "da"
    reason: str = ""
    redacted_text: str = ""
    asks_rating: bool = False  # the reply asks for a 1-10 satisfaction score

    def contract(self) -> dict[str, Any]:
        """The output line of `ddh ask --jsonl` (CONTRACT.md)."""
        handoff = None
        if self.handoff:
            handoff = {k: self.handoff[k] for k in ("id", "kind", "target", "summary", "reason",
                                                    "topic", "municipality")}
            if self.handoff["packet"].get("next_open"):
                handoff["next_open"] = self.handoff["packet"]["next_open"]
        return {"conversation": self.conversation, "action": self.action, "topic": self.topic,
                "municipality": self.municipality, "reply": self.reply, "guides": self.guides,
                "handoff": handoff}


class Frontdesk:
    def __init__(self, knowledge: Knowledge, store: OutcomeStore | None = None, *,
                 min_similarity: float = 0.86, min_lexical: float = 1.5,
                 llm: LLM | None = None, handoffs: HandoffDesk | None = None,
                 notices: NoticeBoard | None = None) -> None:
        self.llm = llm
        # Crisis notices live in the store; without one there are none.
        self.notices = notices or (NoticeBoard(store) if store is not None else None)
        self.handoffs = handoffs
        # Called after every turn with (channel, action, seconds, first turn?).
        self.observers: list[Callable[[str, str, float, bool], None]] = []
        self.knowledge = knowledge
        self.registry = knowledge.registry
        self.store = store
        self.schedule = Schedule(self.registry)
        self.detector = MunicipalityDetector(self.registry)
        self.states = ConversationStates()
        self.min_similarity = min_similarity
        self.min_lexical = min_lexical

    def warm_up(self) -> None:
        """Load what the first citizens would otherwise wait for: the language model of
        langid (1.6 s, holding the GIL), the embedding engine and the regexes."""
        detect_language("Ich habe meinen Reisepass verloren und brauche Hilfe")
        self.knowledge.retriever.search("mistet sundhedskort", None, k=1)
        self.detector.from_text("jeg bor i Viborg")

    # --- the turn ------------------------------------------------------------------

    def handle(self, turn: TurnInput) -> TurnResult:
        if turn.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, not {turn.channel!r}")
        if turn.municipality is not None and turn.municipality not in \
                self.registry.municipalities:
            raise ValueError(f"unknown kommunekode {turn.municipality!r}")
        at = turn.at or datetime.now(TZ)
        t0 = time.perf_counter()
        state, lock = self.states.get(
            turn.conversation,
            lambda: ConversationState(turn.conversation, turn.channel, at,
                                      called_number=turn.called_number))
        with lock:
            result, record = self._turn(state, turn, at)
            record.latency_ms = (time.perf_counter() - t0) * 1000
            if self.store is not None:
                self.store.record(record)
        for observe in self.observers:  # live metrics; never the citizen's text
            observe(turn.channel, result.action, record.latency_ms / 1000, record.seq == 1)
        return result

    def open(self, conversation: str, channel: str = "chat", municipality: str | None = None,
             called_number: str | None = None, at: datetime | None = None) -> str:
        """Start a conversation before the citizen says anything (chat widget, phone
        greeting); returns the greeting, which discloses that this is an AI."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
        if municipality is not None and municipality not in self.registry.municipalities:
            raise ValueError(f"unknown kommunekode {municipality!r}")
        at = at or datetime.now(TZ)
        state, lock = self.states.get(
            conversation, lambda: ConversationState(conversation, channel, at,
                                                    called_number=called_number))
        with lock:
            found = self.detector.from_channel(municipality, called_number)
            if found.code and state.municipality is None:
                self._set_municipality(state, found)
            state.disclosed = True
            return (f"{replies.disclosure(self.registry, state.municipality, 'da')} "
                    f"{replies.t('how_help', 'da')}")

    def close(self, conversation: str, at: datetime | None = None,
              outcome: str = "abandoned") -> bool:
        """The channel ended the conversation (the caller hung up, the chat was left):
        the end is recorded — a call with no turn is still a contact — and its state
        freed. False when the conversation was unknown."""
        state = self.states.pop(conversation)
        if state is None:
            return False
        if self.handoffs is not None and state.waiting_id:
            self.handoffs.leave(state.waiting_id)  # nobody is waiting any more
        if self.store is not None and not state.ended:
            self.store.record(EndRecord(state.id, state.channel, state.started_at,
                                        at or datetime.now(TZ), state.municipality, outcome))
        return True

    def _turn(self, state: ConversationState, turn: TurnInput,
              at: datetime) -> tuple[TurnResult, TurnRecord]:
        red = redact(turn.text)
        text = red.text
        state.turns += 1
        first = state.turns == 1
        cues = detect(text)
        if cues.content_words >= 3 or first:
            state.language = detect_language(text)
        lang = replies.lang_of(state.language)
        phones = red.phones
        self._update_municipality(state, turn, text)
        # A number is kept for a callback only when the citizen gives it for one.
        consented = bool(phones) and (state.pending == "callback" or cues.callback)
        if consented:
            state.callback_number = phones[-1]

        if turn.unheard:
            decision = self.escalate_to_person(state, state.last_topic or "menneske",
                                               "not_understood", at, lang)
        else:
            decision = self._decide(state, turn, text, cues, at, lang, bool(phones))
        if self.llm is not None:
            llm_turn.reword(self, state, decision, text, lang)
        if self.handoffs is not None and decision.action == "handoff" and \
                decision.handoff and decision.new_handoff:
            entry = self.handoffs.offer(decision.handoff, state.id, state.channel)
            state.waiting_id = entry.id
            place, wait = self.handoffs.place(entry.id)
            decision.reply = f"{decision.reply} {replies.queue_place(place, wait, lang)}"
        reply = decision.reply
        if not state.disclosed:
            reply = f"{replies.disclosure(self.registry, state.municipality, lang)} {reply}"
            state.disclosed = True
        state.transcript.append(("citizen", text))
        state.transcript.append(("bot", reply))
        state.actions.append(decision.action)
        state.outcome = merge_outcome(state.outcome, decision.action)
        if decision.topic and decision.action not in ("clarify", "end"):
            state.last_topic = decision.topic
        guides = [h.as_dict() for h in decision.hits]
        log.info("frontdesk.turn", conversation=state.id, action=decision.action,
                 topic=decision.topic, municipality=state.municipality, reason=decision.reason)
        topic = decision.topic if decision.topic else (
            state.last_topic if decision.action == "end" else None)
        result = TurnResult(state.id, decision.action, topic, state.municipality, reply, guides,
                            decision.handoff, state.language, decision.reason, text,
                            asks_rating=state.pending == "satisfaction")
        new_ticket = decision.new_handoff and decision.handoff is not None and \
            decision.handoff["kind"] == "ticket"
        record = TurnRecord(
            conversation_id=state.id, channel=state.channel, seq=state.turns, at=at,
            citizen_text=text, bot_text=reply, language=state.language,
            action=decision.action, topic=topic, municipality=state.municipality,
            municipality_source=state.municipality_source, reason=decision.reason,
            target=decision.target, guides=guides, pii_kinds=sorted(red.kinds),
            outcome=state.outcome, conversation_topic=state.last_topic,
            notice_id=state.notice_id,
            ended=decision.action == "end", satisfaction=state.satisfaction,
            handoff=decision.handoff if decision.new_handoff else None, mode=decision.mode,
            # with a new ticket; or given now for the ticket made earlier
            callback_phone=state.callback_number if new_ticket or consented else None,
            deliveries=destinations(self.registry, decision.target or "ddh")
            if new_ticket else [],
        )
        return result, record

    # --- understanding ---------------------------------------------------------------

    def _update_municipality(self, state: ConversationState, turn: TurnInput, text: str) -> None:
        if state.municipality is None:
            found = self.detector.from_channel(turn.municipality, turn.called_number)
            if found.code:
                self._set_municipality(state, found)
                return
            found = self.detector.from_text(text)
            if found.code:
                self._set_municipality(state, found)
            elif found.candidates:
                state.candidates = found.candidates
                state.candidates_evidence = found.evidence
            elif state.candidates:
                # "Favrskov" in answer to "8382 covers Favrskov or Aarhus?"
                for code in state.candidates:
                    if self.registry.municipalities[code].name.lower() in text.lower():
                        self._set_municipality(state, Detection(code, (code,), "name", code))
                        break

    def _set_municipality(self, state: ConversationState, found: Detection) -> None:
        state.municipality = found.code
        state.municipality_source = found.source
        # 0: the channel said it (the widget's page, the number called), not the citizen.
        state.municipality_turn = 0 if found.source in CHANNEL_SOURCES else state.turns
        state.candidates = ()

    def is_confident(self, hit: Hit | None) -> bool:
        """A guide answers when the question is close to it in meaning or shares its
        terms. Either signal alone is weak with a small multilingual model (unrelated
        chit-chat reaches cosine 0.87), so both thresholds are settings, calibrated on
        the labelled sets: see README, 'Answer confidence'."""
        if hit is None:
            return False
        if hit.lexical >= self.min_lexical:
            return True
        return self.knowledge.retriever.has_dense and hit.dense >= self.min_similarity

    def _search(self, state: ConversationState, text: str,
                subject: bool = False) -> tuple[list[Hit], bool]:
        """Guides for the text. `subject`: only the topic of an escalation is wanted, so
        intent-only topics are skipped and a weaker match will do."""
        retriever = self.knowledge.retriever
        text = strip_labels(text)
        hits = retriever.search(text, state.municipality, k=5 if subject else 3)
        if subject:
            intent = hits[0] if hits and hits[0].guide.topic in GENERIC_TOPICS else None
            hits = [h for h in hits if h.guide.topic not in GENERIC_TOPICS][:3]
            top = hits[0] if hits else None
            # The subject must share a term with the guide: a residue like "jeg skal
            # nogen" is close in meaning to everything and names nothing. And when an
            # intent's guide ("følg din sag") matches the residue on more terms than any
            # subject does, the residue is about the request itself, not a subject.
            ok = top is not None and top.lexical >= self.min_lexical / 2 and (
                not retriever.has_dense or top.dense >= self.min_similarity - 0.04) and (
                intent is None or intent.lexical <= top.lexical)
            return hits, ok
        if self.is_confident(hits[0] if hits else None):
            return hits, True
        # A follow-up ("hvad koster det?") leans on the guide already given.
        if state.last_guides and state.last_guides[-1] in retriever.guides:
            title = retriever.guides[state.last_guides[-1]].title
            again = retriever.search(f"{title}: {text}", state.municipality, k=3)
            if self.is_confident(again[0] if again else None):
                return again, True
        return hits, False

    # --- deciding --------------------------------------------------------------------

    def _decide(self, state: ConversationState, turn: TurnInput, text: str, cues: Cues,
                at: datetime, lang: str, gave_phone: bool) -> Decision:
        pending, state.pending = state.pending, None
        if cues.emergency:
            guide = self._guide_for_topic("uden-for-omraade", "112")
            return Decision("redirect", "uden-for-omraade", replies.t("emergency", lang),
                             "emergency: 112 first", target=None, guide=guide)
        if pending == "satisfaction":
            score = satisfaction_score(text)
            if score is not None:
                state.satisfaction = score
                state.ended = True
                return Decision("end", None, replies.t("bye", lang),
                                 f"satisfaction {score}/10 recorded")
        if pending == "callback" and gave_phone and state.last_ticket:
            ticket = state.last_ticket
            return Decision("ticket", ticket["topic"], replies.t("callback_saved", lang),
                             "consented callback number added to the ticket",
                             target=ticket["target"], handoff=ticket, new_handoff=False)
        if pending == "municipality" and state.pending_topic:
            if state.municipality:
                topic, reason = state.pending_topic, state.pending_reason or "wants_person"
                state.pending_topic = None
                return self.escalate_to_person(state, topic, reason, at, lang)
            if not cues.question and state.clarifications < 2:
                state.pending = "municipality"
                state.clarifications += 1
                return self._ask_municipality(state, state.pending_topic, lang)
        if pending == "helped" and (cues.yes or cues.thanks) and not cues.needs_person:
            return self._end(state, lang)
        if cues.thanks and not cues.needs_person and not cues.question:
            return self._end(state, lang)
        if pending == "notice" and state.notice_question and state.municipality:
            # The municipality asked for a crisis notice is known now: back to the question.
            text, state.notice_question = state.notice_question, None
            cues = detect(text)
        if cues.greeting_only or (cues.vague and not cues.needs_person):
            return Decision("clarify", None, replies.t("how_help", lang),
                             "greeting or a request for help without a subject")
        if state.first_question is None and cues.content_words >= 2:
            state.first_question = text

        need = self._need(cues, pending)
        # With a person needed, the subject is what is left without the request itself:
        # "tale med en medarbejder om mit pas" is about pas, not about reaching a person.
        query = subject_text(text) if need else text
        if state.municipality_turn == state.turns and state.municipality_source == "postal_code":
            query = without_numbers(query)  # the number was the postal code
        if self.notices is not None and words(query):
            crisis = self._from_notice(state, query, need, at, lang)
            if crisis is not None:
                return crisis
        hits, confident = self._search(state, query, subject=bool(need)) if words(query) \
            else ([], False)
        topic = hits[0].guide.topic if confident else None

        if need:
            if topic in GENERIC_TOPICS:
                topic = None
            if topic is None or need == "not_helped":
                topic = state.last_topic or topic
            if cues.complaint and (topic is None or self.registry.topics[topic].authority
                                   in (None, "none")):
                topic = "klage"  # a complaint about a national authority goes there
            if topic is None:
                topic = "sagsstatus" if cues.own_case else "menneske"
            return self.escalate_to_person(state, topic, need, at, lang, hits if confident else [])

        if not confident and self.llm is not None:
            understood = llm_turn.understand(self, state, text, at, lang)
            if understood is not None:
                return understood
        if not confident and state.municipality_turn == state.turns and state.municipality:
            # Only a postal code or a town ("8000", typed on the keypad): noted; ask on.
            name = self.registry.municipalities[state.municipality].name
            return Decision("clarify", None,
                            f"{replies.t('noted_municipality', lang, name=name)} "
                            f"{replies.t('how_help', lang)}", "municipality given, no question")
        if not confident:
            if pending == "municipality" and state.municipality is None and state.candidates:
                state.pending = "municipality"
                return self._ask_municipality(state, state.pending_topic, lang)
            return Decision("clarify", None, replies.t("rephrase", lang),
                             "no guide matches confidently", hits)
        guide = hits[0].guide
        route = self.registry.topics[guide.topic].route
        state.last_guides.append(guide.id)
        if route == "redirect":
            return Decision("redirect", guide.topic,
                             replies.redirect(self.registry, guide.topic, guide,
                                              state.channel, lang),
                             f"{guide.topic} belongs to a national authority", hits)
        state.pending = "helped"
        return Decision("answer", guide.topic, replies.answer(guide, state.channel, lang),
                         f"guide {guide.id} answers it", hits, guide=guide)

    def _from_notice(self, state: ConversationState, query: str, need: str | None,
                     at: datetime, lang: str) -> Decision | None:
        """A live crisis notice of the citizen's municipality answers at once; asked for
        a person, the escalation carries the crisis topic (queue priority)."""
        assert self.notices is not None
        notice = self.notices.match(query, state.municipality, at)
        if notice is None:
            return None
        if state.municipality is None:  # some municipality has one: is it theirs?
            if state.clarifications >= 2:
                return None
            state.clarifications += 1
            state.pending, state.notice_question = "notice", query
            return Decision("clarify", "krise", replies.t("notice_where", lang),
                             f"crisis notice {notice.id} may apply: municipality unknown")
        state.notice_id = notice.id
        if need:
            return self.escalate_to_person(state, "krise", need, at, lang)
        state.pending = "helped"
        return Decision("answer", "krise",
                         replies.notice(self.registry, notice, state.channel, lang),
                         f"crisis notice {notice.id} answers it")

    def _need(self, cues: Cues, pending: str | None) -> str | None:
        if cues.not_helped or (pending == "helped" and cues.no and not cues.question):
            return "not_helped"  # about the guide just given: keeps its topic
        if cues.complaint:
            return "complaint"
        if cues.wants_person:
            return "wants_person"
        if cues.own_case:
            return "own_case"
        return None

    def _end(self, state: ConversationState, lang: str) -> Decision:
        state.pending = "satisfaction"
        return Decision("end", None, replies.t("end", lang), "the citizen is done")

    def _ask_municipality(self, state: ConversationState, topic: str | None,
                          lang: str) -> Decision:
        text = replies.ask_municipality(self.registry, state.candidates,
                                        state.candidates_evidence, lang)
        return Decision("clarify", topic, text, "the municipality is needed for a person")

    def escalate_to_person(self, state: ConversationState, topic: str, need: str, at: datetime,
                  lang: str, hits: list[Hit] | None = None) -> Decision:
        esc = escalate(self.registry, self.schedule, topic, state.municipality, at)
        hits = hits or []
        if esc.action == "redirect":
            guide = hits[0].guide if hits else self._guide_for_topic(topic, "")
            return Decision("redirect", topic,
                             replies.redirect(self.registry, topic, guide, state.channel, lang),
                             esc.reason, hits)
        if esc.action == "clarify":
            state.pending = "municipality"
            state.pending_topic = topic
            state.pending_reason = need
            return self._ask_municipality(state, topic, lang)
        target = esc.target or "ddh"
        titles = [self.knowledge.retriever.guides[g].title for g in state.last_guides
                  if g in self.knowledge.retriever.guides]
        packet = build_packet(
            self.registry, kind=esc.action, target=target, topic=topic,
            municipality=state.municipality, channel=state.channel,
            need=state.first_question, guide_titles=titles,
            reason_da=REASON_DA.get(need, need), reason=f"{need}: {esc.reason}",
            transcript=state.transcript, at=at,
            next_open=esc.opening.next_open if esc.opening else None)
        if esc.action == "handoff":
            reply = replies.t("handoff", lang)
        elif esc.action == "transfer":
            reply = replies.transfer(self.registry, target if target != "ddh" else
                                     state.municipality or "", state.channel, lang)
        else:
            has_number = state.callback_number is not None
            reply = replies.ticket(self.registry, target,
                                   esc.opening.next_open if esc.opening else None, at, lang,
                                   has_number)
            state.last_ticket = packet
            if not has_number:
                state.pending = "callback"
        return Decision(esc.action, topic, reply, packet["reason"], hits, target=target,
                         handoff=packet)

    def _guide_for_topic(self, topic: str, query: str) -> Guide | None:
        for g in self.knowledge.retriever.guides.values():
            if g.topic == topic and g.national and (not query or query in g.body):
                return g
        return None
