"""Dependencies fail loudly and safely (issue 17): Redis dies while citizens wait for a
person and while others ask for one; it comes back empty.

- `/readyz` names the dead dependency (503); `/metrics` still answers, saying what it
  left out;
- a citizen who asks for a person gets a plain Danish answer (a ticket to the same
  team, a call back offered), recorded in the store; one already waiting is told they
  still are;
- when Redis is back, empty, the queue is rebuilt from the store: nobody who was
  waiting is lost, and the ticket is not queued as well.

Real components: a real `redis-server`, a real uvicorn server, the real frontdesk.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.desk import HandoffDesk
from handoff.queues import order
from store.outcomes import OutcomeStore, database_url
from tests.chat_client import ask
from tests.servers import free_port, redis_server, serve_app

TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


def test_redis_dies_and_comes_back_empty(knowledge, tmp_path):
    port = free_port()
    redis = contextlib.ExitStack()
    url = redis.enter_context(redis_server(port))
    settings = knowledge.settings.model_copy(update={"redis_url": url})
    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk.from_settings(settings))
    assert desk.handoffs is not None
    t0 = time.monotonic()
    app = create_app(settings, frontdesk=desk, clock=lambda: TUESDAY_MORNING + timedelta(
        seconds=time.monotonic() - t0))
    with serve_app(app) as base:
        def chat() -> str:
            return httpx.post(f"{base}/api/chat/conversations",
                              json={"municipality": "0751"}).json()["id"]

        def queued() -> set[str]:
            return {w.conversation for w in desk.handoffs.backend.waiting()}

        waiting = chat()
        first = asyncio.run(ask(base, waiting, "w1", "jeg vil gerne tale med en medarbejder"))
        assert first["action"] == "handoff" and waiting in queued()
        others = [chat() for _ in range(4)]  # more citizens in the queue
        for cid in others:
            got = asyncio.run(ask(base, cid, "o1", "kan jeg tale med en person om MitID"))
            assert got["action"] == "handoff"
        before = [w.conversation for w in order(desk.handoffs.backend.waiting())]
        assert set(before) == {waiting, *others}

        redis.close()  # Redis dies
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503 and "redis" in ready.json()["reason"]
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert 'ddh_scrape_errors{source="queue"} 1.0' in metrics.text
        asking = chat()
        told = asyncio.run(ask(base, asking, "a1", "kan jeg tale med en person"))
        assert told["action"] == "ticket" and "fejl" in told["text"]
        assert "telefonnummer" in told["text"]  # a call back is offered
        assert any(h["kind"] == "ticket" for h in store.conversation(asking)["handoffs"])
        still = asyncio.run(ask(base, waiting, "w2", "hvor længe skal jeg vente"))
        assert still["type"] == "message" and "stadig i kø" in still["text"]

        with redis_server(port):  # back, and empty
            deadline = time.monotonic() + 15
            while queued() != set(before) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert queued() == set(before)  # rebuilt from the store: nobody lost
            # in the order they came
            assert [w.conversation for w in order(desk.handoffs.backend.waiting())] == before
            assert asking not in queued()  # the ticket is not queued as well
            assert httpx.get(f"{base}/readyz").status_code == 200
