"""Handoff benchmark: from the bot's handoff decision to the packet on agents' screens.

    .venv/bin/python bench/handoff.py [--agents 50] [--citizens 200] [--over 20]

`ddh serve` runs as its own process (clock set to a Tuesday 11:00, when DDH is open).
N agents sign in and keep the console socket open (half of them have the topic's
skill, so they are offered it at once; the rest only after the skill wait). M citizens
open chats and ask for a person, spread over `--over` seconds; nobody accepts, so the
queue grows to M waiting conversations. For each citizen we measure from sending the
message (the decision follows within the turn) to the first queue view, on any agent's
screen, that contains the conversation — and to the moment it is on the screens of all
agents who may take it. The desk's capacity logic is on (each agent's capacity, offers
pushed to the free agent idle longest): an offer pushed to an agent counts as on that
agent's screen as well as the queue view. Target: p95 <= 100 ms (first screen).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import websockets  # noqa: E402

from handoff.accounts import Accounts  # noqa: E402
from store.outcomes import OutcomeStore  # noqa: E402
from tests.servers import ddh_serve  # noqa: E402

PASSWORD = "bench-password-123"
QUESTION = "jeg vil gerne tale med en medarbejder om min digitale post"
TARGET_MS = 100  # issue 20: with the desk's capacity logic on
MUNICIPALITY = "0849"  # Jammerbugt: a DDH member whose topic goes to DDH at 11:00


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


async def agent(url: str, name: str, seen: dict[str, dict[str, float]],
                ready: asyncio.Event, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post("/api/agent/login", json={"username": name, "password": PASSWORD})
        r.raise_for_status()
        cookie = http.cookies.get("ddh_session")
    ws_url = url.replace("http://", "ws://") + "/api/agent/ws?view=delta"  # as the page
    async with websockets.connect(ws_url, additional_headers={
            "Cookie": f"ddh_session={cookie}"}, max_size=None) as ws:
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.perf_counter()
            event = json.loads(raw)
            if event.get("type") in ("queue", "queue_delta"):  # a new entry is upserted
                for entry in event.get("entries", event.get("upsert", ())):
                    seen.setdefault(entry["conversation"], {}).setdefault(name, now)
            elif event.get("type") == "offer":
                seen.setdefault(event["conversation"], {}).setdefault(name, now)


async def citizen(url: str, sent: dict[str, float], errors: list[str]) -> None:
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            r = await http.post("/api/chat/conversations", json={"municipality": MUNICIPALITY})
            r.raise_for_status()
            conv = r.json()
        async with websockets.connect(url.replace("http://", "ws://") + conv["websocket"]) \
                as ws:
            sent[conv["id"]] = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "id": "m1", "text": QUESTION}))
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if event["type"] == "message" and event["role"] == "bot":
                    if event.get("action") != "handoff":
                        errors.append(f"action {event.get('action')}")
                    return
    except Exception as exc:  # every failure counts
        errors.append(f"{type(exc).__name__}: {exc}")


async def run(url: str, n_agents: int, n_citizens: int, over: float,
              skilled: set[str]) -> tuple[dict, dict, list[str]]:
    seen: dict[str, dict[str, float]] = {}
    sent: dict[str, float] = {}
    errors: list[str] = []
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(n_agents)]
    agents = [asyncio.create_task(agent(url, f"agent{i:02d}", seen, readies[i], stop))
              for i in range(n_agents)]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in readies)), 60)
    await asyncio.sleep(1.0)
    citizens = []
    for _ in range(n_citizens):
        citizens.append(asyncio.create_task(citizen(url, sent, errors)))
        await asyncio.sleep(over / n_citizens)
    await asyncio.gather(*citizens)
    await asyncio.sleep(2.0)  # the last views arrive
    stop.set()
    await asyncio.gather(*agents, return_exceptions=True)
    return seen, sent, errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--citizens", type=int, default=200)
    ap.add_argument("--over", type=float, default=20.0, help="seconds the citizens arrive in")
    args = ap.parse_args()
    data_dir = Path(os.environ.get("DDH_DATA_DIR", "var/bench")).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'handoff.sqlite3'}"
        store = OutcomeStore(db)
        accounts = Accounts(store)
        skilled = set()
        for i in range(args.agents):
            name = f"agent{i:02d}"
            skills = ("digital-post", "mitid") if i % 2 == 0 else ("pas", "koerekort")
            if "digital-post" in skills:
                skilled.add(name)
            accounts.add(name, f"Agent {i}", "agent", None, skills, PASSWORD)
        store.close()
        env = {"DDH_DATA_DIR": str(data_dir), "DDH_DATABASE_URL": db,
               "DDH_LOG_LEVEL": "WARNING", "DDH_CHAT_RATE_LIMIT": "100"}
        with ddh_serve(env, args=("--at", "2026-11-24T11:00:00+01:00"), ready="/readyz",
                       quiet=True) as (url, _):
            os.nice(10)  # the clients are not on the server's cores in real life
            seen, sent, errors = asyncio.run(run(url, args.agents, args.citizens, args.over,
                                                 skilled))
    first = [(min(seen[c].values()) - t) * 1000 for c, t in sent.items() if c in seen]
    everyone = [(max(seen[c][a] for a in skilled if a in seen[c]) - t) * 1000
                for c, t in sent.items() if c in seen and skilled <= set(seen[c])]
    missing = [c for c in sent if c not in seen]
    print(f"\n{args.agents} agents signed in, {len(sent)} citizens asked for a person over "
          f"{args.over:.0f} s (nobody accepts: up to {len(sent)} waiting)")
    print(f"  errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else "")
          + f"; never shown: {len(missing)}")
    print(f"  message sent → on the first agent's screen: p50 {pct(first, 50):.0f} ms, "
          f"p95 {pct(first, 95):.0f} ms, max {max(first, default=float('nan')):.0f} ms")
    print(f"  message sent → on all {len(skilled)} skilled agents' screens: "
          f"p50 {pct(everyone, 50):.0f} ms, p95 {pct(everyone, 95):.0f} ms "
          f"({len(everyone)} conversations)")
    ok = not errors and not missing and pct(first, 95) <= TARGET_MS
    print(f"\ntarget (no errors, first screen p95 <= {TARGET_MS} ms): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
