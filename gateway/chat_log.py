"""The chat channel's message log: what makes a conversation resumable without duplicates.

Each conversation keeps its outgoing events in order with a sequence number. A
client that reconnects says the last sequence it saw and gets the rest again; a
message it re-sends (same client id) is answered from the log, never run through
the frontdesk twice. Only redacted text is kept.

The log lives in the store (`store.live`) when there is one, so a restart, a deploy
or another gateway process serves the same conversation: this process caches the
events it has seen and reads the store for what it has not (a resume, a re-sent
message, a conversation it never held). Without a store (tests of the channel
alone) it lives here only. The live parts — the citizen's open sockets, the agent
who took over — belong to this process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from ddh.redaction import redact_fragments
from gateway.live_link import LiveLink
from store.live import LiveStore

# Events that make a conversation live between a citizen and an agent.
LIVE_TYPES = ("agent_joined", "agent_left")
# Signs of life while a person has the chat (typing, online/offline): carried live,
# never logged; typing at most once a second per side.
SIGNAL_TYPES = ("typing", "presence")
TYPING_EVERY_S = 1.0


@dataclass
class ConversationLog:
    id: str
    municipality: str | None
    store: LiveStore | None = None
    touched: float = field(default_factory=time.monotonic)
    events: list[dict[str, Any]] = field(default_factory=list)  # what this process saw
    answered: dict[str, list[int]] = field(default_factory=dict)  # client msg id → seqs
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # A person has taken over (warm handoff accepted): citizen messages go to them.
    agent: str | None = None
    listeners: set[asyncio.Queue] = field(default_factory=set)  # the citizen's sockets
    link: LiveLink = field(default_factory=LiveLink)  # to the other gateway processes
    signalled: dict[str, float] = field(default_factory=dict)  # side → last typing sent
    forgotten: bool = False  # its text was deleted ("Slet min samtale")

    def listen(self, queue: asyncio.Queue) -> None:
        """A citizen's socket on this process: it gets what other processes log too."""
        if not self.listeners:
            self.link.watch(self.id, self._remote)
        self.listeners.add(queue)

    def unlisten(self, queue: asyncio.Queue) -> None:
        self.listeners.discard(queue)
        if not self.listeners:
            self.link.unwatch(self.id, self._remote)

    def redact_earlier(self, fragments: tuple[str, ...]) -> None:
        """An earlier message's six digits are known now to be a CPR number's date part
        (the store's copy was redacted with the turn): out of this process's copy too."""
        self.events = redact_fragments(self.events, fragments)

    async def signal(self, event: dict[str, Any]) -> bool:
        """A sign of life from one side (`role` "citizen" or "agent"): to the
        citizen's sockets here when it is the agent's, and to the other processes.
        Not logged. False: a typing sign within a second of the last, dropped."""
        role = event.get("role", "")
        if event.get("type") == "typing":
            now = time.monotonic()
            if now - self.signalled.get(role, -TYPING_EVERY_S) < TYPING_EVERY_S:
                return False
            self.signalled[role] = now
        if role == "agent":
            for queue in list(self.listeners):
                queue.put_nowait(event)
        await self.link.publish(self.id, event, {"signal": True, "agent": self.agent})
        return True

    async def _remote(self, event: dict[str, Any], meta: dict[str, Any]) -> None:
        """An event another process logged (an agent's message, a takeover), or a
        sign of life from the agent there."""
        if meta.get("signal"):
            if event.get("role") == "agent":
                for queue in list(self.listeners):
                    queue.put_nowait(event)
            if event.get("type") == "forgotten":  # deleted: this process keeps none of it
                self.events.clear()
                self.answered.clear()
                self.forgotten = True
            return
        if event.get("seq") == len(self.events) + 1:
            self.events.append(event)
        self._follow(event, meta.get("agent"))
        for queue in list(self.listeners):
            queue.put_nowait(event)

    def _follow(self, event: dict[str, Any], agent: str | None) -> None:
        if event.get("type") == "agent_joined":
            self.agent = agent or self.agent or "agent"
        elif event.get("type") == "agent_left":
            self.agent = None

    def _keep(self, events: list[dict[str, Any]], client_id: str | None) -> None:
        for event in events:
            if event["seq"] == len(self.events) + 1:
                self.events.append(event)
        if client_id is not None:
            self.answered.setdefault(client_id, []).extend(e["seq"] for e in events)
        self.touched = time.monotonic()

    async def append(self, *events: dict[str, Any],
                     client_id: str | None = None) -> list[dict[str, Any]]:
        """Log events, in one write; `client_id`: the citizen message they carry or
        answer. The events with their `seq`."""
        if self.store is None:
            saved = [{**e, "seq": len(self.events) + i} for i, e in enumerate(events, 1)]
        else:
            saved = await asyncio.to_thread(self.store.append, self.id, list(events),
                                            client_id, len(self.events) + 1)
            if saved and saved[0]["seq"] != len(self.events) + 1:
                # another process logged events in between: catch up first
                self.events = await asyncio.to_thread(self.store.events, self.id)
        self._keep(saved, client_id)
        for event in saved:  # live with an agent: the other processes hear it now
            live = self.agent is not None or event.get("type") in LIVE_TYPES or \
                event.get("role") == "agent"
            meta = {"agent": self.agent}
            self._follow(event, self.agent)
            if live:
                await self.link.publish(self.id, event, meta)
        return saved

    async def publish(self, event: dict[str, Any]) -> dict[str, Any]:
        """Log an event that did not answer the citizen (an agent's message) and push
        it to the citizen's open sockets."""
        (event,) = await self.append(event)
        for queue in list(self.listeners):
            queue.put_nowait(event)
        return event

    async def since(self, seq: int) -> list[dict[str, Any]]:
        """The events after `seq`: the store's (other processes logged some too), and
        this process's own that still wait in the journal (the store locked)."""
        seq = max(seq, 0)
        if self.store is None:
            return self.events[seq:]
        stored = await asyncio.to_thread(self.store.events, self.id, seq)
        last = stored[-1]["seq"] if stored else seq
        return stored + self.events[last:]

    async def answers(self, client_id: str, in_store: bool = True) -> list[dict[str, Any]]:
        """The logged events of a message already handled (empty: not handled);
        `in_store=False`: as far as this process knows."""
        seqs = self.answered.get(client_id)
        if seqs and all(s <= len(self.events) for s in seqs):
            return [self.events[s - 1] for s in seqs]
        if self.store is None or not in_store:
            return []
        found = await asyncio.to_thread(self.store.answered, self.id, client_id)
        if found:
            self.answered[client_id] = [e["seq"] for e in found]
        return found


class ChatLogs:
    """The chat conversations this process serves, over the store's logs."""

    def __init__(self, store: LiveStore | None = None, idle_seconds: float = 4 * 3600,
                 max_held: int = 50_000, link: LiveLink | None = None):
        self._logs: dict[str, ConversationLog] = {}
        self.store = store
        self.link = link or LiveLink()
        self.idle_seconds = idle_seconds
        self.max = max_held

    async def create(self, conversation_id: str, municipality: str | None,
                     greeting: dict[str, Any]) -> tuple[ConversationLog, dict[str, Any]]:
        """A new conversation with its first event (the greeting)."""
        self._forget_idle()
        log = ConversationLog(conversation_id, municipality, self.store, link=self.link)
        (event,) = await log.append({**greeting, "municipality": municipality})
        self._logs[conversation_id] = log
        return log, event

    async def get(self, conversation_id: str) -> ConversationLog | None:
        """The conversation, from this process or the store; None when unknown."""
        log = self._logs.get(conversation_id)
        if log is not None and log.forgotten:
            self.drop(conversation_id)
            return None
        if log is None and self.store is not None:
            events = await asyncio.to_thread(self.store.events, conversation_id)
            if events:
                municipality = next((e.get("municipality") for e in reversed(events)
                                     if e.get("municipality")), None)
                log = self._logs.setdefault(conversation_id, ConversationLog(
                    conversation_id, municipality, self.store, events=events, link=self.link))
                for event in events:  # taken over by an agent (on any process)?
                    log._follow(event, "agent")
        if log is not None:
            log.touched = time.monotonic()
            self._logs[conversation_id] = self._logs.pop(conversation_id)  # newest last
        return log

    def drop(self, conversation_id: str) -> None:
        """Stop holding a conversation whose text was forgotten."""
        self._logs.pop(conversation_id, None)

    def _forget_idle(self) -> None:
        """Stop holding idle conversations, oldest first (their logs stay in the store;
        without a store only idle ones go). One with an open socket or a person on it
        is live, and stays."""
        now = time.monotonic()
        for cid, log in list(self._logs.items()):
            idle = now - log.touched > self.idle_seconds
            full = len(self._logs) >= self.max and self.store is not None
            if not (idle or full):
                break
            if not log.listeners and log.agent is None:
                del self._logs[cid]

    def __len__(self) -> int:
        return len(self._logs)
