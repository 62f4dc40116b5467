"""Jumpseat advice on the simulator: does hopping off keep the service level, and how
many hours does it save?

Why: the console's advice (`handoff/jumpseat.py`) sends agents away from the DDH line;
that is only worth it if citizens still get answered in time. This replays a week of
calls against the week's shift plan twice — once with jumpseat agents following the
advice, once with them staying on the line — and counts the saved hours with the same
rule as the dashboard.

- Shape: the forecast per weekday and half hour from the warm handoffs in the store
  (`ddh simulate` fills it through the real frontdesk), Monday–Friday pooled into one
  profile (`pooled`), scaled so that a weekday has
  `per_weekday` calls — by default DDH's 2025 answered calls per weekday (`ddh.yaml`
  `monthly_2025`: the months' mean over 21.5 weekdays), because a simulated store is
  far smaller than DDH.
- Plan: `handoff/shift_plan.week_plan` on that forecast: each shift's fixed seats and
  jumpseats.
- Calls: Poisson arrivals per half hour at the forecast's rate, exponential handling
  times (`DDH_QUEUE_HANDLE_TIME_S`), answered first come first served by the agent on
  the line who is free first.
- Advice: every `tick_s` each jumpseat agent gets `advise(...)` from the queue at
  that moment (calls waiting) and the forecast; an agent told to hop off leaves when
  their current call is done, and comes back at once when told to.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot.frontdesk import Frontdesk
from ddh.settings import Settings
from handoff.jumpseat import Leg, Policy, Saved, advise, level_held, saved
from handoff.shift_plan import PlannedShift, week_plan
from handoff.staffing import TZ, Slot, forecast, slot_of
from store.models import HandoffPacket


@dataclass
class Call:
    at: datetime
    handle_s: float
    wait_s: float = 0.0


@dataclass
class _Agent:
    jumpseat: bool
    free_at: datetime
    on: bool = True
    advice: str | None = None
    since: datetime | None = None
    off_at: datetime | None = None


@dataclass
class Replay:
    """One replay's figures."""

    calls: list[Call]
    target_s: float
    legs: list[Leg] = field(default_factory=list)
    advice_changes: int = 0
    seat_hours: float = 0.0

    def service_level(self, start: datetime | None = None,
                      end: datetime | None = None) -> float:
        inside = [c for c in self.calls if (start is None or c.at >= start)
                  and (end is None or c.at < end)]
        if not inside:
            return 1.0
        return sum(c.wait_s <= self.target_s for c in inside) / len(inside)

    def counts(self, start: datetime, end: datetime) -> tuple[int, int]:
        inside = [c for c in self.calls if start <= c.at < end]
        return len(inside), sum(c.wait_s <= self.target_s for c in inside)


@dataclass
class JumpseatReport:
    advised: Replay
    baseline: Replay  # jumpseat agents never leave
    saved: Saved
    seats: int
    jumpseats: int

    def lines(self) -> list[str]:
        return [f"jumpseat: {self.seats} shifts ({self.jumpseats} jumpseats), "
                f"{len(self.advised.calls)} calls; service level "
                f"{self.advised.service_level():.1%} with the advice, "
                f"{self.baseline.service_level():.1%} with everyone on the line",
                f"jumpseat: saved {self.saved.as_json()['saved']} "
                f"({self.saved.held} of {self.saved.legs} stretches off the line held the "
                f"service level; the pilot: 73 t 15 min in six weeks)"]


def scaled(fc: Mapping[Slot, float], per_weekday: float) -> dict[Slot, float]:
    """`fc` scaled so that a weekday (Monday–Friday, on average) has `per_weekday`."""
    weekdays = sum(v for s, v in fc.items() if s.weekday < 5) / 5
    if weekdays <= 0:
        return dict(fc)
    return {s: v * per_weekday / weekdays for s, v in fc.items()}


def pooled(fc: Mapping[Slot, float]) -> dict[Slot, float]:
    """Monday–Friday as one profile (their mean per half hour), weekends as they are:
    the simulator draws every weekday from the same hourly shape, and a small simulated
    store leaves single half hours empty by chance, which would plan a spiky week."""
    minutes = {s.minute for s in fc if s.weekday < 5}
    mean = {m: sum(fc.get(Slot(d, m), 0.0) for d in range(5)) / 5 for m in minutes}
    return {**{s: v for s, v in fc.items() if s.weekday >= 5},
            **{Slot(d, m): v for d in range(5) for m, v in mean.items()}}


def ddh_per_weekday(raw_ddh: Mapping[str, object]) -> float:
    """DDH's answered calls on a mean weekday of 2025 (the months' mean / 21.5)."""
    months = raw_ddh.get("monthly_2025") or []
    answered = [float(m["answered"]) for m in months]  # type: ignore[index,union-attr]
    return sum(answered) / len(answered) / 21.5 if answered else 650.0


def draw_calls(plan: list[PlannedShift], fc: Mapping[Slot, float], handle_s: float,
               rng: random.Random) -> list[Call]:
    """Poisson arrivals per half hour of the plan's opening hours (each half hour once,
    however many seats its shift has)."""
    starts = sorted({s.start + timedelta(minutes=30 * k) for s in plan
                     for k in range(int((s.end - s.start).total_seconds() // 1800))})
    calls = []
    for t in starts:
        for _ in range(_poisson(rng, fc.get(slot_of(t), 0.0))):
            calls.append(Call(t + timedelta(seconds=rng.uniform(0, 1800)),
                              rng.expovariate(1 / handle_s)))
    return sorted(calls, key=lambda c: c.at)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    n, p, limit = 0, 1.0, math.exp(-mean)
    if mean > 50:  # normal approximation: exp(-mean) underflows the product method
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def replay(plan: list[PlannedShift], fc: Mapping[Slot, float], calls: list[Call],
           policy: Policy, advised: bool, tick_s: float = 60.0) -> Replay:
    """Answer `calls` with the plan's agents; jumpseats follow the advice if `advised`."""
    calls = [Call(c.at, c.handle_s) for c in calls]
    out = Replay(calls, policy.target_s)
    ats = [c.at for c in calls]
    pending = iter(calls)
    nxt = next(pending, None)
    for shift in sorted(plan, key=lambda s: s.start):
        out.seat_hours += shift.seats * shift.hours
        agents = [_Agent(k >= shift.seats - shift.jumpseats, shift.start)
                  for k in range(shift.seats)]
        t = shift.start
        while t < shift.end:
            tick_end = min(t + timedelta(seconds=tick_s), shift.end)
            if advised:
                recent = calls[bisect_left(ats, t - timedelta(hours=2)):bisect_right(ats, t)]
                _advise(agents, t, recent, fc, policy, out)
            while nxt is not None and nxt.at < tick_end:
                on = [a for a in agents if a.on] or agents  # nobody on: the first comes
                agent = min(on, key=lambda a: a.free_at)
                start = max(nxt.at, agent.free_at)
                nxt.wait_s = (start - nxt.at).total_seconds()
                agent.free_at = start + timedelta(seconds=nxt.handle_s)
                nxt = next(pending, None)
            t = tick_end
        for a in agents:
            if not a.on and a.off_at is not None:
                out.legs.append(Leg(a.off_at, None, shift.end))
    return out


def _advise(agents: list[_Agent], now: datetime, recent: list[Call],
            fc: Mapping[Slot, float], policy: Policy, out: Replay) -> None:
    """Each jumpseat agent's advice at `now`; `recent`: the calls arrived lately."""
    waiting = sum(1 for c in recent if now < c.at + timedelta(seconds=c.wait_s))
    calls_now = fc.get(slot_of(now), 0.0)
    calls_next = fc.get(slot_of(now + timedelta(minutes=30)), 0.0)
    for a in agents:
        if not a.jumpseat:
            continue
        others = sum(b.on for b in agents if b is not a)
        said = advise(policy, a.advice, a.since, now, waiting, others, calls_now, calls_next)
        if said != a.advice:
            a.advice, a.since = said, now
            out.advice_changes += 1
        if said == "off" and a.on and a.free_at <= now:
            a.on, a.off_at = False, now
        elif said == "on" and not a.on:
            assert a.off_at is not None
            out.legs.append(Leg(a.off_at, now, now))
            a.on, a.off_at, a.free_at = True, None, max(a.free_at, now)


def run(plan: list[PlannedShift], fc: Mapping[Slot, float], policy: Policy,
        seed: int = 1) -> JumpseatReport:
    """The week replayed with and without the advice, on the same calls."""
    calls = draw_calls(plan, fc, policy.handle_s, random.Random(seed))
    advised = replay(plan, fc, calls, policy, advised=True)
    baseline = replay(plan, fc, calls, policy, advised=False)

    def held(start: datetime, end: datetime) -> bool:
        return level_held(*advised.counts(start, end), policy.goal)

    last = max((s.end for s in plan), default=datetime.now().astimezone())
    return JumpseatReport(advised, baseline, saved(advised.legs, held, last),
                          sum(s.seats for s in plan), sum(s.jumpseats for s in plan))


def next_monday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def from_store(frontdesk: Frontdesk, settings: Settings, first: date, last: date,
               seed: int = 1, per_weekday: float | None = None) -> JumpseatReport:
    """The week after `last`, planned from the warm handoffs the store holds for
    `first`..`last` (the simulator's), scaled to DDH's volume, replayed."""
    store = frontdesk.store
    if store is None:
        raise ValueError("the jumpseat replay needs an outcome store")
    since = datetime.combine(first, time(), TZ)
    until = datetime.combine(last + timedelta(days=1), time(), TZ)
    with store.sessions() as s:
        times = list(s.scalars(select(HandoffPacket.created_at).where(
            HandoffPacket.kind == "handoff", HandoffPacket.created_at >= since,
            HandoffPacket.created_at < until)))
    registry = frontdesk.registry
    fc = scaled(pooled(forecast(times, first, last)),
                per_weekday or ddh_per_weekday(registry.raw_ddh))
    week = registry.ddh_week
    opening = {d: (iv.start, iv.end) for d, iv in week.days.items()}

    def closed(day: date) -> bool:
        return week.closed_on_holidays and frontdesk.schedule.holiday(day) is not None

    plan = week_plan(next_monday(last), opening, closed, fc, settings.queue_handle_time_s,
                     settings.service_level_target_s, settings.service_level_goal,
                     settings.shift_hours)
    policy = Policy(settings.queue_handle_time_s, settings.service_level_target_s,
                    settings.service_level_goal, settings.jumpseat_margin,
                    settings.jumpseat_hold_s)
    return run(plan, fc, policy, seed)
