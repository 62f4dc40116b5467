"""Live metrics for Prometheus at `GET /metrics`.

Counted as they happen: conversations by channel, actions by type, and the frontdesk's
turn latency (a histogram). Read at scrape time: queue lengths and the oldest wait per
queue, agents by state, live calls, LLM fallbacks by reason, and ticket deliveries by
status (failed ones are the ones an administrator must look at). Each gateway process
exposes its own figures; Prometheus sums them. No text, no identifiers: labels are
channels, actions, queues, states and reasons only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5)


class _Live(Collector):
    """Figures read at scrape time. A dependency that fails (Redis, the store) leaves
    its figures out and is counted in `ddh_scrape_errors`: `/metrics` never fails,
    because a scrape that fails is how an outage goes unseen."""

    def __init__(self, app_state: Any) -> None:
        self.state = app_state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        errors = GaugeMetricFamily("ddh_scrape_errors", "Figures left out of this scrape "
                                   "because their source failed", labels=["source"])
        for source, part in (("queue", self._queue), ("voice", self._voice),
                             ("llm", self._llm), ("store", self._tickets),
                             ("email", self._email)):
            try:
                yield from list(part())
                errors.add_metric([source], 0)
            except Exception:
                errors.add_metric([source], 1)
        yield errors

    def _queue(self) -> Iterator[GaugeMetricFamily]:
        frontdesk = self.state.frontdesk
        desk = frontdesk.handoffs if frontdesk else None
        waiting = GaugeMetricFamily("ddh_queue_waiting", "Citizens waiting, by queue",
                                    labels=["queue"])
        oldest = GaugeMetricFamily("ddh_queue_oldest_wait_seconds",
                                   "Longest current wait, by queue", labels=["queue"])
        agents = GaugeMetricFamily("ddh_agents", "Agents by state", labels=["state"])
        if desk is not None:
            now = time.time()
            by_queue: dict[str, list[float]] = {}
            for w in desk.backend.waiting():
                by_queue.setdefault(w.queue, []).append(now - w.enqueued_at)
            for queue, waits in sorted(by_queue.items()):
                waiting.add_metric([queue], len(waits))
                oldest.add_metric([queue], max(waits))
            states: dict[str, int] = {}
            for a in desk.backend.agents():
                states[a.state] = states.get(a.state, 0) + 1
            for st in ("available", "busy", "wrap-up", "away"):
                agents.add_metric([st], states.get(st, 0))
        yield waiting
        yield oldest
        yield agents

    def _voice(self) -> Iterator[GaugeMetricFamily]:
        calls = GaugeMetricFamily("ddh_voice_calls_active", "Calls in progress")
        voice = getattr(self.state, "voice", None)
        live = voice.result().calls if voice is not None and voice.done() and \
            voice.exception() is None else {}
        calls.add_metric([], len(live))
        yield calls

    def _llm(self) -> Iterator[GaugeMetricFamily]:
        frontdesk = self.state.frontdesk
        llm = getattr(frontdesk, "llm", None) if frontdesk else None
        fallbacks = GaugeMetricFamily("ddh_llm_fallbacks", "LLM calls that fell back to "
                                      "the grounded path, by reason", labels=["reason"])
        if llm is not None:
            for reason, n in llm.metrics.snapshot()["fallbacks"].items():
                fallbacks.add_metric([reason], n)
        yield fallbacks

    def _tickets(self) -> Iterator[GaugeMetricFamily]:
        frontdesk = self.state.frontdesk
        tickets = GaugeMetricFamily("ddh_ticket_deliveries", "Ticket deliveries by status",
                                    labels=["status"])
        store = frontdesk.store if frontdesk else None
        if store is not None:
            for status, n in store.delivery_counts().items():
                tickets.add_metric([status], n)
        yield tickets


    def _email(self) -> Iterator[GaugeMetricFamily]:
        replies = GaugeMetricFamily("ddh_email_replies", "E-mail replies by status "
                                    "(pending, sent, failed)", labels=["status"])
        channel = getattr(self.state, "email", None)
        if channel is not None:
            for status, n in channel.store.counts().items():
                replies.add_metric([status], n)
        yield replies


class Metrics:
    """One registry per app (tests run several apps in one process)."""

    def __init__(self, app_state: Any) -> None:
        self.registry = CollectorRegistry()
        self.conversations = Counter("ddh_conversations", "Conversations started, by channel",
                                     ["channel"], registry=self.registry)
        self.actions = Counter("ddh_actions", "Frontdesk decisions, by action and channel",
                               ["action", "channel"], registry=self.registry)
        self.latency = Histogram("ddh_turn_seconds", "Frontdesk turn latency", ["channel"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(_Live(app_state))

    def observe(self, channel: str, action: str, seconds: float, first: bool) -> None:
        if first:
            self.conversations.labels(channel).inc()
        self.actions.labels(action, channel).inc()
        self.latency.labels(channel).observe(seconds)
