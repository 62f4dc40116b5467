"""Voice benchmark: phone calls with synthetic Danish speech, ours against stock pipecat.

    .venv/bin/python bench/voice.py [--questions 12] [--half dev|holdout] [--noise]
                                    [--concurrent 1] [--stock] [--sweep 1,2,4,6]
                                    [--end-of-turn smart_turn|silence] [--no-bias]
                                    [--json FILE]

The gateway runs in this process with the real voice pipeline; each question of
`evals/voice/callers.yaml` is one call over the Twilio media-stream protocol (webhook,
then 20 ms µ-law frames at 8 kHz in real time), spoken by espeak-ng in one of four
voices (`evals.callers.RENDITIONS`), optionally with noise. The caller answers the
bot's confirmations and keypad menu as a person would (`evals.callers.ask`).
Printed, per condition: topic of the first decision, resolved within 2 bot turns,
re-prompts, false cut-offs, WER, and latency from the caller's last audible frame to
the first answer audio (p50/p95) broken down into end-of-turn wait, speech to text,
frontdesk and first TTS audio.
- `--stock`: the same clean calls, in the same run, to a stock pipecat pipeline
  (`evals.stock`: default VAD, pipecat's WhisperSTTService on the same Whisper base,
  a fixed reply); the ratio of the p50 latencies is printed.
- `--sweep`: the largest number of concurrent calls whose p95 latency stays ≤ 2.5 s.
The index is built under $DDH_DATA_DIR (default var/bench); CPU unless CUDA is present.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

SUITE = ROOT / "evals" / "voice" / "callers.yaml"
P95_LIMIT_S = 2.5


def _gateway(end_of_turn: str):
    from bot.frontdesk import Frontdesk
    from ddh.settings import Settings
    from gateway.app import create_app
    from knowledge.service import Knowledge
    from store.outcomes import OutcomeStore, database_url

    os.environ.setdefault("DDH_DATA_DIR", "var/bench")
    settings = Settings(voice_end_of_turn=end_of_turn)  # type: ignore[call-arg]
    knowledge = Knowledge.open(settings)
    if knowledge.retriever.index.count() == 0:
        knowledge.ingest()
    store = OutcomeStore(database_url(None, Path(tempfile.mkdtemp())))
    desk = Frontdesk(knowledge, store)
    return settings, desk, create_app(settings, frontdesk=desk)


def main() -> int:
    from bot.stt_model import model_dir
    from evals import callers
    from evals.stock import stock_app

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=12)
    ap.add_argument("--half", choices=["dev", "holdout"])
    ap.add_argument("--noise", action="store_true", help="also every call with noise")
    ap.add_argument("--concurrent", type=int, default=1)
    ap.add_argument("--stock", action="store_true")
    ap.add_argument("--sweep", default="")
    ap.add_argument("--end-of-turn", default="smart_turn", choices=["smart_turn", "silence"])
    ap.add_argument("--no-bias", action="store_true",
                    help="Whisper without the vocabulary prompt (DDH_STT_PROMPT=false)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    data = yaml.safe_load(SUITE.read_text(encoding="utf-8"))
    if args.half:
        data["questions"] = [q for q in data["questions"] if q.get("half") == args.half]
    if args.no_bias:
        os.environ["DDH_STT_PROMPT"] = "false"
    settings, desk, app = _gateway(args.end_of_turn)
    stock = stock_app(settings, model_dir(settings.stt_model, settings.model_cache)) \
        if args.stock else None
    t0 = time.monotonic()
    report = callers.run(desk, app, SUITE, data, noisy=(False, True) if args.noise
                         else (False,), concurrent=args.concurrent, stock_app=stock,
                         limit=args.questions)
    m = report.metrics
    print(f"\n{len(report.items)} calls ({args.concurrent} at a time, end of turn: "
          f"{args.end_of_turn}) in {time.monotonic() - t0:.0f} s")
    cols = ["first_topic_accuracy", "resolved_within_2", "reprompt_rate", "false_cutoff_rate",
            "wer", "latency_p50_s", "latency_p95_s", "eot_p50_s", "stt_p50_s",
            "frontdesk_p50_s", "tts_p50_s"]
    print("condition | " + " | ".join(cols))
    for cond in ("clean", "noise"):
        if f"{cond}_calls" in m:
            print(f"{cond} | " + " | ".join(str(m.get(f"{cond}_{c}")) for c in cols))
    if "stock_latency_p50_s" in m:
        print(f"stock pipecat (clean) | latency p50 {m['stock_latency_p50_s']} s, p95 "
              f"{m['stock_latency_p95_s']} s, unanswered {m['stock_unanswered']}; "
              f"ratio ours/stock p50 {m.get('latency_ratio_to_stock')}")
    sweep = {}
    for n in [int(x) for x in args.sweep.split(",") if x]:
        r = callers.run(desk, app, SUITE, data, noisy=(False,), concurrent=n, limit=n * 2)
        sweep[n] = r.metrics.get("clean_latency_p95_s")
        print(f"  {n} concurrent calls: p95 {sweep[n]} s, p50 "
              f"{r.metrics.get('clean_latency_p50_s')} s")
    if sweep:
        ok = [n for n, p in sweep.items() if p is not None and p <= P95_LIMIT_S]
        print(f"  largest sustained with p95 <= {P95_LIMIT_S} s: {max(ok) if ok else 0}")
    if args.json:
        args.json.write_text(json.dumps({"metrics": m, "sweep": sweep, "items": [
            i.detail for i in report.items]}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
