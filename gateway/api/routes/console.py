"""The agent console's live socket: queue view, accept, chat, assist, wrap-up.

`WS /api/agent/ws`, signed in by the session cookie; browsers from other sites are
refused (Origin must be this host). Frames from the agent:
`{"type": "presence", "state": "available"}`, `{"type": "accept", "id": HANDOFF}`,
`{"type": "message", "conversation": ID, "text": ...}`,
`{"type": "assist", "conversation": ID, "text": ...}`,
`{"type": "wrapup", "conversation": ID, "outcome": "resolved_agent", "note": ...}`,
`{"type": "ticket", "conversation": ID, "target": "0751", "note": ..., "phone": ...}`,
`{"type": "transfer", "conversation": ID, "target": "0751"}`, `{"type": "callbacks"}`,
`{"type": "typing", "conversation": ID}` (shown to the citizen; not logged),
`{"type": "forget", "conversation": ID}` (the citizen asked: the conversation ends and
its text is deleted now, audited; answered with `forgotten`),
`{"type": "decline", "id": HANDOFF}` (an offer: withdrawn, offered to the next agent).
Frames to the agent: `queue` (the whole queue: `entries`, `elsewhere`, the server's
`now`; each entry has `enqueued_at` and `waiting_s`), or with `?view=delta` (the console
page) the whole queue once and then `queue_delta` frames with only what changed:
`remove` (ids), `upsert` (entries added or changed; a known id keeps its place, a new one
goes last), `order` (all ids, only when the order changed otherwise), `elsewhere` (only
when its counts changed) and `now` (gateway/queue_view.py); `accepted`, `message`,
`assist`, `wrapped`, `ticket`,
`transferred`, `callbacks`, `error`, and the citizen's signs of life:
`{"type": "typing", "conversation": ID, "role": "citizen"}` and
`{"type": "presence", "conversation": ID, "role": "citizen", "online": bool}` (the
page opened or closed), whichever process the citizen's page is on. Queue entries and
`accepted` carry the handoff's `reason_kind` and `reason` (its Danish name, the
packet's "Årsag"); `assist` carries guides ranked by the conversation the agent took,
not only by `text` (handoff/assist.py).
The desk (handoff/offers.py, gateway/desk_dispatch.py) pushes offers: `{"type": "offer",
"id": HANDOFF, "conversation", "topic", "municipality", "channel", "summary", "reason",
"reason_kind", "queue", "priority", "sla", "waiting_s", "expires_in_s"}` — one at a time
per agent while they are available and below their capacity, the oldest waiting first
(crisis, then past the SLA, then longest waiting), to the agent idle longest; answered
with `accept` or `decline`. `{"type": "offer_withdrawn", "id", "reason"}`: "timeout"
(not accepted within `DDH_QUEUE_OFFER_TIMEOUT_S`; the agent is set away when
`DDH_QUEUE_MISSED_OFFER_AWAY`), "taken" (by another agent), "left" (the citizen left),
"unavailable" (the agent went away, busy or to capacity) or "declined".
`{"type": "state", "state": "available" | "busy" | "wrap-up" | "away"}` when the
agent's state changes (busy at capacity; wrap-up for `DDH_AGENT_WRAPUP_S` after a
conversation, then available; "Klar" ends it early). `{"type": "reassigned",
"conversation", "reason": "silent" | "gone"}`: the chat went back to the queue (the
citizen waited `DDH_QUEUE_REASSIGN_AFTER_S` on the agent, or their console was gone).
`accept` at capacity answers `error`. Queue entries carry `sla`: "ok", "warning"
(≥ 80 % of the queue's target wait) or "breached"; the `queue` frame carries
`elsewhere`: `[{"queue", "name", "count", "opens_in_s"}]`, citizens waiting that the
agent cannot take yet (`opens_in_s`: when the first opens to them by overflow or skill
wait; null: never).
The console's tools (gateway/console_tools.py): `{"type": "note", "conversation": ID,
"text": ...}` — an internal note on the agent's conversation, stored redacted with the
agent and time, never sent to the citizen; every console of the agent gets
`{"type": "note", "conversation", "note": {"id", "agent", "name", "text", "at"}}`.
`{"type": "handover", "conversation": ID, "to_agent": USERNAME}` or `..., "to_queue":
"ddh" | "0751"}` with an optional `"note"` (kept as an internal note): the conversation
leaves the agent (their count drops) and goes back to the front of its queue with the
citizen's original wait — to the named queue, or offered to the named colleague (an
`offer` frame to them, and `{"type": "handover_offer", "conversation", "id", "from"}`
when their console is on this process); the citizen is told in Danish; audited
(`handover`). Answered with `{"type": "handed_over", "conversation", "to_agent",
"to_queue", "name", "offered", "message"}` to every console of the agent; a colleague
not on duty, away, in wrap-up, at capacity or with another offer pending, an unknown
queue, or a call answers `{"type": "error", "conversation", "about": "handover",
"message"}` (in Danish) and nothing changes. `{"type": "colleagues"}` answers
`{"type": "colleagues", "agents": [{"username", "name", "state", "conversations",
"capacity", "free"}]}`, the agents on duty. `{"type": "history", "conversation": ID}`
answers `{"type": "history", "conversation", "contacts": [{"id", "started_at", "channel",
"municipality", "municipality_name", "topic", "topic_name", "outcome", "outcome_da",
"agent"}]}`: the citizen's earlier conversations found by the callback numbers they
consented to in this conversation (tickets), those the person may read
(Account.may_read), audited (`view_history`); it is also sent after a `ticket` with a
`phone`. `accepted` carries the same `contacts`, and its `transcript` has the notes
between the lines (`{"role": "note", "text", "name", "agent", "at"}`). When an agent's
console connects, the conversations they have are sent as `accepted` frames with
`"resumed": true` (a reloaded console shows them again).
A malformed frame closes only this socket.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from gateway import console_tools as tools
from gateway.api.deps import ConsoleDep, SocketSignedInDep, same_host
from gateway.console import REFRESH, ConsoleHub
from handoff.accounts import SignedIn

router = APIRouter(tags=["agent"])


@router.websocket("/agent/ws", dependencies=[Depends(same_host)])
async def agent_socket(ws: WebSocket, who: SocketSignedInDep, hub: ConsoleDep,
                       view: Literal["whole", "delta"] = "whole") -> None:
    """One console: the origin is checked first, then the session (4401 without one),
    then the hub (1011 when no agent queues are configured). `?view=delta` (the console
    page): the whole queue once, then `queue_delta` frames with what changed."""
    if hub is None:
        await ws.close(code=1011, reason="no agent queues configured")
        return
    await ws.accept()
    inbox = hub.connect(who.account)
    inbox.put_nowait(REFRESH)

    async def resume() -> None:  # the conversations the agent has, shown again
        for frame in await tools.resume(hub, who.account):
            inbox.put_nowait(frame)

    async def push() -> None:
        had = None  # the queue view this console shows (delta consoles only)
        while True:
            events = [await inbox.get()]
            while not inbox.empty():
                events.append(inbox.get_nowait())
            if any(e is REFRESH for e in events):  # a burst of changes: one queue frame
                frame, shown = hub.queue_frame(who.account, had)
                if view == "delta":
                    had = shown
                if frame is not None:
                    await ws.send_text(frame)
            for event in events:
                if event is not REFRESH:
                    await ws.send_json(event)

    pusher = asyncio.create_task(push())
    resumer = asyncio.create_task(resume())
    try:
        while True:
            raw = await ws.receive_text()
            try:
                frame = json.loads(raw)
                if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                    raise ValueError("expected a JSON object with a type")
                await _command(ws, hub, who, frame)
            except (ValueError, KeyError, TypeError) as exc:
                await ws.send_json({"type": "error", "message": str(exc)[:200]})
                await ws.close(code=1003, reason="malformed frame")
                return
    except WebSocketDisconnect:
        return
    finally:
        pusher.cancel()
        resumer.cancel()
        hub.disconnect(who.account, inbox)


async def _command(ws: WebSocket, hub: ConsoleHub, who: SignedIn,
                   frame: dict[str, Any]) -> None:
    kind, account = frame["type"], who.account
    if kind == "presence":
        await run_in_threadpool(hub.desk.set_state, account.username, str(frame["state"]))
        hub.notify()
    elif kind == "accept":
        got = await hub.accept(account, str(frame["id"]))
        if got is not None and got["type"] == "accepted":  # with notes, earlier contacts
            got = await tools.enrich(hub, account, got)
        await ws.send_json(got or {"type": "error", "message": "taget af en anden"})
    elif kind == "decline":
        await hub.dispatch.decline(account, str(frame["id"]))
    elif kind == "message":
        if not await hub.agent_says(account, str(frame["conversation"]), str(frame["text"])):
            await ws.send_json({"type": "error", "message": "ikke din samtale"})
    elif kind == "forget":  # on the citizen's request: ended and deleted now, audited
        ok = await hub.forget(account, str(frame["conversation"]))
        await ws.send_json({"type": "forgotten", "conversation": frame["conversation"],
                            "ok": ok})
    elif kind == "typing":
        await hub.agent_signal(account, str(frame["conversation"]), {"type": "typing"})
    elif kind == "assist":
        guides = await run_in_threadpool(hub.assist, account, str(frame["conversation"]),
                                         str(frame["text"]), frame.get("municipality"))
        await ws.send_json({"type": "assist", "conversation": frame["conversation"],
                            "guides": guides})
    elif kind == "wrapup":
        ok = await hub.wrap_up(account, str(frame["conversation"]), str(frame["outcome"]),
                               str(frame.get("note") or ""))
        await ws.send_json({"type": "wrapped", "conversation": frame["conversation"],
                            "ok": ok})
    elif kind == "ticket":
        phone = frame.get("phone")
        got = await hub.make_ticket(account, str(frame["conversation"]),
                                    str(frame["target"]), str(frame.get("note") or ""),
                                    str(phone) if phone else None)
        await ws.send_json(got or {"type": "error", "message": "sagen kunne ikke oprettes"})
        if got is not None and phone:  # a consented number: the citizen's earlier contacts
            await ws.send_json(await tools.command(hub, account, {
                "type": "history", "conversation": str(frame["conversation"])}))
    elif kind == "transfer":
        got = await hub.transfer(account, str(frame["conversation"]), str(frame["target"]))
        await ws.send_json(got or {"type": "error", "message": "kunne ikke stille videre"})
    elif kind == "callbacks":
        rows = await run_in_threadpool(hub.callbacks, account)
        await run_in_threadpool(hub.accounts.audit, account, "view_callbacks", "callbacks")
        await ws.send_text(json.dumps({"type": "callbacks", "tickets": rows}, default=str,
                                      ensure_ascii=False))
    elif kind in tools.FRAMES:  # notes, handover, earlier contacts, colleagues
        if (answer := await tools.command(hub, account, frame)) is not None:
            await ws.send_json(answer)
    else:
        raise ValueError(f"unknown frame type {kind!r}")
