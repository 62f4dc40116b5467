"""The e-mail channel's rows (`email_messages`): dedup, threads, loop guard, outbox.

Why in the store: a mail is one turn exactly once whatever process receives it, and
after a restart — so the claim on a Message-ID is a row with a unique key, not a set
in memory. Replies are written to the same table in one transaction with the
received mail's `handled` mark, and sent from there (leased, retried with back-off,
like the ticket outbox in handoff/tickets.py), so an SMTP server that is down loses
nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import EmailMessage, HandoffPacket

LEASE = timedelta(seconds=120)


def mail_key(message_id: str) -> str:
    """A short, fixed-length key for a Message-ID (they may be hundreds of characters):
    the row id and the frontdesk's message id of the turn."""
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:40]


def peer_of(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class Inbound:
    """A received mail's row as the channel needs it."""

    id: str
    conversation: str | None
    status: str
    kind: str
    reason: str | None


@dataclass(frozen=True)
class Outgoing:
    """A reply to send."""

    id: str
    message_id: str
    sender: str
    to: str
    subject: str
    in_reply_to: str | None
    references: list[str]
    body: str
    attempts: int


class EmailStore:
    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.clock = clock

    # --- received mails ----------------------------------------------------------------

    def inbound(self, key: str) -> Inbound | None:
        with self.sessions() as s:
            row = s.get(EmailMessage, f"in:{key}")
            return _inbound(row) if row is not None else None

    def claim(self, key: str, *, message_id: str, conversation: str | None, kind: str,
              status: str, reason: str | None, municipality: str | None, address: str,
              subject: str, in_reply_to: str | None, references: list[str],
              auth: dict[str, str], attachments: list[dict[str, Any]]) -> Inbound:
        """Record a received mail; when another process (or an earlier delivery of the
        same mail) recorded it first, that row is returned instead."""
        try:
            with self.sessions.begin() as s:
                s.add(EmailMessage(
                    id=f"in:{key}", direction="in", message_id=message_id,
                    conversation_id=conversation, kind=kind, status=status, reason=reason,
                    municipality=municipality, address=address or None,
                    peer=peer_of(address), subject=subject, in_reply_to=in_reply_to,
                    refs=references or None, auth=auth or None,
                    attachments=attachments or None, attempts=0,
                    created_at=self.clock()))
        except IntegrityError:
            pass  # recorded before: that record stands
        found = self.inbound(key)
        if found is None:  # the Message-ID is one of our own replies, come back
            return Inbound(f"in:{key}", None, "ignored", "robot", "own_message_id")
        return found

    def conversation_of(self, message_ids: tuple[str, ...] | list[str]) -> str | None:
        """The conversation of the thread these Message-IDs belong to (ours or the
        citizen's), nearest first; None for a new thread."""
        if not message_ids:
            return None
        with self.sessions() as s:
            rows = dict(s.execute(select(EmailMessage.message_id,
                                         EmailMessage.conversation_id).where(
                EmailMessage.message_id.in_(list(message_ids)),
                EmailMessage.conversation_id.is_not(None))).all())
        return next((rows[m] for m in message_ids if rows.get(m)), None)

    def replies_since(self, address: str, since: datetime) -> int:
        """Replies written to this address since `since` (the loop guard)."""
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(EmailMessage).where(
                EmailMessage.direction == "out", EmailMessage.peer == peer_of(address),
                EmailMessage.created_at >= since)) or 0

    def answer(self, key: str, *, message_id: str, sender: str, to: str, subject: str,
               in_reply_to: str, references: list[str], body: str,
               conversation: str | None, municipality: str | None) -> None:
        """The received mail is handled: its reply joins the outbox, in one transaction
        (a second call for the same mail changes nothing)."""
        now = self.clock()
        try:
            with self.sessions.begin() as s:
                s.add(EmailMessage(
                    id=f"out:{key}", direction="out", message_id=message_id,
                    conversation_id=conversation, kind="reply", status="pending",
                    municipality=municipality, address=to, peer=peer_of(to), sender=sender,
                    subject=subject, in_reply_to=in_reply_to, refs=references, body=body,
                    attempts=0, next_attempt_at=now, created_at=now))
                s.flush()
                s.execute(update(EmailMessage).where(EmailMessage.id == f"in:{key}")
                          .values(status="handled"))
        except IntegrityError:  # answered before (another process, an earlier try)
            self.mark(key, "handled")

    def notice(self, key: str, *, message_id: str, sender: str, to: str, subject: str,
               body: str, municipality: str | None, conversation: str | None = None,
               kind: str = "notice") -> bool:
        """A mail of our own (not a reply) joins the outbox once per `key`: False when a
        process queued it before (the key is the row's, so no second one). With a
        `conversation`, its address and text are forgotten with that conversation."""
        now = self.clock()
        try:
            with self.sessions.begin() as s:
                s.add(EmailMessage(
                    id=_notice_id(key), direction="out",
                    message_id=message_id, conversation_id=conversation, kind=kind,
                    status="pending", municipality=municipality, address=to,
                    peer=peer_of(to), sender=sender, subject=subject, in_reply_to=None,
                    refs=[], body=body, attempts=0, next_attempt_at=now, created_at=now))
        except IntegrityError:
            return False
        return True

    def queued(self, key: str) -> bool:
        """A mail of our own with this key is in the outbox (or was sent)."""
        with self.sessions() as s:
            return s.get(EmailMessage, _notice_id(key)) is not None

    def copies_of(self, conversation: str, kind: str = "transcript") -> int:
        """Mails of this kind queued for a conversation (the copies a citizen asked)."""
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(EmailMessage).where(
                EmailMessage.conversation_id == conversation, EmailMessage.kind == kind,
                EmailMessage.direction == "out")) or 0

    def reply_in_thread(self, conversation: str, body: str) -> str | None:
        """A further reply in an e-mail conversation's thread — an agent's message after
        a handoff — to the citizen's newest mail, from the address our last reply came
        from; queued like the bot's replies. Its row id, or None when the conversation
        has no mail to answer (not an e-mail conversation, or its address forgotten)."""
        now = self.clock()
        with self.sessions.begin() as s:
            mine = select(EmailMessage).where(EmailMessage.conversation_id == conversation)
            last_in = s.scalars(mine.where(
                EmailMessage.direction == "in", EmailMessage.kind == "citizen",
                EmailMessage.address.is_not(None))
                .order_by(EmailMessage.created_at.desc()).limit(1)).first()
            last_out = s.scalars(mine.where(EmailMessage.direction == "out")
                                 .order_by(EmailMessage.created_at.desc()).limit(1)).first()
            if last_in is None or last_out is None or not last_out.sender:
                return None
            refs = [r for r in last_in.refs or [] if r != last_in.message_id]
            row_id = uuid.uuid4().hex
            s.add(EmailMessage(
                id=f"out:{row_id}", direction="out",
                message_id=f"<{row_id}@{last_out.sender.rsplit('@', 1)[-1]}>",
                conversation_id=conversation, kind="agent", status="pending",
                municipality=last_in.municipality, address=last_in.address,
                peer=last_in.peer, sender=last_out.sender, subject=last_out.subject,
                in_reply_to=last_in.message_id, refs=[*refs, last_in.message_id][-20:],
                body=body, attempts=0, next_attempt_at=now, created_at=now))
            return f"out:{row_id}"

    def mark(self, key: str, status: str, reason: str | None = None) -> None:
        values: dict[str, Any] = {"status": status}
        if reason is not None:
            values["reason"] = reason
        with self.sessions.begin() as s:
            s.execute(update(EmailMessage).where(EmailMessage.id == f"in:{key}")
                      .values(**values))

    def name_attachments(self, handoff_ids: list[str],
                         attachments: list[dict[str, Any]]) -> int:
        """Name a mail's attachments in its handoff packets (names, sizes and types
        only: the files themselves are never kept); how many packets were found."""
        with self.sessions.begin() as s:
            packets = s.scalars(select(HandoffPacket).where(
                HandoffPacket.id.in_(handoff_ids))).all()
            for packet in packets:
                packet.packet = {**packet.packet, "attachments": attachments}
            return len(packets)

    def municipality_of(self, conversation: str) -> str | None:
        """The municipality the thread's mails were answered for (a follow-up days later,
        when the conversation's live state has expired, is not asked again)."""
        with self.sessions() as s:
            return s.scalar(select(EmailMessage.municipality).where(
                EmailMessage.conversation_id == conversation,
                EmailMessage.municipality.is_not(None))
                .order_by(EmailMessage.created_at.desc()).limit(1))

    def reply_address(self, conversation: str) -> str | None:
        """The citizen's address of an e-mail conversation (for a ticket's Reply-To)."""
        with self.sessions() as s:
            return s.scalar(select(EmailMessage.address).where(
                EmailMessage.conversation_id == conversation, EmailMessage.direction == "in",
                EmailMessage.kind == "citizen", EmailMessage.address.is_not(None))
                .order_by(EmailMessage.created_at.desc()).limit(1))

    def messages(self, conversation: str | None = None) -> list[dict[str, Any]]:
        """Rows for administrators and tests (no bodies of received mails: there are
        none), oldest first."""
        with self.sessions() as s:
            q = select(EmailMessage).order_by(EmailMessage.created_at, EmailMessage.id)
            if conversation is not None:
                q = q.where(EmailMessage.conversation_id == conversation)
            return [{c.name: getattr(r, c.key) for c in EmailMessage.__mapper__.columns}
                    for r in s.scalars(q)]

    # --- the outbox --------------------------------------------------------------------

    def due(self, limit: int = 50) -> list[str]:
        now = self.clock()
        with self.sessions() as s:
            return list(s.scalars(select(EmailMessage.id).where(
                EmailMessage.direction == "out", EmailMessage.status == "pending",
                EmailMessage.next_attempt_at <= now,
                or_(EmailMessage.lease_until.is_(None), EmailMessage.lease_until < now))
                .order_by(EmailMessage.next_attempt_at).limit(limit)).all())

    def lease(self, row_id: str) -> Outgoing | None:
        """Take a reply to send (no other process sends it meanwhile); None when it is
        taken, sent or gone."""
        now = self.clock()
        with self.sessions.begin() as s:
            done = s.execute(update(EmailMessage).where(
                EmailMessage.id == row_id, EmailMessage.status == "pending",
                or_(EmailMessage.lease_until.is_(None), EmailMessage.lease_until < now))
                .values(lease_until=now + LEASE))
            if getattr(done, "rowcount", 0) != 1:
                return None
            r = s.get(EmailMessage, row_id)
            if r is None or not r.address:
                return None
            return Outgoing(r.id, r.message_id, r.sender or "", r.address, r.subject,
                            r.in_reply_to, list(r.refs or []), r.body or "", r.attempts)

    def sent(self, row_id: str) -> None:
        now = self.clock()
        with self.sessions.begin() as s:
            s.execute(update(EmailMessage).where(EmailMessage.id == row_id).values(
                status="sent", sent_at=now, lease_until=None, last_error=None,
                attempts=EmailMessage.attempts + 1))

    def failed(self, row_id: str, error: str, retry_in_s: float | None) -> None:
        """An attempt failed: retried after `retry_in_s`, or (None) given up."""
        now = self.clock()
        values: dict[str, Any] = {"attempts": EmailMessage.attempts + 1,
                                  "last_error": error[:500], "lease_until": None}
        if retry_in_s is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = now + timedelta(seconds=retry_in_s)
        with self.sessions.begin() as s:
            s.execute(update(EmailMessage).where(EmailMessage.id == row_id).values(**values))

    def counts(self) -> dict[str, int]:
        """Replies by status (pending, sent, failed)."""
        with self.sessions() as s:
            rows = s.execute(select(EmailMessage.status, func.count()).where(
                EmailMessage.direction == "out").group_by(EmailMessage.status))
            return {status: n for status, n in rows}

    # --- retention ---------------------------------------------------------------------

    def forget_before(self, before: datetime) -> int:
        """Addresses, subjects and reply texts older than `before` go (what the loop
        guard and the thread index need stays: hashes and Message-IDs)."""
        with self.sessions.begin() as s:
            done = s.execute(update(EmailMessage).where(
                EmailMessage.created_at < before,
                or_(EmailMessage.address.is_not(None), EmailMessage.body.is_not(None),
                    EmailMessage.subject != ""),
                EmailMessage.status.in_(("handled", "ignored", "sent", "failed")))
                .values(address=None, subject="", body=None, attachments=None))
            return getattr(done, "rowcount", 0)


def _notice_id(key: str) -> str:
    return f"out:{hashlib.sha256(key.encode()).hexdigest()[:60]}"


def _inbound(row: EmailMessage) -> Inbound:
    return Inbound(row.id, row.conversation_id, row.status, row.kind, row.reason)
