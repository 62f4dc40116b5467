"""Reading e-mails (ddh/mail.py) and forgetting them (store/email.py), no servers:
the new part of a mail, reply subjects, robots, HTML, ids, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ddh import mail as mails
from store.email import EmailStore
from store.outcomes import OutcomeStore, database_url


def test_new_text_cuts_quotes_and_signatures():
    outlook = ("Det hjalp ikke.\n\nMvh\nJens\nTlf 12 34 56 78\n\n"
               "Fra: Aarhus Kommune <kontakt@aarhus.example>\nSendt: 24. november 2026\n"
               "Til: Jens\nEmne: Re: Pas\n\nTidligere svar")
    assert mails.new_text(outlook) == "Det hjalp ikke."
    gmail = ("Ja tak\n\nDen tir. 24. nov. 2026 kl. 10.15 skrev Aarhus Kommune <\n"
             "kontakt@aarhus.example>:\n> Fik du svar?\n")
    assert mails.new_text(gmail) == "Ja tak"
    assert mails.new_text("Hej\n-- \nJens Hansen\n") == "Hej"
    assert mails.new_text("Hvornår åbner I?\n\nSendt fra min iPhone") == "Hvornår åbner I?"
    assert mails.new_text("> citat\nmit svar\n> mere citat") == "mit svar"


def test_reply_subject_and_robot_rules():
    assert mails.reply_subject("Re: SV: Re: Pas") == "Re: Pas"
    assert mails.reply_subject("") == "Re: Din henvendelse"
    base = mails.from_json({"message_id": "x@y", "from": "a@b.dk", "to": "c@d.dk",
                            "subject": "Pas", "text": "hej"})
    assert base.message_id == "<x@y>" and mails.robot_reason(base) is None
    assert mails.robot_reason(mails.from_json({
        "message_id": "<1@y>", "from": "a@b.dk", "to": "c@d.dk", "subject": "Pas",
        "headers": [{"name": "X-Auto-Response-Suppress", "value": "All"}]})) \
        == "auto_response_suppress"
    assert mails.robot_reason(mails.from_json({
        "message_id": "<2@y>", "from": "a@b.dk", "to": "c@d.dk",
        "subject": "Automatisk svar: Pas"})) == "auto_subject"
    assert mails.robot_reason(base, own={"a@b.dk"}) == "own"
    replied = mails.from_json({"message_id": "<3@y>", "from": "a@b.dk", "to": "c@d.dk",
                               "headers": {"Reply-To": "Svar <svar@b.dk>"}})
    assert replied.reply_to == "svar@b.dk" and base.reply_to == "a@b.dk"


def test_html_mail_is_read_without_its_quoted_thread():
    html = ("<div>Jeg har mistet mit <b>pas</b>.</div><div class=gmail_quote>"
            "<blockquote>gammelt svar</blockquote></div>")
    assert mails.html_to_text(html) == "Jeg har mistet mit pas."


def test_synthetic_id_is_stable():
    raw = b"From: a@b.dk\r\nSubject: x\r\n\r\nhej\r\n"
    assert mails.from_bytes(raw).message_id == mails.from_bytes(raw).message_id


def test_reply_for_old_mail_forgotten(tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    try:
        rows = EmailStore(store.sessions)
        rows.answer("k", message_id="<k@x>", sender="s@x", to="c@x", subject="Re: a",
                    in_reply_to="<a@x>", references=["<a@x>"], body="b", conversation=None,
                    municipality=None)
        rows.sent("out:k")
        assert rows.forget_before(datetime.now(UTC) + timedelta(seconds=1)) == 1
        (row,) = rows.messages()
        assert row["address"] is None and row["body"] is None
        assert row["message_id"] == "<k@x>"  # the thread index stays
    finally:
        store.close()
