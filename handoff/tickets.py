"""Tickets to municipalities (or DDH), delivered exactly once from an outbox.

A ticket is written with its deliveries in one transaction (`ticket_deliveries`);
this module sends them: e-mail over SMTP, a JSON webhook signed with HMAC-SHA256, or,
where a municipality has configured neither, a JSON-lines file under
`DDH_DATA_DIR/outbox/` that somebody must pick up (and that administrators see).

Exactly once, as far as a network allows: a row is leased before sending (several
gateway processes never send the same row at once), marked `sent` only after the
receiver accepted it, and retried with exponential back-off otherwise; every attempt
carries the same idempotency key (the row id: e-mail `Message-ID`, webhook
`Idempotency-Key`), so a retry after a lost acknowledgement is recognisable as the
same ticket. After `max_attempts` a row is `failed` and listed for administrators.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import or_, select, update

from ddh.logging import get_logger
from ddh.vocabulary import HandoffReason
from store.email import EmailStore
from store.models import CallbackContact, HandoffPacket, TicketDelivery
from store.outcomes import OutcomeStore

log = get_logger(__name__)
LEASE = timedelta(seconds=120)


class DeliveryError(RuntimeError):
    """The receiver did not accept the ticket (this attempt)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "ddh-frontdesk@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


def destinations(registry: Any, target: str) -> list[tuple[str, str]]:
    """Where a ticket for `target` (a kommunekode or "ddh") goes, from the registry."""
    routing = registry.routing_for(target) if target in registry.municipalities else None
    out = []
    if routing is not None and routing.ticket_email:
        out.append(("email", routing.ticket_email))
    if routing is not None and routing.ticket_webhook:
        out.append(("webhook", routing.ticket_webhook))
    return out or [("file", "tickets.jsonl")]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` over "<timestamp>.<body>" (receivers reject stale timestamps)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class TicketOutbox:
    def __init__(self, store: OutcomeStore, *, smtp: SmtpConfig | None = None,
                 webhook_secret: str = "", outbox_dir: Path | None = None,
                 max_attempts: int = 8, retry_s: float = 30.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.smtp = smtp
        self.webhook_secret = webhook_secret
        self.outbox_dir = outbox_dir or Path("var/outbox")
        self.max_attempts = max_attempts
        self.retry_s = retry_s
        self.clock = clock

    # --- what is there -----------------------------------------------------------------

    def deliveries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Rows for the administrators' view (failed ones first)."""
        with self.store.sessions() as s:
            q = select(TicketDelivery).order_by(TicketDelivery.created_at.desc())
            if status:
                q = q.where(TicketDelivery.status == status)
            return [{"id": d.id, "handoff": d.handoff_id, "channel": d.channel,
                     "destination": d.destination, "status": d.status,
                     "attempts": d.attempts, "last_error": d.last_error,
                     "created_at": d.created_at, "sent_at": d.sent_at}
                    for d in s.scalars(q)]

    # --- sending -----------------------------------------------------------------------

    def deliver_due(self, limit: int = 50) -> dict[str, int]:
        """Send what is due now; returns counts of sent, retried and failed rows."""
        now = self.clock()
        with self.store.sessions() as s:
            due = s.scalars(select(TicketDelivery.id).where(
                TicketDelivery.status == "pending", TicketDelivery.next_attempt_at <= now,
                or_(TicketDelivery.lease_until.is_(None), TicketDelivery.lease_until < now))
                .order_by(TicketDelivery.next_attempt_at).limit(limit)).all()
        counts = {"sent": 0, "retry": 0, "failed": 0}
        for row_id in due:
            result = self._deliver_one(row_id, now)
            if result:
                counts[result] += 1
        return counts

    def _lease(self, row_id: str, now: datetime) -> bool:
        with self.store.sessions.begin() as s:
            done = s.execute(update(TicketDelivery).where(
                TicketDelivery.id == row_id, TicketDelivery.status == "pending",
                or_(TicketDelivery.lease_until.is_(None), TicketDelivery.lease_until < now))
                .values(lease_until=now + LEASE))
            return getattr(done, "rowcount", 0) == 1  # a CursorResult for an UPDATE

    def _deliver_one(self, row_id: str, now: datetime) -> str | None:
        if not self._lease(row_id, now):
            return None  # another process has it
        with self.store.sessions() as s:
            row = s.get(TicketDelivery, row_id)
            ticket = s.get(HandoffPacket, row.handoff_id) if row is not None else None
            if row is None or ticket is None:
                return None  # deleted meanwhile (retention): nothing to deliver
            contact = s.get(CallbackContact, row.handoff_id)
            payload = _payload(ticket, contact.phone if contact else None, row_id)
            channel, destination, attempts = row.channel, row.destination, row.attempts
            conversation = ticket.conversation_id
        # a mail from the citizen (the e-mail channel): the municipality answers it
        payload["reply_email"] = EmailStore(self.store.sessions).reply_address(conversation)
        try:
            if channel == "email":
                self._email(destination, payload, row_id)
            elif channel == "webhook":
                self._webhook(destination, payload, row_id)
            else:
                self._file(destination, payload)
        except (DeliveryError, OSError, smtplib.SMTPException, httpx.HTTPError) as exc:
            attempts += 1
            failed = attempts >= self.max_attempts
            delay = self.retry_s * (2 ** (attempts - 1))
            with self.store.sessions.begin() as s:
                s.execute(update(TicketDelivery).where(TicketDelivery.id == row_id).values(
                    attempts=attempts, last_error=str(exc)[:500], lease_until=None,
                    status="failed" if failed else "pending",
                    next_attempt_at=now + timedelta(seconds=delay)))
            log.warning("ticket.delivery_failed", delivery=row_id, attempts=attempts,
                        error=str(exc)[:200], final=failed)
            return "failed" if failed else "retry"
        with self.store.sessions.begin() as s:
            s.execute(update(TicketDelivery).where(TicketDelivery.id == row_id).values(
                attempts=attempts + 1, status="sent", sent_at=self.clock(), lease_until=None,
                last_error=None))
            s.execute(update(HandoffPacket).where(HandoffPacket.id == payload["ticket"]["id"])
                      .values(status="sent"))
        log.info("ticket.delivered", delivery=row_id, channel=channel)
        return "sent"

    def _email(self, to: str, payload: dict[str, Any], key: str) -> None:
        if self.smtp is None:
            raise DeliveryError("no SMTP server configured (DDH_SMTP_HOST)")
        t = payload["ticket"]
        msg = EmailMessage()
        msg["From"] = self.smtp.sender
        msg["To"] = to
        msg["Subject"] = f"Henvendelse fra borger: {t['topic'] or 'andet'} ({t['target']})"
        msg["Message-ID"] = f"<{key.replace(':', '.')}@ddh-frontdesk>"
        msg["X-DDH-Idempotency-Key"] = key
        lines = [t["summary"], ""]
        if payload["callback_phone"]:
            lines.append(f"Ring tilbage til: {payload['callback_phone']}")
        if payload.get("reply_email"):
            msg["Reply-To"] = payload["reply_email"]
            lines.append(f"Svar borgeren på e-mail: {payload['reply_email']}")
        attached = t["packet"].get("attachments") or []
        if attached:
            lines.append("Bilag (ikke gemt hos os; bed borgeren sende dem igen): " + ", ".join(
                f"{a.get('name')} ({a.get('content_type')}, {a.get('size')} B)" for a in attached))
        reason = HandoffReason.parse(t.get("reason_kind"))
        if reason is not None:
            lines.append(f"Årsag: {reason.label_da}")
        lines += [f"Emne: {t['topic'] or '-'}", f"Kanal: {t['packet'].get('channel', '-')}",
                  f"Oprettet: {t['created_at']}", f"Sags-id: {t['id']}", "",
                  "Samtalen (personnumre m.m. er fjernet):"]
        lines += [f"{turn['role']}: {turn['text']}" for turn in
                  t["packet"].get("transcript", [])]
        msg.set_content("\n".join(lines))
        with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout_s) as smtp:
            if self.smtp.starttls:
                smtp.starttls()
            if self.smtp.user:
                smtp.login(self.smtp.user, self.smtp.password or "")
            smtp.send_message(msg)

    def _webhook(self, url: str, payload: dict[str, Any], key: str) -> None:
        body = json.dumps(payload, ensure_ascii=False, default=str).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "Idempotency-Key": key,
                   "X-DDH-Timestamp": stamp}
        if self.webhook_secret:
            headers["X-DDH-Signature"] = signature(self.webhook_secret, stamp, body)
        r = httpx.post(url, content=body, headers=headers, timeout=10)
        if r.status_code >= 300:
            raise DeliveryError(f"webhook answered HTTP {r.status_code}")

    def _file(self, name: str, payload: dict[str, Any]) -> None:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        with (self.outbox_dir / name).open("a", encoding="utf-8") as f:
            f.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


def outbox_from_settings(store: OutcomeStore, settings: Any) -> TicketOutbox:
    smtp = SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_from,
                      settings.smtp_user,
                      settings.smtp_password.get_secret_value() if settings.smtp_password
                      else None, settings.smtp_starttls) if settings.smtp_host else None
    secret = settings.ticket_webhook_secret.get_secret_value() \
        if settings.ticket_webhook_secret else ""
    return TicketOutbox(store, smtp=smtp, webhook_secret=secret,
                        outbox_dir=settings.data_dir / "outbox", retry_s=settings.ticket_retry_s)


def _payload(ticket: HandoffPacket, phone: str | None, key: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "ticket": {"id": ticket.id, "kind": ticket.kind, "target": ticket.target,
                   "topic": ticket.topic, "reason": ticket.reason,
                   "reason_kind": ticket.reason_kind, "summary": ticket.summary,
                   "created_at": ticket.created_at.isoformat(), "packet": ticket.packet},
        "callback_phone": phone,
    }
