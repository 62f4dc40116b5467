"""The callers suite and its stock baseline through the real voice pipeline (a file of
its own: calls run in real time)."""

from __future__ import annotations

import numpy as np
import pytest

from evals import callers
from evals.caller import synthesize


def test_noise_is_mixed_at_the_asked_level():
    speech = synthesize("Jeg har mistet mit sundhedskort.", speed=140)
    for snr in (5.0, 10.0, 20.0):
        noisy = callers.with_noise(speech, snr, seed=3)
        loud = np.abs(speech) > 0.01
        noise = noisy - speech
        measured = 10 * np.log10(np.mean(speech[loud] ** 2) / np.mean(noise ** 2))
        assert measured == pytest.approx(snr, abs=1.0)


def test_the_caller_answers_the_dialogue_and_the_stock_baseline_answers_too(knowledge,
                                                                             tmp_path):
    """One question over the Twilio protocol to the gateway (with the caller's side of
    confirmations and menus) and to the stock pipecat pipeline, in one run."""
    from bot.frontdesk import Frontdesk
    from bot.stt_model import model_dir
    from evals.stock import stock_app
    from gateway.app import create_app
    from store.outcomes import OutcomeStore, database_url
    from tests.conftest import MODELS

    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store)
    # what is tested is the dialogue and the baseline, not the recogniser's time limit:
    # a loaded test machine must not turn the question into "not understood"
    app = create_app(knowledge.settings.model_copy(update={"stt_timeout_s": 20.0}),
                     frontdesk=desk)
    data = {"questions": [{"id": "t1", "text": "Jeg kan ikke logge på med MitID.",
                           "topic": "mitid"}]}
    report = callers.run(desk, app, tmp_path / "callers.yaml", data, noisy=(False,),
                         stock_app=stock_app(knowledge.settings, model_dir(None, MODELS)))
    store.close()
    [item] = report.items
    d = item.detail
    assert d["bot_turns"] >= 1 and d["heard"]  # the gateway decided on what it heard
    assert d["first_topic"] is not None and d["latency_s"] is not None
    assert d["latency_s"] < 10 and d["cutoffs"] == 0
    m = report.metrics
    assert m["clean_calls"] == 1 and m["stock_unanswered"] == 0
    assert m["stock_latency_p50_s"] is not None and m["latency_ratio_to_stock"] is not None
