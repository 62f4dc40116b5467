"""Whisper writing its prompt back instead of the caller's words (issue 16): detected,
decoded again without the prompt, and counted as unsure so the topic is confirmed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.voice.echo import echoes_prompt, prompt_items
from evals.caller import synthesize

TOPICS = ["affaldssortering", "tidsbestilling", "manglende tømning", "pas", "storskrald",
          "MitID", "kørekort", "Digital Post", "sundhedskort", "flytning", "skat",
          "parkering", "NemKonto", "boligstøtte", "folkepension", "børnepenge"]
HEAD = "Borgeren ringer til kommunen og spørger om "


def prompt_of(topics: list[str]) -> str:
    return HEAD + ", ".join(topics) + " eller en medarbejder."


# What callers say: ordinary sentences, with a topic's name in them now and then.
CALLER = ["jeg har mistet mit {t} og ved ikke hvad jeg skal gøre",
          "hej, hvordan bestiller jeg {t} til min søn",
          "min mor er syg og kan ikke selv ringe, det drejer sig om {t}",
          "ja goddag, jeg ringer angående {t}, det virker ikke",
          "hvad koster det, og hvor lang tid tager det",
          "jeg vil gerne tale med en person om {t} og {u}"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOPICS), min_size=6, max_size=16, unique=True),
       st.data())
def test_the_prompt_and_lists_of_its_topics_are_echoes(topics, data):
    prompt = prompt_of(topics)
    assert echoes_prompt(prompt, prompt)
    assert echoes_prompt(prompt[:len(HEAD) + 30], prompt)  # cut off mid-list
    listed = data.draw(st.lists(st.sampled_from(topics), min_size=3, max_size=6, unique=True))
    assert echoes_prompt(", ".join(listed) + ", medarbejder!", prompt)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOPICS), min_size=6, max_size=16, unique=True),
       st.sampled_from(CALLER), st.sampled_from(TOPICS), st.sampled_from(TOPICS))
def test_what_callers_say_is_not_an_echo(topics, sentence, t, u):
    prompt = prompt_of(topics)
    assert not echoes_prompt(sentence.format(t=t, u=u), prompt)
    assert not echoes_prompt(sentence.format(t=t, u=u), None)


def test_the_names_of_a_prompt_are_its_listed_items():
    items = prompt_items(prompt_of(["MitID", "Digital Post", "valg og skift af læge"]))
    assert {"mitid", "digital post", "valg og skift af læge", "en medarbejder"} <= set(items)
    assert not any("borgeren" in i for i in items)


@pytest.fixture(scope="module")
def recognizer():
    from bot.stt_model import model_dir
    from bot.voice.stt import SpeechRecognizer
    from tests.conftest import MODELS

    return SpeechRecognizer(model_dir(None, MODELS), "cpu", "int8", beam_size=5,
                            prompt=prompt_of(TOPICS[:8]))


def test_an_echo_is_decoded_again_and_confirmed(recognizer):
    """Speech that the biased decode writes as the prompt: the transcript kept is the
    unbiased one, and the recogniser says it is unsure (so the topic is confirmed)."""
    spoken = prompt_of(TOPICS[:8]).rstrip(".")
    audio = (synthesize(spoken, rate=16000, speed=150) * 32767).astype(np.int16).tobytes()
    biased = recognizer._decode(recognizer.model.encode(
        _window(recognizer, audio)), recognizer._prompt())[1][0]
    assert echoes_prompt(biased, recognizer.prompt)  # the situation under test
    t = recognizer.transcribe(audio)
    assert t.recognition.unsure
    plain = recognizer._decode(recognizer.model.encode(
        _window(recognizer, audio)), recognizer._plain_start())[1][0]
    assert t.text == plain


def _window(recognizer, pcm16: bytes):
    from bot.voice.stt import WINDOW

    audio = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
    f = recognizer.model.feature_extractor(audio)[:, :WINDOW]
    return np.pad(f, ((0, 0), (0, WINDOW - f.shape[-1])))
