"""Municipality names over the phone: the free transcript against closed-set scoring.

    .venv/bin/python bench/voice_places.py [--names 98] [--seed 1]

After "Hvilken kommune bor du i?" a caller often says only the name. Each name is
spoken by espeak-ng (two voices and speeds in turn), sent through a telephone line
(µ-law at 8 kHz, resampled to 16 kHz) and transcribed by the bundled Whisper with the
pipeline's settings. Printed: how many names the municipality detector finds in the
free transcript, and how many come out right when the answer is scored as the voice
pipeline does (bot/voice/turn_stt.py: the free transcript unless it already says a
name; else the decoder scores the six names spelled most like what it heard), with the
time the scoring takes. Nothing heard gives no guess (the question is asked again).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import soxr  # noqa: E402

from bot.municipality import MunicipalityDetector  # noqa: E402
from bot.stt_model import model_dir  # noqa: E402
from bot.voice.frontdesk_stage import municipality_answers  # noqa: E402
from bot.voice.stt import SpeechRecognizer  # noqa: E402
from bot.voice.turn_stt import SHORTLIST, _answers, shortlist  # noqa: E402
from ddh.settings import Settings  # noqa: E402
from evals.caller import synthesize, ulaw_decode, ulaw_encode  # noqa: E402
from knowledge.service import Knowledge  # noqa: E402

RENDITIONS = (("da", 140), ("da+f3", 165))  # espeak-ng voice, words per minute
PROMPT = "Borgeren ringer til kommunen og spørger om pas og MitID."


def line(text: str, voice: str, speed: int) -> bytes:
    """Speech as it arrives from a phone line, with a quarter second of silence around."""
    heard = ulaw_decode(ulaw_encode(synthesize(text, speed=speed, voice=voice)))
    pcm = (soxr.resample(heard, 8000, 16000) * 32767).astype(np.int16).tobytes()
    quiet = bytes(8000)
    return quiet + pcm + quiet


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--names", type=int, default=98, help="how many names (of 98)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    settings = Settings()
    knowledge = Knowledge.open(settings)
    detector = MunicipalityDetector(knowledge.registry)

    class _Desk:  # municipality_answers reads only the registry
        registry = knowledge.registry

    answers = municipality_answers(_Desk())  # type: ignore[arg-type]
    code_of = {m.name.removesuffix(" Kommune"): c
               for c, m in knowledge.registry.municipalities.items()}
    names = sorted(code_of)
    random.Random(args.seed).shuffle(names)
    names = names[:args.names]
    recognizer = SpeechRecognizer(model_dir(settings.stt_model, settings.model_cache),
                                  "cpu", "int8", beam_size=5, prompt=PROMPT)
    direct = scored = unheard = 0
    costs: list[float] = []
    for i, name in enumerate(names):
        voice, speed = RENDITIONS[i % len(RENDITIONS)]
        audio = line(name, voice, speed)
        text = recognizer.transcribe(audio).text
        right = detector.from_text(text).code == code_of[name]
        direct += right
        if not text:
            unheard += 1
            continue
        if _answers(text, answers) or len(text.split()) > 3:
            scored += right
            continue
        short = shortlist(text, answers)
        started = time.perf_counter()
        scores = recognizer.choose(audio, [phrase for _, phrase in short])
        costs.append(time.perf_counter() - started)
        scored += short[max(range(len(short)), key=scores.__getitem__)][0] == name
    n = len(names)
    print(f"\n{n} municipality names, espeak-ng over a µ-law phone line, Whisper "
          f"({model_dir(settings.stt_model, settings.model_cache).name})")
    print(f"  free transcript → the right municipality: {direct}/{n} ({direct / n:.0%})")
    print(f"  scored among the {SHORTLIST} names spelled most like it: {scored}/{n} "
          f"({scored / n:.0%}); nothing heard (asked again): {unheard}")
    if costs:
        print(f"  scoring time: p50 {np.percentile(costs, 50):.2f} s, "
              f"p95 {np.percentile(costs, 95):.2f} s ({len(costs)} answers scored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
