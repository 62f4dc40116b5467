"""Staffing: forecast contacts per 30-minute interval and the agents they need.

DDH staffs by a fixed key plus volunteered and "jumpseat" shifts (DOMAIN.md); this
module gives the figures behind those choices:
- `forecast`: expected contacts per (weekday, half hour) as the mean over the weeks
  of history, in Europe/Copenhagen time;
- Erlang C (`erlang_c`, `service_level`, `agents_needed`): the agents needed so that
  the target share of contacts is answered within the target wait;
- `jumpseat`: from the live queue and the agents logged in, whether one agent can
  leave or one more is needed now.
Erlang C is computed through the Erlang B recursion, which stays exact for hundreds
of agents where the textbook factorial form overflows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Copenhagen")
INTERVAL_S = 1800  # half an hour


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact has to wait (Erlang C), for `traffic` in Erlangs."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0  # the queue grows without bound: everyone waits
    b = 1.0
    for n in range(1, agents + 1):  # Erlang B: B(n) = A·B(n-1) / (n + A·B(n-1))
        b = traffic * b / (n + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level(agents: int, calls: float, handle_s: float, target_s: float,
                  interval_s: float = INTERVAL_S) -> float:
    """Share of `calls` (in one interval) answered within `target_s`."""
    traffic = calls * handle_s / interval_s
    if calls <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1.0 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * target_s / handle_s)


def agents_needed(calls: float, handle_s: float, target_s: float, level: float,
                  interval_s: float = INTERVAL_S, max_agents: int = 1000) -> int:
    """The fewest agents for `level` (e.g. 0.8) of calls answered within `target_s`."""
    if calls <= 0:
        return 0
    n = max(1, math.floor(calls * handle_s / interval_s) + 1)
    while n <= max_agents and service_level(n, calls, handle_s, target_s, interval_s) < level:
        n += 1
    return n


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    minute: int  # 0, 30, ..., 1410 (local time)

    @property
    def label(self) -> str:
        return f"{['man', 'tir', 'ons', 'tor', 'fre', 'lør', 'søn'][self.weekday]} " \
               f"{self.minute // 60:02d}:{self.minute % 60:02d}"


def slot_of(at: datetime) -> Slot:
    local = at.astimezone(TZ)
    return Slot(local.weekday(), local.hour * 60 + (30 if local.minute >= 30 else 0))


def forecast(history: Iterable[datetime], first_day: date, last_day: date) -> dict[Slot, float]:
    """Mean contacts per (weekday, half hour) over the days from `first_day` to
    `last_day` (each weekday counted as often as it occurs in that range)."""
    counts = Counter(slot_of(at) for at in history)
    days = Counter()
    d = first_day
    while d <= last_day:
        days[d.weekday()] += 1
        d = date.fromordinal(d.toordinal() + 1)
    return {slot: n / days[slot.weekday] for slot, n in counts.items() if days[slot.weekday]}


@dataclass(frozen=True)
class Interval:
    """One half hour of a day's staffing plan."""

    start: datetime  # local
    contacts: float  # forecast
    agents: int  # needed for the service level


def day_plan(fc: dict[Slot, float], day: date, handle_s: float, target_s: float,
             level: float) -> list[Interval]:
    """The day's half hours that expect contacts, with the agents each needs."""
    out = []
    for minute in range(0, 24 * 60, 30):
        start = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=TZ)
        calls = fc.get(Slot(day.weekday(), minute), 0.0)
        if calls > 0:
            out.append(Interval(start, calls, agents_needed(calls, handle_s, target_s, level)))
    return out


def jumpseat(waiting: int, on_duty: int, calls_per_interval: float, handle_s: float,
             target_s: float, level: float) -> str:
    """The live signal: "leave" (one agent can go), "more" (one more is needed) or
    "ok", from the forecast for this interval and the queue right now."""
    needed = agents_needed(calls_per_interval, handle_s, target_s, level)
    if waiting > on_duty or on_duty < needed:
        return "more"
    if waiting == 0 and on_duty - 1 >= needed and on_duty > 1:
        return "leave"
    return "ok"
