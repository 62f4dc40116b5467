"""Counters of the optional LLM mode: calls, successes, requests sent, and every
fallback by reason, so that a manager sees how often the model was bypassed."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

# Every reason an operation can fall back for; all are always present in the metrics so
# that dashboards see zeros rather than missing keys.
FALLBACK_REASONS = ("timeout", "error", "malformed", "invalid", "leak", "refusal",
                    "no_answer", "skipped")


@dataclass
class LLMMetrics:
    """Counters for the LLM mode. `calls` = `ok` + the sum of `fallbacks`; `requests`
    counts HTTP requests sent (an operation skipped on bad input sends none);
    `redacted_inputs` counts texts that still held personal data when they reached us
    (a caller bug: they are redacted here before sending)."""

    calls: int = 0
    ok: int = 0
    requests: int = 0
    redacted_inputs: int = 0
    fallbacks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FALLBACK_REASONS, 0))
    by_operation: dict[str, dict[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, operation: str, outcome: str) -> None:
        """`outcome` is "ok" or a fallback reason."""
        with self._lock:
            self.calls += 1
            if outcome == "ok":
                self.ok += 1
            else:
                self.fallbacks[outcome] = self.fallbacks.get(outcome, 0) + 1
            op = self.by_operation.setdefault(operation, {"calls": 0, "ok": 0})
            op["calls"] += 1
            op[outcome] = op.get(outcome, 0) + 1

    def add(self, name: Literal["requests", "redacted_inputs"]) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy (for /metrics or the quality dashboard)."""
        with self._lock:
            return {"calls": self.calls, "ok": self.ok, "requests": self.requests,
                    "redacted_inputs": self.redacted_inputs, "fallbacks": dict(self.fallbacks),
                    "by_operation": {k: dict(v) for k, v in self.by_operation.items()}}
