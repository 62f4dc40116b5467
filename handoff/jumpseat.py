"""Jumpseat advice and the hours it saves.

Why: in DDH's pilot an agent on a jumpseat shift went back to their municipal work
when the queue was short and came back when it grew; the pilot removed 73 h 15 min
of DDH line time in six weeks. The console tells the agent when to hop off or on
(`advise`), and the dashboard counts the hours saved the same way (`saved`).

Advice, from the live queue and the Erlang C forecast (`handoff/staffing.py`):
`others` is the agents on the DDH line except this jumpseat agent; `calls` the
forecast contacts of the current and the next half hour (the worse of the two counts,
so an agent is not sent off just before the peak).
- Hop off ("off") when nobody waits, at least one other agent is on the line, and the
  others alone reach the service-level goal plus a margin (`DDH_JUMPSEAT_MARGIN`) —
  and not until the last advice is `DDH_JUMPSEAT_HOLD_S` old.
- Hop on ("on") at once when the others alone fall below the goal itself, or more
  citizens wait than there are others to take them.
- Between those thresholds the advice stays as it is. The band (goal to goal +
  margin) and the hold keep the advice from flapping when the queue hovers at a
  threshold; coming back is never delayed, because that is what keeps the service
  level.

Saved hours (as the pilot counted them): the time a jumpseat agent was off the DDH
line, within their shift, counted only for stretches during which the service level
held — the share of warm handoffs to DDH offered in the stretch that were answered
within the target is at least the goal (a stretch with no handoffs held). A stretch
still open counts up to now (or the shift's end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from handoff.staffing import service_level

OFF, ON = "off", "on"
PILOT_SAVED = timedelta(hours=73, minutes=15)  # DDH's pilot, six weeks
PILOT_WEEKS = 6


@dataclass(frozen=True)
class Policy:
    """The service level the advice keeps, and its hysteresis."""

    handle_s: float
    target_s: float
    goal: float
    margin: float = 0.05
    hold_s: float = 900.0


def advise(policy: Policy, previous: str | None, since: datetime | None, now: datetime,
           waiting: int, others: int, calls_now: float, calls_next: float) -> str:
    """The advice for a jumpseat agent now ("off" or "on"); `previous` is the last
    advice given (None: none yet) and `since` when it was given."""
    calls = max(calls_now, calls_next)
    level = service_level(others, calls, policy.handle_s, policy.target_s) \
        if others > 0 else (1.0 if calls <= 0 else 0.0)
    if level < policy.goal or waiting > others:
        return ON
    current = previous if previous in (OFF, ON) else ON
    if current == OFF:
        return OFF
    held = since is None or previous is None or \
        (now - since).total_seconds() >= policy.hold_s
    if held and waiting == 0 and others >= 1 and level >= min(policy.goal + policy.margin,
                                                              1.0):
        return OFF
    return ON


@dataclass(frozen=True)
class Leg:
    """A stretch a jumpseat agent was off the line: from `off_at` until `on_at` (None:
    still off), within a shift that ends at `shift_end`."""

    off_at: datetime
    on_at: datetime | None
    shift_end: datetime

    def span(self, now: datetime) -> tuple[datetime, datetime]:
        end = min(self.on_at or now, self.shift_end)
        return self.off_at, max(end, self.off_at)


@dataclass(frozen=True)
class Saved:
    """What `saved` found: the hours counted, and the stretches behind them."""

    saved: timedelta
    off: timedelta  # all time off the line, held or not
    legs: int
    held: int  # legs during which the service level held

    @property
    def hours(self) -> float:
        return self.saved.total_seconds() / 3600

    def as_json(self) -> dict[str, object]:
        return {"saved_hours": round(self.hours, 4), "saved": hm(self.saved),
                "off_hours": round(self.off.total_seconds() / 3600, 4),
                "legs": self.legs, "legs_held": self.held,
                "pilot": {"saved": hm(PILOT_SAVED), "weeks": PILOT_WEEKS}}


def saved(legs: Iterable[Leg], held: Callable[[datetime, datetime], bool],
          now: datetime) -> Saved:
    """The hours saved by `legs`; `held(start, end)` says whether the service level
    held from `start` to `end`."""
    total = off = timedelta()
    n = kept = 0
    for leg in legs:
        start, end = leg.span(now)
        n += 1
        off += end - start
        if held(start, end):
            kept += 1
            total += end - start
    return Saved(total, off, n, kept)


def level_held(offered: int, within_target: int, goal: float) -> bool:
    """Whether a stretch's service level held: answered within the target / offered
    is at least the goal (nothing offered: held)."""
    return offered == 0 or within_target / offered >= goal


def hm(span: timedelta) -> str:
    """A duration as the pilot reported it: "73 t 15 min"."""
    minutes = round(span.total_seconds() / 60)
    return f"{minutes // 60} t {minutes % 60} min"
