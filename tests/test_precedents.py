"""Precedents (knowledge/precedents.py): the vote of labelled conversations, on the real
embedder, the bundled file built from the scenario sets, and the real frontdesk.

The vote is measured as it is used: on the turns of a set it has not seen (each set
left out in turn), a goodbye vote must be right nearly always, since it ends a
conversation the cue rules would have gone on with.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.frontdesk import Frontdesk, TurnInput
from bot.turn.decide import GOODBYE_SHARE
from ddh.vocabulary import Action, Channel
from evals.precedents import examples, render, scenario_files
from knowledge.precedents import BUNDLED, Act, Example, Precedents, load_examples

TUESDAY = datetime(2026, 11, 24, 10, 15, tzinfo=ZoneInfo("Europe/Copenhagen"))


@pytest.fixture(scope="module")
def precedents(knowledge) -> Precedents:
    p = knowledge.precedents
    assert p is not None, "the real embedder compares meaning: precedents load"
    return p


def test_the_bundled_file_is_in_step_with_the_scenario_sets():
    """`ddh eval precedents` was run after the last change to a set."""
    assert BUNDLED.read_text(encoding="utf-8") == render(examples(scenario_files())), \
        "run `ddh eval precedents`"


def test_examples_are_redacted_and_ratings_left_to_the_rules(tmp_path: Path):
    f = tmp_path / "set.yaml"
    f.write_text("""scenarios:
  - id: a
    turns:
      - text: "mit cpr er 010203-1234, jeg har mistet mit pas"
        expect: {action: answer, topic: pas}
      - text: "og til et barn?"
        expect: {action: answer, topic: pas}
      - text: "tak for hjælpen"
        expect: {action: end}
      - text: "8"
        expect: {action: end}
""", encoding="utf-8")
    rows = examples([f])
    assert [r["act"] for r in rows] == ["other", "other", "end"]
    assert "010203" not in rows[0]["text"] and rows[0]["topic"] == "pas"
    assert "topic" not in rows[1]  # its topic came from the turn before
    assert {r["source"] for r in rows} == {"set"}


def test_a_malformed_line_is_a_clear_error(tmp_path: Path):
    f = tmp_path / "p.jsonl"
    f.write_text('{"text": "tak", "act": "end"}\n{"text": "hej", "act": "maybe"}\n')
    with pytest.raises(ValueError, match=r"p\.jsonl:2"):
        load_examples(f)


def test_leaving_a_set_out_removes_exactly_its_turns(precedents):
    source = "hard-dev18"
    rest = precedents.without(source)
    assert all(e.source != source for e in rest.examples)
    assert len(rest.examples) == len(precedents.examples) - sum(
        e.source == source for e in precedents.examples)
    assert precedents.without("no-such-set") is precedents


def test_a_clear_goodbye_vote_is_right_on_turns_it_has_not_seen(precedents):
    """Each of four sets left out in turn: of its turns the vote calls goodbyes at
    the frontdesk's share, at least 95 % were goodbyes, and it finds a good part of
    them (the rules find the rest)."""
    called = right = ends = found = 0
    for source in ("hard-dev15", "hard-dev16", "hard-dev17", "hard-dev18"):
        rest = precedents.without(source)
        for e in (e for e in precedents.examples if e.source == source):
            vote = rest.act(e.text)
            assert vote is not None
            said = vote.label == Act.END and vote.share >= GOODBYE_SHARE
            called += said
            right += said and e.act == Act.END
            ends += e.act == Act.END
            found += said and e.act == Act.END
    assert called and right / called >= 0.95, (right, called)
    assert found / ends >= 0.5, (found, ends)


def test_the_vectors_are_read_from_the_cache_the_second_time(embedder, tmp_path: Path):
    class Counting:
        dense = True
        name = embedder.name

        def __init__(self) -> None:
            self.calls = 0

        def query(self, text: str) -> np.ndarray:
            self.calls += 1
            return embedder.query(text)

    few = [Example("tak for i dag", Act.END, None, "a"),
           Example("hvordan får jeg et pas", Act.OTHER, "pas", "a")]
    first = Counting()
    Precedents(few, first, tmp_path)
    again = Counting()
    p = Precedents(few, again, tmp_path)
    assert first.calls == 2 and again.calls == 0
    vote = p.topic("jeg skal have et nyt pas")
    assert vote is not None and vote.label == "pas"  # only the opening turn has a topic


def talk(desk: Frontdesk, *texts: str) -> list:
    conversation = uuid.uuid4().hex
    return [desk.handle(TurnInput(conversation, text, Channel.CHAT,
                                  municipality="0751" if i == 0 else None, at=TUESDAY))
            for i, text in enumerate(texts)]


@pytest.fixture(scope="module")
def desks(knowledge, store) -> tuple[Frontdesk, Frontdesk]:
    return Frontdesk(knowledge, store), Frontdesk(knowledge, store, precedents=False)


def test_signed_letter_style_goodbyes_end_the_conversation(desks):
    """Goodbyes in the style of a letter, 36 of them: nearly all end the conversation
    (and ask for the rating). A signature's name may pull the vote towards other turns
    that carried it, so the bar is 90 %, not all."""
    with_votes, _ = desks
    said = [f"{a}. {b} {c}" for a in ("Tak for oplysningen", "Tak for svaret",
                                        "Det var oplysende", "Fint, så ved jeg det")
            for b in ("Med venlig hilsen", "Venlig hilsen", "Mvh.")
            for c in ("Kirsten Bach", "Ole", "Familien Jensen")]
    ended = [s for s in said
             if talk(with_votes, "hvordan bestiller jeg et nyt sundhedskort", s)[1].action
             == Action.END]
    assert len(ended) >= 0.9 * len(said), sorted(set(said) - set(ended))


def test_the_vote_finds_goodbyes_the_rules_miss(desks):
    """Some goodbyes have no thanks and no farewell word: the rules alone go on."""
    with_votes, rules_only = desks
    said = [f"{a}. {b}" for a in ("Det var oplysende", "Så er jeg klogere")
            for b in ("Med venlig hilsen Ole", "Mvh. Kirsten")]
    voted = [talk(with_votes, "hvordan bestiller jeg et nyt sundhedskort", s)[1].action
             for s in said]
    alone = [talk(rules_only, "hvordan bestiller jeg et nyt sundhedskort", s)[1].action
             for s in said]
    assert all(a == Action.END for a in voted), list(zip(said, voted, strict=True))
    assert sum(a == Action.END for a in alone) < len(said)


def test_a_question_is_never_a_goodbye_by_vote(desks):
    """However close to goodbyes in meaning, a question goes on."""
    with_votes, _ = desks
    turns = talk(with_votes, "hvordan bestiller jeg et nyt sundhedskort",
                 "tak, men hvor lang tid tager det?")
    assert turns[1].action != Action.END, turns[1].reason


def test_switched_off_the_frontdesk_runs_on_the_rules_alone(desks):
    _, rules_only = desks
    assert rules_only.precedents is None
    assert rules_only.services.precedents is None
