"""The conversation states a process holds, each with its lock: a cache over the store.

The store keeps every conversation's state (`store.live`), written with each turn, so
a restart or another process loses nothing: a state not held here is read from the
store, and one whose stored version is newer than the copy here (another process took
a turn) is read again. Without a store (`ddh ask` on its own) the states live here
only. Idle states leave the cache; the store still has them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.turn.state import ConversationState


@dataclass
class Held:
    """A conversation's state as this process holds it."""

    state: ConversationState
    version: int = 0  # the stored version this copy was read at, or written as
    lock: threading.Lock = field(default_factory=threading.Lock)
    touched: float = field(default_factory=time.monotonic)
    # Every turn of the conversation was taken by this process (it began here and no
    # other process has written it since): a message id not in `answered` is new,
    # and the store need not be asked whether it was handled before.
    complete: bool = False
    answered: set[str] = field(default_factory=set)  # message ids handled here


Load = Callable[[], tuple[ConversationState, int] | None]


class ConversationStates:
    """States by conversation id, least recently used first; idle ones leave."""

    def __init__(self, idle_seconds: float = 4 * 3600, max_conversations: int = 100_000):
        self._held: OrderedDict[str, Held] = OrderedDict()
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds
        self.max = max_conversations

    def get(self, conversation_id: str, create: Callable[[], ConversationState],
            load: Load | None = None) -> Held:
        """The held state; else the stored one (`load`); else a new one (`create`)."""
        now = time.monotonic()
        with self._lock:
            held = self._held.get(conversation_id)
            if held is not None:
                held.touched = now
                self._held.move_to_end(conversation_id)
                return held
        stored = load() if load is not None else None  # outside the lock: a read
        with self._lock:
            held = self._held.get(conversation_id)  # another thread was quicker
            if held is None:
                if stored:
                    held = Held(*stored)
                else:
                    state = create()
                    held = Held(state, complete=state.turns == 0)
                self._held[conversation_id] = held
            held.touched = now
            self._held.move_to_end(conversation_id)
            while self._held and (len(self._held) > self.max or now - next(
                    iter(self._held.values())).touched > self.idle_seconds):
                self._held.popitem(last=False)
            return held

    def pop(self, conversation_id: str) -> ConversationState | None:
        with self._lock:
            held = self._held.pop(conversation_id, None)
            return held.state if held else None

    def peek(self, conversation_id: str) -> ConversationState | None:
        with self._lock:
            held = self._held.get(conversation_id)
            return held.state if held else None

    def __len__(self) -> int:
        return len(self._held)
