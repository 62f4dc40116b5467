"""Staffing for managers: today's forecast per half hour and the agents it needs
(Erlang C for the service-level target), beside the agents logged in now, and the
live jumpseat signal from the queue (handoff/staffing.py has the arithmetic).

The forecast counts warm handoffs — the contacts that need an agent — over the last
`staffing_history_weeks` weeks, by weekday and half hour. An administrator sees DDH's
queue; a municipality's manager their municipality's handoffs and the agents who
serve it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from fastapi import Request
from sqlalchemy import select

from handoff.accounts import Account
from handoff.staffing import TZ, day_plan, forecast, jumpseat, slot_of
from store.models import Conversation, HandoffPacket

SIGNALS = {"leave": "Én medarbejder kan gå (jumpseat).",
           "more": "Der mangler én medarbejder nu.",
           "ok": "Bemandingen passer til køen."}


def history(store: Any, since: datetime, municipality: str | None) -> list[datetime]:
    q = select(HandoffPacket.created_at).where(HandoffPacket.kind == "handoff",
                                               HandoffPacket.created_at >= since)
    if municipality:
        q = q.join(Conversation, Conversation.id == HandoffPacket.conversation_id).where(
            Conversation.municipality == municipality)
    with store.sessions() as s:
        return list(s.scalars(q))


def view(request: Request, viewer: Account, now: datetime | None = None) -> dict[str, Any]:
    settings = request.app.state.settings
    frontdesk = request.app.state.frontdesk
    now = (now or datetime.now(UTC)).astimezone(TZ)
    scope = viewer.municipality if viewer.role == "manager" else None
    weeks = settings.staffing_history_weeks
    today = now.date()
    first = today - timedelta(weeks=weeks)
    since = datetime(first.year, first.month, first.day, tzinfo=TZ)
    until = datetime(today.year, today.month, today.day, tzinfo=TZ)
    fc = forecast([t for t in history(frontdesk.store, since, scope) if t < until],
                  first, today - timedelta(days=1))
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
        "intervals": [{"start": i.start.isoformat(), "contacts": round(i.contacts, 2),
                       "agents_needed": i.agents} for i in plan],
        "agents_on_duty": on_duty, "waiting": waiting,
        "forecast_now": round(calls_now, 2),
        "signal": jumpseat(waiting, on_duty, calls_now, handle, target, goal),
    }


def section(v: dict[str, Any]) -> str:
    now = datetime.fromisoformat(v["now"])
    rows = []
    for i in v["intervals"]:
        start = datetime.fromisoformat(i["start"])
        current = start <= now < start + timedelta(minutes=30)
        duty = f"{v['agents_on_duty']} logget ind nu" if current else ""
        rows.append(f'<tr{" class=current" if current else ""}><td>{start:%H:%M}</td>'
                    f'<td>{i["contacts"]:.1f}</td><td>{i["agents_needed"]}</td>'
                    f"<td>{duty}</td></tr>")
    body = "".join(rows) or '<tr><td colspan="4">Ingen historik endnu.</td></tr>'
    sl = v["service_level"]
    return f"""<section id="bemanding"><h2>Bemanding i dag</h2>
<p class="signal signal--{escape(v['signal'])}" role="status">{SIGNALS[v['signal']]}
{v['waiting']} venter · {v['agents_on_duty']} på vagt</p>
<table class="table staffing"><thead><tr><th>Halve time</th><th>Forventede</th>
<th>Agenter nødvendige</th><th>Nu</th></tr></thead><tbody>{body}</tbody></table>
<p class="chat__note">Prognose fra de sidste {v['history_weeks']} ugers overdragelser;
Erlang C for {sl['goal'] * 100:.0f} % besvaret inden for {sl['target_s']:.0f} s med
{sl['handle_time_s']:.0f} s behandlingstid.</p></section>"""
