"""The hourly roll-up behind the dashboard.

Why: straight from `conversations`, the dashboard's default view over a million
conversations took 2.9 s at p95 (bench/kpi.py), because every figure visited every
contact of the period, scattered over the table. The roll-up keeps, per started UTC
hour × municipality × channel × topic, the counts and sums the KPI definitions need
(store/kpi.py), the distributions of waits and scores for medians and percentiles,
and the contacts' escalations per kind and reason; the dashboard reads only these
rows.

Freshness: every write of a conversation stamps its `updated_at` (a session hook
installed here, so no writer can forget it; a new handoff packet stamps its
conversation). `refresh()` finds the hours whose conversations changed since the last
refresh, recomputes exactly those hours from `conversations` and replaces their rows,
in one transaction. It looks back `OVERLAP` before the last refresh so that a write
still in flight at that moment (a slow commit, another gateway process, a clock a
little behind) is not missed; recomputing an hour is idempotent. Refreshers serialise
on a lock (PostgreSQL advisory lock; SQLite's single writer).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    delete,
    event,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ddh.logging import get_logger
from ddh.vocabulary import Action, Outcome
from store.models import Conversation, HandoffPacket, KpiHour, KpiReason, KpiState, KpiValue

log = get_logger(__name__)
OVERLAP = timedelta(minutes=10)
HOUR = timedelta(hours=1)
LOCK_KEY = 0x44_44_48_01  # "DDH" + 1: the PostgreSQL advisory lock of the refresher
STATE = "rollup"
TABLES = (KpiHour, KpiValue, KpiReason)  # what a refresh rewrites, hour by hour


class Database(Protocol):
    """What a refresh needs of a store: its engine, its sessions and its retry policy.
    A protocol, so that the roll-up does not depend on the `OutcomeStore` that
    installs its stamp (the store imports the roll-up, never the other way)."""

    engine: Engine
    sessions: sessionmaker[Session]
    retries: int
    backoff_s: float


def install_stamp(sessions: sessionmaker) -> None:
    """Stamp `updated_at` on every conversation a session writes."""

    @event.listens_for(sessions, "before_flush")
    def _stamp(session: Session, _ctx: Any, _instances: Any) -> None:
        now = datetime.now(UTC)
        packets: set[str] = set()
        for obj in chain(session.new, session.dirty):
            if isinstance(obj, Conversation):
                obj.updated_at = now
            elif isinstance(obj, HandoffPacket):
                packets.add(obj.conversation_id)
        if packets:
            session.execute(update(Conversation).where(Conversation.id.in_(packets))
                            .values(updated_at=now))


def hour_of(store: Database, column: Any) -> ColumnElement:
    """The UTC hour an instant falls in, as the database computes it."""
    if store.engine.dialect.name == "sqlite":
        return func.strftime(literal_column("'%Y-%m-%d %H:00:00'"), column)
    return func.date_trunc(literal_column("'hour'"),
                           func.timezone(literal_column("'UTC'"), column))


def as_hour(value: str | datetime) -> datetime:
    """A database's hour bucket as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def refresh(store: Database) -> int:
    """Bring the roll-up up to date; returns how many hours were recomputed. A locked
    database (another writer) is retried with backoff, like every store write."""
    for attempt in range(store.retries + 1):
        try:
            return _refresh(store)
        except OperationalError as exc:
            if attempt == store.retries:
                raise
            log.warning("rollup.retry", attempt=attempt + 1, error=str(exc)[:200])
            time.sleep(store.backoff_s * (2 ** attempt))
    return 0  # unreachable


def _refresh(store: Database) -> int:
    started = datetime.now(UTC)
    with store.sessions.begin() as s:
        _lock(store, s)
        state = s.get(KpiState, STATE)
        if state is None:  # never rolled up: every hour
            for table in TABLES:
                s.execute(delete(table))
            n = _roll_up(store, s, None)
            s.add(KpiState(name=STATE, at=started))
            return n
        hour = hour_of(store, Conversation.started_at)
        dirty = sorted(as_hour(h) for h in s.scalars(
            select(hour).distinct().where(Conversation.updated_at >= state.at - OVERLAP)))
        for first, last in _ranges(dirty):
            for table in TABLES:
                s.execute(delete(table).where(table.hour >= first, table.hour <= last))
            _roll_up(store, s, (first, last + HOUR))
        state.at = started
        return len(dirty)


def _lock(store: Database, s: Session) -> None:
    """Serialise refreshers. On SQLite the first statement is a write, so this
    transaction holds the write lock before it reads anything."""
    if store.engine.dialect.name == "postgresql":
        s.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    else:
        s.execute(update(KpiState).where(KpiState.name == STATE).values(at=KpiState.at))


def _ranges(hours: list[datetime]) -> Iterable[tuple[datetime, datetime]]:
    """Consecutive hours merged into (first, last) ranges."""
    first = last = None
    for h in hours:
        if last is not None and h - last == HOUR:
            last = h
            continue
        if first is not None and last is not None:
            yield first, last
        first = last = h
    if first is not None and last is not None:
        yield first, last


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _seconds(store: Database, start: Any, end: Any) -> Any:
    if store.engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _roll_up(store: Database, s: Session,
             period: tuple[datetime, datetime] | None) -> int:
    """Recompute the roll-up rows of the conversations started in `period` (all if
    None) and insert them; returns the number of hours written."""
    c = Conversation
    hour = hour_of(store, c.started_at)
    key = (hour, func.coalesce(c.municipality, literal_column("''")), c.channel,
           func.coalesce(c.topic, literal_column("''")))
    where = [c.turns >= 1]
    if period is not None:
        where += [c.started_at >= period[0], c.started_at < period[1]]
    handed = exists().where(HandoffPacket.conversation_id == c.id,
                            HandoffPacket.kind == Action.HANDOFF.value)
    answered = and_(c.agent.is_not(None), c.queue_wait_s.is_not(None))
    ended = c.ended_at.is_not(None)
    rows = s.execute(select(
        *key, func.count(), _count(c.outcome == Outcome.RESOLVED_BOT.value),
        _count(c.outcome == Outcome.RESOLVED_AGENT.value),
        _count(c.outcome == Outcome.TRANSFER.value),
        _count(c.outcome == Outcome.TICKET.value), _count(c.outcome == Outcome.REDIRECT.value),
        _count(handed),
        _count(answered), _count(ended),
        func.sum(case((ended, _seconds(store, c.started_at, c.ended_at)), else_=0.0)),
        func.count(c.satisfaction), func.coalesce(func.sum(c.satisfaction), 0),
    ).where(*where).group_by(*key)).all()
    names = ("contacts", "resolved_bot", "resolved_agent", "transfers", "tickets",
             "redirects", "handed_off", "answered", "ended", "handling_s", "scores",
             "score_sum")
    hours_rows = [{"hour": as_hour(r[0]), "municipality": r[1], "channel": r[2],
                   "topic": r[3], **dict(zip(names, r[4:], strict=True))}
                  for r in map(tuple, rows)]
    values: list[dict[str, Any]] = []
    wait = cast(func.round(c.queue_wait_s), Integer)
    for measure, value, cond in (("wait", wait, answered),
                                 ("score", c.satisfaction, c.satisfaction.is_not(None))):
        counted: list[Any] = list(s.execute(select(*key, value, func.count())
                                            .where(*where, cond).group_by(*key, value)))
        for r in counted:
            values.append({"hour": as_hour(r[0]), "municipality": r[1], "channel": r[2],
                           "topic": r[3], "measure": measure, "value": int(r[4]),
                           "n": r[5]})
    h = HandoffPacket
    reason = func.coalesce(h.reason_kind, literal_column("''"))
    reasons = [{"hour": as_hour(r[0]), "municipality": r[1], "channel": r[2], "topic": r[3],
                "kind": r[4], "reason": r[5], "n": r[6]}
               for r in s.execute(select(*key, h.kind, reason, func.count())
                                  .select_from(c).join(h, h.conversation_id == c.id)
                                  .where(*where).group_by(*key, h.kind, reason))]
    for table, batch in ((KpiHour, hours_rows), (KpiValue, values), (KpiReason, reasons)):
        for i in range(0, len(batch), 20_000):
            s.execute(insert(table), batch[i:i + 20_000])
    return len({r["hour"] for r in hours_rows})

