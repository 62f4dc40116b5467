"""The console's tools around a conversation (issue 20.4): internal notes, handing a
conversation to a colleague or a queue, the citizen's earlier contacts, and the
conversations an agent has, sent again when their console (re)connects.

The frames are documented in gateway/api/routes/console.py. The rules for who is
offered what stay the desk's (handoff/offers.py, gateway/desk_dispatch.py): a handover
gives the conversation back to the queue exactly as a reassignment does — the store
first (one conditional update), then the front of the queue with its original wait —
and offers it to the named colleague, whom the desk then treats like any offer.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from ddh.logging import get_logger
from ddh.redaction import redact
from gateway.console import ConsoleHub, Taken, reason_da
from handoff.accounts import Account
from handoff.desk import HandoffDesk
from handoff.offers import Offer, at_capacity, may_offer
from handoff.queues import Waiting
from store import contacts, notes

log = get_logger(__name__)
NOTE_MAX = 2000
# What the citizen is told when a colleague takes over (chat: shown as a system line).
TO_COLLEAGUE = ("Du bliver nu sat videre til en kollega, der kan hjælpe dig videre. Bliv "
                "her i chatten – din samtale følger med, så du ikke skal forklare det hele "
                "igen.")
TO_QUEUE = ("Du bliver nu sat videre til en kollega hos {where}. Bliv her i chatten – du "
            "er forrest i køen, og din samtale følger med.")
OUTCOME_DA = {"resolved_bot": "Løst af botten", "resolved_agent": "Løst af medarbejder",
              "redirect": "Henvist", "ticket": "Sag oprettet", "transfer": "Stillet videre",
              "handoff": "Sendt til medarbejder", "unresolved": "Ikke løst",
              "abandoned": "Forladt", "hung_up": "Lagt på", "dropped": "Afbrudt",
              "wrong_call": "Forkert henvendelse"}


class ToolError(Exception):
    """A request the console answers with an `error` frame (the socket stays open)."""


def error(conversation: str, message: str, about: str) -> dict[str, Any]:
    return {"type": "error", "conversation": conversation, "about": about,
            "message": message}


async def _mine(hub: ConsoleHub, account: Account, conversation: str) -> Taken:
    taken = await hub.mine(account, conversation)
    if taken is None or taken.agent != account.username:
        raise ToolError("Samtalen er ikke din (længere).")
    return taken


# --- internal notes -----------------------------------------------------------------------


async def add_note(hub: ConsoleHub, account: Account, conversation: str,
                   text: str) -> dict[str, Any]:
    """A note on the agent's conversation, redacted; every console of the agent gets
    it as a `note` frame. The citizen never does."""
    await _mine(hub, account, conversation)
    clean = redact(text.strip()[:NOTE_MAX]).text
    if not clean:
        raise ToolError("Noten er tom.")
    note = await run_in_threadpool(notes.add_note, hub.store.sessions, conversation,
                                   account.username, account.name, clean, datetime.now(UTC))
    await run_in_threadpool(hub.accounts.audit, account, "note",
                            f"conversation:{conversation}")
    frame = {"type": "note", "conversation": conversation, "note": note}
    hub._to_agent(account.username, frame)
    return frame


# --- the conversations an agent has -------------------------------------------------------


async def enrich(hub: ConsoleHub, account: Account, frame: dict[str, Any]) -> dict[str, Any]:
    """An `accepted` frame with the notes between the transcript's lines and the
    citizen's earlier contacts."""
    conversation = frame["conversation"]
    transcript = await run_in_threadpool(notes.with_notes, hub.store.sessions, conversation,
                                         frame.get("transcript") or [])
    found = await earlier_contacts(hub, account, conversation)
    return {**frame, "transcript": transcript, "contacts": found}


async def resume(hub: ConsoleHub, account: Account) -> list[dict[str, Any]]:
    """The conversations the agent has (taken and not wrapped up), as `accepted`
    frames with `"resumed": true`: a reloaded console shows them again."""
    if account.role != "agent":
        return []
    try:
        mine = await run_in_threadpool(hub.store.taken_by_agent, account.username)
    except Exception as exc:  # the store is away: shown again on the next connect
        log.warning("console.resume_failed", error=str(exc)[:200])
        return []
    frames = []
    for conversation in mine:
        taken = await hub.mine(account, conversation)
        if taken is None:
            continue
        conv = await run_in_threadpool(hub.store.conversation, conversation) or {}
        e = taken.entry
        frames.append(await enrich(hub, account, {
            "type": "accepted", "resumed": True, "conversation": conversation,
            "handoff": e.id, "summary": e.summary, "topic": e.topic,
            "municipality": e.municipality, "channel": e.channel, "queue": e.queue,
            "reason_kind": e.reason_kind, "reason": reason_da(e.reason_kind),
            "waited_s": round(taken.accepted_at - e.enqueued_at, 1),
            "transcript": conv.get("transcript", [])}))
    return frames


# --- earlier contacts ---------------------------------------------------------------------


async def earlier_contacts(hub: ConsoleHub, account: Account,
                           conversation: str) -> list[dict[str, Any]]:
    """The citizen's earlier conversations with DDH, found by the callback number they
    consented to in this conversation; only those this person may read. Audited when
    any are shown."""
    sessions = hub.store.sessions
    numbers = await run_in_threadpool(contacts.numbers_of, sessions, conversation)
    if not numbers:
        return []
    rows = await run_in_threadpool(contacts.earlier, sessions, numbers, conversation)
    registry = hub.frontdesk.registry
    found = [{**r, "outcome_da": OUTCOME_DA.get(r["outcome"] or "", "I gang"),
              "topic_name": registry.topics[r["topic"]].name if r["topic"] in
              registry.topics else r["topic"],
              "municipality_name": registry.municipalities[r["municipality"]].name
              if r["municipality"] in registry.municipalities else None}
             for r in rows if account.may_read(r["municipality"])]
    if found:
        await run_in_threadpool(hub.accounts.audit, account, "view_history",
                                f"conversation:{conversation}", f"{len(found)} earlier")
    return found


async def history(hub: ConsoleHub, account: Account, conversation: str) -> dict[str, Any]:
    """`history`: the agent's own conversation, or one a manager may read."""
    if account.role == "agent":
        await _mine(hub, account, conversation)
    else:
        conv = await run_in_threadpool(hub.store.conversation, conversation)
        if conv is None or not account.may_read(conv["municipality"]):
            raise ToolError("Ingen sådan samtale.")
    return {"type": "history", "conversation": conversation,
            "contacts": await earlier_contacts(hub, account, conversation)}


# --- handing over -------------------------------------------------------------------------


def colleagues(desk: HandoffDesk, account: Account) -> dict[str, Any]:
    """`colleagues`: the agents on duty (console open, not away), for the handover."""
    now, seen = desk.clock(), desk.backend.seen()
    offered = {o.agent for o in desk.offers()}
    out = [{"username": a.id, "name": a.name, "state": a.state,
            "conversations": len(a.conversations), "capacity": a.capacity,
            "free": a.state == "available" and not at_capacity(a) and a.id not in offered}
           for a in desk.backend.agents()
           if a.id != account.username and a.state != "away" and
           now - seen.get(a.id, -math.inf) <= desk.policy.online_s]
    return {"type": "colleagues", "agents": sorted(out, key=lambda a: a["name"])}


def _unable(desk: HandoffDesk, username: str, name: str, entry: Waiting) -> str | None:
    """Why this colleague cannot be offered the conversation now, in Danish."""
    agent = desk.agent(username)
    now = desk.clock()
    if agent is None or agent.state == "away" or \
            now - desk.backend.seen().get(username, -math.inf) > desk.policy.online_s:
        return f"{name} er ikke på vagt lige nu."
    if at_capacity(agent):
        return f"{name} har ikke plads til flere samtaler lige nu " \
               f"({len(agent.conversations)} af {agent.capacity})."
    if agent.state == "busy":
        return f"{name} er sat til Optaget."
    if agent.state == "wrap-up":
        return f"{name} er i efterbehandling. Prøv igen om lidt."
    if any(o.agent == username for o in desk.offers()):
        return f"{name} har et andet tilbud lige nu. Prøv igen om lidt."
    if not may_offer(agent, entry, now, desk.rules):
        return f"{name} kan ikke tage samtaler fra denne kø."
    return None


def _back_and_offer(desk: HandoffDesk, entry: Waiting, agent: str,
                    to_agent: str | None) -> bool:
    """In a worker thread: back to the front of its queue, then offered to the named
    colleague (False: the offer could not be made; it waits for the next one)."""
    desk.requeue(entry, agent)
    if to_agent is None:
        return False
    return desk.backend.make_offer(Offer(entry.id, to_agent, desk.clock()))


async def handover(hub: ConsoleHub, account: Account, conversation: str,
                   to_agent: str | None, to_queue: str | None,
                   note: str = "") -> dict[str, Any]:
    """Give the agent's conversation to a colleague (offered to them) or to a queue (at
    its front, with the citizen's original wait). The citizen is told in Danish; an
    optional note becomes an internal note; audited."""
    if (to_agent is None) == (to_queue is None):
        raise ValueError("handover needs to_agent or to_queue")
    taken = await _mine(hub, account, conversation)
    entry, registry, desk = taken.entry, hub.frontdesk.registry, hub.desk
    if entry.channel == "voice":
        raise ToolError("Et opkald gives videre i telefonen, ikke her.")
    target_name = ""
    if to_agent is not None:
        colleague = await run_in_threadpool(hub.accounts.get, to_agent)
        if colleague is None or colleague.role != "agent" or colleague.disabled or \
                to_agent == account.username:
            raise ToolError(f"Der er ingen kollega med brugernavnet {to_agent}.")
        target_name = colleague.name
        why = await run_in_threadpool(_unable, desk, to_agent, colleague.name, entry)
        if why is not None:
            raise ToolError(why)
        told = TO_COLLEAGUE
    else:
        if to_queue != "ddh" and to_queue not in registry.municipalities:
            raise ToolError(f"Der er ingen kø {to_queue}.")
        target_name = "Den Digitale Hotline" if to_queue == "ddh" else \
            f"{registry.municipalities[str(to_queue)].name} Kommune"
        told = TO_QUEUE.format(where=target_name)
        entry = replace(entry, queue=str(to_queue))
    if note.strip():  # before it leaves: the colleague reads it with the conversation
        await add_note(hub, account, conversation, note)
    hub.let_go(conversation)
    # the store decides first (one conditional update), as a reassignment does
    if not await run_in_threadpool(hub.store.release_handoff, entry.id, account.username):
        raise ToolError("Samtalen er ikke din (længere).")
    if to_queue is not None and to_queue != taken.entry.queue:
        await run_in_threadpool(notes.retarget, hub.store.sessions, entry.id, to_queue)
    async with hub.dispatch._lock:  # no offer to anyone else in between
        offered = await run_in_threadpool(_back_and_offer, desk, entry, account.username,
                                          to_agent)
    hub.dispatch.kick()  # the colleague's console gets the offer (on whatever process)
    chat = await hub.logs.get(conversation)
    if chat is not None:
        await chat.publish({"type": "agent_left", "name": account.name, "text": told})
    where = f"agent {to_agent}" if to_agent else f"queue {to_queue}"
    await run_in_threadpool(hub.accounts.audit, account, "handover",
                            f"conversation:{conversation}", f"to {where}")
    log.info("console.handover", conversation=conversation, agent=account.username,
             to=where, offered=offered)
    if to_agent is not None and offered:
        hub._to_agent(to_agent, {"type": "handover_offer", "conversation": conversation,
                                 "id": entry.id, "from": account.name})
    message = (f"Samtalen er tilbudt {target_name}." if offered else
               f"{target_name} fik ikke samtalen tilbudt; den er forrest i køen.")\
        if to_agent is not None else f"Samtalen er forrest i køen hos {target_name}."
    frame = {"type": "handed_over", "conversation": conversation, "to_agent": to_agent,
             "to_queue": to_queue, "name": target_name, "offered": offered,
             "message": message}
    hub._to_agent(account.username, frame)
    return frame


# --- the frames (gateway/api/routes/console.py) --------------------------------------------

FRAMES = ("note", "handover", "history", "colleagues")


def _text(frame: dict[str, Any], key: str, optional: bool = False) -> str | None:
    """A string field of a frame; anything else is a malformed frame (ValueError)."""
    value = frame.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


async def command(hub: ConsoleHub, account: Account,
                  frame: dict[str, Any]) -> dict[str, Any] | None:
    """One of FRAMES; what to answer on this socket (None: the agent's consoles were
    told already). A request that cannot be done answers `error` with `conversation`
    and `about`; a malformed frame raises (and its socket is closed)."""
    kind = frame["type"]
    if kind == "colleagues":
        return await run_in_threadpool(colleagues, hub.desk, account)
    conversation = str(_text(frame, "conversation"))
    try:
        if kind == "note":
            await add_note(hub, account, conversation, str(_text(frame, "text")))
        elif kind == "handover":
            await handover(hub, account, conversation, _text(frame, "to_agent", True),
                           _text(frame, "to_queue", True),
                           _text(frame, "note", True) or "")
        else:
            return await history(hub, account, conversation)
    except ToolError as exc:
        return error(conversation, str(exc), kind)
    return None
