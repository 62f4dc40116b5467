"""The frontdesk: one citizen turn in, one decision and reply out. Every channel uses it.

It runs the stages of `bot.turn` in order, under the conversation's lock:
redact → language → municipality → understand → decide → (llm: reword) → act →
record, with `bot.turn.apply` the one place that changes the conversation state. The
turn's own clock (`at`) decides opening hours. Nothing about routing lives in a
channel, nor here: chat, voice and `ddh ask` all call `Frontdesk.handle`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot import replies
from bot.language import detect_language
from bot.llm import LLM
from bot.municipality import MunicipalityDetector
from bot.notices import NoticeBoard
from bot.popular import PopularTopics
from bot.schedule import TZ, Schedule
from bot.state import ConversationStates, Held
from bot.turn import act, apply, decide, escalate, language, llm, municipality, record, redact
from bot.turn import understand as understand_stage
from bot.turn.confirm import NOT_OFFERED
from bot.turn.services import Confidence, Services
from bot.turn.state import ConversationState
from bot.turn.types import Located, TurnInput, TurnResult
from ddh.logging import get_logger
from ddh.vocabulary import Channel, Outcome
from handoff.desk import HandoffDesk, QueueUnavailable
from knowledge.precedents import Precedents
from knowledge.service import Knowledge
from store.outcomes import OutcomeStore
from store.records import EndRecord, TurnRecord

__all__ = ["Frontdesk", "TurnInput", "TurnResult"]

log = get_logger(__name__)
CALL_LEASE_S = 15.0  # a live call renews its lease every few seconds (bot/voice)
ANSWERED_KEPT = 10_000  # recent message results held for re-sent messages (else: store)


class Frontdesk:
    def __init__(self, knowledge: Knowledge, store: OutcomeStore | None = None, *,
                 min_similarity: float = 0.86, min_lexical: float = 1.5,
                 llm: LLM | None = None, handoffs: HandoffDesk | None = None,
                 notices: NoticeBoard | None = None,
                 precedents: Precedents | bool | None = True) -> None:
        self.llm = llm
        # True: the knowledge's own (an evaluation passes them without the set it runs)
        self.precedents = knowledge.precedents if precedents is True else precedents or None
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
        self.confidence = Confidence(min_similarity, min_lexical)
        self.states = ConversationStates()
        self._answered: dict[tuple[str, str], TurnResult] = {}
        # this process's name on the conversations it leases for a turn
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._answered_lock = threading.Lock()
        # what callers ask most by time of day, for the voice menu (from the store)
        self.popular = PopularTopics(store, skip=NOT_OFFERED) if store is not None else None

    @property
    def services(self) -> Services:
        """What the stages consult; the retriever is read each time (it is rebuilt
        when the index is refreshed)."""
        return Services(self.registry, self.schedule, self.detector,
                        self.knowledge.retriever, self.confidence, self.notices, self.llm,
                        self.popular.at if self.popular is not None else None,
                        self.precedents)

    def warm_up(self) -> None:
        """Load what the first citizens would otherwise wait for: the language model of
        langid (1.6 s, holding the GIL), the embedding engine and the regexes."""
        detect_language("Ich habe meinen Reisepass verloren und brauche Hilfe")
        self.knowledge.retriever.search("mistet sundhedskort", None, k=1)
        self.detector.from_text("jeg bor i Viborg")
        now = datetime.now(TZ)
        self.schedule.ddh(now)  # this year's holidays
        if self.notices is not None:
            self.notices.match("vand", None, now)  # the live notices, from the store

    def _check(self, channel: str, municipality: str | None) -> None:
        if channel not in tuple(Channel):
            raise ValueError(f"channel must be one of {tuple(map(str, Channel))}, "
                             f"not {channel!r}")
        if municipality is not None and municipality not in self.registry.municipalities:
            raise ValueError(f"unknown kommunekode {municipality!r}")

    def _held(self, conversation: str, channel: str, called_number: str | None,
              at: datetime, stored: int | None = None, new: bool = False) -> Held:
        """The conversation's state; `stored`: its version in the store, when the
        caller read it already (with the lease); `new`: an id just made, which the
        store cannot know yet (nothing to read)."""
        held = self.states.get(conversation, lambda: ConversationState(
            conversation, Channel(channel), at, called_number=called_number,
            # taken up again after it expired: its turns number on in the store
            turns=self.store.live.recorded_turns(conversation)
            if self.store and not new else 0),
            None if new else self._loader(conversation))
        if self.store is not None and held.version:
            # Another process may have taken a turn since this copy was read.
            if stored is None:
                stored = self.store.live.version(conversation)
            if stored > held.version:
                fresh = self._loader(conversation)()
                if fresh is not None:
                    held.state, held.version = fresh
                    held.complete = False  # turns were taken elsewhere
        return held

    def _loader(self, conversation: str) -> Callable[[], tuple[ConversationState, int] | None]:
        def load() -> tuple[ConversationState, int] | None:
            if self.store is None:
                return None
            stored = self.store.live.state(conversation)
            if stored is None:
                return None
            data, version = stored
            try:
                return ConversationState.from_json(data), version
            except (KeyError, ValueError) as exc:  # a record this version cannot read
                log.error("frontdesk.state_unreadable", conversation=conversation,
                          error=str(exc)[:200])
                return None
        return load

    def _replayed(self, turn: TurnInput, held: Held) -> TurnResult | None:
        """The result of a message already handled (re-sent after a lost connection,
        or to another process): from this process's memory, else from the store
        (unless every turn of the conversation was taken here)."""
        key = (turn.conversation, turn.message_id or "")
        if key in self._answered:
            return replace(self._answered[key], replayed=True)
        if self.store is None or (held.complete and key[1] not in held.answered):
            return None
        data = self.store.live.replay(turn.conversation, key[1])
        return replace(TurnResult.from_json(data), replayed=True) if data else None

    # --- the turn ------------------------------------------------------------------

    def handle(self, turn: TurnInput) -> TurnResult:
        """One turn. With a store, the conversation is leased for the turn (another
        process with a turn of it waits), its state read if another process changed
        it, and written with the turn's record, which ends the lease."""
        self._check(turn.channel, turn.municipality)
        at = turn.at or datetime.now(TZ)
        t0 = time.perf_counter()
        cid = turn.conversation
        # (no lease while writes wait in the journal: the store is locked for everyone)
        version = self.store.live.lease(cid, self.owner) \
            if self.store is not None and not self.store.pending else None
        leased, written = version is not None, False
        try:
            held = self._held(cid, turn.channel, turn.called_number, at, version)
            with held.lock:
                if turn.message_id:
                    replayed = self._replayed(turn, held)
                    if replayed is not None:
                        log.info("frontdesk.replayed", conversation=cid)
                        return replayed
                try:
                    result, rec = self._run(held.state, turn, at)
                except Exception:
                    self.states.pop(cid)  # half-changed: read it again next time
                    raise
                rec.latency_ms = (time.perf_counter() - t0) * 1000
                if turn.message_id:
                    held.answered.add(turn.message_id)
                    with self._answered_lock:
                        self._answered[(cid, turn.message_id)] = result
                        while len(self._answered) > ANSWERED_KEPT:
                            self._answered.pop(next(iter(self._answered)))
                if self.store is not None:
                    rec.state, rec.state_version = held.state.as_json(), held.version
                    rec.message_id = turn.message_id
                    rec.result = result.as_json()
                    held.version += 1  # queued writes keep their order (store/outcomes.py)
                    written = True
                    self.store.record(rec)
        finally:
            if leased and not written and self.store is not None:
                self.store.live.release(cid, self.owner)
        for observe in self.observers:  # live metrics; never the citizen's text
            observe(turn.channel, result.action, rec.latency_ms / 1000, rec.seq == 1)
        return result

    def _run(self, state: ConversationState, turn: TurnInput,
             at: datetime) -> tuple[TurnResult, TurnRecord]:
        sv = self.services
        heard = redact.hear(turn.text, turn.recognition,
                            state.cpr_serial_expected or bool(state.cpr_fragments))
        # the last four of a CPR number whose date part the last turn left in clear
        earlier = state.cpr_fragments if heard.serial else ()
        callback_number = understand_stage.consented_number(state, heard)
        apply.begin(state, callback_number, heard.serial_to_come, heard.fragments)
        if earlier:
            apply.redact_earlier(state, earlier)
        apply.speak(state, language.language_of(state, heard))
        located = municipality.locate(sv, state, turn, heard)
        apply.place(state, located)
        lang = replies.lang_of(state.language)
        asked = understand_stage.read(sv, state, heard, located)
        decision = decide.decide(sv, state, heard, asked, at, lang, unheard=turn.unheard,
                                 hand_over=turn.hand_over, located=located, ends=turn.ends)
        if self.llm is not None:
            decision = llm.reword(self.llm, state, decision, heard.text, lang)
        try:
            acted = act.act(self.registry, self.handoffs, state, decision, lang)
        except QueueUnavailable as exc:  # Redis down: a ticket, said plainly; nothing lost
            log.error("frontdesk.queue_unavailable", conversation=state.id, error=str(exc)[:200])
            decision = escalate.queue_down(sv, state, decision, lang)
            acted = act.act(self.registry, self.handoffs, state, decision, lang)
        apply.finish(state, decision, heard.text, acted.reply, acted.waiting_id)
        log.info("frontdesk.turn", conversation=state.id, action=decision.action,
                 topic=decision.topic, municipality=state.municipality, reason=decision.reason)
        result, rec = record.record(state, heard, decision, acted, at,
                                    callback_number is not None)
        if earlier:
            rec.redact_earlier = list(earlier)
            result = replace(result, redacted_earlier=earlier)
        return result, rec

    # --- opening and closing ---------------------------------------------------------

    def open(self, conversation: str, channel: str = "chat", municipality: str | None = None,
             called_number: str | None = None, at: datetime | None = None,
             new: bool = False) -> str:
        """Start a conversation before the citizen says anything (chat widget, phone
        greeting); returns the greeting, which discloses that this is an AI. `new`: the
        caller just made the id (nothing to read from the store)."""
        self._check(channel, municipality)
        at = at or datetime.now(TZ)
        held = self._held(conversation, channel, called_number, at, new=new)
        with held.lock:
            state = held.state
            if state.municipality is None:
                found = self.detector.from_channel(municipality, called_number)
                apply.place(state, Located(found))
            apply.disclose(state)
            if self.store is not None:  # the greeting's state, for every process
                held.version = self.store.live.save_state(conversation, state.as_json(),
                                                          held.version)
            return (f"{replies.disclosure(self.registry, state.municipality, 'da')} "
                    f"{replies.t('how_help', 'da')}")

    def expire_idle(self, idle_s: float, now: datetime | None = None) -> int:
        """End the conversations idle for `idle_s` (recorded as abandoned, their queue
        places given up): the store's, so any process may run it; how many ended."""
        if self.store is None:
            return 0
        now = now or datetime.now(TZ)
        ended = 0
        self.store.live.drop_placeholders(now - timedelta(seconds=idle_s))
        for conversation in self.store.live.idle(now - timedelta(seconds=idle_s)):
            ended += self.close(conversation, now, Outcome.ABANDONED)
        return ended

    def keep_alive(self, conversation: str, ttl_s: float = CALL_LEASE_S) -> None:
        """A live call renews its lease now and then: if this process dies, another
        one finds the lease run out and records the call as dropped."""
        if self.store is not None:
            self.store.live.lease(conversation, self.owner, ttl_s=ttl_s, wait_s=0)

    def expire_dropped(self, now: datetime | None = None,
                       lease_s: float = CALL_LEASE_S) -> int:
        """Record the calls whose process died (their lease ran out) as dropped: the
        quality figures show our failure, not the caller's; how many."""
        if self.store is None:
            return 0
        now = now or datetime.now(TZ)
        dropped = 0
        for conversation in self.store.live.lapsed_calls(now - timedelta(seconds=lease_s)):
            if self.states.peek(conversation) is not None:
                continue  # this process holds the call: alive
            log.error("frontdesk.call_dropped", conversation=conversation)
            dropped += self.close(conversation, now, Outcome.DROPPED)
        return dropped

    def close(self, conversation: str, at: datetime | None = None,
              outcome: Outcome = Outcome.ABANDONED) -> bool:
        """The channel ended the conversation (the caller hung up, the chat was left):
        the end is recorded — a call with no turn is still a contact — and its state
        freed. False when the conversation was unknown."""
        state = self.states.pop(conversation)
        if state is None:  # held by no process now (a restart): the stored one
            stored = self._loader(conversation)()
            state = stored[0] if stored else None
        if state is None:
            return False
        if self.handoffs is not None and state.waiting_id:
            self.handoffs.leave(state.waiting_id)  # nobody is waiting any more
        if self.store is not None and not state.ended:
            self.store.record(EndRecord(state.id, state.channel, state.started_at,
                                        at or datetime.now(TZ), state.municipality, outcome))
        return True
