"""The turn pipeline's own promises, checked over the whole routing suite:

- deciding (and the stages before it, and the language model's rewording) never
  changes the conversation state; only `bot.turn.apply` does;
- the state round-trips through JSON after every turn, whatever the turn did;
- the handoff packet round-trips through its JSON (the queues keep it so), and the
  contract's `handoff` object keeps its shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.frontdesk import Frontdesk, TurnInput
from bot.turn import act, decide, understand
from bot.turn.apply import merge_outcome
from bot.turn.state import SCHEMA_VERSION, ConversationState
from bot.turn.types import Ask, Need, Pending
from ddh.vocabulary import Action, Channel, Outcome
from store.outcomes import OutcomeStore, database_url
from store.records import HandoffPacket, TranscriptLine

SCENARIOS = Path(__file__).resolve().parent.parent / "evals" / "scenarios" / "routing.yaml"


def _at(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) or value is None else \
        datetime.fromisoformat(str(value))


@pytest.fixture(scope="module")
def suite() -> dict[str, Any]:
    return yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def desk(knowledge, suite, tmp_path_factory) -> Frontdesk:
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("turn-store")))
    desk = Frontdesk(knowledge, store)
    assert desk.notices is not None
    for n in suite.get("notices") or []:
        desk.notices.publish("test", n["municipality"], n["title"], n["text"],
                             _at(n["until"]), n.get("keywords"), at=_at(n["from"]))
    yield desk
    store.close()


def _play(desk: Frontdesk, suite: dict[str, Any],
          after_turn: Callable[[ConversationState], None]) -> int:
    turns = 0
    for s in suite["scenarios"]:
        conversation = f"turn-test-{s['id']}"
        for i, t in enumerate(s["turns"]):
            desk.handle(TurnInput(
                conversation=conversation, text=t["text"],
                channel=Channel(t.get("channel", s.get("channel", "chat"))),
                municipality=s.get("municipality") if i == 0 else None,
                called_number=s.get("called_number") if i == 0 else None,
                at=_at(t.get("at", s.get("at")))))
            state = desk.states.peek(conversation)
            assert state is not None
            after_turn(state)
            turns += 1
        desk.close(conversation)
    return turns


def _watch(monkeypatch: pytest.MonkeyPatch, module: Any, name: str,
           changed: list[str]) -> None:
    """Wrap a stage function: the state passed to it must be the same after the call."""
    real = getattr(module, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        states = [a for a in (*args, *kwargs.values()) if isinstance(a, ConversationState)]
        before = [json.dumps(s.as_json(), sort_keys=True) for s in states]
        out = real(*args, **kwargs)
        after = [json.dumps(s.as_json(), sort_keys=True) for s in states]
        if before != after:
            changed.append(f"{module.__name__}.{name}")
        return out

    monkeypatch.setattr(module, name, watched)


@pytest.fixture(scope="module")
def replay(desk, suite) -> dict[str, Any]:
    """The whole routing suite, once, with the stages before `apply` watched and the
    state round-tripped through JSON after every turn."""
    changed: list[str] = []
    seen: dict[str, int] = {}

    def check(state: ConversationState) -> None:
        data = json.loads(json.dumps(state.as_json()))
        assert data["schema_version"] == SCHEMA_VERSION
        assert ConversationState.from_json(data) == state
        for key in ("pending", "last_ticket", "outcome", "candidates"):
            if data[key]:
                seen[key] = seen.get(key, 0) + 1

    with pytest.MonkeyPatch.context() as monkeypatch:
        for module, name in ((understand, "read"), (understand, "consented_number"),
                             (decide, "decide"), (act, "act")):
            _watch(monkeypatch, module, name, changed)
        turns = _play(desk, suite, check)
    return {"turns": turns, "changed": changed, "seen": seen}


def test_stages_before_apply_never_change_the_state(replay):
    assert replay["turns"] > 300
    assert replay["changed"] == []


def test_a_mutating_decide_is_caught(desk, monkeypatch):
    """The watcher above can fail: a decide that writes to the state is reported."""
    real = decide.decide

    def sloppy(sv, state, *args, **kwargs):
        state.clarifications += 1
        return real(sv, state, *args, **kwargs)

    monkeypatch.setattr(decide, "decide", sloppy)
    changed: list[str] = []
    _watch(monkeypatch, decide, "decide", changed)
    desk.handle(TurnInput("sloppy", "hvordan får jeg et nyt pas", municipality="0751",
                          at=datetime(2026, 11, 24, 10, tzinfo=UTC)))
    assert changed == ["bot.turn.decide.decide"]


def test_state_round_trips_through_json_after_every_turn(replay):
    # the suite reaches every kind of remembered thing, so the round trip covers them
    assert {"pending", "last_ticket", "outcome", "candidates"} <= set(replay["seen"])


def test_state_of_another_schema_is_refused():
    state = ConversationState("c", Channel.CHAT, datetime(2026, 11, 24, tzinfo=UTC))
    data = state.as_json() | {"schema_version": SCHEMA_VERSION + 1}
    with pytest.raises(ValueError, match="schema"):
        ConversationState.from_json(data)


def test_pending_round_trip():
    p = Pending(Ask.MUNICIPALITY, "pas", Need.OWN_CASE, None)
    assert Pending.from_json(json.loads(json.dumps(p.as_json()))) == p


def test_handoff_packet_json_round_trip_and_contract_shape():
    at = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
    p = HandoffPacket(kind=Action.TICKET, target="0751", topic="pas", municipality="0751",
                      reason="wants_person: closed", summary="Borger fra Aarhus.",
                      channel=Channel.VOICE, created_at=at, need="mit pas",
                      guides=("Pas",), transcript=(TranscriptLine("citizen", "hej"),),
                      next_open=at.replace(day=25, hour=8), reason_kind=Need.WANTS_PERSON)
    data = json.loads(json.dumps(p.as_json()))
    assert HandoffPacket.from_json(data) == p
    assert set(data) == {"id", "kind", "target", "topic", "municipality", "reason",
                         "reason_kind", "summary", "packet"}
    assert data["reason_kind"] == data["packet"]["reason_kind"] == "wants_person"
    assert data["kind"] == "ticket" and data["packet"]["channel"] == "voice"
    assert data["packet"]["transcript"] == [{"role": "citizen", "text": "hej"}]


def test_outcomes_stick_once_escalated():
    assert merge_outcome(None, Action.ANSWER) == Outcome.RESOLVED_BOT
    assert merge_outcome(Outcome.HANDOFF, Action.ANSWER) == Outcome.HANDOFF
    assert merge_outcome(Outcome.UNRESOLVED, Action.REDIRECT) == Outcome.REDIRECT
    assert merge_outcome(Outcome.RESOLVED_BOT, Action.END) == Outcome.RESOLVED_BOT
    assert merge_outcome(Outcome.RESOLVED_BOT, Action.CLARIFY) == Outcome.RESOLVED_BOT


# --- generated states: every field, every enum value, odd text --------------------

_text = st.text(max_size=40)
_opt_text = st.none() | _text
_when = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                     timezones=st.just(UTC))
_packets = st.builds(
    HandoffPacket, kind=st.sampled_from([Action.HANDOFF, Action.TRANSFER, Action.TICKET]),
    target=_text, topic=_opt_text, municipality=_opt_text, reason=_text, summary=_text,
    channel=st.sampled_from(list(Channel)), created_at=_when, need=_opt_text,
    guides=st.lists(_text, max_size=3).map(tuple),
    transcript=st.lists(st.builds(TranscriptLine, _text, _text), max_size=4).map(tuple),
    next_open=st.none() | _when, id=_text)
_pending = st.none() | st.builds(Pending, st.sampled_from(list(Ask)), _opt_text,
                                 st.none() | st.sampled_from(list(Need)), _opt_text)
_states = st.builds(
    ConversationState, id=_text, channel=st.sampled_from(list(Channel)), started_at=_when,
    municipality=_opt_text, municipality_source=_opt_text,
    municipality_turn=st.integers(0, 50), candidates=st.lists(_text, max_size=3).map(tuple),
    candidates_evidence=_opt_text, called_number=_opt_text, language=_text,
    turns=st.integers(0, 500), last_topic=_opt_text, last_guides=st.lists(_text, max_size=4),
    pending=_pending, clarifications=st.integers(0, 5), first_question=_opt_text,
    transcript=st.lists(st.builds(TranscriptLine, _text, _text), max_size=6),
    actions=st.lists(st.sampled_from(list(Action)), max_size=6),
    outcome=st.none() | st.sampled_from(list(Outcome)), callback_number=_opt_text,
    last_ticket=st.none() | _packets, waiting_id=_opt_text,
    satisfaction=st.none() | st.integers(1, 10), ended=st.booleans(), notice_id=_opt_text,
    disclosed=st.booleans())


@settings(max_examples=300, deadline=None)
@given(_states)
def test_any_state_round_trips_through_json(state):
    assert ConversationState.from_json(json.loads(json.dumps(state.as_json()))) == state
