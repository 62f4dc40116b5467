"""The citizen chat channel: REST to open a conversation, a WebSocket for messages.

Protocol (JSON text frames), client → server:
  {"type": "message", "id": "<client message id>", "text": "..."}
  {"type": "resume", "since": <last seq seen>}
  {"type": "end", "id": "<client id>"}  "Afslut samtalen": the conversation ends; the
                                        reply asks the rating once (a goodbye when it
                                        was asked before); no citizen message is logged
  {"type": "typing"}                    the citizen is writing (passed on to the agent
                                        who has the chat; ignored before that)
  {"type": "forget"}                    "Slet min samtale": the conversation ends and
                                        its text is deleted now (audited); the server
                                        answers {"type": "forgotten"} and closes (1000)
server → client:
  {"type": "typing"}                                    the bot is composing
  {"type": "typing", "role": "agent", "name": ...}      the agent is writing
  {"type": "presence", "role": "agent", "online": b}   the agent's console came or went
  {"type": "delta", "reply_to": id, "text": "..."}      the reply, streamed in pieces
  {"type": "message", "seq": n, "role": "bot"|"citizen", "text": ..., ...}  logged events;
      a bot message may carry "quick_replies": ["Ja", "Nej"] (answers the page offers
      as buttons; each is sent as an ordinary message)
  {"type": "error", "code": "...", "message": "..."}

A message re-sent with the same id after a dropped connection is answered from the
log, not processed twice. A malformed frame closes only its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    HTTPException,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
    status,
)
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.availability import availability
from bot.frontdesk import TurnInput
from bot.schedule import TZ
from ddh.logging import get_logger
from ddh.vocabulary import Action, Channel
from gateway import transcript_mail
from gateway.api.deps import (
    ChatLogsDep,
    Clock,
    ClockDep,
    ConsoleLookupDep,
    DrainDep,
    FloodgateDep,
    FrontdeskDep,
    SettingsDep,
    origin_allowed,
)
from gateway.chat_replies import ENDED_WITH_AGENT, quick_replies
from gateway.console import ConsoleHub, citizen_says, citizen_signal, forget_chat, store_of
from gateway.floods import Floodgate
from store.email import EmailStore

router = APIRouter(prefix="/chat", tags=["chat"])
RESTARTING = 1012  # WebSocket "service restart": the page reconnects at once
log = get_logger(__name__)
_SENTENCE = re.compile(r"(?<=[a-zæøå)\]][.!?:])\s+|\n+")


class OpenRequest(BaseModel):
    municipality: str | None = Field(default=None, pattern=r"^\d{4}$",
                                     description="The municipality whose site embeds the chat")


class OpenResponse(BaseModel):
    id: str
    municipality: str | None
    greeting: dict[str, Any]
    websocket: str


@router.post("/conversations", status_code=status.HTTP_201_CREATED,
             response_model=OpenResponse)
async def open_conversation(body: OpenRequest, request: Request, frontdesk: FrontdeskDep,
                            logs: ChatLogsDep, clock: ClockDep, drain: DrainDep,
                            floods: FloodgateDep) -> dict[str, Any]:
    """Open a chat conversation; the greeting discloses that the citizen talks to an AI."""
    if drain.draining:  # stopping: another process (or this one, restarted) opens it
        raise HTTPException(status_code=503, detail="restarting: try again",
                            headers={"Retry-After": "1"})
    client = request.client.host if request.client else "unknown"
    if not floods.may_open(client):
        raise HTTPException(status_code=429, detail="too many new chats: try again soon",
                            headers={"Retry-After": "10"})
    if body.municipality and body.municipality not in frontdesk.registry.municipalities:
        raise HTTPException(status_code=422, detail=f"unknown kommunekode {body.municipality}")
    cid = uuid.uuid4().hex
    greeting = await run_in_threadpool(frontdesk.open, cid, "chat", body.municipality, None,
                                       clock() if clock else None, True)
    _, event = await logs.create(cid, body.municipality, {
        "type": "message", "role": "bot", "text": greeting, "action": None})
    return {"id": cid, "municipality": body.municipality, "greeting": event,
            "websocket": f"/api/chat/ws/{cid}"}


@router.get("/availability")
async def chat_availability(frontdesk: FrontdeskDep, clock: ClockDep, settings: SettingsDep,
                            municipality: Annotated[str | None, Query(pattern=r"^\d{4}$")]
                            = None) -> dict[str, Any]:
    """Whether a person can help now, today's hours and what happens otherwise, for
    the page to show before the citizen asks; from the routing policy itself. Also
    whether the citizen can have the conversation by e-mail here (`transcript_email`:
    only where mail can be sent)."""
    if municipality and municipality not in frontdesk.registry.municipalities:
        raise HTTPException(status_code=422, detail=f"unknown kommunekode {municipality}")
    at = clock() if clock else datetime.now(TZ)
    return {**availability(frontdesk.registry, frontdesk.schedule, municipality, at).as_json(),
            "transcript_email": bool(settings.smtp_host and frontdesk.store is not None)}


class TranscriptRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320, description="Where the copy goes")


@router.post("/conversations/{conversation_id}/transcript",
             status_code=status.HTTP_202_ACCEPTED)
async def transcript_by_email(conversation_id: str, body: TranscriptRequest,
                              frontdesk: FrontdeskDep, settings: SettingsDep) -> dict[str, str]:
    """"Send samtalen til min e-mail": the conversation as stored (redacted) is queued
    in the e-mail outbox for that address (gateway/transcript_mail.py). 202 with
    `status` "queued" (or "duplicate" for the same request again); 404 for an unknown
    conversation; 422 for a bad address or nothing to send; 429 after three copies;
    503 where no mail can be sent."""
    store = frontdesk.store
    if store is None or not settings.smtp_host:
        raise HTTPException(status_code=503, detail="e-mail is not set up here")
    conv = await run_in_threadpool(store.conversation, conversation_id)
    if conv is None or conv["channel"] != Channel.CHAT:
        raise HTTPException(status_code=404, detail="no such conversation")
    place = frontdesk.registry.municipalities.get(conv["municipality"] or "")
    try:
        new = await run_in_threadpool(
            transcript_mail.queue_copy, EmailStore(store.sessions), conv, body.email,
            place.name if place else None, settings.email_from or settings.smtp_from)
    except transcript_mail.TooManyCopies as exc:
        raise HTTPException(status_code=429, detail=str(exc)) from exc
    except transcript_mail.TranscriptError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    log.info("chat.transcript_queued", conversation=conversation_id, new=new)
    return {"status": "queued" if new else "duplicate"}


@router.get("/conversations/{conversation_id}/messages")
async def messages(conversation_id: str, logs: ChatLogsDep,
                   since: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    """The conversation's events after `since` (for clients without WebSocket)."""
    chat = await logs.get(conversation_id)
    if chat is None:
        raise HTTPException(status_code=404, detail="no such conversation")
    return await chat.since(since)


def _reply_event(result: Any, reply_to: str) -> dict[str, Any]:
    handoff = result.handoff
    return {
        "type": "message", "role": "bot", "reply_to": reply_to, "text": result.reply,
        "action": result.action, "topic": result.topic, "municipality": result.municipality,
        "guides": [{"id": g["id"], "title": g["title"], "url": g["url"]}
                   for g in result.guides[:3]] if result.action == Action.ANSWER else [],
        "handoff": {"kind": handoff.kind, "target": handoff.target} if handoff else None,
        "ask_rating": result.asks_rating,
        "quick_replies": quick_replies(result.awaiting),
    }


@router.websocket("/ws/{conversation_id}")
async def chat_socket(ws: WebSocket, conversation_id: str, frontdesk: FrontdeskDep,
                      logs: ChatLogsDep, settings: SettingsDep, clock: ClockDep,
                      console: ConsoleLookupDep, drain: DrainDep,
                      floods: FloodgateDep) -> None:
    if not origin_allowed(ws.headers.get("origin"), ws.headers.get("host"),
                          settings.allowed_origins):
        await ws.close(code=1008, reason="origin not allowed")
        return
    if drain.draining:  # stopping: reconnect now (to another process, or after restart)
        await ws.accept()
        await ws.close(code=RESTARTING, reason="restarting")
        return
    chat = await logs.get(conversation_id)
    if chat is None:
        await ws.accept()  # so that the page sees the code, not a refused handshake
        await ws.close(code=4404, reason="no such conversation")
        return
    await ws.accept()
    pushed: asyncio.Queue = asyncio.Queue()  # events from a person in the console
    chat.listen(pushed)
    if len(chat.listeners) == 1:  # the page is back: the agent sees it
        await citizen_signal(chat, {"type": "presence", "online": True}, console())

    async def forward() -> None:
        while True:
            await ws.send_json(await pushed.get())

    forwarder = asyncio.create_task(forward())
    try:
        while True:
            raw = await ws.receive_text()
            try:
                frame = json.loads(raw)
                if not isinstance(frame, dict) or frame.get("type") not in (
                        "message", "resume", "typing", "forget", "end"):
                    raise ValueError("expected a message, resume, typing, forget or end "
                                     "frame")
            except ValueError as exc:
                await ws.send_json({"type": "error", "code": "malformed", "message": str(exc)})
                await ws.close(code=1003, reason="malformed frame")
                return
            if frame["type"] == "resume":
                for event in await chat.since(int(frame.get("since") or 0)):
                    await ws.send_json(event)
                continue
            if frame["type"] == "typing":  # not logged, at most once a second
                await citizen_signal(chat, {"type": "typing"}, console())
                continue
            if frame["type"] == "forget":
                async with chat.lock:
                    await forget_chat(frontdesk, logs, chat.id, "citizen", clock)
                await ws.send_json({"type": "forgotten", "message": "Din samtale er slettet."})
                await ws.close(code=1000, reason="forgotten")
                return
            if drain.draining:  # not started here: the page re-sends it after reconnecting
                await ws.close(code=RESTARTING, reason="restarting")
                return
            async with drain.work():
                await _message(ws, frame, chat, frontdesk, settings, floods, clock, console)
    except WebSocketDisconnect:
        return
    finally:
        chat.unlisten(pushed)
        forwarder.cancel()
        if not chat.listeners:  # the page closed or lost its connection
            with contextlib.suppress(Exception):
                await citizen_signal(chat, {"type": "presence", "online": False}, console())


async def _message(ws: WebSocket, frame: dict[str, Any], chat: Any, frontdesk: Any,
                   settings: Any, floods: Floodgate, clock: Clock | None,
                   console: Callable[[], ConsoleHub | None]) -> None:
    ends = frame["type"] == "end"  # "Afslut samtalen": a turn without citizen words
    text = "" if ends else frame.get("text")
    client_id = str(frame.get("id") or uuid.uuid4().hex)
    if not ends and (not isinstance(text, str) or not text.strip()):
        await ws.send_json({"type": "error", "code": "empty", "message": "Beskeden er tom."})
        return
    assert isinstance(text, str)
    if len(text) > settings.chat_max_chars:
        await ws.send_json({"type": "error", "code": "too_long", "reply_to": client_id,
                            "message": f"Beskeden er for lang (højst {settings.chat_max_chars}"
                                       " tegn)."})
        return
    async with chat.lock:
        # Re-sent after a reconnect: answered from the log. This process's copy is
        # enough here; one another process answered is found by the frontdesk (below).
        answered = await chat.answers(client_id, in_store=chat.agent is not None)
        if answered:
            for event in answered:
                await ws.send_json(event)
            return
        if not floods.may_send(chat.id):
            await ws.send_json({"type": "error", "code": "rate_limited", "reply_to": client_id,
                                "message": "Du skriver meget hurtigt. Vent et øjeblik."})
            return
        if chat.agent is not None and ends:  # the agent wraps up; told the page closed
            await citizen_signal(chat, {"type": "presence", "online": False}, console())
            (event,) = await chat.append(
                {"type": "message", "role": "bot", "reply_to": client_id, "action": "end",
                 "text": ENDED_WITH_AGENT}, client_id=client_id)
            await ws.send_json(event)
            return
        if chat.agent is not None:  # a person has taken over: no bot turn
            # (the agent's console may be on another process: the link carries it)
            mine = await citizen_says(store_of(frontdesk), chat, client_id, text, console())
            await ws.send_json(mine)
            return
        await ws.send_json({"type": "typing"})
        try:
            result = await run_in_threadpool(
                frontdesk.handle, TurnInput(chat.id, text, Channel.CHAT, chat.municipality,
                                            at=clock() if clock else None,
                                            message_id=client_id, ends=ends))
        except Exception:
            log.exception("chat.turn_failed", conversation=chat.id)
            await ws.send_json({"type": "error", "code": "internal", "reply_to": client_id,
                                "message": "Der skete en fejl hos os. Prøv at skrive igen."})
            return
        if result.replayed:  # handled before (here or by another process)
            answered = await chat.answers(client_id)
            if answered:
                for event in answered:
                    await ws.send_json(event)
                return
            # handled, but the process died before logging it: logged now, once
        chat.municipality = chat.municipality or result.municipality
        if result.redacted_earlier:  # the last message's date part: a CPR number after all
            chat.redact_earlier(result.redacted_earlier)
        for piece in (p for p in _SENTENCE.split(result.reply) if p.strip()):
            await ws.send_json({"type": "delta", "reply_to": client_id, "text": piece})
        if ends:  # no words from the citizen: only the reply is logged
            (reply,) = await chat.append(_reply_event(result, client_id),
                                         client_id=client_id)
            await ws.send_json(reply)
            return
        # the citizen's message and the reply: logged together, or not at all
        mine, reply = await chat.append(
            {"type": "message", "role": "citizen", "id": client_id,
             "text": result.redacted_text}, _reply_event(result, client_id),
            client_id=client_id)
        await ws.send_json(mine)
        await ws.send_json(reply)
