"""The one place where a turn changes the conversation's state.

`begin` notes what the citizen's turn itself tells (its number, the language, the
municipality, a consented callback number) before deciding; `finish` carries a
decision and its reply into the state (what was asked, given, said and the outcome
so far). Everything the stages before returned is a value; only these two write.
"""

from __future__ import annotations

from bot.turn.decision import Decision
from bot.turn.state import ConversationState
from bot.turn.types import CHANNEL_SOURCES, Located
from ddh.redaction import redact_fragments
from ddh.vocabulary import Action, Outcome
from store.records import TranscriptLine

# The state is written on every turn: its transcript (for handoff packets and
# summaries) keeps the last 30 exchanges, the store keeps them all (`turns`).
TRANSCRIPT_KEPT = 60
OUTCOME_OF = {Action.ANSWER: Outcome.RESOLVED_BOT, Action.HANDOFF: Outcome.HANDOFF,
              Action.TRANSFER: Outcome.TRANSFER, Action.TICKET: Outcome.TICKET,
              Action.REDIRECT: Outcome.REDIRECT, Action.CLARIFY: Outcome.UNRESOLVED}
# Escalations and redirects stick: a later "tak" does not make a handoff bot-resolved.
OUTCOME_RANK = {None: 0, Outcome.UNRESOLVED: 1, Outcome.RESOLVED_BOT: 2, Outcome.REDIRECT: 3,
                Outcome.TICKET: 4, Outcome.TRANSFER: 4, Outcome.HANDOFF: 4}


def merge_outcome(current: Outcome | None, action: Action) -> Outcome | None:
    """The conversation's outcome after an action."""
    new = OUTCOME_OF.get(action)
    if new is None:
        return current
    return new if OUTCOME_RANK[new] >= OUTCOME_RANK.get(current, 0) else current


def place(state: ConversationState, located: Located) -> None:
    """Note the municipality (or the candidates of an ambiguous postal code or town)."""
    found = located.found
    if found is not None and found.code:
        state.municipality = found.code
        state.municipality_source = found.source
        # 0: the channel said it (the widget's page, the number called), not the citizen.
        state.municipality_turn = 0 if found.source in CHANNEL_SOURCES else state.turns
        state.candidates = ()
    elif located.candidates:
        state.candidates = located.candidates
        state.candidates_evidence = located.evidence


def begin(state: ConversationState, callback_number: str | None,
          serial_to_come: bool = False, fragments: tuple[str, ...] = ()) -> None:
    """A new citizen turn: count it, note a number given for a callback, and whether
    this turn gave only a CPR number's date part (its serial may come next turn, and
    is redacted then too)."""
    state.turns += 1
    if callback_number is not None:
        state.callback_number = callback_number
    state.cpr_serial_expected = serial_to_come
    state.cpr_fragments = fragments


def redact_earlier(state: ConversationState, fragments: tuple[str, ...]) -> None:
    """The last turn's date part is known now: out of what the state holds too."""
    state.transcript = [TranscriptLine(t.role, redact_fragments(t.text, fragments))
                        for t in state.transcript]
    if state.first_question:
        state.first_question = redact_fragments(state.first_question, fragments)


def speak(state: ConversationState, language: str) -> None:
    state.language = language


def disclose(state: ConversationState) -> None:
    """The AI disclosure has been given (the greeting, or the first reply)."""
    state.disclosed = True


def finish(state: ConversationState, decision: Decision, citizen_text: str, reply: str,
           waiting_id: str | None) -> None:
    """Carry the turn's decision and the reply the citizen got into the state."""
    state.pending = decision.pending
    if decision.satisfaction is not None:
        state.satisfaction = decision.satisfaction
        state.ended = True
    if decision.clarified:
        state.clarifications += 1
    if decision.misheard is not None:
        state.misheard = decision.misheard
    elif decision.action != Action.CLARIFY:
        state.misheard = 0
    if decision.first_question is not None and state.first_question is None:
        state.first_question = decision.first_question
    if decision.notice_id is not None:
        state.notice_id = decision.notice_id
    if decision.given_guide is not None:
        state.last_guides.append(decision.given_guide)
    if decision.action == Action.TICKET and decision.new_handoff and decision.handoff:
        state.last_ticket = decision.handoff
    if waiting_id is not None:
        state.waiting_id = waiting_id
    if decision.action == Action.HANDOFF and decision.new_handoff:
        state.waiting_packet = decision.handoff  # waiting for an agent from now on
    if decision.action == Action.END:
        state.waiting_id = state.waiting_packet = None  # the act stage left the queue
    state.disclosed = True
    state.transcript.append(TranscriptLine("citizen", citizen_text))
    state.transcript.append(TranscriptLine("bot", reply))
    del state.transcript[:-TRANSCRIPT_KEPT]
    state.actions.append(decision.action)
    state.outcome = merge_outcome(state.outcome, decision.action)
    if decision.topic and decision.action not in (Action.CLARIFY, Action.END):
        state.last_topic = decision.topic
