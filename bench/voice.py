"""Voice benchmark: phone calls with synthetic Danish speech against `ddh serve`.

    .venv/bin/python bench/voice.py [--calls 12] [--concurrent 1]

Each call dials in like Twilio (webhook, then a media-stream WebSocket with 20 ms µ-law
frames at 8 kHz, paced in real time), waits for the greeting, asks one question
spoken by espeak-ng, and waits for the answer. Reported:
- response latency: end of the caller's speech → first audio of the answer, p50/p95
  (what a caller experiences as the pause; includes VAD's end-of-speech wait);
- topic accuracy from audio: the topic the frontdesk recorded vs the labelled topic
  (speech recognition + retrieval together);
- with --concurrent N, N calls run at once.
The index is built (or refreshed) under $DDH_DATA_DIR (default var/bench); models
come from $DDH_MODELS_DIR (default var/models). Runs on CPU unless CUDA is present.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from evals.voice import call  # noqa: E402
from gateway.api.routes.voice import conversation_id  # noqa: E402
from tests.servers import ddh_serve  # noqa: E402

# What callers ask most, in plain spoken Danish: the voice suite's questions.
QUESTIONS = [(q["text"], q["topic"]) for q in yaml.safe_load(
    (ROOT / "evals" / "voice" / "questions.yaml").read_text(encoding="utf-8"))["questions"]]


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


async def run(url: str, calls: int, concurrent: int) -> list[tuple[str, str, float | None]]:
    jobs = [(f"CAbench{i:03d}", *QUESTIONS[i % len(QUESTIONS)]) for i in range(calls)]
    out: list[tuple[str, str, float | None]] = []
    for i in range(0, len(jobs), concurrent):
        batch = jobs[i:i + concurrent]
        lat = await asyncio.gather(*(call(url, sid, q) for sid, q, _ in batch))
        out += [(sid, topic, latency) for (sid, _, topic), latency in zip(batch, lat,
                                                                          strict=True)]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=len(QUESTIONS))
    ap.add_argument("--concurrent", type=int, default=1)
    args = ap.parse_args()
    data_dir = Path(os.environ.get("DDH_DATA_DIR", "var/bench")).resolve()
    models = Path(os.environ.get("DDH_MODELS_DIR", "var/models")).resolve()
    subprocess.run([str(Path(sys.executable).parent / "ddh"), "knowledge", "ingest"],
                   env={**os.environ, "DDH_DATA_DIR": str(data_dir),
                        "DDH_MODELS_DIR": str(models)}, check=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'voice.sqlite3'}"
        env = {"DDH_DATA_DIR": str(data_dir), "DDH_MODELS_DIR": str(models),
               "DDH_DATABASE_URL": db, "DDH_LOG_LEVEL": "WARNING"}
        with ddh_serve(env, ready="/readyz", quiet=True) as (url, _):
            t0 = time.monotonic()
            results = asyncio.run(run(url, args.calls, args.concurrent))
            wall = time.monotonic() - t0
        with create_engine(db).connect() as conn:
            topics = {row[0]: row[1] for row in conn.execute(text(
                "SELECT conversation_id, topic FROM decisions WHERE seq = 1"))}
    latencies = [lat for _, _, lat in results if lat is not None]
    correct = sum(topics.get(conversation_id("twilio", sid)) == topic
                  for sid, topic, _ in results)
    print(f"\n{len(results)} calls ({args.concurrent} at a time) in {wall:.0f} s")
    print(f"  response latency (end of speech → first answer audio): "
          f"p50 {pct(latencies, 50):.2f} s, p95 {pct(latencies, 95):.2f} s, "
          f"max {max(latencies, default=float('nan')):.2f} s; "
          f"{len(results) - len(latencies)} without an answer")
    print(f"  topic accuracy from audio: {correct}/{len(results)} = "
          f"{correct / max(len(results), 1):.2f}")
    misses = [(sid, topic, topics.get(conversation_id("twilio", sid))) for sid, topic, _ in
              results if topics.get(conversation_id("twilio", sid)) != topic]
    for sid, want, got in misses:
        print(f"    {sid}: expected {want}, recorded {got}")
    ok = bool(latencies) and len(latencies) == len(results) and pct(latencies, 95) <= 5.0
    print(f"\ntarget (every call answered, p95 <= 5 s: no dead air): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
