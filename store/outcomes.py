"""Writing and reading outcomes. One transaction per citizen turn; never lose a turn.

A citizen's turn gets one quick write (`write_deadline_s`); when the store is locked
or slow (a locked SQLite file, a PostgreSQL fail-over) the record goes to a durable
local journal (`store.journal`) instead, so the reply is not held, and a background
thread writes the journal into the store in order, with back-off, also after a
restart. The (conversation, seq) key makes a replayed write a no-op, never a duplicate.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ddh.logging import get_logger
from ddh.settings import Settings
from ddh.vocabulary import Action, Outcome
from store.journal import Journal
from store.live import LiveStore
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
from store.records import EndRecord, TurnRecord, record_as_json, record_from_json
from store.records import HandoffPacket as Packet
from store.retention import redact_earlier
from store.rollup import install_stamp
from store.turn_rows import StaleState, insert_turn, put_state, upsert_conversation

log = get_logger(__name__)


def database_url(url: str | None, data_dir: Path) -> str:
    if url:
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'ddh.sqlite3').resolve()}"


def open_store(settings: Settings) -> OutcomeStore:
    """The outcome store the settings name (`DDH_DATABASE_URL`, else SQLite in the
    data directory), journalling in the data directory."""
    return OutcomeStore(database_url(settings.database_url, settings.data_dir),
                        ticket_grace_s=settings.ticket_grace_s,
                        journal_dir=settings.data_dir / "journal")


def _engine(url: str, timeout_s: float) -> Engine:
    """An engine whose waits for a lock end after `timeout_s`."""
    sqlite = url.startswith("sqlite")
    if sqlite:
        args: dict[str, Any] = {"check_same_thread": False, "timeout": timeout_s}
    else:
        ms = max(1, int(timeout_s * 1000))
        args = {"options": f"-c lock_timeout={ms}"}
    engine = create_engine(url, pool_pre_ping=not sqlite, connect_args=args)
    if sqlite:
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine


def _journal_dir(url: str, journal_dir: Path | None) -> Path:
    """Journals belong to their database: a data directory used with another
    database (a test, a benchmark) never replays into the wrong one."""
    if journal_dir is not None:
        import hashlib

        return journal_dir / hashlib.sha256(url.encode()).hexdigest()[:16]
    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        return db.with_name(db.name + ".journal")
    import tempfile

    return Path(tempfile.mkdtemp(prefix="ddh-journal-"))


class OutcomeStore:
    def __init__(self, url: str, retries: int = 4, backoff_s: float = 0.05,
                 sqlite_timeout_s: float = 15.0, ticket_grace_s: float = 60.0,
                 journal_dir: Path | None = None, write_deadline_s: float = 0.5) -> None:
        """`journal_dir`: where writes that miss `write_deadline_s` wait (default: next
        to a SQLite file; a temporary directory for a server without one)."""
        self.url = url
        self.ticket_grace_s = ticket_grace_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.engine = _engine(url, sqlite_timeout_s)
        # A citizen's turn gets one quick try; a locked store is then journalled.
        self.fast_engine = _engine(url, write_deadline_s)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.fast_sessions = sessionmaker(self.fast_engine, expire_on_commit=False)
        install_stamp(self.sessions)
        install_stamp(self.fast_sessions)
        self._lock = threading.Lock()
        upgrade(self.engine)
        self.journal = Journal(_journal_dir(url, journal_dir))
        self.live = LiveStore(self.sessions, self.fast_sessions, self.journal, self._lock,
                              retries, backoff_s)
        self._wake = threading.Event()
        self._closed = False
        self._flusher = threading.Thread(target=self._flush_journal, daemon=True,
                                         name="store-journal")
        self._flusher.start()

    # --- writing -------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Writes waiting in the journal for the store."""
        return len(self.journal)

    def record(self, rec: TurnRecord | EndRecord) -> bool:
        """Write the turn at once, or — the store locked or slow, or earlier writes
        still waiting — journal it durably for the background writer. False: journalled."""
        with self._lock:
            if not len(self.journal):
                try:
                    with self.fast_sessions.begin() as s:
                        self._write_rec(s, rec)
                    return True
                except IntegrityError:
                    if isinstance(rec, TurnRecord) and self._has_turn(rec):
                        return True  # written by an attempt that seemed to fail
                    raise
                except SQLAlchemyError as exc:
                    log.warning("store.write_journalled", conversation=rec.conversation_id,
                                error=str(exc)[:200])
            self.journal.add("record", record_as_json(rec))
        self._wake.set()
        return False

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until the journal is written to the store (False: not within the time)."""
        deadline = time.monotonic() + timeout_s
        while len(self.journal) and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.02)
        return not len(self.journal)

    def _write_rec(self, s: Session, rec: TurnRecord | EndRecord) -> None:
        if isinstance(rec, EndRecord):
            self._write_end(s, rec)
        else:
            self._write(s, rec)

    def _flush_journal(self) -> None:
        """The background writer: journal entries into the store, in order."""
        delay = self.backoff_s
        while not self._closed:
            entry = self.journal.first()
            if entry is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                self._replay(entry)
            except SQLAlchemyError as exc:
                log.warning("store.journal_retry", entries=len(self.journal),
                            error=str(exc)[:200])
                time.sleep(delay)
                delay = min(2.0, delay * 2)
                continue
            except Exception as exc:  # an entry this version cannot write: keep it aside
                log.error("store.journal_entry_failed", error=repr(exc)[:300])
                time.sleep(delay)
                delay = min(2.0, delay * 2)
                continue
            delay = self.backoff_s
            self.journal.done(entry["id"])
            if not len(self.journal):
                log.info("store.journal_written")

    def _replay(self, entry: dict[str, Any]) -> None:
        if entry["kind"] == "chat":
            self.live.replay_events(entry["payload"])
            return
        rec = record_from_json(entry["payload"])
        try:
            with self.sessions.begin() as s:
                self._write_rec(s, rec)
        except IntegrityError:
            if not (isinstance(rec, TurnRecord) and self._has_turn(rec)):
                raise
            # written before (the attempt that seemed to fail): not twice

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
        if conv.outcome is None or rec.outcome == Outcome.DROPPED:  # our failure shows
            conv.outcome = str(rec.outcome)
        # ended: no process takes another turn of it
        s.execute(delete(ConversationStateRow).where(
            ConversationStateRow.id == rec.conversation_id))

    def _write(self, s: Session, rec: TurnRecord) -> None:
        upsert_conversation(s, rec, datetime.now(UTC))  # first: the rows below point to it
        if rec.redact_earlier:  # the last turn's date part, known now (before this turn)
            redact_earlier(s, rec.conversation_id, rec.redact_earlier)
        insert_turn(s, rec)
        if rec.state is not None:
            try:  # (it raises before it changes anything: no savepoint needed)
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
        """A conversation with its turns, decisions and handoffs (for agents and tests).
        Writes still in the journal are waited for briefly, so that a reader sees what
        the citizen was just told."""
        if len(self.journal):
            self.flush(timeout_s=3.0)
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

    def open_handoffs(self, within_h: float = 12.0,
                      now: datetime | None = None) -> list[dict[str, Any]]:
        """Warm handoffs still waiting for an agent (not taken, their conversation not
        ended), oldest first: what the agents' queue must hold (the queue is rebuilt
        from them after Redis or the process lost it)."""
        since = (now or datetime.now(UTC)) - timedelta(hours=within_h)
        with self.sessions() as s:
            rows = s.execute(select(HandoffPacket, Conversation.channel).join(
                Conversation, Conversation.id == HandoffPacket.conversation_id).where(
                HandoffPacket.kind == Action.HANDOFF.value, HandoffPacket.status == "open",
                HandoffPacket.created_at >= since, Conversation.ended_at.is_(None))
                .order_by(HandoffPacket.created_at)).all()
            return [{"id": h.id, "conversation": h.conversation_id, "target": h.target,
                     "topic": h.topic, "municipality": h.packet.get("municipality"),
                     "channel": channel, "summary": h.summary,
                     "created_at": h.created_at, "reason_kind": h.reason_kind}
                    for h, channel in rows]

    def take_handoff(self, handoff_id: str, agent: str, waited_s: float) -> None:
        """An agent took the handoff: who, and how long the citizen waited."""
        with self.sessions.begin() as s:
            packet = s.get(HandoffPacket, handoff_id)
            if packet is None:
                return
            packet.status = "taken"
            conv = s.get(Conversation, packet.conversation_id)
            if conv is not None:
                conv.agent, conv.queue_wait_s = agent, waited_s

    def release_handoff(self, handoff_id: str, agent: str) -> bool:
        """The handoff goes back to the queue (reassigned): open again, nobody's. False
        when it was not this agent's (wrapped up, ended, taken back already): one
        conditional update, so of two processes releasing it one does."""
        with self.sessions.begin() as s:
            conv_id = s.scalar(select(HandoffPacket.conversation_id).where(
                HandoffPacket.id == handoff_id, HandoffPacket.status == "taken"))
            released = s.execute(update(Conversation).where(
                Conversation.id == conv_id, Conversation.agent == agent,
                Conversation.ended_at.is_(None)).values(agent=None, queue_wait_s=None))
            if not getattr(released, "rowcount", 0):
                return False
            s.execute(update(HandoffPacket).where(HandoffPacket.id == handoff_id)
                      .values(status="open"))
            return True

    def taken_by_agent(self, agent: str) -> list[str]:
        """The conversations an agent has taken and not wrapped up."""
        with self.sessions() as s:
            return list(s.scalars(select(HandoffPacket.conversation_id).join(
                Conversation, Conversation.id == HandoffPacket.conversation_id).where(
                HandoffPacket.status == "taken", Conversation.agent == agent,
                Conversation.ended_at.is_(None))).all())

    def taken_by(self, conversation_id: str) -> dict[str, Any] | None:
        """The handoff of a conversation an agent has taken and not wrapped up yet."""
        with self.sessions() as s:
            row = s.execute(select(HandoffPacket, Conversation).join(
                Conversation, Conversation.id == HandoffPacket.conversation_id).where(
                HandoffPacket.conversation_id == conversation_id,
                HandoffPacket.status == "taken").order_by(
                HandoffPacket.created_at.desc())).first()
            if row is None:
                return None
            h, conv = row
            return {"id": h.id, "target": h.target, "topic": h.topic,
                    "municipality": h.packet.get("municipality"), "channel": conv.channel,
                    "summary": h.summary, "created_at": h.created_at,
                    "reason_kind": h.reason_kind, "agent": conv.agent,
                    "queue_wait_s": conv.queue_wait_s}

    def callback_for(self, handoff_id: str) -> str | None:
        with self.sessions() as s:
            c = s.get(CallbackContact, handoff_id)
            return c.phone if c else None

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        self.flush(timeout_s=10.0)
        self._closed = True
        self._wake.set()
        self.journal.close()
        self.engine.dispose()
        self.fast_engine.dispose()


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
