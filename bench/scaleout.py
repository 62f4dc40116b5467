"""Scale-out benchmark: 1, 2 and 3 gateway processes behind HAProxy, chat load.

    .venv/bin/python bench/scaleout.py [--processes 1,2,3] [--conversations 1000]
                                       [--turns 3] [--think 4 12] [--open-per-s 50]
                                       [--saturation-clients 48] [--saturation-s 20]

Each size runs on the real scale-out shape (tests/cluster.py: PostgreSQL, Redis, a
Chroma server, HAProxy round robin, no sticky sessions). Per size:
1. conversations: N citizens opened at a steady rate, M messages each with think time
   (evals/chatload.py), plus one probe citizen writing every second; printed: client
   round trip p50/p95 (all, and the probe), the server-side turn p50/p95 the frontdesk
   recorded, CPU per turn of the gateway processes, errors;
2. saturation: citizens writing without pause; turns per second, and per core.
Targets (issue 17, 2 cores): client round trip p95 <= 100 ms at 1,000 conversations,
CPU per turn <= 7 ms, 0 errors, 2 processes >= 1.3x the saturated throughput of one.
The load client shares the machine's cores: it runs at lower priority (nice 10).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from evals.chatload import conversations, cpu_seconds, pct, saturation  # noqa: E402
from tests.cluster import cluster, missing  # noqa: E402

TEXTS = ["jeg har mistet mit sundhedskort", "hvad koster et pas", "min MitID virker ikke",
         "hvornår bliver storskrald hentet", "hvordan skifter jeg læge",
         "hvad er mit gule kort", "hvordan melder jeg flytning", "tak for hjælpen"]
ENV = {"DDH_CHAT_RATE_LIMIT": "1000",  # the saturation clients write without pause
       "DDH_CHAT_OPEN_OVERALL": "100000 per second"}
CORES = os.cpu_count() or 1


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return float(sum(fields) - idle), float(sum(fields))


def server_ms(database_url: str, since: float) -> list[float]:
    engine = create_engine(database_url)
    with engine.connect() as db:
        rows = db.execute(text("SELECT latency_ms FROM decisions WHERE latency_ms IS NOT NULL "
                               "AND at >= to_timestamp(:t)"), {"t": since}).all()
    engine.dispose()
    return [r[0] for r in rows]


def run_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    with cluster(n, ENV) as c:
        pids = [g.proc.pid for g in c.gateways if g.proc is not None]
        asyncio.run(saturation(c.url, TEXTS, 4, 3.0))  # warm: models, caches, pools
        since = time.time()
        cpu0 = cpu_seconds(pids)
        load, wall = asyncio.run(conversations(c.url, TEXTS, args.conversations, args.turns,
                                               tuple(args.think), args.open_per_s))
        cpu = cpu_seconds(pids) - cpu0
        server = server_ms(c.database_url, since)
        cpu1, busy0 = cpu_seconds(pids), machine_busy()
        sat, sat_wall = asyncio.run(saturation(c.url, TEXTS, args.saturation_clients,
                                               args.saturation_s))
        sat_cpu = cpu_seconds(pids) - cpu1
        busy = [b - a for a, b in zip(busy0, machine_busy(), strict=True)]
    turns = max(1, load.turns)
    return {
        "processes": n, "conversations": args.conversations, "turns": load.turns,
        "errors": len(load.errors), "wall_s": wall,
        "rtt_p50": pct(load.rtts, 50), "rtt_p95": pct(load.rtts, 95),
        "probe_p50": pct(load.probe, 50), "probe_p95": pct(load.probe, 95),
        "server_p50": pct(server, 50), "server_p95": pct(server, 95),
        "cpu_ms_per_turn": cpu * 1000 / turns,
        "sat_turns_per_s": sat.turns / sat_wall, "sat_errors": len(sat.errors),
        "sat_cpu_ms_per_turn": sat_cpu * 1000 / max(1, sat.turns),
        # where the cores went at saturation: the gateways' share, and the machine's
        # (the store, Redis, the balancer and the load client share the same cores)
        "sat_gateway_cores": sat_cpu / sat_wall,
        "sat_machine_busy": busy[0] / max(1e-9, busy[1]),
        "first_error": (load.errors or sat.errors or [""])[0],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--processes", default="1,2,3")
    ap.add_argument("--conversations", type=int, default=1000)
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--think", type=float, nargs=2, default=(4.0, 12.0))
    ap.add_argument("--open-per-s", type=float, default=50.0)
    ap.add_argument("--saturation-clients", type=int, default=48)
    ap.add_argument("--saturation-s", type=float, default=20.0)
    args = ap.parse_args()
    if missing():
        print(f"bench/scaleout.py needs {', '.join(missing())} (scripts/install.sh --test)")
        return 2
    os.nice(10)  # the citizens' browsers are not on the server's cores in real life
    rows = []
    for n in (int(x) for x in args.processes.split(",")):
        row = run_size(n, args)
        rows.append(row)
        print(f"  {n} process(es) done: {row['turns']} turns, {row['errors']} errors",
              flush=True)
    print(f"\n{args.conversations} conversations × {args.turns} turns, think "
          f"{args.think[0]:g}–{args.think[1]:g} s, opened at {args.open_per_s:g}/s; "
          f"{CORES} cores; saturation: {args.saturation_clients} clients without pause")
    head = ("| processes | client RTT p50 / p95 ms | probe p50 / p95 ms | server turn p50 / p95 "
            "ms | CPU ms/turn | errors | saturated turns/s | turns/s per core | ratio to 1 | "
            "gateway cores / machine busy at saturation |")
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    base = rows[0]["sat_turns_per_s"] if rows else 1.0
    for r in rows:
        print(f"| {r['processes']} | {r['rtt_p50']:.0f} / {r['rtt_p95']:.0f} | "
              f"{r['probe_p50']:.0f} / {r['probe_p95']:.0f} | {r['server_p50']:.1f} / "
              f"{r['server_p95']:.1f} | {r['cpu_ms_per_turn']:.1f} | "
              f"{r['errors'] + r['sat_errors']} | {r['sat_turns_per_s']:.0f} | "
              f"{r['sat_turns_per_s'] / CORES:.0f} | {r['sat_turns_per_s'] / base:.2f} | "
              f"{r['sat_gateway_cores']:.2f} / {r['sat_machine_busy'] * 100:.0f} % |")
    if any(r["first_error"] for r in rows):
        print("first error:", next(r["first_error"] for r in rows if r["first_error"]))
    ok = bool(rows) and all(r["errors"] == 0 and r["rtt_p95"] <= 100 and
                            r["cpu_ms_per_turn"] <= 7 for r in rows) and \
        (len(rows) < 2 or rows[1]["sat_turns_per_s"] >= 1.3 * base)
    print(f"\ntargets (RTT p95 <= 100 ms, CPU <= 7 ms/turn, 0 errors, 2 processes >= 1.3x "
          f"one): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
