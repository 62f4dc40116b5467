"""The quality figures DDH steers by, computed from the outcome store.

Definitions (DOMAIN.md, "Quality data"); a *contact* is a conversation in the period
(filtered by municipality and channel) in which the citizen said something:
- StraksSag %: contacts resolved in the first contact, by the bot or an agent, without
  transfer or ticket (outcome `resolved_bot` or `resolved_agent`) / contacts;
- bot resolution % (containment): outcome `resolved_bot` / contacts;
- answer rate: handoffs an agent answered / handoffs offered;
- transfer rate and ticket rate: outcome `transfer` / contacts, `ticket` / contacts;
- redirect share: outcome `redirect` / contacts;
- satisfaction: mean score 1–10, and response rate = scores / ended contacts;
- queue wait: median and 90th percentile of the waits of answered handoffs; service
  level: handoffs answered within the target wait / handoffs offered (an unanswered
  one never met it);
- handling time: mean seconds from a contact's start to its end (ended contacts).
Counting happens in SQL that runs on SQLite and PostgreSQL; only the wait percentiles
and the local-time hour buckets are finished in Python (Europe/Copenhagen, so the
volume heat map is in the hours people live by).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, select

from bot.store.models import Conversation, HandoffPacket
from bot.store.outcomes import OutcomeStore

TZ = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None
    end: datetime | None = None  # exclusive
    municipality: str | None = None
    channel: str | None = None

    def apply(self, q: Select) -> Select:
        conds = [Conversation.turns >= 1]
        if self.start is not None:
            conds.append(Conversation.started_at >= self.start)
        if self.end is not None:
            conds.append(Conversation.started_at < self.end)
        if self.municipality:
            conds.append(Conversation.municipality == self.municipality)
        if self.channel:
            conds.append(Conversation.channel == self.channel)
        return q.where(and_(*conds))


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def _count(outcome: str) -> Any:
    return func.sum(case((Conversation.outcome == outcome, 1), else_=0))


def _seconds(store: OutcomeStore, start: Any, end: Any) -> Any:
    if store.engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def headline(store: OutcomeStore, f: Filters = Filters(), sl_target_s: float = 60.0) -> dict:
    with store.sessions() as s:
        row = s.execute(f.apply(select(
            func.count(Conversation.id), _count("resolved_bot"), _count("resolved_agent"),
            _count("transfer"), _count("ticket"), _count("redirect"),
            func.avg(Conversation.satisfaction), func.count(Conversation.satisfaction),
            func.sum(case((Conversation.ended_at.is_not(None), 1), else_=0)),
            func.avg(case((Conversation.ended_at.is_not(None),
                           _seconds(store, Conversation.started_at, Conversation.ended_at)))),
        ))).one()
        contacts, bot, agent, transfer, ticket, redirect, sat, scores, ended, handling = \
            (x or 0 for x in row)
        offered = s.scalar(f.apply(select(func.count(HandoffPacket.id)).join(
            Conversation, Conversation.id == HandoffPacket.conversation_id).where(
            HandoffPacket.kind == "handoff"))) or 0
        waits = [w for (w,) in s.execute(f.apply(select(Conversation.queue_wait_s).where(
            Conversation.agent.is_not(None), Conversation.queue_wait_s.is_not(None))))]
    waits.sort()
    return {
        "contacts": contacts,
        "straks_sag": _ratio(bot + agent, contacts),
        "bot_resolution": _ratio(bot, contacts),
        "answer_rate": _ratio(len(waits), offered),
        "handoffs_offered": offered,
        "handoffs_answered": len(waits),
        "transfer_rate": _ratio(transfer, contacts),
        "ticket_rate": _ratio(ticket, contacts),
        "redirect_share": _ratio(redirect, contacts),
        "satisfaction_mean": round(float(sat), 2) if scores else None,
        "satisfaction_response_rate": _ratio(scores, ended),
        "queue_wait_median_s": round(statistics.median(waits), 1) if waits else None,
        "queue_wait_p90_s": _round(_percentile(waits, 0.9)),
        "service_level": _ratio(sum(w <= sl_target_s for w in waits), offered),
        "service_level_target_s": sl_target_s,
        "handling_time_s": round(float(handling), 1) if ended else None,
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (the value at or below which p of the values lie)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 1))  # ceil(n·p)
    return sorted_values[int(rank) - 1]


def per_municipality(store: OutcomeStore, f: Filters = Filters()) -> list[dict]:
    """The table DDH already reports: contacts, resolved by the bot, handed off,
    transferred and tickets, per municipality."""
    handed = select(HandoffPacket.conversation_id).where(HandoffPacket.kind == "handoff")
    with store.sessions() as s:
        rows = s.execute(f.apply(select(
            Conversation.municipality, func.count(Conversation.id), _count("resolved_bot"),
            func.sum(case((Conversation.id.in_(handed), 1), else_=0)),
            _count("transfer"), _count("ticket"),
        )).group_by(Conversation.municipality).order_by(func.count(Conversation.id).desc()))
        return [{"municipality": m, "contacts": n, "resolved_bot": b or 0,
                 "handed_off": h or 0, "transferred": t or 0, "tickets": k or 0}
                for m, n, b, h, t, k in rows]


def _hours(store: OutcomeStore, f: Filters) -> list[tuple[datetime, int, int]]:
    """(local hour, contacts, resolved by the bot) per started UTC hour: grouping by
    UTC hour is portable SQL; the local time is worked out here (DST included)."""
    if store.engine.dialect.name == "sqlite":
        bucket = func.strftime("%Y-%m-%dT%H:00:00+00:00", Conversation.started_at)
    else:
        bucket = func.to_char(func.date_trunc("hour", func.timezone("UTC",
                              Conversation.started_at)), 'YYYY-MM-DD"T"HH24:00:00+00:00')
    with store.sessions() as s:
        rows = s.execute(f.apply(select(bucket, func.count(Conversation.id),
                                        _count("resolved_bot"))).group_by(bucket))
        return [(datetime.fromisoformat(h).astimezone(TZ), n, b or 0) for h, n, b in rows]


def volume_by_hour(store: OutcomeStore, f: Filters = Filters()) -> dict[tuple[int, int], int]:
    """Contacts per (weekday 0=Monday, local hour): the heat map's cells."""
    cells: Counter[tuple[int, int]] = Counter()
    for local, n, _ in _hours(store, f):
        cells[(local.weekday(), local.hour)] += n
    return dict(cells)


def daily(store: OutcomeStore, f: Filters = Filters()) -> list[dict]:
    """Contacts and bot-resolved contacts per local day (the trend)."""
    days: dict[str, list[int]] = {}
    for local, n, bot in _hours(store, f):
        day = days.setdefault(local.date().isoformat(), [0, 0])
        day[0] += n
        day[1] += bot
    return [{"day": d, "contacts": n, "resolved_bot": b} for d, (n, b) in sorted(days.items())]


def top_topics(store: OutcomeStore, f: Filters = Filters(), n: int = 10) -> list[dict]:
    with store.sessions() as s:
        rows = s.execute(f.apply(select(Conversation.topic, func.count(Conversation.id)))
                         .where(Conversation.topic.is_not(None)).group_by(Conversation.topic)
                         .order_by(func.count(Conversation.id).desc()).limit(n))
        return [{"topic": t, "contacts": c} for t, c in rows]


def satisfaction_distribution(store: OutcomeStore, f: Filters = Filters()) -> dict[int, int]:
    with store.sessions() as s:
        rows = s.execute(f.apply(select(Conversation.satisfaction, func.count()))
                         .where(Conversation.satisfaction.is_not(None))
                         .group_by(Conversation.satisfaction))
        found = {int(score): n for score, n in rows}
    return {score: found.get(score, 0) for score in range(1, 11)}
