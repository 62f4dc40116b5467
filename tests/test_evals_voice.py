"""The voice suite through the real voice pipeline (a file of its own: it speaks in real
time for most of a minute, and the test workers run files side by side)."""

from __future__ import annotations

from tests.test_evals import small


def test_the_voice_suite_calls_in_with_synthetic_speech(knowledge, tmp_path):
    """Two questions over the Twilio protocol through the real voice pipeline."""
    from evals.runner import EvalContext, run_file

    suite = small("evals/voice/questions.yaml", "questions",
                  lambda q: q["id"] in ("menneske", "digital-post"), tmp_path)
    # what is tested is the suite through the pipeline, not the recogniser's time limit
    # (tested on its own): a loaded test machine must not empty a transcript
    settings = knowledge.settings.model_copy(update={"stt_timeout_s": 20.0})
    (report,) = run_file(EvalContext(settings, knowledge, tmp_path), suite, ("grounded",))
    m = report.metrics
    assert m["questions"] == 2 and m["answered_rate"] == 1.0
    assert 0 <= m["wer"] < 1.0 and m["latency_p95_s"] < 10
    heard = [i.detail["heard"] for i in report.items]
    assert all(heard), heard  # the store holds what speech recognition made of it
