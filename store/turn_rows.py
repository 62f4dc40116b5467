"""The rows every citizen turn writes, as Core statements.

Why: these run on every turn of every conversation, and the ORM's unit of work (load
the conversation, diff it, flush, stamp) cost more CPU than the turn's own thinking.
Core statements write the same rows with nothing loaded: the conversation is an
upsert (`INSERT … ON CONFLICT DO UPDATE`, SQLite and PostgreSQL alike), the turn's two
transcript lines one statement, the decision one, and the versioned state an
`UPDATE … WHERE version = :read` that reads no JSON. The statements are built once
(building one, and its cache key, costs more than running it) and run on the
session's connection, past the ORM's execute. The rare rows of a turn (handoff
packets, tickets, callback numbers) stay with the ORM in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import Conversation, ConversationStateRow, Decision, Turn
from store.records import TurnRecord

CONVERSATIONS = cast(Table, Conversation.__table__)  # a mapped class's table
TURNS = cast(Table, Turn.__table__)  # a mapped class's table
DECISIONS = cast(Table, Decision.__table__)  # a mapped class's table
STATES = cast(Table, ConversationStateRow.__table__)  # a mapped class's table
_S = STATES.c

KEPT = ("municipality", "municipality_source", "topic", "notice_id", "language", "outcome",
        "satisfaction", "ended_at")  # a turn that does not know one keeps the stored one
_UPSERTS: dict[str, Any] = {}
INSERT_TURNS = insert(TURNS)
INSERT_DECISION = insert(DECISIONS)
INSERT_STATE = insert(STATES)
_NEXT = {"version": _S.version + 1, "data": bindparam("data", type_=_S.data.type),
         "updated_at": bindparam("now", type_=_S.updated_at.type),
         "lease_owner": None, "lease_until": None}
REPLACE_STATE = update(STATES).where(_S.id == bindparam("cid")).values(_NEXT)
NEXT_STATE = update(STATES).where(_S.id == bindparam("cid"),
                                  _S.version == bindparam("read")).values(_NEXT)
STATE_VERSION = select(_S.version).where(_S.id == bindparam("cid"))
TAKE_LEASE = update(STATES).where(
    _S.id == bindparam("cid"),
    (_S.lease_owner.is_(None)) | (_S.lease_owner == bindparam("owner"))
    | (_S.lease_until < bindparam("now", type_=_S.lease_until.type))).values(
    lease_owner=bindparam("owner"), lease_until=bindparam("until", type_=_S.lease_until.type),
    updated_at=bindparam("now")).returning(_S.version)


class StaleState(Exception):
    """Another process wrote the conversation's state since this one read it."""


def _upsert(dialect: str) -> Any:
    """The conversation upsert for the dialect: every value a bound parameter, NULL
    meaning "keep"."""
    if dialect not in _UPSERTS:
        c = CONVERSATIONS.c
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CONVERSATIONS)
        excluded = stmt.excluded
        _UPSERTS[dialect] = stmt.on_conflict_do_update(index_elements=[c.id], set_={
            **{k: func.coalesce(excluded[k], c[k]) for k in KEPT},
            "last_action": excluded.last_action, "updated_at": excluded.updated_at,
            "turns": case((func.coalesce(c.turns, 0) < excluded.turns, excluded.turns),
                          else_=c.turns)})
    return _UPSERTS[dialect]


def upsert_conversation(s: Session, rec: TurnRecord, now: datetime) -> None:
    """The conversation row after this turn: created by its first turn; later turns
    keep what they do not know (`x = rec.x or stored.x`), count turns up only and
    stamp `updated_at` (the roll-ups' freshness, store/rollup.py)."""
    known = {"municipality": rec.municipality,
             "municipality_source": rec.municipality_source,
             "topic": rec.conversation_topic, "notice_id": rec.notice_id,
             "language": rec.language or "da",
             "outcome": str(rec.outcome) if rec.outcome else None,
             "satisfaction": rec.satisfaction, "ended_at": rec.at if rec.ended else None}
    conn = s.connection()
    conn.execute(_upsert(conn.dialect.name), {
        **{k: None if v == "" else v for k, v in known.items()},
        "id": rec.conversation_id, "channel": str(rec.channel), "started_at": rec.at,
        "turns": rec.seq, "last_action": str(rec.action), "updated_at": now,
        "agent": None, "queue_wait_s": None})


def insert_turn(s: Session, rec: TurnRecord) -> None:
    """The citizen's line, the bot's line and the decision (with the message id and
    result a re-sent message is answered from). A second write of the same turn
    violates the (conversation, seq) keys: the caller's IntegrityError."""
    conn = s.connection()
    conn.execute(INSERT_TURNS, [
        {"conversation_id": rec.conversation_id, "seq": 2 * rec.seq - 1, "role": "citizen",
         "text": rec.citizen_text, "at": rec.at, "language": rec.language,
         "pii_kinds": sorted(rec.pii_kinds) or None},
        {"conversation_id": rec.conversation_id, "seq": 2 * rec.seq, "role": "bot",
         "text": rec.bot_text, "at": rec.at, "language": rec.language, "pii_kinds": None}])
    conn.execute(INSERT_DECISION, {
        "conversation_id": rec.conversation_id, "seq": rec.seq, "at": rec.at,
        "action": str(rec.action), "topic": rec.topic, "municipality": rec.municipality,
        "target": rec.target, "reason": rec.reason, "guides": rec.guides or None,
        "latency_ms": rec.latency_ms, "mode": str(rec.mode), "message_id": rec.message_id,
        "result": rec.result})


def put_state(s: Session, conversation_id: str, data: dict[str, Any],
              version: int | None) -> None:
    """Write a state read at `version` as the next version (inside the caller's
    transaction), which also ends the turn's lease; `StaleState` when the stored one
    is no longer `version`. `None`: whatever is stored is replaced."""
    now = datetime.now(UTC)
    conn = s.connection()
    params = {"cid": conversation_id, "data": data, "now": now, "read": version}
    if conn.execute(REPLACE_STATE if version is None else NEXT_STATE, params).rowcount:
        return
    if version or conn.execute(STATE_VERSION, params).scalar() is not None:
        raise StaleState(conversation_id)  # gone, or written by another process
    conn.execute(INSERT_STATE, {"id": conversation_id, "version": 1, "data": data,
                                "updated_at": now, "lease_owner": None, "lease_until": None})


def take_lease(s: Session, conversation_id: str, owner: str, now: datetime,
               until: datetime) -> int | None:
    """The state's version with the lease taken, if it was free (or ours, or expired);
    None: there is no row, or another process holds it."""
    return s.connection().execute(TAKE_LEASE, {"cid": conversation_id, "owner": owner,
                                               "now": now, "until": until}).scalar()
