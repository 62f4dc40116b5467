"""Tickets reach the municipality exactly once: a real SMTP server (aiosmtpd) and a real
HTTP receiver that each fail twice before accepting."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.frontdesk import Frontdesk, TurnInput
from ddh.vocabulary import Action, HandoffReason
from handoff.tickets import SmtpConfig, TicketOutbox, signature
from store.outcomes import OutcomeStore, database_url
from store.records import HandoffPacket, TranscriptLine, TurnRecord
from tests.servers import free_port

SECRET = "s3cret"


class FlakySmtp:
    """Answers 451 (try again later) to the first `fail` messages, then accepts."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.accepted: list[bytes] = []
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.attempts <= self.fail:
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope.content)
        return "250 OK"


@contextlib.contextmanager
def smtp_server(fail: int):
    handler = FlakySmtp(fail)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


@contextlib.contextmanager
def webhook_receiver(fail: int):
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = len(seen) >= fail
            seen.append({"headers": dict(self.headers), "body": body, "accepted": ok})
            self.send_response(200 if ok else 500)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tickets", seen
    finally:
        server.shutdown()
        server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def store(tmp_path):
    s = OutcomeStore(database_url(None, tmp_path), ticket_grace_s=0)
    yield s
    s.close()


def record_ticket(store: OutcomeStore, deliveries: list[tuple[str, str]]) -> str:
    at = datetime.now(UTC)
    handoff = HandoffPacket(
        id="T1", kind=Action.TICKET, target="0615", topic="koerekort", municipality="0615",
        reason="wants_person: closed", summary="Borgeren vil forny sit kørekort.",
        channel="chat", created_at=at, reason_kind=HandoffReason.WANTS_PERSON,
        transcript=(TranscriptLine("citizen", "ring til mig på [TELEFON]"),))
    store.record(TurnRecord(
        conversation_id="c1", channel="chat", seq=1, at=at, citizen_text="ring til mig",
        bot_text="Vi ringer dig op.", language="da", action="ticket", topic="koerekort",
        municipality="0615", municipality_source="widget", reason="closed", target="0615",
        handoff=handoff, callback_phone="28123456", deliveries=deliveries))
    return handoff.id


def drain(outbox: TicketOutbox, clock: Clock, rounds: int = 6) -> list[dict[str, int]]:
    out = []
    for _ in range(rounds):
        out.append(outbox.deliver_due())
        clock.advance(3600)
    return out


def test_email_is_delivered_exactly_once_after_two_failures(store):
    clock = Clock()
    with smtp_server(fail=2) as (port, smtp):
        record_ticket(store, [("email", "borgerservice@horsens.example")])
        outbox = TicketOutbox(store, smtp=SmtpConfig("127.0.0.1", port), clock=clock)
        rounds = drain(outbox, clock)
    assert [r["retry"] for r in rounds[:2]] == [1, 1] and rounds[2]["sent"] == 1
    assert sum(r["sent"] for r in rounds) == 1 and smtp.attempts == 3
    (mail,) = [message_from_bytes(m) for m in smtp.accepted]
    assert mail["To"] == "borgerservice@horsens.example"
    assert mail["Message-ID"] == "<T1.email@ddh-frontdesk>"
    assert mail["X-DDH-Idempotency-Key"] == "T1:email"
    body = mail.get_payload()
    assert "Ring tilbage til: 28123456" in body and "kørekort" in body
    assert "Årsag: Bad om en medarbejder" in body  # why the citizen needed a person
    (row,) = outbox.deliveries()
    assert (row["status"], row["attempts"]) == ("sent", 3)


def test_webhook_is_signed_and_delivered_exactly_once(store):
    clock = Clock()
    with webhook_receiver(fail=2) as (url, seen):
        record_ticket(store, [("webhook", url)])
        outbox = TicketOutbox(store, webhook_secret=SECRET, clock=clock)
        drain(outbox, clock)
    assert len(seen) == 3 and [s["accepted"] for s in seen] == [False, False, True]
    keys = {s["headers"]["Idempotency-Key"] for s in seen}
    assert keys == {"T1:webhook"}  # the same key on every attempt
    last = seen[-1]
    expected = signature(SECRET, last["headers"]["X-DDH-Timestamp"], last["body"])
    assert last["headers"]["X-DDH-Signature"] == expected
    payload = json.loads(last["body"])
    assert payload["ticket"]["id"] == "T1" and payload["callback_phone"] == "28123456"
    assert payload["ticket"]["reason_kind"] == "wants_person"
    assert payload["ticket"]["packet"]["reason_kind"] == "wants_person"


def test_unreachable_receiver_fails_visibly_after_max_attempts(store):
    clock = Clock()
    record_ticket(store, [("webhook", f"http://127.0.0.1:{free_port()}/nobody")])
    outbox = TicketOutbox(store, clock=clock, max_attempts=3)
    drain(outbox, clock, rounds=5)
    (row,) = outbox.deliveries("failed")
    assert row["attempts"] == 3 and row["last_error"]


def test_two_workers_never_send_the_same_row(store):
    clock = Clock()
    with webhook_receiver(fail=0) as (url, seen):
        record_ticket(store, [("webhook", url)])
        a = TicketOutbox(store, clock=clock)
        b = TicketOutbox(store, clock=clock)
        results = []
        threads = [threading.Thread(target=lambda o=o: results.append(o.deliver_due()))
                   for o in (a, b, a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(seen) == 1 and sum(r["sent"] for r in results) == 1


def test_frontdesk_ticket_lands_in_the_outbox_with_the_callback_number(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path), ticket_grace_s=0)
    desk = Frontdesk(knowledge, store)
    at = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))  # Saturday
    result = desk.handle(TurnInput(
        "c9", "ring til mig på 28 12 34 56, jeg vil gerne tale med en om fornyelse af mit "
        "kørekort", municipality="0615", at=at))
    assert result.action == "ticket"
    outbox = TicketOutbox(store, outbox_dir=tmp_path / "outbox")
    assert outbox.deliver_due()["sent"] == 1
    line = json.loads((tmp_path / "outbox" / "tickets.jsonl").read_text().splitlines()[0])
    assert line["ticket"]["target"] == "0615" and line["callback_phone"].endswith("28123456")
    assert "28 12 34 56" not in json.dumps(line["ticket"])  # only in the callback field
    store.close()


ASK_PERSON = ["kan jeg tale med en medarbejder", "jeg vil gerne tale med et menneske",
              "giv mig en rigtig person", "kan jeg få fat i en sagsbehandler"]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ASK_PERSON), min_size=2, max_size=4),
       st.sampled_from(["0615", "0751", "0101"]))
def test_asking_again_for_a_person_after_hours_opens_no_second_case(knowledge, tmp_path,
                                                                     asks, municipality):
    """After hours each request for a person becomes a ticket: asked again for the same
    need in the same conversation, the citizen is told it has been sent, and the
    municipality gets one case, not one per request. A new need gets its own."""
    store = OutcomeStore(database_url(None, tmp_path / uuid.uuid4().hex))
    desk = Frontdesk(knowledge, store)
    at = datetime(2026, 11, 28, 23, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))  # Saturday
    cid = uuid.uuid4().hex
    first = desk.handle(TurnInput(cid, f"{asks[0]} om mit pas", municipality=municipality,
                                  at=at))
    assert first.action == Action.TICKET
    for ask in asks[1:]:
        again = desk.handle(TurnInput(cid, ask, municipality=municipality, at=at))
        assert again.action == Action.TICKET
        assert again.reply.startswith("Din henvendelse er allerede sendt videre")
    assert [h["kind"] for h in store.conversation(cid)["handoffs"]] == ["ticket"]
    other = desk.handle(TurnInput(cid, "jeg vil gerne tale med en om mit kørekort",
                                  municipality=municipality, at=at))
    assert other.action == Action.TICKET and "allerede" not in other.reply
    assert len(store.conversation(cid)["handoffs"]) == 2
    store.close()
