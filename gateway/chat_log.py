"""The chat channel's message log: what makes a conversation resumable without duplicates.

Each conversation keeps its outgoing events in order with a sequence number. A
client that reconnects says the last sequence it saw and gets the rest again; a
message it re-sends (same client id) is answered from the log, never run through
the frontdesk twice. Only redacted text is kept, in memory, for the conversation's
idle lifetime.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConversationLog:
    id: str
    municipality: str | None
    touched: float = field(default_factory=time.monotonic)
    events: list[dict[str, Any]] = field(default_factory=list)
    answered: dict[str, list[int]] = field(default_factory=dict)  # client msg id → seqs
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # A person has taken over (warm handoff accepted): citizen messages go to them.
    agent: str | None = None
    listeners: set[asyncio.Queue] = field(default_factory=set)  # the citizen's sockets

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        event = {**event, "seq": len(self.events) + 1}
        self.events.append(event)
        self.touched = time.monotonic()
        return event

    def publish(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append an event that did not answer the citizen (an agent's message) and push
        it to the citizen's open sockets."""
        event = self.append(event)
        for queue in list(self.listeners):
            queue.put_nowait(event)
        return event

    def since(self, seq: int) -> list[dict[str, Any]]:
        return self.events[max(seq, 0):]


class ChatLogs:
    """All open chat conversations of this process, idle ones dropped."""

    def __init__(self, idle_seconds: float = 4 * 3600, max_conversations: int = 50_000):
        self._logs: OrderedDict[str, ConversationLog] = OrderedDict()
        self.idle_seconds = idle_seconds
        self.max = max_conversations

    def create(self, conversation_id: str, municipality: str | None) -> ConversationLog:
        self._expire()
        log = ConversationLog(conversation_id, municipality)
        self._logs[conversation_id] = log
        return log

    def get(self, conversation_id: str) -> ConversationLog | None:
        log = self._logs.get(conversation_id)
        if log is not None:
            self._logs.move_to_end(conversation_id)
        return log

    def _expire(self) -> None:
        now = time.monotonic()
        while self._logs:
            oldest = next(iter(self._logs.values()))
            if len(self._logs) < self.max and now - oldest.touched < self.idle_seconds:
                break
            self._logs.popitem(last=False)

    def __len__(self) -> int:
        return len(self._logs)
