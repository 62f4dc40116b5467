"""Faults on the scale-out shape (issue 17): three gateway processes on PostgreSQL,
Redis and a Chroma server behind HAProxy (round robin, no sticky sessions).

Citizens chat, every message on a new socket, so consecutive messages of one
conversation land on different processes. Meanwhile one process gets SIGTERM and
another SIGKILL, and both are started again. Counted from the store and the logs:
every message answered, each exactly once; no conversation lost.
"""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.chat_client import Conversation, converse
from tests.cluster import cluster, missing

pytestmark = pytest.mark.skipif(bool(missing()), reason=f"needs {', '.join(missing())}")

QUESTIONS = ["jeg har mistet mit sundhedskort", "hvad koster et pas",
             "hvordan bestiller jeg storskrald", "tak for hjælpen"]


def test_sigterm_and_sigkill_on_a_balanced_cluster_lose_nothing():
    with cluster(3) as c:
        convs = []
        for _ in range(40):
            r = httpx.post(f"{c.url}/api/chat/conversations", json={"municipality": "0751"})
            assert r.status_code == 201, r.text
            convs.append(Conversation(r.json()["id"]))
        g1, g2, _ = c.gateways

        async def faults() -> dict[str, float]:
            await asyncio.sleep(1.0)  # the conversations are under way
            t0 = time.monotonic()
            g1.signal(signal.SIGTERM)
            g2.signal(signal.SIGKILL)
            codes = await asyncio.gather(asyncio.to_thread(g1.wait),
                                         asyncio.to_thread(g2.wait))
            assert codes[0] == 0 and codes[1] == -signal.SIGKILL
            stopped = time.monotonic() - t0
            await asyncio.gather(asyncio.to_thread(g1.start), asyncio.to_thread(g2.start))
            return {"stopped_s": stopped, "back_s": time.monotonic() - t0}

        async def run() -> dict[str, float]:
            clients = [converse(lambda: c.url, conv, QUESTIONS, fresh_socket_per_message=True)
                       for conv in convs]
            timing, *_ = await asyncio.gather(faults(), *clients)
            return timing

        timing = asyncio.run(run())
        print(f"faults: stopped in {timing['stopped_s']:.1f} s, both back in "
              f"{timing['back_s']:.1f} s; reconnects "
              f"{sum(len(v.closes) for v in convs)}")
        for conv in convs:
            assert sorted(conv.replies) == [f"{conv.id}-{n}" for n in range(len(QUESTIONS))]
        engine = create_engine(c.database_url)
        with engine.connect() as db:
            turns = dict(db.execute(text(
                "SELECT conversation_id, count(*) FROM decisions GROUP BY conversation_id")
            ).all())
            replies = dict(db.execute(text(
                "SELECT conversation_id, count(*) FROM chat_events "
                "WHERE client_id IS NOT NULL GROUP BY conversation_id")).all())
        engine.dispose()
        for conv in convs:
            assert turns[conv.id] == len(QUESTIONS)  # each message one turn: none twice
            assert replies[conv.id] == 2 * len(QUESTIONS)  # message and reply, logged once
