"""The weekly shift plan ("dynamisk vagtfordeling"): which shifts DDH needs, and who
staffs them.

Why: DDH's members staff the shared line by a fixed key today; the 2026 proposal keeps
a base share (60–70 %) on a key by size and offers the rest on a marketplace, where a
municipality gives up shifts it cannot staff and another picks them for a
compensation. This module is the arithmetic; `handoff/shift_market.py` keeps the plan
in the store and does the trading.

- Shifts: each open day of DDH (`ddh.yaml`, the configured hours model; public
  holidays closed) is cut into blocks of `shift_hours` from opening (the last block
  ends at closing). A block's seats are the most agents Erlang C asks for in any of its
  half hours (the forecast of `handoff/staffing.py`), at least `min_seats` — DDH open
  means someone on the line. Seats the block needs only at its peak half hours (seats
  above the fewest agents any half hour of the block needs) are jumpseats: their agent
  may hop off when the queue is short (`handoff/jumpseat.py`).
- Size: a member's size is the number of calls it sent to DDH in the first half of
  2025 (`ddh.yaml` `calls_h1_2025.sent`, the only figure reported for every member,
  and the demand the member puts on the shared line); a member without a figure counts
  as the smallest reported one. Population is not in the project's data.
- Allocation: of N shifts (seats), round(N × base share) go to the members by size
  with largest-remainder rounding (Hamilton): each gets the floor of its exact quota,
  and the seats left over go to the largest remainders (ties: larger size, then code),
  so the counts add up to the base exactly; the rest are offered on the marketplace.
  The allocation counts shifts, not hours.
- Which seat goes where: the seats in time order are dealt by smooth weighted
  round-robin over the members' counts and the marketplace's, so every owner's shifts
  are spread over the week rather than bunched on Monday.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from handoff.staffing import TZ, Slot, agents_needed

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class PlannedShift:
    """One shift of the plan: its local start and end and how many seats it has."""

    day: date
    start: datetime  # local, aware
    end: datetime
    seats: int
    jumpseats: int  # of `seats`, those only the block's peak needs

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class Seat:
    """One seat of one shift, as the store keeps it, with its allocated owner."""

    day: date
    start: datetime
    end: datetime
    seat: int
    jumpseat: bool
    owner: str | None  # None: offered on the marketplace


def blocks(opens: time, closes: time, shift_hours: float) -> list[tuple[time, time]]:
    """The day's opening cut into shifts of `shift_hours` from opening; the last one
    ends at closing (08–18 by 4 h: 08–12, 12–16, 16–18)."""
    step = timedelta(hours=shift_hours)
    day = date(2000, 1, 3)
    t, end = datetime.combine(day, opens), datetime.combine(day, closes)
    out = []
    while t < end:
        nxt = min(t + step, end)
        out.append((t.time(), nxt.time()))
        t = nxt
    return out


def week_plan(monday: date, opening: Mapping[str, tuple[time, time]],
              closed: Callable[[date], bool], fc: Mapping[Slot, float], handle_s: float,
              target_s: float, level: float, shift_hours: float = 4.0,
              min_seats: int = 1) -> list[PlannedShift]:
    """The shifts of the week starting `monday`: `opening` maps weekday keys (`mon`...)
    to DDH's hours; `closed(day)` is True on public holidays; `fc` is the forecast."""
    out = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        hours = opening.get(WEEKDAY_KEYS[day.weekday()])
        if hours is None or closed(day):
            continue
        for a, b in blocks(hours[0], hours[1], shift_hours):
            start, end = datetime.combine(day, a, TZ), datetime.combine(day, b, TZ)
            needs = []
            t = start
            while t < end:
                calls = fc.get(Slot(day.weekday(), t.hour * 60 + t.minute), 0.0)
                needs.append(agents_needed(calls, handle_s, target_s, level))
                t += timedelta(minutes=30)
            seats = max(max(needs, default=0), min_seats)
            steady = max(min(needs, default=0), min_seats)
            out.append(PlannedShift(day, start, end, seats, seats - steady))
    return out


def member_sizes(raw_ddh: Mapping[str, Any], members: Mapping[str, str]) -> dict[str, float]:
    """Each member's size (`members`: code → name): its calls sent to DDH in the first
    half of 2025; members without a figure count as the smallest reported one."""
    sent = {r["name"]: float(r["sent"]) for r in raw_ddh.get("calls_h1_2025") or []
            if r.get("sent") is not None}
    known = [sent[name] for name in members.values() if name in sent]
    floor = min(known) if known else 1.0
    return {code: sent.get(name, floor) for code, name in members.items()}


def largest_remainder(total: int, sizes: Mapping[str, float]) -> dict[str, int]:
    """`total` split in proportion to `sizes`, in whole numbers that add up to `total`
    exactly (Hamilton's method; ties: larger size, then code)."""
    if total < 0:
        raise ValueError("a negative number of shifts")
    weight = sum(sizes.values())
    if not sizes or weight <= 0:
        raise ValueError("allocation needs members with a positive size")
    quotas = {c: total * s / weight for c, s in sizes.items()}
    counts = {c: math.floor(q) for c, q in quotas.items()}
    left = total - sum(counts.values())
    order = sorted(sizes, key=lambda c: (-(quotas[c] - counts[c]), -sizes[c], c))
    for c in order[:left]:
        counts[c] += 1
    return counts


def base_count(total: int, share: float) -> int:
    """Shifts allocated by the key: `total` × share, rounded half up."""
    return math.floor(total * share + 0.5)


def allocate(shifts: Iterable[PlannedShift], sizes: Mapping[str, float],
             share: float) -> list[Seat]:
    """Every seat of `shifts` with its owner: the base share dealt to members by size,
    the rest to the marketplace (None); see the module docstring."""
    seats = [(s, k) for s in sorted(shifts, key=lambda s: s.start)
             for k in range(1, s.seats + 1)]
    base = base_count(len(seats), share)
    counts: dict[str | None, int] = {**largest_remainder(base, sizes)}
    counts[None] = len(seats) - base
    owners = _deal(counts)
    return [Seat(s.day, s.start, s.end, k, k > s.seats - s.jumpseats, owner)
            for (s, k), owner in zip(seats, owners, strict=True)]


def _deal(counts: Mapping[str | None, int]) -> list[str | None]:
    """Smooth weighted round-robin: a sequence holding each owner exactly its count,
    spread evenly (each step the owner furthest behind its share goes next)."""
    total = sum(counts.values())
    current = dict.fromkeys(counts, 0)
    order = sorted(counts, key=lambda c: (c is None, c or ""))  # deterministic ties
    out: list[str | None] = []
    for _ in range(total):
        for c in order:
            current[c] += counts[c]
        pick = max(order, key=lambda c: current[c])
        current[pick] -= total
        out.append(pick)
    return out
