"""Fault benchmark: the store locked while citizens chat (issue 17).

    .venv/bin/python bench/faults.py [--citizens 40] [--lock-s 30] [--think 1 2]

`ddh serve` runs on the embedded default (SQLite). Citizens chat steadily (one
message every 1–2 s each). After a few seconds another process takes SQLite's write
lock (`BEGIN EXCLUSIVE`) and holds it for `--lock-s` seconds, then lets go.
Printed: the client round trip (send → full reply) before, during and after the lock,
p50/p95; turns lost (messages that got a reply but are not in the store once the
journal is written); duplicates. Target: replies p95 <= 1 s while locked, 0 lost.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from evals.chatload import pct  # noqa: E402
from tests.servers import ddh_serve  # noqa: E402

TEXTS = ["jeg har mistet mit sundhedskort", "hvad koster et pas", "min MitID virker ikke",
         "hvornår bliver storskrald hentet", "hvordan skifter jeg læge"]


async def citizen(url: str, until: float, rtts: list[tuple[float, float]],
                  sent: list[str], rng: random.Random, think: tuple[float, float]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        conv = (await http.post("/api/chat/conversations", json={"municipality": "0751"})).json()
    async with websockets.connect(url.replace("http://", "ws://") + conv["websocket"]) as ws:
        i = 0
        while time.monotonic() < until:
            mid = f"{conv['id']}:{i}"
            t0 = time.monotonic()
            await ws.send(json.dumps({"type": "message", "id": f"m{i}",
                                      "text": rng.choice(TEXTS)}))
            while True:
                ev = json.loads(await asyncio.wait_for(ws.recv(), 120))
                if ev["type"] == "message" and ev.get("role") == "bot":
                    break
            rtts.append((t0, (time.monotonic() - t0) * 1000))
            sent.append(mid)
            i += 1
            await asyncio.sleep(rng.uniform(*think))


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--citizens", type=int, default=40)
    ap.add_argument("--lock-s", type=float, default=30.0)
    ap.add_argument("--think", type=float, nargs=2, default=(1.0, 2.0))
    args = ap.parse_args()
    data_dir = Path(os.environ.get("DDH_DATA_DIR", "var/bench")).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "faults.sqlite3"
        db = f"sqlite:///{db_path}"
        env = {"DDH_DATA_DIR": str(data_dir), "DDH_DATABASE_URL": db,
               "DDH_LOG_LEVEL": "WARNING", "DDH_CHAT_RATE_LIMIT": "100"}
        with ddh_serve(env, ready="/readyz", quiet=True) as (url, _):
            before_s, after_s = 5.0, 8.0
            start = time.monotonic()
            lock_at, unlock_at = start + before_s, start + before_s + args.lock_s
            until = unlock_at + after_s
            rtts: list[tuple[float, float]] = []
            sent: list[str] = []

            async def run() -> None:
                rng = random.Random(3)

                def hold() -> None:
                    time.sleep(max(0.0, lock_at - time.monotonic()))
                    lock = sqlite3.connect(db_path, timeout=30)
                    lock.execute("BEGIN EXCLUSIVE")
                    time.sleep(max(0.0, unlock_at - time.monotonic()))
                    lock.rollback()
                    lock.close()

                await asyncio.gather(asyncio.to_thread(hold), *(
                    citizen(url, until, rtts, sent, random.Random(rng.random()),
                            tuple(args.think)) for _ in range(args.citizens)))

            asyncio.run(run())
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # the journal is written after the lock
                ready = httpx.get(f"{url}/readyz").json()
                if not ready.get("pending_writes"):
                    break
                time.sleep(0.5)
        engine = create_engine(db)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM decisions")).scalar() or 0
            dupes = conn.execute(text(
                "SELECT count(*) FROM (SELECT conversation_id, message_id FROM decisions "
                "GROUP BY conversation_id, message_id HAVING count(*) > 1) d")).scalar() or 0
        engine.dispose()
    phases = {"before": [r for t, r in rtts if t < lock_at],
              "locked": [r for t, r in rtts if lock_at <= t < unlock_at],
              "after": [r for t, r in rtts if t >= unlock_at]}
    print(f"\n{args.citizens} citizens, store locked {args.lock_s:g} s (BEGIN EXCLUSIVE)")
    for name, values in phases.items():
        print(f"  {name:7s} {len(values):5d} replies: client round trip p50 "
              f"{pct(values, 50):.0f} ms, p95 {pct(values, 95):.0f} ms")
    lost = len(sent) - stored
    print(f"  turns answered {len(sent)}, in the store {stored}: lost {lost}, "
          f"duplicated {dupes}")
    ok = pct(phases["locked"], 95) <= 1000 and lost == 0 and dupes == 0
    print(f"\ntargets (locked: p95 <= 1 s; 0 lost): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
