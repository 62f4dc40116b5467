"""Staffing for managers: today's forecast per half hour and the agents it needs
(Erlang C for the service-level target), beside the agents logged in now, and the
live jumpseat signal from the queue (handoff/staffing.py has the arithmetic).

The forecast counts warm handoffs — the contacts that need an agent — over the last
`staffing_history_weeks` weeks, by weekday and half hour. An administrator sees DDH's
queue; a municipality's manager their municipality's handoffs and the agents who
serve it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.frontdesk import Frontdesk
from ddh.settings import Settings
from ddh.vocabulary import Action
from gateway.formatting import da_number
from handoff.accounts import Account
from handoff.staffing import TZ, day_plan, forecast, jumpseat, slot_of
from store.models import Conversation, HandoffPacket

SIGNALS = {"leave": "Én medarbejder kan gå (jumpseat).",
           "more": "Der mangler én medarbejder nu.",
           "ok": "Bemandingen passer til køen."}


def history(store: Any, since: datetime, municipality: str | None) -> list[datetime]:
    q = select(HandoffPacket.created_at).where(HandoffPacket.kind == Action.HANDOFF.value,
                                               HandoffPacket.created_at >= since)
    if municipality:
        q = q.join(Conversation, Conversation.id == HandoffPacket.conversation_id).where(
            Conversation.municipality == municipality)
    with store.sessions() as s:
        return list(s.scalars(q))


def per_day(times: list[datetime], first: date, today: date) -> list[dict[str, Any]]:
    """The warm handoffs the forecast is made from, per local day from `first` up to
    yesterday (zeros included): what the simulated or real history looked like."""
    counts = Counter(t.astimezone(TZ).date() for t in times)
    days = (first + timedelta(days=i) for i in range((today - first).days))
    return [{"day": d.isoformat(), "handoffs": counts.get(d, 0)} for d in days]


def view(settings: Settings, frontdesk: Frontdesk, viewer: Account,
         now: datetime | None = None) -> dict[str, Any]:
    """The staffing figures `viewer` may see (JSON for wallboards, and the dashboard's
    section): the forecast per half hour, agents needed and on duty, the signal, and the
    history per day. `now`: the gateway's clock (`ddh serve --at`), so a simulated
    history (`ddh simulate`) is the one the forecast reads."""
    now = (now or datetime.now(UTC)).astimezone(TZ)
    scope = viewer.municipality if viewer.role == "manager" else None
    weeks = settings.staffing_history_weeks
    today = now.date()
    first = today - timedelta(weeks=weeks)
    since = datetime(first.year, first.month, first.day, tzinfo=TZ)
    until = datetime(today.year, today.month, today.day, tzinfo=TZ)
    past = [t for t in history(frontdesk.store, since, scope) if t < until]
    fc = forecast(past, first, today - timedelta(days=1))
    handle, target, goal = (settings.queue_handle_time_s, settings.service_level_target_s,
                            settings.service_level_goal)
    plan = day_plan(fc, today, handle, target, goal)
    desk = frontdesk.handoffs
    queue = scope or "ddh"
    on_duty = waiting = 0
    if desk is not None:
        on_duty = sum(a.state != "away" and queue in a.queues for a in desk.backend.agents())
        waiting = sum(w.queue == queue for w in desk.backend.waiting())
    calls_now = fc.get(slot_of(now), 0.0)
    return {
        "queue": queue, "now": now.isoformat(), "history_weeks": weeks,
        "service_level": {"target_s": target, "goal": goal, "handle_time_s": handle},
        "history": per_day(past, first, today),
        "intervals": [{"start": i.start.isoformat(), "contacts": round(i.contacts, 2),
                       "agents_needed": i.agents} for i in plan],
        "agents_on_duty": on_duty, "waiting": waiting,
        "forecast_now": round(calls_now, 2),
        "signal": jumpseat(waiting, on_duty, calls_now, handle, target, goal),
    }


def rows(v: dict[str, Any]) -> list[dict[str, Any]]:
    """The half hours of `view` as the dashboard's table shows them (local time); the
    current one is marked, and shows the agents logged in now."""
    now = datetime.fromisoformat(v["now"])
    shown = []
    for i in v["intervals"]:
        start = datetime.fromisoformat(i["start"])
        shown.append({"start": f"{start:%H:%M}", "contacts": da_number(i["contacts"], 1),
                      "agents_needed": i["agents_needed"],
                      "current": start <= now < start + timedelta(minutes=30)})
    return shown
