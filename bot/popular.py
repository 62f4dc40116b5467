"""The topics callers ask about most at this time of day, from the outcome store.

The voice bot's keypad menu offers the likeliest topics first ("tryk 1 for MitID …");
what is likeliest changes over the day (waste collection in the morning, Digital Post
after work). Counted from the decisions of the last four weeks that reached a topic
(answers, redirects and escalations) within an hour of the same time of day, and
kept for ten minutes: a menu is read out rarely, the query is not free.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.schedule import TZ
from store.models import Decision
from store.outcomes import OutcomeStore

WINDOW = timedelta(days=28)
COUNTED = ("answer", "redirect", "handoff", "transfer", "ticket")
CACHE_S = 600.0


class PopularTopics:
    def __init__(self, store: OutcomeStore, skip: frozenset[str] = frozenset(),
                 size: int = 6) -> None:
        self.store = store
        self.skip = skip
        self.size = size
        self._cache: dict[int, tuple[float, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def at(self, when: datetime) -> tuple[str, ...]:
        """The most asked topics around `when`'s hour (local time), most first."""
        hour = when.astimezone(TZ).hour
        with self._lock:
            cached = self._cache.get(hour)
            if cached is not None and time.monotonic() - cached[0] < CACHE_S:
                return cached[1]
        with self.store.sessions() as s:
            rows = s.execute(select(Decision.at, Decision.topic).where(
                Decision.at >= when - WINDOW, Decision.at <= when,
                Decision.action.in_(COUNTED), Decision.topic.is_not(None))).all()
        counts = Counter(topic for at, topic in rows if topic and topic not in self.skip and
                         min(abs(at.astimezone(TZ).hour - hour),
                             24 - abs(at.astimezone(TZ).hour - hour)) <= 1)
        found = tuple(t for t, _ in counts.most_common(self.size))
        with self._lock:
            self._cache[hour] = (time.monotonic(), found)
        return found
