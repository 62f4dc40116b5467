"""Live conversations in the store: their state and their chat log, for every process.

A conversation must survive a restart, a deploy and a second gateway process: the
frontdesk keeps the typed state of each conversation here (written in the same
transaction as the turn's record, `store.outcomes`), and the chat channel keeps its
ordered event log here. Processes cache both; the `version` of a state and the `seq`
of an event tell a process that its copy is behind.

Writes are retried with back-off (a locked SQLite file, a PostgreSQL fail-over); the
unique (conversation, seq) key makes two processes appending at once take turns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ddh.logging import get_logger
from store.journal import Journal
from store.models import ChatEvent, Conversation, ConversationStateRow, Decision
from store.turn_rows import (
    INSERT_STATE,
    STATE_VERSION,
    STATES,
    StaleState,
    put_state,
    take_lease,
)

log = get_logger(__name__)
T = TypeVar("T")
INSERT_EVENTS = insert(cast(Table, ChatEvent.__table__))
LEASE_S = 15.0  # a turn takes milliseconds; a holder that died is overtaken after this


class LiveStore:
    """Reads and writes of live conversations (states, chat events, replays)."""

    def __init__(self, sessions: sessionmaker[Session], fast: sessionmaker[Session],
                 journal: Journal, lock: threading.Lock, retries: int = 4,
                 backoff_s: float = 0.05) -> None:
        """`fast`: sessions that give up on a lock quickly; `journal` (with the store's
        write `lock`): where chat events wait when the store is locked."""
        self.sessions = sessions
        self.fast = fast
        self.journal = journal
        self.lock = lock
        self.retries = retries
        self.backoff_s = backoff_s

    def _retry(self, what: str, fn: Callable[[Session], T]) -> T:
        for attempt in range(self.retries + 1):
            try:
                with self.sessions.begin() as s:
                    return fn(s)
            except IntegrityError:
                if attempt == self.retries:
                    raise
                log.info("live.write_conflict", what=what, attempt=attempt + 1)
            except OperationalError as exc:
                if attempt == self.retries:
                    raise
                log.warning("live.write_retry", what=what, attempt=attempt + 1,
                            error=str(exc)[:200])
                time.sleep(self.backoff_s * (2 ** attempt))
        raise AssertionError("unreachable")

    # --- states --------------------------------------------------------------------

    def state(self, conversation_id: str) -> tuple[dict[str, Any], int] | None:
        """The stored state and its version, or None."""
        with self.sessions() as s:
            row = s.get(ConversationStateRow, conversation_id)
            return (row.data, row.version) if row is not None and row.version else None

    # --- leases --------------------------------------------------------------------

    def lease(self, conversation_id: str, owner: str, ttl_s: float = LEASE_S,
              wait_s: float = LEASE_S + 1) -> int | None:
        """Hold the conversation for one turn: wait while another process holds it (a
        holder that died loses it after `ttl_s`); the stored state's version (0: none).
        None: the store could not be reached quickly (locked: the caller goes on, its
        writes are journalled)."""
        deadline = time.monotonic() + wait_s
        delay = 0.005
        while True:
            try:
                with self.fast.begin() as s:
                    version = _take(s, conversation_id, owner, ttl_s)
                    if version is not None:
                        return version
            except IntegrityError:
                continue  # another process made the row first: try again at once
            except OperationalError as exc:
                log.warning("live.lease_unavailable", conversation=conversation_id,
                            error=str(exc)[:200])
                return None
            if time.monotonic() > deadline:
                log.error("live.lease_timeout", conversation=conversation_id)
                return None
            time.sleep(delay)
            delay = min(0.1, delay * 2)

    def release(self, conversation_id: str, owner: str) -> None:
        """Give the lease back without a written turn (the turn failed)."""
        try:
            with self.fast.begin() as s:
                s.execute(update(STATES).where(
                    STATES.c.id == conversation_id, STATES.c.lease_owner == owner).values(
                    lease_owner=None, lease_until=None))
        except SQLAlchemyError as exc:  # it expires by itself
            log.warning("live.release_failed", error=str(exc)[:200])

    def version(self, conversation_id: str) -> int:
        """The stored state's version (0: none stored)."""
        with self.sessions() as s:
            return s.scalar(select(ConversationStateRow.version).where(
                ConversationStateRow.id == conversation_id)) or 0

    def save_state(self, conversation_id: str, data: dict[str, Any], version: int) -> int:
        """Write a state outside a turn (a conversation opened); the version it has now.
        Unwritten (the store is locked or down, earlier writes are still journalled, or
        another process wrote first): the old one, and the next turn writes it."""
        with self.lock:
            if len(self.journal):
                return version
            try:
                with self.fast.begin() as s:
                    put_state(s, conversation_id, data, version)
            except (SQLAlchemyError, StaleState) as exc:
                log.error("live.state_deferred", conversation=conversation_id,
                          error=str(exc)[:200])
                return version
        return version + 1

    def idle(self, before: datetime, limit: int = 500) -> list[str]:
        """Conversations whose state was last written before `before`, oldest first."""
        with self.sessions() as s:
            return list(s.scalars(select(ConversationStateRow.id).where(
                ConversationStateRow.updated_at < before, ConversationStateRow.version > 0)
                .order_by(ConversationStateRow.updated_at).limit(limit)).all())

    def lapsed_calls(self, before: datetime, limit: int = 500) -> list[str]:
        """Calls not ended whose state nobody has touched since `before` and whose
        lease is not live: the process holding them died (a live call renews its lease,
        and with it the state's stamp, every few seconds). Read from the state itself:
        a call that died before its first turn was recorded has no conversation row
        yet, and still counts. (An ended conversation's state is deleted.)"""
        row = ConversationStateRow
        with self.sessions() as s:
            return list(s.scalars(select(row.id).where(
                row.data["channel"].as_string() == "voice",
                row.version > 0, row.updated_at < before,
                or_(row.lease_until.is_(None), row.lease_until < before)).limit(limit)).all())

    def drop_placeholders(self, before: datetime) -> None:
        """Leases of turns that never wrote a state (they failed), long expired."""
        self._retry("placeholders", lambda s: s.execute(delete(ConversationStateRow).where(
            ConversationStateRow.version == 0, ConversationStateRow.updated_at < before)))

    def recorded_turns(self, conversation_id: str) -> int:
        """How many citizen turns the store has of a conversation (0: none), so that a
        conversation taken up again without its state numbers its turns on."""
        with self.sessions() as s:
            return s.scalar(select(Conversation.turns).where(
                Conversation.id == conversation_id)) or 0

    def replay(self, conversation_id: str, message_id: str) -> dict[str, Any] | None:
        """What the turn of a message already handled answered (`TurnResult` as JSON)."""
        with self.sessions() as s:
            return s.scalar(select(Decision.result).where(
                Decision.conversation_id == conversation_id,
                Decision.message_id == message_id))

    # --- chat log ------------------------------------------------------------------

    def events(self, conversation_id: str, since: int = 0) -> list[dict[str, Any]]:
        with self.sessions() as s:
            rows = s.scalars(select(ChatEvent.data).where(
                ChatEvent.conversation_id == conversation_id, ChatEvent.seq > since)
                .order_by(ChatEvent.seq)).all()
            return list(rows)

    def answered(self, conversation_id: str, client_id: str) -> list[dict[str, Any]]:
        """The logged events of a citizen's message (their message and the reply)."""
        with self.sessions() as s:
            return list(s.scalars(select(ChatEvent.data).where(
                ChatEvent.conversation_id == conversation_id,
                ChatEvent.client_id == client_id).order_by(ChatEvent.seq)).all())

    def append(self, conversation_id: str, events: list[dict[str, Any]],
               client_id: str | None, first_seq: int) -> list[dict[str, Any]]:
        """Append events in one transaction, numbered from `first_seq` (what this
        process has seen), or after the last stored one when another process took that
        number; the events with their `seq`. The store locked (or earlier writes still
        journalled): numbered from `first_seq` and journalled, so the reply is not held."""
        def write(s: Session, first: int | None = None) -> list[dict[str, Any]]:
            if first is None:
                first = (s.scalar(select(func.max(ChatEvent.seq)).where(
                    ChatEvent.conversation_id == conversation_id)) or 0) + 1
            return _insert(s, conversation_id, events, client_id, first)

        with self.lock:
            if not len(self.journal):
                guess: int | None = first_seq  # what this process saw is usually right
                for _ in range(self.retries + 1):
                    try:
                        with self.fast.begin() as s:
                            return write(s, guess)
                    except IntegrityError:
                        guess = None  # another process took the number: count again
                    except OperationalError as exc:
                        log.warning("live.chat_journalled", error=str(exc)[:200])
                        break
            numbered = [{**e, "seq": first_seq + i} for i, e in enumerate(events)]
            self.journal.add("chat", {"conversation_id": conversation_id,
                                      "client_id": client_id, "events": numbered})
        return numbered

    def replay_events(self, payload: dict[str, Any]) -> None:
        """Write journalled chat events: as numbered, or — their numbers taken by
        another process meanwhile — after the last; never twice."""
        cid, client_id, events = payload["conversation_id"], payload["client_id"], \
            payload["events"]

        def write(s: Session) -> None:
            stored = {r.seq: r.data for r in s.scalars(select(ChatEvent).where(
                ChatEvent.conversation_id == cid,
                ChatEvent.seq.in_([e["seq"] for e in events]))).all()}
            if all(stored.get(e["seq"]) == e for e in events):
                return  # written before
            if stored:
                last = s.scalar(select(func.max(ChatEvent.seq)).where(
                    ChatEvent.conversation_id == cid)) or 0
                log.error("live.chat_renumbered", conversation=cid, after=last)
                _insert(s, cid, events, client_id, last + 1)
            else:
                _insert(s, cid, events, client_id, events[0]["seq"], keep=True)

        with self.sessions.begin() as s:
            write(s)


def _take(s: Session, conversation_id: str, owner: str, ttl_s: float) -> int | None:
    """Take the lease if it is free (or ours, or expired): the state's version; None
    while another process holds it."""
    now = datetime.now(UTC)
    until = now + timedelta(seconds=ttl_s)
    version = take_lease(s, conversation_id, owner, now, until)
    if version is not None:
        return version
    conn = s.connection()
    if conn.execute(STATE_VERSION, {"cid": conversation_id}).scalar() is None:
        # none yet: a placeholder (a second process racing here gets IntegrityError)
        conn.execute(INSERT_STATE, {"id": conversation_id, "version": 0, "data": {},
                                    "updated_at": now, "lease_owner": owner,
                                    "lease_until": until})
        return 0
    return None


def _insert(s: Session, conversation_id: str, events: list[dict[str, Any]],
            client_id: str | None, first: int, keep: bool = False) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = [event if keep else {**event, "seq": first + i} for i, event in enumerate(events)]
    s.connection().execute(INSERT_EVENTS, [  # one Core statement: every turn's hot path
        {"conversation_id": conversation_id, "seq": e["seq"], "client_id": client_id,
         "data": e, "at": now} for e in out])
    return out
