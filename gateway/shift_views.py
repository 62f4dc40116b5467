"""What the shift routes show: the week's plan derived from the forecast, the jumpseat
advice for the agent signed in, the saved hours, and the page's rows.

Why here and not in the routes: the dashboard (`/admin`) shows the saved hours too, and
the advice needs the frontdesk's queue, the registry's hours and the staffing forecast
together — the gateway is the floor that holds all three.
"""

from __future__ import annotations

import threading
import time as clock
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.frontdesk import Frontdesk
from ddh.settings import Settings
from handoff import jumpseat
from handoff.jumpseat_hours import saved_hours
from handoff.shift_market import Rate, ShiftBook, shift_json
from handoff.shift_plan import PlannedShift, allocate, member_sizes, week_plan
from handoff.staffing import TZ, Slot, forecast, slot_of
from store.models import HandoffPacket
from store.outcomes import OutcomeStore

ADVICE_DA = {
    jumpseat.OFF: "Køen er kort: du kan gå af linjen og tilbage til dit kommunale arbejde.",
    jumpseat.ON: "Bliv på linjen (eller kom tilbage): der er brug for dig nu.",
}
WEEKDAYS_DA = ("man", "tir", "ons", "tor", "fre", "lør", "søn")
FORECAST_KEEP_S = 300.0  # a process reuses the DDH forecast this long
_forecasts: dict[tuple[int, date, int], tuple[float, dict[Slot, float]]] = {}
_lock = threading.Lock()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def book(settings: Settings, frontdesk: Frontdesk) -> ShiftBook:
    store = frontdesk.store
    assert store is not None  # the routes get the store first (503 without)
    members = {c: m.name for c, m in frontdesk.registry.members.items()}
    return ShiftBook(store, members, Rate(settings.shift_rate_dkk_per_hour))


def ddh_forecast(settings: Settings, store: OutcomeStore, today: date) -> dict[Slot, float]:
    """DDH's forecast per weekday and half hour from the last weeks of warm handoffs
    (as the dashboard's staffing section), kept a few minutes per process."""
    weeks = settings.staffing_history_weeks
    key = (id(store), today, weeks)
    with _lock:
        hit = _forecasts.get(key)
        if hit is not None and clock.monotonic() - hit[0] < FORECAST_KEEP_S:
            return hit[1]
    first = today - timedelta(weeks=weeks)
    since = datetime(first.year, first.month, first.day, tzinfo=TZ)
    until = datetime(today.year, today.month, today.day, tzinfo=TZ)
    fc = forecast(_handoff_times(store, since, until), first, today - timedelta(days=1))
    with _lock:
        _forecasts[key] = (clock.monotonic(), fc)
    return fc


def _handoff_times(store: OutcomeStore, since: datetime, until: datetime) -> list[datetime]:
    """When warm handoffs were offered in [since, until) (the same count as the
    dashboard's staffing history for DDH's queue; queried here because the gateway's
    views may not import its routes)."""
    q = select(HandoffPacket.created_at).where(HandoffPacket.kind == "handoff",
                                               HandoffPacket.created_at >= since,
                                               HandoffPacket.created_at < until)
    with store.sessions() as s:
        return list(s.scalars(q))


def derive(settings: Settings, frontdesk: Frontdesk, monday: date,
           today: date) -> list[PlannedShift]:
    """The week's shifts from DDH's hours (holidays closed) and the forecast."""
    store = frontdesk.store
    assert store is not None
    registry = frontdesk.registry
    week = registry.ddh_week
    opening = {d: (iv.start, iv.end) for d, iv in week.days.items()}

    def closed(day: date) -> bool:
        return week.closed_on_holidays and frontdesk.schedule.holiday(day) is not None

    return week_plan(monday, opening, closed, ddh_forecast(settings, store, today),
                     settings.queue_handle_time_s, settings.service_level_target_s,
                     settings.service_level_goal, settings.shift_hours)


def plan_seats(settings: Settings, frontdesk: Frontdesk, monday: date, today: date):
    """The week's seats with their owners (the base share by size, the rest open)."""
    registry = frontdesk.registry
    sizes = member_sizes(registry.raw_ddh, {c: m.name for c, m in registry.members.items()})
    return allocate(derive(settings, frontdesk, monday, today), sizes,
                    settings.shift_base_share)


def policy(settings: Settings) -> jumpseat.Policy:
    return jumpseat.Policy(settings.queue_handle_time_s, settings.service_level_target_s,
                           settings.service_level_goal, settings.jumpseat_margin,
                           settings.jumpseat_hold_s)


def advice(settings: Settings, frontdesk: Frontdesk, username: str,
           now: datetime) -> dict[str, Any]:
    """The jumpseat advice for `username` now: None outside a jumpseat shift."""
    shifts = book(settings, frontdesk)
    row = shifts.current_jumpseat(username, now)
    if row is None:
        return {"shift": None, "advice": None}
    store = frontdesk.store
    assert store is not None
    fc = ddh_forecast(settings, store, now.astimezone(TZ).date())
    desk = frontdesk.handoffs
    others = waiting = 0
    if desk is not None:
        others = sum(a.id != username and a.state != "away" and "ddh" in a.queues
                     for a in desk.backend.agents())
        waiting = sum(w.queue == "ddh" for w in desk.backend.waiting())
    calls_now = fc.get(slot_of(now), 0.0)
    calls_next = fc.get(slot_of(now + timedelta(minutes=30)), 0.0)
    said = jumpseat.advise(policy(settings), row.advice, row.advice_at, now, waiting, others,
                           calls_now, calls_next)
    if said != row.advice:
        shifts.record_advice(row.id, said, now)
    return {"shift": shift_json(row, shifts.rate), "advice": said, "text": ADVICE_DA[said],
            "off_line": shifts.is_off(row.id), "others_on_line": others,
            "waiting": waiting, "forecast_now": round(calls_now, 2),
            "forecast_next": round(calls_next, 2)}


def saved(settings: Settings, store: OutcomeStore, now: datetime, weeks: int,
          municipality: str | None) -> dict[str, Any]:
    """The hours jumpseat agents saved in the last `weeks` weeks (`handoff/jumpseat.py`
    says how they are counted)."""
    start = now - timedelta(weeks=weeks)
    found = saved_hours(store, start, now, settings.service_level_target_s,
                        settings.service_level_goal, now, municipality)
    return {**found.as_json(), "weeks": weeks, "start": start.isoformat(),
            "end": now.isoformat(), "municipality": municipality}


def page_days(shifts: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """The week's seats grouped by day and shift, as the page's table shows them."""
    days: dict[str, dict[str, Any]] = {}
    for s in shifts:
        start, end = datetime.fromisoformat(s["start"]).astimezone(TZ), \
            datetime.fromisoformat(s["end"]).astimezone(TZ)
        day = days.setdefault(s["day"], {"label": f"{WEEKDAYS_DA[start.weekday()]} "
                                                  f"{start:%d.%m}", "seats": []})
        day["seats"].append({**s, "time": f"{start:%H:%M}–{end:%H:%M}",
                             "owner_name": names.get(s["owner"] or "", "Ledig")})
    return list(days.values())


def grouped(shifts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The seats as shifts (date, start, end, seats), with how many are jumpseats and
    how many are open on the marketplace."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for s in shifts:
        g = out.setdefault((s["start"], s["end"]), {
            "day": s["day"], "start": s["start"], "end": s["end"], "hours": s["hours"],
            "seats": 0, "jumpseats": 0, "open": 0})
        g["seats"] += 1
        g["jumpseats"] += s["jumpseat"]
        g["open"] += s["open"]
    return list(out.values())
