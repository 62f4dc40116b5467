"""The e-mail channel's wire: replies out over SMTP, citizens' mails in over IMAP.

Replies are sent from the store's outbox (store/email.py), never straight from a
turn: an SMTP server that is down or says "try later" (4xx) only delays a reply, which
is retried with back-off; a permanent refusal (5xx) or `DDH_EMAIL_MAX_ATTEMPTS`
failures mark it failed. Every reply carries `Auto-Submitted: auto-replied` (RFC 3834)
and `X-Auto-Response-Suppress: All`, so that other robots do not answer it.

IMAP polling fetches unseen mails without setting \\Seen (`BODY.PEEK[]`), hands each to
the channel, and marks it seen only after the channel has recorded it: a crash, a
store that is down or a failed turn leaves it unseen, and the next poll takes it
again (the channel's Message-ID claim makes that one turn, not two).
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ddh import mail as mails
from ddh.logging import get_logger
from ddh.settings import Settings
from gateway.mail_channel import EmailChannel, Received
from store.email import EmailStore, Outgoing

log = get_logger(__name__)


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer | None:
        if not settings.smtp_host:
            return None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password \
            else None
        return cls(settings.smtp_host, settings.smtp_port, settings.smtp_user, password,
                   settings.smtp_starttls)


def reply_message(out: Outgoing, now: datetime) -> EmailMessage:
    """The reply as it goes on the wire: threaded and marked automatic."""
    msg = EmailMessage()
    msg["From"] = out.sender
    msg["To"] = out.to
    msg["Subject"] = out.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = out.message_id
    if out.in_reply_to:
        msg["In-Reply-To"] = out.in_reply_to
    if out.references:
        msg["References"] = " ".join(out.references)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(out.body)
    return msg


class ReplySender:
    """Sends the outbox of replies (any process may: a reply is leased first)."""

    def __init__(self, store: EmailStore, smtp: SmtpServer | None, *, retry_s: float = 30.0,
                 max_attempts: int = 10,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.smtp = smtp
        self.retry_s = retry_s
        self.max_attempts = max_attempts
        self.clock = clock

    def deliver_due(self, limit: int = 50) -> dict[str, int]:
        """Send what is due; counts of sent, retried and failed replies."""
        counts = {"sent": 0, "retry": 0, "failed": 0}
        if self.smtp is None:
            return counts  # kept until an SMTP server is configured
        for row_id in self.store.due(limit):
            out = self.store.lease(row_id)
            if out is not None:
                counts[self._send(out)] += 1
        return counts

    def _send(self, out: Outgoing) -> str:
        assert self.smtp is not None
        try:
            with smtplib.SMTP(self.smtp.host, self.smtp.port,
                              timeout=self.smtp.timeout_s) as smtp:
                if self.smtp.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.smtp.user:
                    smtp.login(self.smtp.user, self.smtp.password or "")
                smtp.send_message(reply_message(out, self.clock()))
        except (OSError, smtplib.SMTPException) as exc:
            code = getattr(exc, "smtp_code", 0) or 0
            if isinstance(exc, smtplib.SMTPRecipientsRefused):
                codes = [c for c, _ in exc.recipients.values()]
                code = min(codes) if codes else 0
            attempts = out.attempts + 1
            final = code >= 500 or attempts >= self.max_attempts
            self.store.failed(out.id, f"{type(exc).__name__}: {exc}",
                              None if final else self.retry_s * 2 ** (attempts - 1))
            log.warning("email.send_failed", reply=out.id, attempts=attempts, code=code,
                        final=final, error=str(exc)[:200])
            return "failed" if final else "retry"
        self.store.sent(out.id)
        log.info("email.sent", reply=out.id)
        return "sent"


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    tls: str = "ssl"  # ssl | starttls | none
    timeout_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapConfig | None:
        if not settings.imap_host:
            return None
        password = settings.imap_password.get_secret_value() if settings.imap_password \
            else ""
        return cls(settings.imap_host, settings.imap_port, settings.imap_user or "",
                   password, settings.imap_folder, settings.imap_tls)


class ImapPoller:
    """Takes unseen mails from one IMAP folder into the channel."""

    def __init__(self, config: ImapConfig, receive: Callable[[mails.InboundMail], Received]):
        self.config = config
        self.receive = receive

    def _connect(self) -> imaplib.IMAP4:
        c = self.config
        if c.tls == "ssl":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(c.host, c.port, timeout=c.timeout_s,
                                                    ssl_context=ssl.create_default_context())
        else:
            imap = imaplib.IMAP4(c.host, c.port, timeout=c.timeout_s)
            if c.tls == "starttls":
                imap.starttls(ssl.create_default_context())
        imap.login(c.user, c.password)
        return imap

    def poll(self) -> dict[str, int]:
        """One round: every unseen mail in the folder; counts by what became of them
        (`error`: left unseen, taken again next round)."""
        counts: dict[str, int] = {}
        imap = self._connect()
        try:
            typ, _ = imap.select(_quoted(self.config.folder))
            if typ != "OK":
                raise imaplib.IMAP4.error(f"cannot select {self.config.folder!r}")
            typ, data = imap.uid("SEARCH", "UNSEEN")
            uids = data[0].split() if typ == "OK" and data and data[0] else []
            for uid in uids:
                status = self._one(imap, uid.decode())
                counts[status] = counts.get(status, 0) + 1
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                imap.logout()
        return counts

    def _one(self, imap: imaplib.IMAP4, uid: str) -> str:
        typ, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = _body(data) if typ == "OK" else None
        if raw is None:
            return "error"
        try:
            received = self.receive(mails.from_bytes(raw))
        except Exception as exc:  # not recorded: stays unseen, next poll tries again
            log.error("email.imap_receive_failed", uid=uid, error=repr(exc)[:300])
            return "error"
        imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")  # only now: it is recorded
        return received.status


def _quoted(folder: str) -> str:
    return folder if folder.isalnum() else '"' + folder.replace('"', '\\"') + '"'


def _body(data: list[Any]) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


# --- the gateway's background tasks -------------------------------------------------------


async def send_replies(sender: ReplySender, every_s: float) -> None:
    """The outbox of replies, sent while the gateway runs."""
    while True:
        try:
            await asyncio.to_thread(sender.deliver_due)
        except Exception as exc:  # the store may be briefly unavailable: next round
            log.error("email.outbox_error", error=str(exc)[:200])
        await asyncio.sleep(every_s)


async def poll_imap(poller: ImapPoller, sender: ReplySender, every_s: float) -> None:
    """IMAP polling while the gateway runs; replies to what came in go out at once."""
    failing = False
    while True:
        try:
            counts = await asyncio.to_thread(poller.poll)
            if counts:
                log.info("email.imap_polled", **counts)
                await asyncio.to_thread(sender.deliver_due)
            failing = False
        except Exception as exc:  # the server may be down: logged once, tried again
            if not failing:
                log.error("email.imap_failed", error=str(exc)[:200])
            failing = True
        await asyncio.sleep(every_s)


async def forget_old(store: EmailStore, retention_days: float, every_s: float = 3600.0,
                     clock: Callable[[], datetime] | None = None) -> None:
    """Addresses and texts of mails past the retention period go, hourly."""
    while True:
        try:
            now = clock() if clock else datetime.now(UTC)
            await asyncio.to_thread(store.forget_before, now - timedelta(days=retention_days))
        except Exception as exc:
            log.error("email.retention_failed", error=str(exc)[:200])
        await asyncio.sleep(every_s)


def start(channel: EmailChannel, settings: Settings,
          clock: Callable[[], datetime] | None = None) -> list[asyncio.Task]:
    """The e-mail channel's background tasks (the outbox, IMAP when configured)."""
    sender = reply_sender(channel, settings)
    tasks = [asyncio.create_task(send_replies(sender, settings.email_poll_s)),
             asyncio.create_task(forget_old(channel.store, settings.retention_days,
                                            clock=clock))]
    imap = ImapConfig.from_settings(settings)
    if imap is not None:
        poller = ImapPoller(imap, channel.receive)
        tasks.append(asyncio.create_task(poll_imap(poller, sender, settings.imap_interval_s)))
    return tasks


def reply_sender(channel: EmailChannel, settings: Settings) -> ReplySender:
    return ReplySender(channel.store, SmtpServer.from_settings(settings),
                       retry_s=settings.email_retry_s, max_attempts=settings.email_max_attempts)
