"""Tables of the outcome store. Text columns hold redacted text only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ddh.vocabulary import Mode


class UTCDateTime(TypeDecorator):
    """Instants stored as UTC on every database.

    PostgreSQL keeps `timestamptz` instants itself, but SQLite stores the wall-clock
    text it is given: a Copenhagen time and a UTC time would then sit side by side and
    durations, day boundaries and hour buckets would be off by an hour or two. Every
    aware datetime is converted to UTC on the way in, and comes back aware (UTC).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the outcome store takes timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    municipality: Mapped[str | None] = mapped_column(String(4), index=True)
    municipality_source: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="da")
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_action: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24), index=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    agent: Mapped[str | None] = mapped_column(String(64))
    queue_wait_s: Mapped[float | None] = mapped_column(Float)
    notice_id: Mapped[str | None] = mapped_column(String(40), index=True)  # crisis notice
    # Stamped on every write (store/rollup.py): which hours' roll-ups are stale.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_conversation_seq", "conversation_id", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(8))  # citizen | bot | agent
    text: Mapped[str] = mapped_column(Text)  # redacted
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    language: Mapped[str | None] = mapped_column(String(8))
    pii_kinds: Mapped[list[str] | None] = mapped_column(JSON)  # what was redacted, not values


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_conversation_message", "conversation_id",
                            "message_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16), index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    municipality: Mapped[str | None] = mapped_column(String(4))
    target: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    guides: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    mode: Mapped[str] = mapped_column(String(16), default=Mode.GROUNDED.value)
    # The channel's id of the citizen's message (chat client id, e-mail Message-ID) and
    # what the turn answered: a re-sent message is answered from here, never run twice.
    message_id: Mapped[str | None] = mapped_column(String(80))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HandoffPacket(Base):
    """A handoff, transfer or ticket: what the receiving person needs, redacted."""

    __tablename__ = "handoffs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # handoff | transfer | ticket
    target: Mapped[str] = mapped_column(String(8), index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # ddh.vocabulary.HandoffReason; NULL: written before reasons were recorded.
    reason_kind: Mapped[str | None] = mapped_column(String(24))
    summary: Mapped[str] = mapped_column(Text)
    packet: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # staffing
    status: Mapped[str] = mapped_column(String(16), default="open")


class CallbackContact(Base):
    """A consented callback number, kept apart from transcripts, for tickets only."""

    __tablename__ = "callback_contacts"

    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TicketDelivery(Base):
    """The outbox: one row per ticket and destination, delivered exactly once.

    Written in the same transaction as the ticket itself. `id` is the idempotency key
    the receiver sees on every attempt (e-mail Message-ID, webhook header), so a retry
    after a lost acknowledgement cannot create a second case at the municipality.
    """

    __tablename__ = "ticket_deliveries"

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook | file
    destination: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class User(Base):
    """A person using the console: agent, municipal manager or DDH administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # agent | manager | admin
    municipality: Mapped[str | None] = mapped_column(String(4))  # member / managed one
    skills: Mapped[list[str] | None] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: single sign-on
    phone: Mapped[str | None] = mapped_column(String(64))  # where voice handoffs ring
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: DDH_AGENT_CAPACITY
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginSession(Base):
    """A signed-in browser. Only the token's hash is stored; logout, expiry or disabling
    the user ends it at once, on every gateway process."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who looked at or changed what (every view of a transcript is one row)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    username: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(40))
    object: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)


class KpiHour(Base):
    """The dashboard's hourly roll-up: one row per started UTC hour, municipality,
    channel and topic ('' where unknown), counting contacts (conversations with a
    citizen turn). Rebuilt from `conversations` by store/rollup.py."""

    __tablename__ = "kpi_hours"

    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(4), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    contacts: Mapped[int] = mapped_column(Integer)
    resolved_bot: Mapped[int] = mapped_column(Integer)
    resolved_agent: Mapped[int] = mapped_column(Integer)
    transfers: Mapped[int] = mapped_column(Integer)
    tickets: Mapped[int] = mapped_column(Integer)
    redirects: Mapped[int] = mapped_column(Integer)
    handed_off: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    ended: Mapped[int] = mapped_column(Integer)
    handling_s: Mapped[float] = mapped_column(Float)  # sum over ended contacts
    scores: Mapped[int] = mapped_column(Integer)
    score_sum: Mapped[int] = mapped_column(Integer)


class KpiValue(Base):
    """Distributions behind medians and percentiles: how many contacts of an hour had
    each value of a measure ('wait': queue wait in whole seconds of answered handoffs;
    'score': satisfaction 1-10)."""

    __tablename__ = "kpi_values"

    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(4), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class KpiReason(Base):
    """Escalations (handoffs, transfers, tickets) per reason: one row per started UTC
    hour, municipality, channel and topic of the contact ('' where unknown), kind and
    reason ('' where not recorded). Rebuilt with `kpi_hours` by store/rollup.py."""

    __tablename__ = "kpi_reasons"

    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(4), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class KpiState(Base):
    """Book-keeping of the roll-up (the time of the last refresh)."""

    __tablename__ = "kpi_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CrisisNotice(Base):
    """A municipality's crisis notice (beredskab): what the frontdesk tells citizens who
    ask about the incident, until it expires. Changes are audited in `audit_log`."""

    __tablename__ = "crisis_notices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(4), index=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)  # citizen-facing, Danish
    keywords: Mapped[list[str]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(120))
    # When it stopped (expiry, or ended early) and that was audited; None while live.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversationStateRow(Base):
    """A live conversation's state (`bot.turn.state.ConversationState.as_json`, redacted),
    so that any gateway process can take its next turn and a restart loses nothing.
    `version` counts the writes: a process whose copy is older reads it again."""

    __tablename__ = "conversation_states"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # 0: a lease taken before any state
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The process taking a turn of the conversation now, and until when (store/live.py).
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChatEvent(Base):
    """One event of a chat conversation's log, in order (`seq`), as the client gets it;
    `client_id` is the citizen's message id the event answers or carries."""

    __tablename__ = "chat_events"
    __table_args__ = (
        Index("ix_chat_events_conversation_seq", "conversation_id", "seq", unique=True),
        Index("ix_chat_events_conversation_client", "conversation_id", "client_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str | None] = mapped_column(String(80))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class MunicipalGuide(Base):
    """A guide a municipality edits in the admin (store/guides.py). Its text lives in
    its versions; `status` is the guide's own (draft: never published, published,
    retired). `live_serial` is raised on every publication or retirement, so that each
    gateway process sees cheaply that the published set changed."""

    __tablename__ = "municipal_guides"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(4), index=True)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)  # the newest version's number
    published_version: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(120))
    review_by: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    live_serial: Mapped[int] = mapped_column(Integer, index=True, default=0)


class MunicipalGuideVersion(Base):
    """One version of a municipality's guide, in the corpus schema's fields.
    Status: draft, submitted (for review), published, superseded, retired."""

    __tablename__ = "municipal_guide_versions"
    __table_args__ = (Index("ix_municipal_guide_versions_guide_version", "guide_id",
                            "version", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guide_id: Mapped[str] = mapped_column(ForeignKey("municipal_guides.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    steps: Mapped[list[str]] = mapped_column(JSON)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    review_by: Mapped[date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewer: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)


class EmailMessage(Base):
    """One mail of the e-mail channel, in or out (gateway/mail_channel.py): the thread
    index (every Message-ID, ours too, points to its conversation), the dedup key of a
    received mail (one turn per Message-ID, whatever process or restart), and the
    outbox of replies (sent, retried with back-off, never lost).

    The citizen's address (`address`) is kept only to answer them and is forgotten with
    the conversation's text; `peer` (its SHA-256) counts replies for the loop guard.
    Subjects are redacted; bodies are ours (replies); attachments are named, never kept.
    """

    __tablename__ = "email_messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # in:<hash> / out:<hash>
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # citizen | robot | loop | empty | reply
    # in: received (claimed, turn not yet taken) | handled | ignored
    # out: pending | sent | failed
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(String(40))  # why ignored / last outcome
    municipality: Mapped[str | None] = mapped_column(String(4))
    address: Mapped[str | None] = mapped_column(String(320))  # the citizen's
    peer: Mapped[str] = mapped_column(String(64), index=True)  # sha256(address)
    sender: Mapped[str | None] = mapped_column(String(320))  # our From (replies)
    subject: Mapped[str] = mapped_column(Text)  # redacted
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    refs: Mapped[list[str] | None] = mapped_column(JSON)  # References header
    body: Mapped[str | None] = mapped_column(Text)  # a reply's text
    auth: Mapped[dict[str, str] | None] = mapped_column(JSON)  # spf/dkim/dmarc verdicts
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # names only
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Shift(Base):
    """One seat of one DDH shift in a week's plan (handoff/shift_plan.py): a shift of
    three seats is three rows, so that each seat can be owned, traded and staffed on
    its own and the week's total is a plain count. `owner` is the municipality that
    staffs it now (NULL: open on the marketplace); `base_owner` is what the
    allocation key gave it (NULL: offered on the marketplace from the start). Trading
    changes `owner` only: shifts are never created or deleted by a trade."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_slot", "starts_at", "ends_at", "seat", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    week: Mapped[date] = mapped_column(Date, index=True)  # the Monday of the plan's week
    day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seat: Mapped[int] = mapped_column(Integer)  # 1..seats of this shift
    owner: Mapped[str | None] = mapped_column(String(4), index=True)
    base_owner: Mapped[str | None] = mapped_column(String(4))
    jumpseat: Mapped[bool] = mapped_column(default=False)
    agent: Mapped[str | None] = mapped_column(String(120), index=True)  # username
    # The console's last jumpseat advice ("off" | "on") and since when: the hysteresis
    # reads it, so that every gateway process gives the same advice.
    advice: Mapped[str | None] = mapped_column(String(8))
    advice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JumpseatLeg(Base):
    """A stretch of a jumpseat shift its agent spent off the DDH line (back at their
    municipal work), from hopping off until hopping on again (NULL: still off). The
    saved hours are these stretches while the service level held (handoff/jumpseat.py)."""

    __tablename__ = "jumpseat_legs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), index=True)
    agent: Mapped[str] = mapped_column(String(120))
    off_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    on_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversationNote(Base):
    """An agent's internal note on a conversation (store/notes.py): never shown to the
    citizen, kept with the conversation when it is handed to a colleague, redacted like
    every text here and forgotten with the conversation's text."""

    __tablename__ = "conversation_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    agent: Mapped[str] = mapped_column(String(120))  # username
    name: Mapped[str] = mapped_column(String(200))  # as colleagues read it
    text: Mapped[str] = mapped_column(Text)  # redacted
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CannedReply(Base):
    """A shared reply agents insert with "/" and its shortcut (store/canned.py): one set
    per queue ("ddh" or a kommunekode), kept by managers and administrators."""

    __tablename__ = "canned_replies"
    __table_args__ = (Index("ix_canned_replies_queue_shortcut", "queue", "shortcut",
                            unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(4))
    shortcut: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
