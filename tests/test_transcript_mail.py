"""The citizen's copy of a chat by e-mail (issue 20: "a transcript by e-mail on
request"), end to end: a real gateway on a socket, a real chat over WebSocket, the
request over HTTP, and the mail received by a real SMTP server (aiosmtpd). The copy
is the redacted conversation; asking twice sends one mail; the number of copies is
bounded; deleting the conversation takes the address and the text out of the outbox."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy import select

from store.models import EmailMessage
from tests.chat_client import ask
from tests.mail_servers import email_gateway, replies_to, smtp_server

CPR = "010190-1234"


def _open(url: str, municipality: str = "0751") -> str:
    r = httpx.post(f"{url}/api/chat/conversations", json={"municipality": municipality},
                   timeout=30)
    assert r.status_code == 201
    return r.json()["id"]


def _copy(url: str, cid: str, address: str) -> httpx.Response:
    return httpx.post(f"{url}/api/chat/conversations/{cid}/transcript",
                      json={"email": address}, timeout=30)


def test_the_conversation_by_mail_is_redacted_and_sent_once(knowledge, tmp_path):
    with smtp_server() as smtp, email_gateway(knowledge, tmp_path, smtp) as (url, _, _):
        avail = httpx.get(f"{url}/api/chat/availability?municipality=0751", timeout=30)
        assert avail.json()["transcript_email"] is True
        cid = _open(url)
        reply = asyncio.run(ask(url, cid, "m1", f"jeg har mistet mit sundhedskort, "
                                                f"mit cpr er {CPR}"))
        assert reply["type"] == "message" and reply["role"] == "bot"

        first = _copy(url, cid, "borger@example.dk")
        assert first.status_code == 202 and first.json()["status"] == "queued"
        again = _copy(url, cid, "borger@example.dk")  # a double click
        assert again.status_code == 202 and again.json()["status"] == "duplicate"

        (mail,) = replies_to(smtp, "borger@example.dk", 1)
        body = mail.get_content()
        assert "Du: jeg har mistet mit sundhedskort" in body
        assert "Digital assistent:" in body and "Aarhus Kommune" in body, body
        assert CPR not in body and "0101901234" not in body
        time.sleep(0.6)  # the outbox runs every 0.2 s: a second mail would be here now
        assert len(smtp.inbox.to("borger@example.dk")) == 1


def test_bad_requests_get_a_clear_answer(knowledge, tmp_path):
    with smtp_server() as smtp, email_gateway(knowledge, tmp_path, smtp) as (url, _, _):
        cid = _open(url)
        asyncio.run(ask(url, cid, "m1", "hvordan fornyer jeg mit pas"))
        for bad in ("borger", "borger@", "@example.dk", "borger@example", "a b@example.dk"):
            r = _copy(url, cid, bad)
            assert r.status_code == 422, bad
        assert _copy(url, "f" * 32, "borger@example.dk").status_code == 404
        # three copies (to three addresses), then no more
        for n in range(3):
            assert _copy(url, cid, f"borger{n}@example.dk").status_code == 202
        r = _copy(url, cid, "borger9@example.dk")
        assert r.status_code == 429 and "allerede sendt" in r.json()["detail"]


def test_without_mail_the_page_is_told_and_nothing_is_queued(knowledge, tmp_path):
    with smtp_server() as smtp, email_gateway(knowledge, tmp_path, smtp,
                                              smtp_host=None) as (url, store, _):
        avail = httpx.get(f"{url}/api/chat/availability", timeout=30)
        assert avail.json()["transcript_email"] is False
        cid = _open(url)
        asyncio.run(ask(url, cid, "m1", "hvordan fornyer jeg mit pas"))
        assert _copy(url, cid, "borger@example.dk").status_code == 503
        with store.sessions() as s:
            assert s.scalars(select(EmailMessage)).all() == []


def test_deleting_the_conversation_takes_the_address_out_of_the_outbox(knowledge, tmp_path):
    """The SMTP server is down when the copy is asked for; the citizen then deletes the
    conversation ("Slet min samtale"): the queued copy loses its address and text."""
    import json

    import websockets

    with smtp_server() as smtp, email_gateway(knowledge, tmp_path, smtp) as (url, store, _):
        smtp.stop()
        cid = _open(url)
        asyncio.run(ask(url, cid, "m1", "hvordan fornyer jeg mit pas"))
        assert _copy(url, cid, "borger@example.dk").status_code == 202

        async def forget() -> None:
            ws = url.replace("http://", "ws://") + f"/api/chat/ws/{cid}"
            async with websockets.connect(ws) as sock:
                await sock.send(json.dumps({"type": "forget"}))
                while json.loads(await asyncio.wait_for(sock.recv(), 20))["type"] != \
                        "forgotten":
                    pass

        asyncio.run(forget())
        with store.sessions() as s:
            (row,) = s.scalars(select(EmailMessage).where(
                EmailMessage.conversation_id == cid)).all()
            assert row.address is None and row.body is None
