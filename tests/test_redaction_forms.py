"""CPR numbers in forms nobody listed (issue 18): a grammar of renderings
(tests/cpr_renderings.py) generates thousands — every grouping of the ten digits, every
separator, invisible characters, full-width digits, spoken digit by digit, in pairs or
mixed — and none may survive redaction, in whole or in part. Ordinary numbers (prices,
dates, postal codes, case numbers) must not be taken for CPR numbers.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.frontdesk import Frontdesk, TurnInput
from ddh.numbers import number_runs
from ddh.redaction import normalise, redact
from store.outcomes import OutcomeStore, database_url
from tests.cpr_renderings import cpr_numbers, pair_words, renderings


def leftover_numbers(text: str) -> str:
    """Every digit left in a text, written or spoken (after the same normalisation)."""
    plain = unicodedata.normalize("NFKC", text)
    return re.sub(r"\D", "", plain) + "".join(
        r.digits for r in number_runs(plain, min_words=1) if r.spoken)


@settings(max_examples=5000, deadline=None)
@given(renderings())
def test_no_rendering_of_a_cpr_number_survives(case):
    _cpr, text = case
    red = redact(text)
    assert "cpr" in red.kinds, text
    assert leftover_numbers(red.text) == "", (text, red.text)


@pytest.mark.parametrize("text", [  # reported in issue 18 as reaching the store
    "cpr 12.04.05.1357", "mit personnummer: 130506.2468", "cpr 1 5 0 7 0 8 1 2 1 3",
    "mit cpr er 201112\u200b-1718", "CPR 15\uff10482\u20131234", "cpr 150482\u00ad1234"])
def test_the_reported_forms_are_redacted(text):
    red = redact(text)
    assert red.kinds == {"cpr"} and leftover_numbers(red.text) == "", red.text


ORDINARY = st.one_of(
    st.builds(lambda n: f"Det koster {n:,} kr.".replace(",", "."), st.integers(1, 99_999)),
    st.builds(lambda d, m, y: f"Mødet er den {d:02d}.{m:02d}.{y}", st.integers(1, 28),
              st.integers(1, 12), st.integers(2000, 2030)),
    st.builds(lambda d, m, y: f"fra {d}/{m}-{y} til {d}/{m}-{y + 1}", st.integers(1, 28),
              st.integers(1, 12), st.integers(2020, 2029)),
    st.builds(lambda p: f"Jeg bor i {p} Aarhus", st.integers(1000, 9990)),
    st.builds(lambda y, n: f"sagsnummer {y}-{n:07d}", st.integers(2015, 2030),
              st.integers(0, 9_999_999)),
    st.builds(lambda a, b: f"mellem kl. {a}.00 og {b}.30", st.integers(7, 12),
              st.integers(13, 18)),
    st.builds(lambda n, k: f"ordre {n} med {k} varer", st.integers(100_000, 999_999),
              st.integers(1, 40)),
)


@settings(max_examples=1000, deadline=None)
@given(ORDINARY)
def test_ordinary_numbers_are_not_taken_for_cpr_numbers(text):
    assert "cpr" not in redact(text).kinds, text


def test_normalising_keeps_what_a_reader_sees():
    assert normalise("1\u200b5\u00ad04\uff18\uff12\u20131234") == "150482-1234"
    assert normalise("Grenå – 8500") == "Grenå - 8500"


@pytest.fixture(scope="module")
def recording_llm(knowledge):
    from bot.llm import LLM
    from evals.fake_llm import FakeOpenAI, Reply

    with FakeOpenAI() as fake:
        fake.default = Reply(status=503)
        llm = LLM(knowledge.settings.model_copy(update={"llm_base_url": fake.url,
                                                        "llm_timeout_s": 2.0}))
        yield fake, llm
        llm.close()


SERIAL_LEADS = ["og de sidste fire er ", "de sidste fire: ", "", "og så ", "sidste cifre ",
                "det slutter på "]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cpr_numbers(), st.sampled_from(["mit cpr nummer er ", "cpr: ", "mit personnummer er ",
                                       "personnr ", "", "det er "]),
       st.sampled_from(SERIAL_LEADS), st.booleans(), st.booleans())
def test_a_cpr_number_split_over_two_turns_is_redacted_in_both(knowledge, tmp_path_factory,
                                                                cpr, lead, serial_lead,
                                                                spaced, serial_in_words):
    """"mit cpr nummer er 110311" … "og de sidste fire er 2468": the date part (after a
    word for CPR, or on its own) is redacted at once, and the four digits that follow
    it in the next turn are its serial; neither reaches the store or the reply."""
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("split")))
    desk = Frontdesk(knowledge, store)
    date_part = f"{cpr[:2]} {cpr[2:4]} {cpr[4:6]}" if spaced else cpr[:6]
    serial = " ".join(pair_words(int(cpr[i:i + 2])) for i in (6, 8)) if serial_in_words \
        else cpr[6:]
    first = desk.handle(TurnInput("split", f"{lead}{date_part}", municipality="0751"))
    second = desk.handle(TurnInput("split", f"{serial_lead}{serial}", municipality="0751"))
    conv = store.conversation("split")
    texts = [first.redacted_text, second.redacted_text, first.reply, second.reply,
             *(t["text"] for t in conv["transcript"]),
             *(h["summary"] for h in conv["handoffs"]),
             *(json.dumps(h["packet"].get("transcript"), ensure_ascii=False)
               for h in conv["handoffs"])]
    for text in texts:  # what was sent, as it was sent, is nowhere
        assert date_part not in text and serial not in text, (text, cpr)
    assert first.redacted_text.endswith("[CPR]") and "[CPR]" in second.redacted_text
    store.close()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(renderings())
def test_no_rendering_reaches_the_store_a_packet_a_reply_or_a_model(knowledge, tmp_path_factory,
                                                                   recording_llm, case):
    """End to end through the frontdesk in the LLM mode (against a recording endpoint
    that fails, so every operation is sent and falls back): the number in a question
    and then in a request for a person (after hours: a ticket with the transcript in
    its packet) is nowhere in the replies, the stored transcript, the summary, the
    packet or any request to the language model."""
    cpr, text = case
    fake, llm = recording_llm
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("e2e")))
    desk = Frontdesk(knowledge, store, llm=llm)
    sent = len(fake.requests)
    at = datetime(2026, 11, 28, 23, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    results = [desk.handle(TurnInput("e2e", t, municipality="0751", at=at))
               for t in (f"jeg har mistet mit pas. {text}",
                         f"kan jeg tale med en medarbejder, {text}")]
    conv = store.conversation("e2e")
    fields = [*(r.redacted_text for r in results), *(r.reply for r in results),
              *(t["text"] for t in conv["transcript"]),
              *(h["summary"] for h in conv["handoffs"]),
              *(json.dumps(h["packet"], ensure_ascii=False) for h in conv["handoffs"]),
              *(str(m.get("content")) for r in fake.requests[sent:] for m in r.messages)]
    assert conv["handoffs"], "the request for a person made a ticket"
    assert len(fake.requests) > sent, "the language model was asked"
    for field in fields:
        assert cpr not in leftover_numbers(field), (text, field)
    store.close()
