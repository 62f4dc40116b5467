"""The frontdesk end to end on the real index and a real SQLite outcome store."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from bot.frontdesk import TurnInput

TUE_DAY = datetime.fromisoformat("2026-11-24T10:15:00+01:00")
TUE_EVENING = datetime.fromisoformat("2026-11-24T20:15:00+01:00")
SAT = datetime.fromisoformat("2026-11-28T11:00:00+01:00")


def talk(desk, *turns, municipality=None, at=TUE_DAY, channel="chat", called_number=None):
    cid = uuid.uuid4().hex
    out = []
    for i, text in enumerate(turns):
        out.append(desk.handle(TurnInput(cid, text, channel, municipality if i == 0 else None,
                                         called_number if i == 0 else None, at)))
    return out


def test_answer_with_link_disclosure_and_end(desk, store):
    r = talk(desk, "jeg har mistet mit sundhedskort", "tak det var det", "9", municipality="0615")
    assert [x.action for x in r] == ["answer", "end", "end"]
    assert r[0].topic == "sundhedskort" and r[0].municipality == "0615"
    assert "AI" in r[0].reply and "Horsens" in r[0].reply  # AI Act disclosure, first reply
    assert "AI" not in r[1].reply
    assert "https://" in r[0].reply and "Hjalp det?" in r[0].reply
    assert "1 til 10" in r[1].reply
    conv = store.conversation(r[0].conversation)
    assert conv["satisfaction"] == 9 and conv["outcome"] == "resolved_bot"
    assert conv["ended_at"] is not None and len(conv["transcript"]) == 6


def test_voice_answer_offers_sms_instead_of_link(desk):
    r = talk(desk, "hvordan fornyer jeg mit pas", channel="voice", municipality="0751")[0]
    assert r.action == "answer" and r.topic == "pas"
    assert "sms" in r.reply and "http" not in r.reply


def test_person_needed_routes_by_hours(desk):
    day = talk(desk, "hvordan logger jeg på mitid", "det hjalp ikke", municipality="0615")
    assert day[1].action == "handoff" and day[1].handoff.target == "ddh"
    assert day[1].topic == "mitid"
    summary = day[1].handoff.summary
    assert "Horsens" in summary and len(summary.splitlines()) <= 5
    evening = talk(desk, "jeg vil gerne tale med en medarbejder", municipality="0615",
                   at=TUE_EVENING)[0]
    assert evening.action == "ticket" and evening.handoff.target == "ddh"
    assert "i morgen kl. 8.00" in evening.reply


def test_kommune_topic_transfers_when_open_else_ticket(desk):
    open_ = talk(desk, "hvad er status på min byggesag", municipality="0751")[0]
    assert (open_.action, open_.topic, open_.handoff.target) == ("transfer", "byggeri",
                                                                     "0751")
    closed = talk(desk, "hvad er status på min byggesag", municipality="0751", at=SAT)[0]
    assert closed.action == "ticket" and closed.handoff.target == "0751"
    assert "mandag" in closed.reply


def test_unknown_municipality_is_asked_only_when_needed(desk):
    r = talk(desk, "hvordan bestiller jeg nyt pas")[0]
    assert r.action == "answer" and r.municipality is None
    r = talk(desk, "jeg vil klage over en afgørelse", "8000 Aarhus C")
    assert r[0].action == "clarify" and r[0].topic == "klage"
    assert r[1].action == "transfer" and r[1].municipality == "0751"


def test_ambiguous_postal_code_asks_again(desk):
    r = talk(desk, "jeg vil tale med en medarbejder", "8600", "Skanderborg")
    assert [x.action for x in r] == ["clarify", "clarify", "transfer"]
    assert "Skanderborg" in r[1].reply and "Silkeborg" in r[1].reply
    assert r[2].municipality == "0746"


def test_redirect_and_emergency(desk):
    r = talk(desk, "hvornår kommer min årsopgørelse fra skat")[0]
    assert r.action == "redirect" and r.topic == "skat" and "Skattestyrelsen" in r.reply
    r = talk(desk, "min mand er faldet om og trækker ikke vejret")[0]
    assert r.action == "redirect" and "112" in r.reply


def test_called_number_sets_municipality(desk):
    r = talk(desk, "jeg vil tale med en medarbejder", called_number="+4589402000",
             channel="voice")[0]
    assert r.municipality == "0751" and r.action == "handoff"


def test_greeting_and_gibberish_clarify(desk):
    assert talk(desk, "hej")[0].action == "clarify"
    assert talk(desk, "asdfgh qwerty")[0].action == "clarify"


def test_personal_data_never_reaches_the_store(desk, store):
    r = talk(desk, "mit cpr er 010190-1234 og jeg har mistet mit pas",
             "ring mig på 12 34 56 78", "jeg vil tale med en medarbejder", municipality="0615",
             at=TUE_EVENING)
    assert r[0].topic == "pas"
    conv = store.conversation(r[0].conversation)
    blob = repr(conv)
    assert "010190" not in blob and "12 34 56 78" not in blob and "12345678" not in blob
    assert "[CPR]" in conv["transcript"][0]["text"]
    assert "[CPR]" not in r[0].reply


def test_callback_number_is_kept_apart_for_the_ticket(desk, store):
    r = talk(desk, "jeg vil tale med en medarbejder", "ja ring mig på 12345678",
             municipality="0615", at=TUE_EVENING)
    assert [x.action for x in r] == ["ticket", "ticket"]
    assert r[1].handoff.id == r[0].handoff.id
    assert store.callback_for(r[0].handoff.id) == "12345678"
    assert "12345678" not in repr(store.conversation(r[0].conversation))


def test_english_question_gets_english_framing(desk):
    r = talk(desk, "I lost my health insurance card, how do I get a new one?")[0]
    assert r.action == "answer" and r.topic == "sundhedskort" and r.language == "en"
    assert "Did that help?" in r.reply


def test_bad_input_is_a_clear_error(desk):
    with pytest.raises(ValueError, match="channel"):
        desk.handle(TurnInput("x", "hej", channel="fax"))
    with pytest.raises(ValueError, match="kommunekode"):
        desk.handle(TurnInput("x", "hej", municipality="9999"))


def test_number_given_with_a_callback_request_goes_on_the_new_ticket(desk, store):
    r = talk(desk, "ring mig op på 12345678, jeg vil tale med en medarbejder",
             municipality="0615", at=TUE_EVENING)[0]
    assert r.action == "ticket" and "ringer til dig" in r.reply
    assert store.callback_for(r.handoff.id) == "12345678"


def test_number_without_a_callback_request_is_not_kept(desk, store):
    r = talk(desk, "mit nummer er 12345678, hvordan fornyer jeg mit pas",
             "jeg vil tale med en medarbejder", municipality="0615", at=TUE_EVENING)
    assert r[1].action == "ticket" and "skriv dit telefonnummer" in r[1].reply
    assert store.callback_for(r[1].handoff.id) is None


def test_a_municipality_from_the_channel_is_not_thanked_for(desk):
    """The widget's page (or the number called) names the municipality, not the
    citizen: an unclear first message is asked again, not met with "du bor i …"."""
    (r,) = talk(desk, "qwerty asdf zxcv", municipality="0751")
    assert r.action == "clarify" and "du bor i" not in r.reply
    (r,) = talk(desk, "8000")  # the citizen's own postal code is acknowledged
    assert r.action == "clarify" and "du bor i Aarhus Kommune" in r.reply


@pytest.mark.parametrize(("text", "subject"), [
    ("jeg vil gerne tale med en medarbejder om mit pas", "mit pas"),
    ("hvad er status på min sag? jeg har ikke hørt noget i 5 uger", None),
    ("jeg har ventet tre uger på mit kørekort, kan jeg tale med en person", "kørekort"),
])
def test_the_subject_of_an_escalation_is_not_how_long_they_waited(text, subject):
    from bot.intents import subject_text

    rest = subject_text(text)
    assert not any(w in rest for w in ("uger", " 5 ", "tre "))
    assert subject is None or subject in rest


def test_own_case_after_weeks_goes_to_the_municipality(desk):
    """Frederikshavn's own phone has closed at 13:00 on a Wednesday: a question about
    one's own case (no subject) becomes a ticket to the municipality."""
    at = datetime.fromisoformat("2026-11-25T13:00:00+01:00")
    (r,) = talk(desk, "hvad er status på min sag? jeg har ikke hørt noget i 5 uger",
                municipality="0813", at=at)
    assert (r.action, r.topic, r.handoff.target) == ("ticket", "sagsstatus", "0813")


def test_a_mail_is_never_put_through_and_is_answered_by_mail(desk):
    """The routing for e-mail lives in the frontdesk, not the channel: where a call or
    chat would be transferred, the open municipality gets a ticket; a handoff joins the
    queue without a place to tell; the reply says who answers by mail, and when."""
    open_ = talk(desk, "hvad er status på min byggesag", municipality="0751",
                 channel="email")[0]
    assert (open_.action, open_.handoff.target) == ("ticket", "0751")
    assert "sendt den videre" in open_.reply and "hurtigst muligt" in open_.reply
    assert "Ring på" not in open_.reply and open_.awaiting is None  # no callback asked
    closed = talk(desk, "hvad er status på min byggesag", municipality="0751", at=SAT,
                  channel="email")[0]
    assert closed.action == "ticket" and "når de har åbent igen" in closed.reply
    person = talk(desk, "jeg vil gerne tale med en medarbejder om min MitID",
                  municipality="0615", channel="email")[0]
    assert person.action == "handoff" and "nummer" not in person.reply
    assert "Den Digitale Hotline" in person.reply
