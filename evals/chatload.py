"""Chat load as citizens make it, measured as citizens feel it (bench/chat.py, bench/scaleout.py).

- The load client is ready before the clock starts: one shared HTTP client, and
  conversations opened at a steady rate (not all in one burst), each on its own
  WebSocket, sending its messages with think time between them, as people typing do.
- The figure that counts is the client round trip (message sent → full reply
  received), for all citizens and for one steady "probe" citizen who writes every
  second at normal priority throughout the run.
- Saturation: many citizens writing without pause, turns per second.
- CPU per turn: the gateway processes' own CPU time (from /proc) over the turns they
  took, so that a larger deployment can be sized (turns per second per core).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import websockets

MUNICIPALITIES = ("0751", "0615", "0791", "0101", "0461")


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


@dataclass
class Load:
    rtts: list[float] = field(default_factory=list)  # ms, all citizens
    probe: list[float] = field(default_factory=list)  # ms, the steady probe citizen
    errors: list[str] = field(default_factory=list)
    turns: int = 0


async def _turn(ws, mid: str, text: str, load: Load) -> float | None:
    t0 = time.perf_counter()
    await ws.send(json.dumps({"type": "message", "id": mid, "text": text}))
    while True:
        ev = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if ev["type"] == "error":
            load.errors.append(ev.get("code", "error"))
            return None
        if ev["type"] == "message" and ev.get("role") == "bot":
            load.turns += 1
            return (time.perf_counter() - t0) * 1000


async def _citizen(http: httpx.AsyncClient, url: str, texts: list[str], turns: int,
                   think: tuple[float, float], load: Load, rng: random.Random) -> None:
    try:
        r = await http.post("/api/chat/conversations",
                            json={"municipality": rng.choice(MUNICIPALITIES)})
        r.raise_for_status()
        conv = r.json()
        async with websockets.connect(url.replace("http://", "ws://") + conv["websocket"],
                                      open_timeout=60) as ws:
            for i in range(turns):
                await asyncio.sleep(rng.uniform(*think))
                rtt = await _turn(ws, f"m{i}", rng.choice(texts), load)
                if rtt is not None:
                    load.rtts.append(rtt)
    except Exception as exc:  # every failure counts; the run goes on
        load.errors.append(f"{type(exc).__name__}: {exc}"[:200])


async def _probe(http: httpx.AsyncClient, url: str, texts: list[str], load: Load,
                 stop: asyncio.Event) -> None:
    r = await http.post("/api/chat/conversations", json={"municipality": "0751"})
    conv = r.json()
    async with websockets.connect(url.replace("http://", "ws://") + conv["websocket"]) as ws:
        i = 0
        while not stop.is_set():
            rtt = await _turn(ws, f"p{i}", texts[i % len(texts)], load)
            if rtt is not None:
                load.probe.append(rtt)
            i += 1
            await asyncio.sleep(1.0)


async def conversations(url: str, texts: list[str], n: int, turns: int,
                        think: tuple[float, float], open_per_s: float,
                        seed: int = 7) -> tuple[Load, float]:
    """`n` citizens opened at `open_per_s`, `turns` messages each; (load, wall seconds)."""
    rng = random.Random(seed)
    load = Load()
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        probe = asyncio.create_task(_probe(http, url, texts, load, stop))
        t0 = time.perf_counter()
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(_citizen(
                http, url, texts, turns, think, load, random.Random(rng.random()))))
            # a steady arrival rate: the next one opens on schedule
            await asyncio.sleep(max(0.0, t0 + (i + 1) / open_per_s - time.perf_counter()))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
        stop.set()
        await probe
    return load, wall


async def saturation(url: str, texts: list[str], clients: int, seconds: float,
                     seed: int = 11, turns: int = 5) -> tuple[Load, float]:
    """`clients` citizens writing without pause for `seconds`, each conversation
    `turns` messages long (then the next one opens, as a real conversation ends):
    (load, wall seconds). Opening conversations is part of the work measured."""
    rng = random.Random(seed)
    load = Load()
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def one(http: httpx.AsyncClient, k: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            r = await http.post("/api/chat/conversations", json={"municipality": "0751"})
            r.raise_for_status()
            conv = r.json()
            async with websockets.connect(url.replace("http://", "ws://") + conv["websocket"],
                                          open_timeout=60) as ws:
                for _ in range(turns):
                    if time.perf_counter() >= deadline:
                        break
                    rtt = await _turn(ws, f"s{k}-{i}", rng.choice(texts), load)
                    if rtt is not None:
                        load.rtts.append(rtt)
                    i += 1

    async def counted(http: httpx.AsyncClient, k: int) -> None:
        try:
            await one(http, k)
        except Exception as exc:  # every failure counts
            load.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(counted(http, k) for k in range(clients)))
    return load, time.perf_counter() - t0
