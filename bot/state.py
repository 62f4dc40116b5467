"""The conversation states of this process, each with its lock; idle ones expire."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.turn.state import ConversationState


class ConversationStates:
    """In-process conversation states with a lock each; idle ones expire."""

    def __init__(self, idle_seconds: float = 4 * 3600, max_conversations: int = 100_000):
        self._states: OrderedDict[str, tuple[ConversationState, threading.Lock, float]] = \
            OrderedDict()
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds
        self.max = max_conversations

    def get(self, conversation_id: str, create: Callable[[], ConversationState]
            ) -> tuple[ConversationState, threading.Lock]:
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
