"""The e-mail channel end to end with real servers: the gateway over HTTP and aiosmtpd
for replies. Threads, duplicates, robots, loops, outages, privacy, the dashboard."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gateway.mail_transport import ReplySender, SmtpServer
from store import kpi
from store.email import EmailStore
from tests.mail_servers import (
    AT,
    answer_to,
    citizen_mail,
    email_gateway,
    post,
    replies_to,
    smtp_server,
)


@pytest.fixture(scope="module")
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def gateway(knowledge, tmp_path_factory, smtp):
    with email_gateway(knowledge, tmp_path_factory.mktemp("email"), smtp) as served:
        yield served


# --- the webhook and the reply --------------------------------------------------------


def test_token_is_checked(gateway):
    url, _, _ = gateway
    mail = citizen_mail("Hej", "token@example.dk")
    assert post(url, mail, token=None).status_code == 401
    assert post(url, mail, token="wrong").status_code == 403
    assert post(url, {**mail, "municipality": "9999"}).status_code == 422


def test_reply_is_threaded_and_marked_automatic(gateway, smtp):
    url, store, _ = gateway
    mail = citizen_mail("Hej. Jeg har mistet mit sundhedskort, hvad gør jeg?\n\n"
                        "Med venlig hilsen\nJens Hansen\nVestergade 1, 8000 Aarhus C",
                        "jens@example.dk",
                        references=["<older@mail.example.dk>"],
                        headers={"Authentication-Results": "mx.example; spf=pass "
                                 "smtp.mailfrom=example.dk; dkim=pass header.d=example.dk"})
    r = post(url, mail)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "answered" and body["conversation"]
    (reply,) = replies_to(smtp, "jens@example.dk", 1)
    assert reply["In-Reply-To"] == mail["message_id"]
    assert str(reply["References"]).split() == ["<older@mail.example.dk>", mail["message_id"]]
    assert reply["Subject"] == "Re: Mistet sundhedskort"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["From"] == "kontakt@aarhus.example"  # the address the citizen wrote to
    text = reply.get_content()
    assert "sundhedskort" in text.lower() and "AI" in text and "Aarhus Kommune" in text
    conv = store.conversation(body["conversation"])
    assert conv["channel"] == "email" and conv["municipality"] == "0751"
    assert conv["decisions"][0]["action"] == "answer"
    # only the new part was the turn: the signature (name, address) was not
    assert "Vestergade" not in conv["transcript"][0]["text"]
    rows = EmailStore(store.sessions).messages(body["conversation"])
    inbound = next(r for r in rows if r["direction"] == "in")
    out = next(r for r in rows if r["direction"] == "out")
    assert inbound["auth"] == {"spf": "pass", "dkim": "pass"}
    assert out["message_id"] == reply["Message-ID"] and out["status"] == "sent"
    assert 'ddh_email_replies{status="sent"}' in httpx.get(f"{url}/metrics").text


def test_three_mails_one_thread_one_conversation(gateway, smtp):
    url, store, _ = gateway
    who = "trine@example.dk"
    first = citizen_mail("Jeg har mistet mit sundhedskort", who)
    conversation = post(url, first).json()["conversation"]
    (r1,) = replies_to(smtp, who, 1)
    second = answer_to(r1, "Hvad koster et nyt?\n\nDen tir. 24. nov. 2026 kl. 10.15 skrev "
                       "Aarhus Kommune <kontakt@aarhus.example>:\n> tidligere svar", who)
    assert post(url, second).json()["conversation"] == conversation
    r1, r2 = replies_to(smtp, who, 2)
    third = answer_to(r2, "Tak, det var det", who)
    assert post(url, third).json()["conversation"] == conversation
    replies = replies_to(smtp, who, 3)
    for reply, sent in zip(replies, (first, second, third), strict=True):
        assert reply["In-Reply-To"] == sent["message_id"]
        assert str(reply["References"]).split() == [*sent["references"], sent["message_id"]]
        assert reply["Subject"] == "Re: Mistet sundhedskort"  # never "Re: Re:"
    assert str(replies[2]["References"]).split() == [
        first["message_id"], replies[0]["Message-ID"], second["message_id"],
        replies[1]["Message-ID"], third["message_id"]]
    conv = store.conversation(conversation)
    assert conv["turns"] == 3
    assert "tidligere svar" not in conv["transcript"][2]["text"]  # quotes were cut


def test_follow_up_after_the_conversation_expired_continues_it(gateway, smtp):
    url, store, app = gateway
    who = "later-reply@example.dk"
    first = citizen_mail("Jeg har mistet mit sundhedskort", who, to="borger@ddh.example",
                         municipality="0615")
    conversation = post(url, first).json()["conversation"]
    (r1,) = replies_to(smtp, who, 1)
    assert app.state.frontdesk.close(conversation)  # idle for hours: ended, state freed
    r = post(url, answer_to(r1, "Hvad koster det?", who, to="borger@ddh.example"))
    assert r.json()["conversation"] == conversation
    replies_to(smtp, who, 2)
    conv = store.conversation(conversation)
    assert conv["turns"] == 2 and conv["municipality"] == "0615"


def test_same_message_id_twice_is_one_turn(gateway, smtp):
    url, store, _ = gateway
    mail = citizen_mail("Jeg har mistet mit sundhedskort", "twice@example.dk")
    first, again = post(url, mail).json(), post(url, mail).json()
    assert again["conversation"] == first["conversation"] and again["status"] == "duplicate"
    replies_to(smtp, "twice@example.dk", 1)
    time.sleep(0.5)
    assert len(smtp.inbox.to("twice@example.dk")) == 1
    assert store.conversation(first["conversation"])["turns"] == 1


@pytest.mark.parametrize(("headers", "sender", "reason"), [
    ({"Auto-Submitted": "auto-replied"}, "robot1@example.dk", "auto_submitted"),
    ({"X-Autoreply": "yes"}, "robot2@example.dk", "autoreply"),
    ({"Precedence": "bulk"}, "robot3@example.dk", "precedence"),
    ({"Precedence": "list"}, "robot4@example.dk", "precedence"),
    ({}, "MAILER-DAEMON@mx.example.dk", "bounce"),
    ({}, "postmaster@example.dk", "bounce"),
    ({"Return-Path": "<>"}, "robot5@example.dk", "bounce"),
    ({"List-Id": "<nyheder.example.dk>"}, "robot6@example.dk", "list"),
])
def test_robots_are_recorded_never_answered(gateway, smtp, headers, sender, reason):
    url, store, _ = gateway
    r = post(url, citizen_mail("Jeg har mistet mit sundhedskort", sender, headers=headers))
    assert r.status_code == 202 and r.json()["status"] == "ignored"
    assert r.json()["reason"] == reason
    rows = EmailStore(store.sessions).messages(r.json()["conversation"])
    assert [(x["direction"], x["status"], x["reason"]) for x in rows] == [
        ("in", "ignored", reason)]
    time.sleep(0.3)
    assert smtp.inbox.to(sender.lower()) == []
    assert store.conversation(r.json()["conversation"]) is None  # no turn was taken


def test_auto_submitted_no_is_a_person(gateway, smtp):
    url, _, _ = gateway
    r = post(url, citizen_mail("Jeg har mistet mit sundhedskort", "human@example.dk",
                               headers={"Auto-Submitted": "no"}))
    assert r.json()["status"] == "answered"
    replies_to(smtp, "human@example.dk", 1)


def test_auto_reply_answering_our_reply_stops_after_one(gateway, smtp):
    """Our reply reaches an out-of-office robot, which answers it; its answer is never
    answered: one reply in all."""
    url, _, _ = gateway
    robot = "ferie@example.dk"
    post(url, citizen_mail("Jeg har mistet mit sundhedskort", robot))
    for _ in range(3):  # the robot answers every mail it gets
        for reply in smtp.inbox.to(robot):
            auto = answer_to(reply, "Jeg er på ferie til mandag.", robot,
                             headers={"Auto-Submitted": "auto-replied"})
            auto["message_id"] = f"<auto-{reply['Message-ID'].strip('<>')}>"
            assert post(url, auto).json()["status"] in ("ignored", "duplicate")
        time.sleep(0.3)
    assert len(smtp.inbox.to(robot)) == 1


def test_loop_guard_stops_a_robot_without_headers(gateway, smtp):
    """A responder that marks nothing: at most `email_max_replies_per_hour` replies."""
    url, store, _ = gateway
    robot = "dumb-robot@example.dk"
    post(url, citizen_mail("Jeg har mistet mit sundhedskort", robot))
    answered = set()
    for _ in range(6):
        for reply in replies_to(smtp, robot, 1):
            if reply["Message-ID"] in answered:
                continue
            answered.add(reply["Message-ID"])
            post(url, answer_to(reply, "Vi har modtaget din henvendelse.", robot))
        time.sleep(0.3)
    assert len(smtp.inbox.to(robot)) == 3
    reasons = [r["reason"] for r in EmailStore(store.sessions).messages()
               if r["direction"] == "in" and r["reason"] == "loop_guard"]
    assert reasons


def test_cpr_number_is_never_stored_nor_sent(gateway, smtp):
    url, store, _ = gateway
    who = "cpr@example.dk"
    r = post(url, citizen_mail("Jeg har mistet mit sundhedskort. Mit cpr er 010203-1234.",
                               who, subject="Sundhedskort 010203-1234"))
    conversation = r.json()["conversation"]
    (reply,) = replies_to(smtp, who, 1)
    assert "1234" not in reply.as_string() and "010203" not in reply.as_string()
    conv = store.conversation(conversation)
    assert "010203" not in str(conv) and "1234" not in str(conv)
    rows = EmailStore(store.sessions).messages(conversation)
    assert "010203" not in str(rows) and "1234" not in str(rows)


def test_attachments_are_named_in_the_ticket_never_kept(gateway, smtp):
    url, store, _ = gateway
    r = post(url, citizen_mail(
        "Jeg vil klage over afgørelsen i min sag og vil tale med en medarbejder.",
        "klage@example.dk", subject="Klage",
        attachments=[{"name": "afgoerelse.pdf", "size": 12345,
                      "content_type": "application/pdf"}]))
    body = r.json()
    (reply,) = replies_to(smtp, "klage@example.dk", 1)
    conv = store.conversation(body["conversation"])
    assert conv["handoffs"], conv["decisions"]
    assert "sendt den videre" in reply.get_content()
    named = [h["packet"].get("attachments") for h in conv["handoffs"]]
    assert [{"name": "afgoerelse.pdf", "size": 12345, "content_type": "application/pdf"}] \
        in named


def test_transfer_becomes_one_ticket_answered_to_reply_to(gateway, smtp):
    """A mail cannot be put through: the municipality gets a ticket (once, however
    often the mail comes), with the citizen's address to answer; the citizen's
    `Reply-To` is where our reply goes."""
    url, store, _ = gateway
    mail = citizen_mail("Hvornår bliver min sag om byggetilladelse færdig?",
                        "sag@example.dk", subject="Byggesag",
                        headers={"Reply-To": "Familien <familie@example.dk>"})
    first = post(url, mail).json()
    assert first["action"] == "ticket", first  # the frontdesk: a mail is not put through
    assert post(url, mail).json()["status"] == "duplicate"
    (reply,) = replies_to(smtp, "familie@example.dk", 1)
    assert "Aarhus Kommune" in reply.get_content() and "sendt den videre" in \
        reply.get_content()
    tickets = [t for t in store.tickets() if t["conversation"] == first["conversation"]]
    assert len(tickets) == 1 and tickets[0]["target"] == "0751"
    assert EmailStore(store.sessions).reply_address(first["conversation"]) == \
        "familie@example.dk"
    # a municipality that takes tickets by e-mail answers the citizen with one click
    from dataclasses import replace

    from handoff.tickets import SmtpConfig, TicketOutbox
    from store.records import HandoffPacket

    conv = store.conversation(first["conversation"])
    packet = HandoffPacket.from_json(next(h for h in conv["handoffs"]
                                          if h["kind"] == "ticket"))
    store.add_ticket(first["conversation"], replace(packet, id=uuid.uuid4().hex),
                     [("email", "sager@aarhus.example")], None, datetime.now(UTC))
    TicketOutbox(store, smtp=SmtpConfig("127.0.0.1", smtp.port)).deliver_due()
    (ticket_mail,) = replies_to(smtp, "sager@aarhus.example", 1)
    assert ticket_mail["Reply-To"] == "familie@example.dk"
    assert "Svar borgeren på e-mail: familie@example.dk" in ticket_mail.get_content()


def test_agent_takes_over_and_answers_by_mail(gateway, smtp):
    """After a handoff the thread is the agent's: the citizen's next mail goes to them
    (no bot reply), and the agent's message leaves by mail in the same thread."""
    url, store, _ = gateway
    who = "agent-thread@example.dk"
    first = post(url, citizen_mail("Jeg kan ikke logge ind med MitID og vil gerne tale "
                                   "med en medarbejder.", who, subject="Min sag")).json()
    (r1,) = replies_to(smtp, who, 1)
    conv = store.conversation(first["conversation"])
    (handoff,) = [h for h in conv["handoffs"] if h["kind"] == "handoff"]
    assert "Den Digitale Hotline" in r1.get_content()  # passed on, said by mail
    store.take_handoff(handoff["id"], "agent1", 12.0)
    follow = answer_to(r1, "Jeg har også et spørgsmål om betalingen.", who)
    r = post(url, follow).json()
    assert r["status"] == "to_agent" and r["conversation"] == first["conversation"]
    time.sleep(0.5)
    assert len(smtp.inbox.to(who)) == 1  # the bot did not answer
    lines = store.conversation(first["conversation"])["transcript"]
    assert lines[-1]["role"] == "citizen" and "betalingen" in lines[-1]["text"]
    assert EmailStore(store.sessions).reply_in_thread(
        first["conversation"], "Hej, jeg ser på det nu.\n\nMed venlig hilsen\nAnne")
    _, agent_reply = replies_to(smtp, who, 2)
    assert agent_reply["In-Reply-To"] == follow["message_id"]
    assert str(agent_reply["References"]).split()[-1] == follow["message_id"]
    assert agent_reply["Subject"] == "Re: Min sag"
    assert "jeg ser på det nu" in agent_reply.get_content()


def test_dashboard_counts_email(gateway):
    url, store, _ = gateway
    from store import rollup

    assert post(url, citizen_mail("Jeg har mistet mit sundhedskort", "kpi@example.dk")
                ).json()["status"] == "answered"
    rollup.refresh(store)
    f = kpi.Filters(AT - timedelta(days=1), AT + timedelta(days=1), None, "email")
    assert kpi.dashboard(store, f)["headline"]["contacts"] >= 1
    channels = {row["channel"] for row in kpi.breakdown(store, kpi.Filters(
        AT - timedelta(days=1), AT + timedelta(days=1)), "channel")}
    assert "email" in channels
    # and over HTTP, as the dashboard asks (the channel filter knows "email")
    from handoff.accounts import Accounts

    Accounts(store).add("leder-email", "Leder", "admin", password="email-dashboard-1")
    with httpx.Client(base_url=url) as client:
        client.post("/api/agent/login", json={"username": "leder-email",
                                              "password": "email-dashboard-1"}
                    ).raise_for_status()
        day = AT.date().isoformat()
        figures = client.get("/api/admin/figures", params={
            "channel": "email", "start": day, "end": day})
        assert figures.status_code == 200, figures.text
        assert figures.json()["headline"]["contacts"] >= 1
        page = client.get("/admin", params={"channel": "email", "start": day, "end": day})
        assert page.status_code == 200 and 'value="email" selected' in page.text


# --- SMTP down ------------------------------------------------------------------------


def test_smtp_down_reply_is_kept_and_retried(gateway, smtp):
    url, store, _ = gateway
    smtp.stop()
    try:
        r = post(url, citizen_mail("Jeg har mistet mit sundhedskort", "down@example.dk"))
        assert r.json()["status"] == "answered"
        mails_store = EmailStore(store.sessions)
        deadline = time.monotonic() + 10
        while True:
            out = [m for m in mails_store.messages(r.json()["conversation"])
                   if m["direction"] == "out"]
            if out and out[0]["attempts"] >= 1:
                break
            assert time.monotonic() < deadline, out
            time.sleep(0.1)
        assert out[0]["status"] == "pending" and out[0]["last_error"]
    finally:
        smtp.start()
    (reply,) = replies_to(smtp, "down@example.dk", 1, timeout=30)
    assert reply["In-Reply-To"]


def test_smtp_try_later_is_retried(gateway, smtp):
    """451 "try again later": the reply stays pending with the error, and is sent once
    the server takes mail again — once."""
    _, store, _ = gateway
    rows = EmailStore(store.sessions)
    sender = ReplySender(rows, SmtpServer("127.0.0.1", smtp.port), retry_s=0.01)
    smtp.inbox.refuse = 10**6  # every attempt refused for now
    try:
        key = uuid.uuid4().hex
        rows.answer(key, message_id=f"<{key}@ddh.example>", sender="svar@ddh.example",
                    to="later@example.dk", subject="Re: x", in_reply_to="<a@b>",
                    references=["<a@b>"], body="Svar", conversation=None,
                    municipality=None)
        deadline = time.monotonic() + 10
        while True:  # (the gateway's own sender may try it too: either way, it waits)
            sender.deliver_due()
            (row,) = [m for m in rows.messages() if m["id"] == f"out:{key}"]
            if row["attempts"] >= 2:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert row["status"] == "pending" and "451" in row["last_error"]
    finally:
        smtp.inbox.refuse = 0
    deadline = time.monotonic() + 10
    while not smtp.inbox.to("later@example.dk"):
        sender.deliver_due()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    assert len(smtp.inbox.to("later@example.dk")) == 1


def test_smtp_refusal_for_good_is_not_retried(gateway, smtp):
    _, store, _ = gateway
    rows = EmailStore(store.sessions)
    sender = ReplySender(rows, SmtpServer("127.0.0.1", smtp.port), retry_s=0.01)
    smtp.inbox.refuse, smtp.inbox.code = 10**6, "550 5.1.1 No such user"
    try:
        key = uuid.uuid4().hex
        rows.answer(key, message_id=f"<{key}@ddh.example>", sender="svar@ddh.example",
                    to="nobody@example.dk", subject="Re: x", in_reply_to="<a@b>",
                    references=["<a@b>"], body="Svar", conversation=None,
                    municipality=None)
        deadline = time.monotonic() + 10
        while True:
            sender.deliver_due()
            (row,) = [m for m in rows.messages() if m["id"] == f"out:{key}"]
            if row["status"] != "pending":
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert row["status"] == "failed" and row["attempts"] == 1 and "550" in row["last_error"]
    finally:
        smtp.inbox.refuse, smtp.inbox.code = 0, "451 4.3.0 Try again later"
