"""Redaction on the labelled Danish privacy corpus and on the rules that matter most."""

from __future__ import annotations

import pytest

from ddh.redaction import redact, valid_cpr_date
from evals.privacy import evaluate, load


def test_corpus_size_and_coverage():
    sentences = load()
    assert len(sentences) >= 300
    kinds = {(p["kind"], s.get("form", "written")) for s in sentences for p in s.get("pii", [])}
    assert {("cpr", "written"), ("cpr", "spoken"), ("phone", "written"), ("email", "written"),
            ("card", "written")} <= kinds


def test_recall_and_precision_on_the_corpus():
    score = evaluate(load())
    assert score.recall("cpr/written") == 1.0, score.misses
    assert score.recall("cpr/spoken") >= 0.98, score.misses
    assert score.recall() >= 0.98, score.misses
    assert score.keep_rate >= 0.98, score.false_hits
    assert score.clean_rate >= 0.98, score.false_hits


@pytest.mark.parametrize("cpr", ["010190-1234", "0101901234", "010190 1234", "01 01 90 12 34",
                                 "01.01.90-1234", "290200-4321"])
def test_written_cpr_forms(cpr):
    out = redact(f"mit cpr er {cpr} tak")
    assert out.text == "mit cpr er [CPR] tak"
    assert out.findings[0].kind == "cpr"


def test_cpr_failing_modulus_11_is_still_redacted():
    # 010190-1235: weights 4,3,2,7,6,5,4,3,2,1 give a sum not divisible by 11.
    digits = "0101901235"
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    assert sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 != 0
    assert redact("010190-1235").text == "[CPR]"


def test_invalid_dates_are_not_cpr():
    assert not valid_cpr_date("3202901234")  # 32 February
    assert not valid_cpr_date("2902011234")  # 29 February 2001 / 1901
    assert valid_cpr_date("2902001234")  # 29 February 2000
    assert redact("ordre 3215678901").text == "ordre 3215678901"


def test_spoken_cpr_and_phone():
    assert redact("mit cpr er nul et et nul ni nul et to tre fire").text == "mit cpr er [CPR]"
    out = redact("ring til mig på tolv fireogtredive seksoghalvtreds otteoghalvfjerds")
    assert out.text == "ring til mig på [TELEFON]" and out.phones == ["12345678"]


def test_phone_email_card_and_what_survives():
    text = ("Ring på +45 12 34 56 78, skriv til jens.hansen@example.dk, kort 4571 1234 5678 "
            "9012 – sagsnummer 2026-004512, 8000 Aarhus C, 1.250 kr. den 12.03.2026 kl. 14.30")
    out = redact(text)
    assert out.kinds == {"phone", "email", "card"}
    for kept in ("2026-004512", "8000 Aarhus C", "1.250 kr.", "12.03.2026", "kl. 14.30"):
        assert kept in out.text
    assert "12 34 56 78" not in out.text and "jens.hansen" not in out.text
