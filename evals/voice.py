"""The voice suite: questions spoken by espeak-ng, asked over a phone call.

The real gateway runs in this process (`evals.live.serve_app`) with the real voice
pipeline; each question is one call over the Twilio media-stream protocol (what a
carrier sends: µ-law frames at 8 kHz, in real time). Scored per question:
- word error rate of the speech recognition: what the store recorded as the
  citizen's words against the question's text (both normalised);
- topic accuracy from audio: the topic the frontdesk decided against the label;
- latency: the caller's last audible frame to the first audio of the answer.
Synthetic speech is harder for Whisper than people are; the figures compare models
and changes, they do not promise a rate for real callers.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import websockets
from sqlalchemy import select

from bot.frontdesk import Frontdesk
from evals.suite import Item, SuiteError, SuiteReport, ratio
from store.models import Decision, Turn

_WORD = re.compile(r"[0-9a-zæøåéü]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words): Levenshtein over words."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def validate(path: Path, data: dict[str, Any]) -> None:
    for i, q in enumerate(data["questions"]):
        if not isinstance(q, dict) or not q.get("text") or not q.get("topic"):
            raise SuiteError(f"{path}: question #{i + 1} needs text and topic")


async def incoming(url: str, sid: str,
                   municipality: str | None = None) -> tuple[str, dict[str, str]]:
    """The carrier's webhook for a new call: the media stream's URL and its parameters."""
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.post(f"{url}/voice/twilio/incoming", data={
            "CallSid": sid, "From": "+4512345678", "To": "+4570000000"})
    r.raise_for_status()
    stream = re.search(r'<Stream url="([^"]+)"', r.text)
    if stream is None:
        raise RuntimeError("the TwiML opens no media stream")
    params = dict(re.findall(r'<Parameter name="(\w+)" value="([^"]*)"', r.text))
    if municipality:
        params["municipality"] = municipality
    return stream.group(1), params


async def call(url: str, sid: str, question: str,
               municipality: str | None = None) -> float | None:
    """One call that asks `question`; seconds from the end of the question to the first
    audio of the answer (None: no answer)."""
    from evals.caller import TwilioCaller, synthesize

    stream, params = await incoming(url, sid, municipality)
    async with websockets.connect(stream) as ws:
        caller = TwilioCaller(ws, call_sid=sid)
        await caller.answered(params, within_s=90)
        spoke = await caller.send_audio(synthesize(question, speed=140))  # last audible frame
        await caller.wait_for_bot(spoke, within_s=60)
        first = caller.first_sound_after(spoke)
        await caller.stop()
        return None if first is None else first - spoke


def run(frontdesk: Frontdesk, app: Any, path: Path, data: dict[str, Any],
        progress: Callable[[int], None] = lambda n: None) -> SuiteReport:
    """`app`: the gateway (FastAPI) around `frontdesk`, with voice configured."""
    from evals.live import serve_app
    from gateway.api.routes.voice import conversation_id

    validate(path, data)
    questions = data["questions"]
    results: list[tuple[str, float | None]] = []
    with serve_app(app) as url:
        for i, q in enumerate(questions):
            sid = f"CAeval{time.time_ns()}{i:03d}"
            results.append((sid, asyncio.run(call(url, sid, q["text"], q.get("municipality")))))
            progress(1)
    frontdesk.store.flush()
    items: list[Item] = []
    errors = ref_words = 0
    for q, (sid, latency) in zip(questions, results, strict=True):
        cid = conversation_id("twilio", sid)
        with frontdesk.store.sessions() as s:
            heard = s.scalar(select(Turn.text).where(Turn.conversation_id == cid,
                                                     Turn.role == "citizen").order_by(Turn.seq))
            topic = s.scalar(select(Decision.topic).where(Decision.conversation_id == cid)
                             .order_by(Decision.seq))
        e, n = word_errors(q["text"], heard or "")
        errors, ref_words = errors + e, ref_words + n
        items.append(Item(q.get("id") or f"v{len(items) + 1}", topic == q["topic"], {
            "text": q["text"], "heard": heard, "topic": q["topic"], "got_topic": topic,
            "wer": ratio(e, n), "latency_s": None if latency is None else round(latency, 2)}))
    latencies = [i.detail["latency_s"] for i in items if i.detail["latency_s"] is not None]
    metrics = {
        "questions": len(items), "wer": ratio(errors, ref_words),
        "topic_accuracy": ratio(sum(i.passed for i in items), len(items)),
        "answered_rate": ratio(len(latencies), len(items)),
        "latency_p50_s": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "latency_p95_s": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
    }
    return SuiteReport("voice", str(path), "-", metrics, dict(data.get("thresholds") or {}),
                       items)
