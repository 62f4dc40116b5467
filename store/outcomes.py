"""Writing and reading outcomes. One transaction per citizen turn; never lose a turn.

A write that fails (a locked SQLite file, a PostgreSQL fail-over) is retried with
back-off; if it still fails it stays queued in memory and is written before the next
turn's record, so the conversation's record is complete once the database is back.
The (conversation, seq) key makes a replayed write a no-op, never a duplicate.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ddh.logging import get_logger
from ddh.settings import Settings
from ddh.vocabulary import Action, Outcome
from store.live import LiveStore, StaleState, put_state
from store.migrate import upgrade
from store.models import (
    CallbackContact,
    Conversation,
    ConversationStateRow,
    Decision,
    HandoffPacket,
    TicketDelivery,
    Turn,
)
from store.records import EndRecord, TurnRecord
from store.records import HandoffPacket as Packet
from store.rollup import install_stamp

log = get_logger(__name__)


def database_url(url: str | None, data_dir: Path) -> str:
    if url:
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'ddh.sqlite3').resolve()}"


def open_store(settings: Settings) -> OutcomeStore:
    """The outcome store the settings name (`DDH_DATABASE_URL`, else SQLite in the
    data directory)."""
    return OutcomeStore(database_url(settings.database_url, settings.data_dir),
                        ticket_grace_s=settings.ticket_grace_s)


class OutcomeStore:
    def __init__(self, url: str, retries: int = 4, backoff_s: float = 0.05,
                 sqlite_timeout_s: float = 15.0, ticket_grace_s: float = 60.0) -> None:
        self.url = url
        self.ticket_grace_s = ticket_grace_s
        self.retries = retries
        self.backoff_s = backoff_s
        sqlite = url.startswith("sqlite")
        self.engine = create_engine(
            url, pool_pre_ping=not sqlite,
            connect_args={"check_same_thread": False, "timeout": sqlite_timeout_s}
            if sqlite else {},
        )
        if sqlite:
            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn, _record) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        install_stamp(self.sessions)
        self._pending: deque[TurnRecord | EndRecord] = deque()
        self._lock = threading.Lock()
        upgrade(self.engine)
        self.live = LiveStore(self.sessions, retries, backoff_s)

    # --- writing -------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, rec: TurnRecord | EndRecord) -> bool:
        """Write the turn (after any still-pending ones). False: queued for a later retry."""
        with self._lock:
            self._pending.append(rec)
            return self._flush()

    def flush(self) -> bool:
        with self._lock:
            return self._flush()

    def _flush(self) -> bool:
        while self._pending:
            rec = self._pending[0]
            if not self._write_with_retries(rec):
                log.error("store.write_deferred", conversation=rec.conversation_id,
                          pending=len(self._pending))
                return False
            self._pending.popleft()
        return True

    def _write_with_retries(self, rec: TurnRecord | EndRecord) -> bool:
        for attempt in range(self.retries + 1):
            try:
                with self.sessions.begin() as s:
                    if isinstance(rec, EndRecord):
                        self._write_end(s, rec)
                    else:
                        self._write(s, rec)
                return True
            except IntegrityError:
                # Already written by an attempt whose commit succeeded: not a duplicate.
                if isinstance(rec, TurnRecord) and self._has_turn(rec):
                    return True
                raise
            except (OperationalError, SQLAlchemyError) as exc:
                log.warning("store.write_retry", attempt=attempt + 1, error=str(exc)[:200])
                time.sleep(self.backoff_s * (2 ** attempt))
        return False

    def _has_turn(self, rec: TurnRecord) -> bool:
        with self.sessions() as s:
            return s.scalar(select(Turn.id).where(Turn.conversation_id == rec.conversation_id,
                                                  Turn.seq == 2 * rec.seq - 1)) is not None

    def _write_end(self, s: Session, rec: EndRecord) -> None:
        conv = s.get(Conversation, rec.conversation_id)
        if conv is None:
            conv = Conversation(id=rec.conversation_id, channel=str(rec.channel),
                                started_at=rec.started_at, turns=0,
                                municipality=rec.municipality)
            s.add(conv)
        if conv.ended_at is None:
            conv.ended_at = rec.at
        if conv.outcome is None:
            conv.outcome = str(rec.outcome)
        # ended: no process takes another turn of it
        s.execute(delete(ConversationStateRow).where(
            ConversationStateRow.id == rec.conversation_id))

    def _write(self, s: Session, rec: TurnRecord) -> None:
        conv = s.get(Conversation, rec.conversation_id)
        if conv is None:
            conv = Conversation(id=rec.conversation_id, channel=str(rec.channel), started_at=rec.at,
                                language=rec.language, turns=0)
            s.add(conv)
        conv.municipality = rec.municipality or conv.municipality
        conv.municipality_source = rec.municipality_source or conv.municipality_source
        conv.topic = rec.conversation_topic or conv.topic
        conv.notice_id = rec.notice_id or conv.notice_id
        conv.language = rec.language or conv.language
        conv.last_action = str(rec.action)
        conv.turns = max(conv.turns or 0, rec.seq)
        if rec.outcome:
            conv.outcome = str(rec.outcome)
        if rec.satisfaction is not None:
            conv.satisfaction = rec.satisfaction
        if rec.ended:
            conv.ended_at = rec.at
        s.flush()
        s.add(Turn(conversation_id=rec.conversation_id, seq=2 * rec.seq - 1, role="citizen",
                   text=rec.citizen_text, at=rec.at, language=rec.language,
                   pii_kinds=sorted(rec.pii_kinds) or None))
        s.add(Turn(conversation_id=rec.conversation_id, seq=2 * rec.seq, role="bot",
                   text=rec.bot_text, at=rec.at, language=rec.language))
        s.add(Decision(conversation_id=rec.conversation_id, seq=rec.seq, at=rec.at,
                       action=str(rec.action), topic=rec.topic, municipality=rec.municipality,
                       target=rec.target, reason=rec.reason, guides=rec.guides or None,
                       latency_ms=rec.latency_ms, mode=str(rec.mode),
                       message_id=rec.message_id, result=rec.result))
        if rec.state is not None:
            try:
                with s.begin_nested():
                    put_state(s, rec.conversation_id, rec.state, rec.state_version)
            except StaleState:
                # Another process took a turn of this conversation in between: the turn
                # is kept, and its state (the newest) replaces the other.
                log.error("store.state_conflict", conversation=rec.conversation_id)
                put_state(s, rec.conversation_id, rec.state, None)
        ticket = rec.handoff if rec.handoff and rec.handoff.kind == Action.TICKET else None
        if rec.handoff:
            _add_packet(s, rec.conversation_id, rec.handoff, rec.at)
        if ticket:
            # a callback number often follows in the next turn: wait for it
            _add_deliveries(s, ticket.id, rec.deliveries, self.ticket_grace_s)
        if rec.callback_phone and ticket:
            s.add(CallbackContact(handoff_id=ticket.id, phone=rec.callback_phone,
                                  consented_at=rec.at))
        elif rec.callback_phone:
            # A number given after the ticket: attach it to the conversation's last ticket.
            last = s.scalar(select(HandoffPacket).where(
                HandoffPacket.conversation_id == rec.conversation_id,
                HandoffPacket.kind == Action.TICKET.value)
                .order_by(HandoffPacket.created_at.desc()))
            if last is not None and s.get(CallbackContact, last.id) is None:
                s.add(CallbackContact(handoff_id=last.id, phone=rec.callback_phone,
                                      consented_at=rec.at))

    # --- reading -------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """A conversation with its turns, decisions and handoffs (for agents and tests)."""
        with self.sessions() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                return None
            turns = s.scalars(select(Turn).where(Turn.conversation_id == conversation_id)
                              .order_by(Turn.seq)).all()
            decisions = s.scalars(select(Decision).where(
                Decision.conversation_id == conversation_id).order_by(Decision.seq)).all()
            handoffs = s.scalars(select(HandoffPacket).where(
                HandoffPacket.conversation_id == conversation_id)).all()
            return {
                "id": conv.id, "channel": conv.channel, "municipality": conv.municipality,
                "language": conv.language, "topic": conv.topic, "outcome": conv.outcome,
                "notice_id": conv.notice_id,
                "started_at": conv.started_at, "ended_at": conv.ended_at,
                "satisfaction": conv.satisfaction, "turns": conv.turns,
                "agent": conv.agent, "queue_wait_s": conv.queue_wait_s,
                "transcript": [{"role": t.role, "text": t.text, "seq": t.seq} for t in turns],
                "decisions": [{"seq": d.seq, "action": d.action, "topic": d.topic,
                               "target": d.target, "reason": d.reason, "mode": d.mode}
                              for d in decisions],
                "handoffs": [{"id": h.id, "kind": h.kind, "target": h.target,
                              "summary": h.summary, "reason": h.reason,
                              "reason_kind": h.reason_kind, "packet": h.packet}
                             for h in handoffs],
            }

    def record_message(self, conversation_id: str, role: str, text: str,
                       at: datetime | None = None) -> None:
        """A message of the live part of a conversation (citizen ↔ agent), redacted."""
        from sqlalchemy import func

        for attempt in range(self.retries + 1):
            try:
                with self.sessions.begin() as s:
                    seq = (s.scalar(select(func.max(Turn.seq)).where(
                        Turn.conversation_id == conversation_id)) or 0) + 1
                    s.add(Turn(conversation_id=conversation_id, seq=seq, role=role,
                               text=text, at=at or datetime.now(UTC)))
                return
            except (OperationalError, IntegrityError) as exc:
                log.warning("store.message_retry", attempt=attempt + 1, error=str(exc)[:200])
                time.sleep(self.backoff_s * (2 ** attempt))
        raise RuntimeError(f"could not store a message of {conversation_id}")

    def add_ticket(self, conversation_id: str, ticket: Packet,
                   deliveries: list[tuple[str, str]], callback_phone: str | None,
                   at: datetime) -> None:
        """A ticket made by an agent: the packet, its deliveries (the outbox) and the
        consented callback number, in one transaction."""
        with self.sessions.begin() as s:
            _add_packet(s, conversation_id, ticket.as_ticket(), at)
            _add_deliveries(s, ticket.id, deliveries, 0.0)  # the number is known: send
            if callback_phone:
                s.add(CallbackContact(handoff_id=ticket.id, phone=callback_phone,
                                      consented_at=at))

    def delivery_counts(self) -> dict[str, int]:
        """Ticket deliveries by status (pending, sent, failed)."""
        from sqlalchemy import func

        with self.sessions() as s:
            rows = s.execute(select(TicketDelivery.status, func.count())
                             .group_by(TicketDelivery.status))
            return {status: n for status, n in rows}

    def tickets(self, limit: int = 200) -> list[dict[str, Any]]:
        """Tickets with their callback number and delivery state, newest first."""
        with self.sessions() as s:
            rows = s.execute(select(HandoffPacket, CallbackContact.phone).outerjoin(
                CallbackContact, CallbackContact.handoff_id == HandoffPacket.id).where(
                HandoffPacket.kind == Action.TICKET.value).order_by(HandoffPacket.created_at.desc())
                .limit(limit)).all()
            out = []
            for packet, phone in rows:
                states = s.scalars(select(TicketDelivery.status).where(
                    TicketDelivery.handoff_id == packet.id)).all()
                out.append({"id": packet.id, "conversation": packet.conversation_id,
                            "target": packet.target, "topic": packet.topic,
                            "reason_kind": packet.reason_kind,
                            "municipality": packet.packet.get("municipality"),
                            "summary": packet.summary, "created_at": packet.created_at,
                            "callback_phone": phone, "status": packet.status,
                            "deliveries": sorted(states)})
            return out

    def wrap_up(self, conversation_id: str, handoff_id: str, agent: str, outcome: Outcome,
                queue_wait_s: float, at: datetime | None = None) -> None:
        """The agent closed the conversation: who, how long the citizen waited, outcome."""
        with self.sessions.begin() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise KeyError(conversation_id)
            conv.agent, conv.queue_wait_s, conv.outcome = agent, queue_wait_s, str(outcome)
            conv.ended_at = at or datetime.now(UTC)
            packet = s.get(HandoffPacket, handoff_id)
            if packet is not None:
                packet.status = "done"

    def recent(self, n: int = 20, channel: str | None = None) -> list[dict[str, Any]]:
        """The last `n` conversations, newest first (with turns and decisions)."""
        with self.sessions() as s:
            q = select(Conversation.id).order_by(Conversation.started_at.desc()).limit(n)
            if channel:
                q = q.where(Conversation.channel == channel)
            ids = s.scalars(q).all()
        return [c for c in (self.conversation(i) for i in ids) if c is not None]

    def callback_for(self, handoff_id: str) -> str | None:
        with self.sessions() as s:
            c = s.get(CallbackContact, handoff_id)
            return c.phone if c else None

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        self.flush()
        self.engine.dispose()


def _add_packet(s: Session, conversation_id: str, h: Packet, at: datetime) -> None:
    s.add(HandoffPacket(id=h.id, conversation_id=conversation_id, kind=str(h.kind),
                        target=h.target, topic=h.topic, reason=h.reason,
                        reason_kind=str(h.reason_kind) if h.reason_kind else None,
                        summary=h.summary, packet=h.body(), created_at=at))
    s.flush()


def _add_deliveries(s: Session, ticket_id: str, deliveries: list[tuple[str, str]],
                    wait_s: float) -> None:
    """The ticket's outbox rows; the row id is the idempotency key receivers see."""
    now = datetime.now(UTC)
    for channel, destination in deliveries:
        s.add(TicketDelivery(id=f"{ticket_id}:{channel}", handoff_id=ticket_id, channel=channel,
                             destination=destination, status="pending", attempts=0,
                             created_at=now, next_attempt_at=now + timedelta(seconds=wait_s)))
