"""The per-day roll-up behind the agent quality, cost and wrong-call views.

Why: the dashboard's roll-up (store/rollup.py) has no agent in its key, and an agent's
figures straight from `conversations` would visit every contact of three months per
read (the rule looks three months back). A new table would need a migration; until
one is worth it, this roll-up lives in the process: per local day (Europe/Copenhagen),
the sums of each agent's contacts, and per (municipality, topic, channel) the contacts
an agent sent back to the municipality (transfers, wrap-ups "forkert henvendelse").
Only contacts an agent took are read: about a fifth of them.

Months are loaded when a view first asks for them (one range read on the indexed
`started_at`), then kept fresh like the dashboard's roll-up: the days whose
conversations were written since the last refresh (`updated_at`, stamped on every
write, looking back `rollup.OVERLAP`) are read again. Every gateway process keeps its
own copy; each refreshes from the same stamps, so they agree.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, literal_column, select

from ddh.vocabulary import Action, Outcome
from store.models import Conversation, HandoffPacket
from store.rollup import OVERLAP, Database, as_hour, hour_of

TZ = ZoneInfo("Europe/Copenhagen")
SENT_BACK = (Outcome.TRANSFER.value, Outcome.WRONG_CALL.value)  # agents' wrong calls


@dataclass
class AgentSums:
    """What one agent's figures are computed from (store/agent_quality.py)."""

    contacts: int = 0
    resolved: int = 0  # outcome resolved_agent: StraksSag
    ended: int = 0  # wrapped up: handling time is known
    handling_s: float = 0.0
    scores: int = 0
    score_sum: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, other: AgentSums) -> AgentSums:
        self.contacts += other.contacts
        self.resolved += other.resolved
        self.ended += other.ended
        self.handling_s += other.handling_s
        self.scores += other.scores
        self.score_sum += other.score_sum
        self.outcomes.update(other.outcomes)
        return self


@dataclass
class Day:
    agents: dict[str, AgentSums] = field(default_factory=dict)
    # (municipality or '', topic or '', channel) → outcome → contacts, agents only
    sent_back: dict[tuple[str, str, str], Counter[str]] = field(default_factory=dict)


def month_start(month: str) -> datetime:
    """The first instant of a local month 'YYYY-MM'."""
    year, mon = (int(p) for p in month.split("-"))
    return datetime(year, mon, 1, tzinfo=TZ)


def next_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def month_of(at: datetime | date) -> str:
    if isinstance(at, datetime):
        at = at.astimezone(TZ)
    return f"{at.year}-{at.month:02d}"


def _seconds(db: Database, start: Any, end: Any) -> Any:
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


class AgentRollup:
    """One store's agent roll-up in this process (get one with `for_store`)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.days: dict[date, Day] = {}
        self.months: set[str] = set()  # local months loaded
        self.since: datetime | None = None  # the last refresh
        self._lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------

    def ensure(self, months: Iterable[str]) -> None:
        """Load the months not loaded yet, and bring the loaded ones up to date."""
        with self._lock:
            started = datetime.now(UTC)
            if self.since is None:
                self.since = started
            else:
                self._refresh(started)
            for month in sorted(set(months) - self.months):
                self._load(month_start(month), month_start(next_month(month)))
                self.months.add(month)

    def between(self, first: date, last: date) -> list[tuple[date, Day]]:
        """The loaded days from `first` to `last` (inclusive), in order."""
        with self._lock:
            return sorted(((d, day) for d, day in self.days.items() if first <= d <= last),
                          key=lambda kv: kv[0])

    # --- keeping it fresh ------------------------------------------------------------

    def _refresh(self, started: datetime) -> None:
        """Read again the loaded days whose conversations changed since the last
        refresh (a day at a time: a day of one agent-staffed centre is small)."""
        assert self.since is not None
        c = Conversation
        hour = hour_of(self.db, c.started_at)
        with self.db.sessions() as s:
            hours = s.scalars(select(hour).distinct().where(
                c.updated_at >= self.since - OVERLAP)).all()
        days = sorted({as_hour(h).astimezone(TZ).date() for h in hours}
                      if hours else set())
        for d in days:
            if month_of(d) not in self.months:
                continue
            start = datetime(d.year, d.month, d.day, tzinfo=TZ)
            self._load(start, start + timedelta(days=1))  # wall-clock: next midnight
        self.since = started

    def _load(self, start: datetime, end: datetime) -> None:
        """Replace the days in [start, end) (local midnights) with what the store says."""
        fresh: dict[date, Day] = {}
        for row in self._rows(start, end):
            (hour, agent, municipality, topic, channel, outcome, n, ended, handling,
             scores, score_sum) = row
            d = as_hour(hour).astimezone(TZ).date()
            day = fresh.setdefault(d, Day())
            sums = day.agents.setdefault(agent, AgentSums())
            sums.contacts += n
            sums.resolved += n if outcome == Outcome.RESOLVED_AGENT.value else 0
            sums.ended += ended or 0
            sums.handling_s += float(handling or 0.0)
            sums.scores += scores or 0
            sums.score_sum += score_sum or 0
            sums.outcomes[outcome or ""] += n
            if outcome in SENT_BACK:
                day.sent_back.setdefault((municipality, topic, channel), Counter())[
                    outcome] += n
        d = start.date()
        while d < end.astimezone(TZ).date():
            self.days.pop(d, None)
            d += timedelta(days=1)
        self.days.update(fresh)

    def _rows(self, start: datetime, end: datetime) -> list[Any]:
        """Contacts an agent took, started in [start, end), grouped by UTC hour, agent,
        place, topic, channel and outcome. Handling time: from the moment the agent
        took the contact (the handoff offered + the citizen's wait) to the wrap-up."""
        c, h = Conversation, HandoffPacket
        offered = select(func.max(h.created_at)).where(
            h.conversation_id == c.id, h.kind == Action.HANDOFF.value).scalar_subquery()
        ended = c.ended_at.is_not(None)
        taken = _seconds(self.db, func.coalesce(offered, c.started_at), c.ended_at) - \
            func.coalesce(c.queue_wait_s, 0.0)
        handling = case((and_(ended, taken > 0), cast(taken, Float)), else_=0.0)
        empty = literal_column("''")
        key = (hour_of(self.db, c.started_at), c.agent, func.coalesce(c.municipality, empty),
               func.coalesce(c.topic, empty), c.channel, c.outcome)
        with self.db.sessions() as s:
            return list(s.execute(select(
                *key, func.count(), func.sum(case((ended, 1), else_=0)),
                func.sum(handling), func.count(c.satisfaction),
                func.coalesce(func.sum(c.satisfaction), 0),
            ).where(c.agent.is_not(None), c.turns >= 1, c.started_at >= start,
                    c.started_at < end).group_by(*key)))


_ROLLUPS: weakref.WeakKeyDictionary[Any, AgentRollup] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def for_store(db: Database) -> AgentRollup:
    """This process's agent roll-up of a store (made on first use)."""
    with _GUARD:
        found = _ROLLUPS.get(db)
        if found is None:
            found = _ROLLUPS[db] = AgentRollup(db)
        return found


def months_between(start: datetime, end: datetime) -> list[str]:
    """The local months a period [start, end) touches."""
    months, month = [], month_of(start)
    while month_start(month) < end:
        months.append(month)
        month = next_month(month)
    return months
