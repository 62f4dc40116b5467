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
its text is deleted now, audited; answered with `forgotten`).
Frames to the agent: `queue`, `accepted`, `message`, `assist`, `wrapped`, `ticket`,
`transferred`, `callbacks`, `error`, and the citizen's signs of life:
`{"type": "typing", "conversation": ID, "role": "citizen"}` and
`{"type": "presence", "conversation": ID, "role": "citizen", "online": bool}` (the
page opened or closed), whichever process the citizen's page is on. Queue entries and
`accepted` carry the handoff's `reason_kind` and `reason` (its Danish name, the
packet's "Årsag"); `assist` carries guides ranked by the conversation the agent took,
not only by `text` (handoff/assist.py).
A malformed frame closes only this socket.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import ConsoleDep, SocketSignedInDep, same_host
from gateway.console import REFRESH, ConsoleHub
from handoff.accounts import SignedIn

router = APIRouter(tags=["agent"])


@router.websocket("/agent/ws", dependencies=[Depends(same_host)])
async def agent_socket(ws: WebSocket, who: SocketSignedInDep, hub: ConsoleDep) -> None:
    """One console: the origin is checked first, then the session (4401 without one),
    then the hub (1011 when no agent queues are configured)."""
    if hub is None:
        await ws.close(code=1011, reason="no agent queues configured")
        return
    await ws.accept()
    inbox = hub.connect(who.account)
    inbox.put_nowait(REFRESH)

    async def push() -> None:
        while True:
            events = [await inbox.get()]
            while not inbox.empty():
                events.append(inbox.get_nowait())
            if any(e is REFRESH for e in events):  # a burst of changes: one queue view
                await ws.send_text(hub.queue_view_json(who.account))
            for event in events:
                if event is not REFRESH:
                    await ws.send_json(event)

    pusher = asyncio.create_task(push())
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
        hub.disconnect(who.account, inbox)


async def _command(ws: WebSocket, hub: ConsoleHub, who: SignedIn,
                   frame: dict[str, Any]) -> None:
    kind, account = frame["type"], who.account
    if kind == "presence":
        await run_in_threadpool(hub.desk.set_state, account.username, str(frame["state"]))
        hub.notify()
    elif kind == "accept":
        got = await hub.accept(account, str(frame["id"]))
        await ws.send_json(got or {"type": "error", "message": "taget af en anden"})
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
    elif kind == "transfer":
        got = await hub.transfer(account, str(frame["conversation"]), str(frame["target"]))
        await ws.send_json(got or {"type": "error", "message": "kunne ikke stille videre"})
    elif kind == "callbacks":
        rows = await run_in_threadpool(hub.callbacks, account)
        await run_in_threadpool(hub.accounts.audit, account, "view_callbacks", "callbacks")
        await ws.send_text(json.dumps({"type": "callbacks", "tickets": rows}, default=str,
                                      ensure_ascii=False))
    else:
        raise ValueError(f"unknown frame type {kind!r}")
