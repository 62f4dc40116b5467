"""Goodbyes in their many forms close a conversation; thanks followed by a new request
does not. Built from parts (a thanks or farewell, what the citizen will do next, and
filler), so that the cue is tested on combinations nobody listed, not on phrases."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.intents import detect

THANKS = ["tak", "mange tak", "tusind tak", "tak skal du have", "tak skal De have",
          "thanks", "thank you", "farvel", "bye", "hej hej"]
NEXT = ["så ringer jeg til dem", "så ved jeg det", "det var det hele", "glem det",
        "jeg fandt selv ud af det", "så må min søn hjælpe mig", "jeg prøver igen i morgen",
        "så skriver jeg til kommunen", "never mind, I'll call tomorrow", "vi klarer det selv",
        "så må jeg vel kigge der"]
OPENERS = ["", "okay ", "nå ", "nåh ja, ", "jamen ", "fint, "]
REQUESTS = ["hvordan søger jeg boligstøtte", "jeg skal også bruge et nyt pas",
            "hvad koster et kørekort?", "kan du også hjælpe med min flytning",
            "jeg vil gerne tale med en medarbejder", "hvornår har I åbent"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(OPENERS), st.sampled_from(THANKS), st.sampled_from(NEXT),
       st.booleans())
def test_a_goodbye_with_what_comes_next_closes(opener, thanks, then, thanks_first):
    text = f"{opener}{thanks}, {then}" if thanks_first else f"{opener}{then}. {thanks}"
    cues = detect(text)
    assert cues.thanks and not cues.question and not cues.needs_person, text


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(THANKS), st.sampled_from(NEXT), st.sampled_from(REQUESTS))
def test_thanks_with_a_new_request_does_not_close(thanks, then, request):
    cues = detect(f"{thanks}, {then}, men {request}")
    assert not cues.thanks, request


def test_a_farewell_inside_a_question_is_a_question():
    cues = detect("jeg vil gerne sige farvel til min gamle adresse, hvordan melder jeg flytning")
    assert cues.question and not cues.thanks
