"""Opening hours: is DDH staffed, is a municipality's own service open, and when next.

All judgements are made in Europe/Copenhagen local time at the turn's own clock
(the contract's `at`), never the server's clock, so evaluation suites can replay
Tuesdays at 17:59 and Christmas Eve deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from knowledge.hours import WEEKDAYS, Interval
from knowledge.registry import Registry

TZ = ZoneInfo("Europe/Copenhagen")


def local(at: datetime) -> datetime:
    """The wall-clock time in Copenhagen; a naive time is taken as Copenhagen time."""
    return at.replace(tzinfo=TZ) if at.tzinfo is None else at.astimezone(TZ)


@lru_cache(maxsize=64)
def _holidays(year: int, optional: tuple[str, ...]) -> dict[date, str]:
    public = holidays.Denmark(years=year, language="da")
    out = dict(public.items())
    if optional:
        extra = holidays.Denmark(years=year, categories=("optional",), language="da")
        out.update({d: n for d, n in extra.items() if n in optional})
    return out


@dataclass(frozen=True, slots=True)
class Opening:
    """Whether a service is open at a moment, and if not, when it opens next."""

    open: bool
    next_open: datetime | None = None
    closed_reason: str | None = None  # e.g. the holiday's Danish name


class Schedule:
    """Opening hours for DDH and every municipality, from the registry's data."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.config = registry.routing

    def holiday(self, day: date) -> str | None:
        return _holidays(day.year, self.config.closed_optional_days).get(day)

    def _closed_day(self, day: date, ddh: bool) -> str | None:
        if ddh and day in self.config.ddh_closed_dates:
            return "lukkedag"
        return self.holiday(day)

    def _interval(self, week: dict[str, Interval], day: date) -> Interval | None:
        return week.get(WEEKDAYS[day.weekday()])

    def _opening(self, week: dict[str, Interval], at: datetime, ddh: bool) -> Opening:
        t = local(at)
        reason = self._closed_day(t.date(), ddh)
        iv = self._interval(week, t.date())
        if reason is None and iv is not None and iv.contains(t.time()):
            return Opening(True)
        return Opening(False, self._next_open(week, t, ddh), reason)

    def _next_open(self, week: dict[str, Interval], t: datetime, ddh: bool) -> datetime | None:
        for offset in range(0, 15):
            day = t.date() + timedelta(days=offset)
            iv = self._interval(week, day)
            if iv is None or self._closed_day(day, ddh):
                continue
            start = datetime.combine(day, iv.start, TZ)
            if offset == 0 and t.time() >= iv.start:
                continue
            return start
        return None

    def ddh(self, at: datetime) -> Opening:
        return self._opening(self.registry.ddh_week.days, at, ddh=True)

    def municipality(self, code: str, at: datetime) -> Opening:
        return self._opening(self.registry.routing_for(code).own_hours, at, ddh=False)

    def hours_on(self, day: date, code: str | None = None) -> Interval | None:
        """The opening interval on `day`: DDH's (`code` None) or the municipality's
        own; None when closed all day (a public holiday, a DDH closing day, or no hours
        that weekday). The availability banner shows it, so it is judged here, by the
        same rules as `ddh` and `municipality`."""
        week = self.registry.ddh_week.days if code is None else \
            self.registry.routing_for(code).own_hours
        if self._closed_day(day, code is None):
            return None
        return self._interval(week, day)


def spoken_when(moment: datetime, now: datetime) -> str:
    """Danish 'i morgen kl. 8.00' / 'mandag kl. 9.30' / 'den 2. januar kl. 8.00'."""
    m, n = local(moment), local(now)
    clock = f"kl. {m.hour}.{m.minute:02d}"
    days = (m.date() - n.date()).days
    if days == 0:
        return f"i dag {clock}"
    if days == 1:
        return f"i morgen {clock}"
    names = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
    if days < 7:
        return f"{names[m.weekday()]} {clock}"
    months = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
              "september", "oktober", "november", "december")
    return f"den {m.day}. {months[m.month - 1]} {clock}"

