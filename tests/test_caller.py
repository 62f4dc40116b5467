"""The test caller's clock: a spoken question ends at its last audible frame, not at
the end of the clip (espeak-ng appends about half a second of near-silence)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evals.caller import FRAME, RATE, last_audible, synthesize


def test_the_trailing_near_silence_of_a_synthesised_question_is_not_speech():
    clip = synthesize("Jeg har mistet mit sundhedskort.", speed=140)
    end = last_audible(clip)
    assert 0.5 < end < len(clip) / RATE - 0.2  # espeak-ng's tail is cut off
    padded = np.concatenate([clip, np.zeros(RATE, np.float32)])
    assert last_audible(padded) == end


@settings(max_examples=30, deadline=None)
@given(lead=st.integers(0, 40), tone=st.integers(1, 60), tail=st.integers(0, 60),
       noise=st.floats(0.0, 0.002))
def test_a_tone_ends_where_it_ends_whatever_the_silence_around_it(lead, tone, tail, noise):
    rng = np.random.default_rng(lead * 1000 + tone * 10 + tail)
    t = np.arange(tone * FRAME) / RATE
    clip = np.concatenate([np.zeros(lead * FRAME), 0.3 * np.sin(2 * np.pi * 440 * t),
                           np.zeros(tail * FRAME)])
    clip = clip + rng.normal(0.0, noise, len(clip))
    assert last_audible(clip) == (lead + tone) * FRAME / RATE
    assert last_audible(np.zeros(5 * FRAME)) == 0.0
