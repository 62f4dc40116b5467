"""Per-conversation state: what the frontdesk remembers between a citizen's turns."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ConversationState:
    id: str
    channel: str
    started_at: datetime
    municipality: str | None = None
    municipality_source: str | None = None
    municipality_turn: int = 0  # the turn that named the municipality (0: the channel did)
    candidates: tuple[str, ...] = ()
    candidates_evidence: str | None = None  # the postal code or town that was ambiguous
    called_number: str | None = None
    language: str = "da"
    turns: int = 0
    last_topic: str | None = None
    last_guides: list[str] = field(default_factory=list)  # ids of guides given, in order
    pending: str | None = None  # helped | municipality | satisfaction | callback
    pending_topic: str | None = None
    pending_reason: str | None = None
    clarifications: int = 0
    first_question: str | None = None  # redacted: the citizen's need, for summaries
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (role, redacted text)
    actions: list[str] = field(default_factory=list)
    outcome: str | None = None
    callback_number: str | None = None  # consented; for tickets only, never in transcripts
    last_ticket: dict | None = None
    waiting_id: str | None = None  # the handoff this conversation waits in a queue for
    satisfaction: int | None = None
    ended: bool = False
    notice_id: str | None = None  # the crisis notice that answered (bot/notices.py)
    notice_question: str | None = None  # asked before the municipality was known
    disclosed: bool = False  # the AI disclosure has been given (EU AI Act art. 50)


OUTCOME_RANK = {None: 0, "unresolved": 1, "resolved_bot": 2, "redirect": 3, "ticket": 4,
                "transfer": 4, "handoff": 4}


def merge_outcome(current: str | None, action: str) -> str | None:
    """The conversation's outcome after an action: escalations and redirects stick."""
    new = {"answer": "resolved_bot", "handoff": "handoff", "transfer": "transfer",
           "ticket": "ticket", "redirect": "redirect", "clarify": "unresolved"}.get(action)
    if new is None:
        return current
    return new if OUTCOME_RANK[new] >= OUTCOME_RANK[current] else current


class ConversationStates:
    """In-process conversation states with a lock each; idle ones expire."""

    def __init__(self, idle_seconds: float = 4 * 3600, max_conversations: int = 100_000):
        self._states: OrderedDict[str, tuple[ConversationState, threading.Lock, float]] = \
            OrderedDict()
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds
        self.max = max_conversations

    def get(self, conversation_id: str, create) -> tuple[ConversationState, threading.Lock]:
        now = time.monotonic()
        with self._lock:
            entry = self._states.get(conversation_id)
            if entry is None:
                entry = (create(), threading.Lock(), now)
            else:
                entry = (entry[0], entry[1], now)
            self._states[conversation_id] = entry
            self._states.move_to_end(conversation_id)
            while self._states and (len(self._states) > self.max or
                                    now - next(iter(self._states.values()))[2] > self.idle_seconds):
                self._states.popitem(last=False)
            return entry[0], entry[1]

    def pop(self, conversation_id: str) -> ConversationState | None:
        with self._lock:
            entry = self._states.pop(conversation_id, None)
            return entry[0] if entry else None

    def peek(self, conversation_id: str) -> ConversationState | None:
        with self._lock:
            entry = self._states.get(conversation_id)
            return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._states)
