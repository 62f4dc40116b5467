"""Faults on the scale-out shape with chats and calls live (issue 17's quality bar).

    .venv/bin/python bench/cluster_faults.py [--chats 200] [--messages 4] [--think 1 4]

Three gateway processes on PostgreSQL, Redis and a Chroma server behind HAProxy
(tests/cluster.py, installed by `scripts/install.sh --test`). `--chats` citizens chat
through the balancer as the page does (resume, re-send unanswered ids) with think time
between messages; three callers are on the line over the Twilio protocol, one on each
process. A few seconds in, process 1 gets SIGTERM (it drains: its caller hears why the
call must end and is handed to a person) and process 2 SIGKILL (its caller's line goes
dead; another process records the call as dropped when its lease lapses); both are
started again. Counted from what the clients received and from the store:
citizen messages lost, replies lost or repeated, duplicate tickets, conversations
without a correct outcome, and the chat reconnect time p50/p95.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from evals.caller import TwilioCaller, synthesize  # noqa: E402
from evals.chatload import pct  # noqa: E402
from evals.voice import incoming  # noqa: E402
from gateway.api.routes.voice import conversation_id  # noqa: E402
from tests.chat_client import Conversation, converse  # noqa: E402
from tests.cluster import Gateway, cluster, missing  # noqa: E402

QUESTIONS = ["jeg har mistet mit sundhedskort", "hvad koster et pas",
             "hvordan bestiller jeg storskrald", "kan jeg tale med en medarbejder",
             "min MitID virker ikke", "tak for hjælpen"]
ENV = {"DDH_DRAIN_TIMEOUT_S": "8",  # a draining process hands its calls over after 8 s
       "DDH_CHAT_IDLE_S": "120",  # expiry (and the dropped-call check) every 12 s
       "DDH_CHAT_RATE_LIMIT": "1000", "DDH_LOG_LEVEL": os.environ.get("DDH_LOG_LEVEL", "WARNING")}


async def caller(g: Gateway, sid: str, stay_s: float) -> dict[str, Any]:
    """A caller on process `g`: asks a question, then stays on the line (as people
    do while they listen) for `stay_s` or until the line closes, then hangs up."""
    stream, params = await incoming(g.url, sid)
    out: dict[str, Any] = {"sid": sid, "answered": False, "closed_by_server": False}
    try:
        async with websockets.connect(stream) as ws:
            call = TwilioCaller(ws, call_sid=sid, stream_sid=f"MZ{sid}")
            await call.answered(params, within_s=90)
            t0 = await call.send_audio(synthesize("Jeg har mistet mit sundhedskort.",
                                                  speed=140))
            await call.wait_for_bot(t0, within_s=60)
            out["answered"] = True
            deadline = time.monotonic() + stay_s
            while time.monotonic() < deadline and not call.closed.is_set():
                await call.silence(0.2)
            out["closed_by_server"] = call.closed.is_set()
            if not call.closed.is_set():
                await call.stop()
    except (websockets.ConnectionClosed, OSError, TimeoutError) as exc:
        out["closed_by_server"] = True
        out["error"] = type(exc).__name__
    return out


async def faults(g_term: Gateway, g_kill: Gateway, after_s: float) -> dict[str, float]:
    await asyncio.sleep(after_s)
    t0 = time.monotonic()
    g_term.signal(signal.SIGTERM)
    g_kill.signal(signal.SIGKILL)
    codes = await asyncio.gather(asyncio.to_thread(g_term.wait, 90),
                                 asyncio.to_thread(g_kill.wait, 90))
    stopped = time.monotonic() - t0
    await asyncio.gather(asyncio.to_thread(g_term.start), asyncio.to_thread(g_kill.start))
    return {"stopped_s": stopped, "back_s": time.monotonic() - t0,
            "term_exit": codes[0], "kill_exit": codes[1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--chats", type=int, default=200)
    ap.add_argument("--messages", type=int, default=4)
    ap.add_argument("--think", type=float, nargs=2, default=(1.0, 4.0))
    ap.add_argument("--fault-after", type=float, default=8.0)
    args = ap.parse_args()
    if missing():
        print(f"bench/cluster_faults.py needs {', '.join(missing())} "
              "(scripts/install.sh --test)")
        return 2
    rng = random.Random(5)
    with cluster(3, ENV) as c:
        g1, g2, g3 = c.gateways
        convs: list[Conversation] = []
        with httpx.Client(base_url=c.url, timeout=30) as http:
            for _ in range(args.chats):
                r = http.post("/api/chat/conversations", json={"municipality": "0751"})
                r.raise_for_status()
                convs.append(Conversation(r.json()["id"]))
        scripts = {conv.id: [rng.choice(QUESTIONS) for _ in range(args.messages)]
                   for conv in convs}

        async def run() -> tuple[dict[str, float], list[dict[str, Any]], list[str]]:
            errors: list[str] = []

            async def chat(conv: Conversation) -> None:
                try:
                    await converse(lambda: c.url, conv, scripts[conv.id],
                                   think=lambda: rng.uniform(*args.think))
                except Exception as exc:  # counted as lost below
                    errors.append(f"{conv.id}: {exc!r}"[:200])

            calls = [caller(g, f"CAfault{i}", stay_s=args.fault_after + 25)
                     for i, g in enumerate((g1, g2, g3), 1)]
            timing, *rest = await asyncio.gather(
                faults(g1, g2, args.fault_after), *calls, *(chat(v) for v in convs))
            return timing, list(rest[:3]), errors

        t0 = time.monotonic()
        timing, calls, errors = asyncio.run(run())
        wall = time.monotonic() - t0
        engine = create_engine(c.database_url)
        ids = [v.id for v in convs]
        call_rows: list[Any] = []
        for _ in range(90):  # the killed caller's lease lapses; another process notices
            with engine.connect() as db:
                call_rows = db.execute(text(
                    "SELECT id, outcome, ended_at FROM conversations WHERE channel = 'voice' "
                    "ORDER BY started_at")).all()
            if len(call_rows) == 3 and all(r.ended_at is not None for r in call_rows):
                break
            time.sleep(1.0)
        with engine.connect() as db:
            turns = dict(db.execute(text(
                "SELECT conversation_id, count(*) FROM decisions GROUP BY conversation_id"
            )).all())
            logged = dict(db.execute(text(
                "SELECT conversation_id, count(*) FROM chat_events "
                "WHERE client_id IS NOT NULL GROUP BY conversation_id")).all())
            # one case per need: two tickets of one conversation to the same team about
            # the same topic are a duplicate (a turn run twice, or a need sent twice)
            tickets = db.execute(text(
                "SELECT conversation_id, target, topic, count(*) FROM handoffs "
                "WHERE kind = 'ticket' GROUP BY conversation_id, target, topic "
                "HAVING count(*) > 1")).all()
            outcomes = dict(db.execute(text(
                "SELECT id, outcome FROM conversations")).all())
            call_decisions = db.execute(text(
                "SELECT d.conversation_id, d.action, d.reason FROM decisions d "
                "JOIN conversations c ON c.id = d.conversation_id "
                "WHERE c.channel = 'voice' ORDER BY d.id")).all()
        engine.dispose()

    n = args.messages
    lost_msgs = sum(n - len(v.replies) for v in convs)
    repeated = sum(len(r) - 1 for v in convs for r in v.replies.values() if len(r) > 1)
    turn_dupes = sum(1 for i in ids if turns.get(i, 0) > n)
    turn_lost = sum(1 for i in ids if turns.get(i, 0) < n)
    log_wrong = sum(1 for i in ids if logged.get(i, 0) != 2 * n)
    no_outcome = sum(1 for i in ids if not outcomes.get(i))
    reconnects = [s for v in convs for s in v.reconnects]
    handed = [r for r in call_decisions if "had to end" in (r.reason or "")]
    print(f"\n{args.chats} chats × {n} messages (think {args.think[0]:g}–{args.think[1]:g} s) "
          f"and 3 calls on 3 processes; SIGTERM process 1 and SIGKILL process 2 after "
          f"{args.fault_after:g} s; {wall:.0f} s wall")
    print(f"  processes stopped in {timing['stopped_s']:.1f} s (exit {timing['term_exit']:.0f}"
          f" / {timing['kill_exit']:.0f}), both ready again after {timing['back_s']:.1f} s")
    print(f"  chat: replies delivered {sum(len(v.replies) for v in convs)} of {args.chats * n}"
          f", citizen messages lost {lost_msgs}, replies repeated {repeated}, "
          f"client errors {len(errors)}")
    print(f"  store: turns missing {turn_lost}, turns twice {turn_dupes}, chat logs not "
          f"exactly message + reply {log_wrong}, duplicate tickets {len(tickets)}, "
          f"conversations without an outcome {no_outcome}")
    print(f"  reconnects: {len(reconnects)}, time to reconnect p50 "
          f"{pct(reconnects, 50) * 1000:.0f} ms, p95 {pct(reconnects, 95) * 1000:.0f} ms")
    stored = {r.id: r for r in call_rows}
    roles = ("SIGTERM (drained)", "SIGKILL", "kept running")
    for rec, role in zip(calls, roles, strict=True):
        row = stored.get(conversation_id("twilio", rec["sid"]))
        print(f"  call on the process that got {role}: answered {rec['answered']}, line "
              f"closed by the gateway {rec['closed_by_server']}; stored outcome "
              f"{row.outcome if row else None}, ended "
              f"{row is not None and row.ended_at is not None}")
    print(f"  calls handed over with a word while draining: {len(handed)}")
    if errors:
        print("  first client error:", errors[0])
    killed = stored.get(conversation_id("twilio", calls[1]["sid"]))
    call_ok = len(call_rows) == 3 and all(r.ended_at is not None and r.outcome
                                          for r in call_rows) and \
        killed is not None and killed.outcome == "dropped" and len(handed) >= 1
    ok = not (lost_msgs or repeated or errors or turn_lost or turn_dupes or log_wrong
              or tickets or no_outcome) and call_ok
    print(f"\ntargets (0 lost, 0 repeated, 0 duplicate tickets, every conversation with an "
          f"outcome; the killed call dropped, the drained one handed over): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
