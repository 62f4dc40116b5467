"""IMAP in: a real Dovecot (a throwaway instance, tests/mail_servers.py) polled by the
e-mail channel, mails marked seen only once recorded, and the gateway polling by itself."""

from __future__ import annotations

import imaplib
import uuid
from email.message import EmailMessage

import pytest
from pydantic import SecretStr

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from gateway.mail_transport import ImapConfig, ImapPoller
from store.email import EmailStore
from tests.mail_servers import AT, dovecot_server, email_gateway, replies_to, smtp_server
from tests.servers import serve_app


@pytest.fixture(scope="module")
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def gateway(knowledge, tmp_path_factory, smtp):
    with email_gateway(knowledge, tmp_path_factory.mktemp("email-imap"), smtp) as served:
        yield served


def _raw(sender: str, text: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Borger <{sender}>"
    msg["To"] = "kontakt@horsens.example"
    msg["Subject"] = "Pas"
    msg["Message-ID"] = message_id
    msg["Received-SPF"] = "pass (mx.example: domain of example.dk designates 192.0.2.1)"
    msg.set_content(text)
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                       filename="pas.pdf")
    return msg.as_bytes()


def test_imap_mail_is_taken_and_marked_seen_only_after_recording(gateway, smtp):
    _, store, app = gateway
    with dovecot_server() as imap:
        config = ImapConfig("127.0.0.1", imap.port, imap.user, imap.password, tls="none")
        message_id = f"<{uuid.uuid4().hex}@mail.example.dk>"
        imap.deliver(_raw("imap@example.dk", "Jeg har mistet mit sundhedskort", message_id))

        def unseen() -> list[bytes]:
            c = imaplib.IMAP4("127.0.0.1", imap.port)
            c.login(imap.user, imap.password)
            c.select("INBOX")
            found = c.uid("SEARCH", "UNSEEN")[1][0].split()
            c.logout()
            return found

        def broken(mail):  # the store is down, say: nothing recorded
            raise RuntimeError("store unavailable")

        assert ImapPoller(config, broken).poll() == {"error": 1}
        assert len(unseen()) == 1  # still there for the next poll
        assert ImapPoller(config, app.state.email.receive).poll() == {"answered": 1}
        assert unseen() == []
        # a second delivery of the same mail (a redelivery) is no second turn
        imap.deliver(_raw("imap@example.dk", "Jeg har mistet mit sundhedskort", message_id))
        assert ImapPoller(config, app.state.email.receive).poll() == {"duplicate": 1}
    rows = [r for r in EmailStore(store.sessions).messages() if r["message_id"] == message_id]
    (row,) = rows
    assert row["municipality"] == "0615" and row["auth"] == {"spf": "pass"}
    assert row["attachments"] == [{"name": "pas.pdf", "size": 13,
                                   "content_type": "application/pdf"}]
    assert store.conversation(row["conversation_id"])["turns"] == 1
    (reply,) = replies_to(smtp, "imap@example.dk", 1)
    assert reply["In-Reply-To"] == message_id


def test_gateway_polls_imap_in_the_background(gateway, knowledge, smtp):
    """`DDH_IMAP_*` set: a second gateway process polls Dovecot by itself and answers."""
    _, store, _ = gateway
    with dovecot_server() as imap:
        settings = knowledge.settings.model_copy(update={
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "email_poll_s": 0.2,
            "email_addresses": {"@horsens.example": "0615"},
            "imap_host": "127.0.0.1", "imap_port": imap.port, "imap_user": imap.user,
            "imap_password": SecretStr(imap.password), "imap_tls": "none",
            "imap_interval_s": 0.3})
        message_id = f"<{uuid.uuid4().hex}@mail.example.dk>"
        imap.deliver(_raw("poller@example.dk", "Jeg har mistet mit sundhedskort", message_id))
        with serve_app(create_app(settings, frontdesk=Frontdesk(knowledge, store),
                                  clock=lambda: AT)):
            (reply,) = replies_to(smtp, "poller@example.dk", 1, timeout=30)
    assert reply["In-Reply-To"] == message_id
    assert reply["From"] == settings.smtp_from  # not one of the configured addresses
