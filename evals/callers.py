"""The callers suite: what callers live through on the phone, and the stock baseline.

Each question is spoken by espeak-ng in one of several voices, speeds and pitches,
clean and with added noise (sox), and asked over a real Twilio media stream to the
real gateway in this process. The caller behaves as a person would: it answers the
bot's confirmation ("Handler det om …?") with yes or no, says its question again when
asked to, and presses the key of its topic in the keypad menu (0 when it is missing).
Per call, from the frontdesk's own results and the caller's audio:
- the topic of the first decision (a confirmation counts when it names the topic);
- resolved within 2 bot turns: an answer, redirect or handoff on the right topic;
- turns to resolution, re-prompts ("say it again", the menu, "not caught");
- false cut-offs: the frontdesk took a turn while the caller was still speaking;
- latency from the caller's last audible frame to the first answer audio, broken
  down into the end-of-turn wait, speech to text, the frontdesk and the first TTS
  audio; and word error rate of the first transcript.
With `stock=True` the same calls also go, in the same run, to a stock pipecat pipeline
(`evals.stock`) for its latency: the baseline ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import websockets

from bot.frontdesk import Frontdesk, TurnInput, TurnResult
from bot.turn.types import Ask
from ddh.vocabulary import Action
from evals.suite import Item, SuiteError, SuiteReport, ratio
from evals.voice import incoming, word_errors

# (label, espeak-ng voice, words per minute, pitch): men and women, slow and hurried.
RENDITIONS = [("m-150", "da", 150, 50), ("f3-140", "da+f3", 140, 62),
              ("m4-120", "da+m4", 120, 38), ("f2-170", "da+f2", 170, 55)]
NOISE_SNR_DB = 10.0  # street or kitchen noise on a mobile line
RESOLVED = (Action.ANSWER, Action.REDIRECT, Action.HANDOFF, Action.TRANSFER, Action.TICKET)
MAX_BOT_TURNS = 3


def validate(path: Path, data: dict[str, Any]) -> None:
    for i, q in enumerate(data["questions"]):
        if not isinstance(q, dict) or not q.get("text") or not q.get("topic"):
            raise SuiteError(f"{path}: question #{i + 1} needs text and topic")


@lru_cache(maxsize=4)
def _noise(seconds: int, seed: int) -> np.ndarray:
    """Pink noise from sox at 8 kHz (a busy street or a kitchen, roughly)."""
    raw = subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed",
                          "-t", "raw", "-", "synth", str(seconds), "pinknoise", "vol", "0.5"],
                         check=True, capture_output=True).stdout
    noise = np.frombuffer(raw, np.int16).astype(np.float32) / 32768.0
    return np.roll(noise, seed * 997)


def with_noise(speech: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """`speech` with noise mixed in at `snr_db`, also before and after it."""
    noise = _noise(max(4, int(len(speech) / 8000) + 2), seed)[:len(speech)]
    p_speech = float(np.mean(speech[np.abs(speech) > 0.01] ** 2)) if np.any(
        np.abs(speech) > 0.01) else 1e-6
    gain = np.sqrt(p_speech / (float(np.mean(noise ** 2)) * 10 ** (snr_db / 10)))
    return np.clip(speech + gain * noise, -1, 1).astype(np.float32)


@dataclass
class Timeline:
    """What the gateway did, by monotonic time: recogniser and frontdesk intervals."""

    stt: list[tuple[float, float]] = field(default_factory=list)
    turns: dict[str, list[tuple[float, float, TurnResult]]] = field(
        default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)


def observe(frontdesk: Frontdesk, recognizer: Any | None) -> Timeline:
    """Record every frontdesk turn (and recogniser run) with its times: the caller reads
    the decisions as a person would hear them, and the latency is broken down."""
    tl = Timeline()
    handle = frontdesk.handle

    def timed_handle(turn: TurnInput) -> TurnResult:
        t0 = time.monotonic()
        result = handle(turn)
        with tl.lock:
            tl.turns[turn.conversation].append((t0, time.monotonic(), result))
        return result

    frontdesk.handle = timed_handle  # type: ignore[method-assign]
    if recognizer is not None:
        transcribe = recognizer.transcribe

        def timed_transcribe(*args: Any, **kw: Any) -> Any:
            t0 = time.monotonic()
            out = transcribe(*args, **kw)
            with tl.lock:
                tl.stt.append((t0, time.monotonic()))
            return out

        recognizer.transcribe = timed_transcribe
    return tl


@dataclass
class CallResult:
    id: str
    rendition: str
    noisy: bool
    topic: str
    first_topic: str | None = None
    first_action: str | None = None
    heard: str = ""
    resolved_turn: int | None = None
    bot_turns: int = 0
    reprompts: int = 0
    cutoffs: int = 0
    latency_s: float | None = None
    eot_s: float | None = None
    stt_s: float | None = None
    frontdesk_s: float | None = None
    tts_s: float | None = None
    wer: float | None = None


def _key_for(reply: str, spoken: str) -> str:
    m = re.search(rf"(\d) for {re.escape(spoken)}", reply)
    return m.group(1) if m else "0"


async def _dial(url: str, sid: str, municipality: str | None) -> tuple[Any, Any]:
    from evals.caller import TwilioCaller

    stream, params = await incoming(url, sid, municipality)
    ws = await websockets.connect(stream)
    caller = TwilioCaller(ws, call_sid=sid)
    await caller.answered(params, within_s=60)
    return ws, caller


async def _next_result(tl: Timeline, cid: str, seen: int,
                       within_s: float) -> tuple[float, float, TurnResult] | None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with tl.lock:
            turns = tl.turns.get(cid, [])
            if len(turns) > seen:
                return turns[seen]
        await asyncio.sleep(0.05)
    return None


async def ask(url: str, tl: Timeline, q: dict[str, Any], rendition: tuple[str, str, int, int],
              noisy: bool, spoken: Callable[[str], str], seed: int) -> CallResult:
    """One call: the question, then the caller's side of the dialogue."""
    from evals.caller import synthesize
    from gateway.api.routes.voice import conversation_id

    label, voice, speed, pitch = rendition

    def speech(text: str) -> np.ndarray:
        s = synthesize(text, speed=speed, voice=voice, pitch=pitch)
        return with_noise(s, NOISE_SNR_DB, seed) if noisy else s

    sid = f"CAcall{time.time_ns()}{seed:04d}"
    cid = conversation_id("twilio", sid)
    out = CallResult(str(q.get("id")), label, noisy, q["topic"])
    ws, caller = await _dial(url, sid, q.get("municipality"))
    try:
        question = speech(q["text"])
        sent_from = time.monotonic()
        spoke = await caller.send_audio(question)
        sent_to = time.monotonic()
        seen = 0
        audio = question
        while out.bot_turns < MAX_BOT_TURNS:
            got = await _next_result(tl, cid, seen, within_s=20)
            if got is None:  # nothing decided: "not caught" from the line, or silence
                out.bot_turns += 1
                out.reprompts += 1
                await caller.wait_for_bot(spoke, quiet_s=0.8, within_s=10)
                spoke = await caller.send_audio(audio)
                continue
            started, ended, r = got
            seen += 1
            out.bot_turns += 1
            if seen == 1:
                out.first_topic, out.first_action = r.topic, str(r.action)
                out.heard = r.redacted_text
                out.cutoffs = sum(1 for t0, _, _ in tl.turns[cid] if sent_from <= t0 < sent_to)
                first = caller.first_sound_after(spoke)
                await asyncio.sleep(0)
                if first is None:
                    await caller.wait_for_bot(spoke, quiet_s=0.5, within_s=15)
                    first = caller.first_sound_after(spoke)
                if first is not None:
                    out.latency_s = round(first - spoke, 3)
                    out.tts_s = round(first - ended, 3)
                out.frontdesk_s = round(ended - started, 3)
                stt = [s for s in tl.stt if spoke - 0.5 <= s[1] <= started + 0.01]
                if stt:
                    out.stt_s = round(stt[-1][1] - stt[-1][0], 3)
                    out.eot_s = round(stt[-1][0] - spoke, 3)
            if r.action in RESOLVED:
                if r.topic == q["topic"]:
                    out.resolved_turn = out.bot_turns
                break
            if r.awaiting == Ask.TOPIC:
                audio = speech("ja" if r.topic == q["topic"] else "nej")
            elif r.awaiting == Ask.MENU:
                await caller.wait_for_bot(spoke, quiet_s=0.8, within_s=20)
                out.reprompts += 1
                with contextlib.suppress(websockets.ConnectionClosed):
                    await caller.send_dtmf(_key_for(r.reply, spoken(q["topic"])))
                spoke = time.monotonic()
                continue
            else:  # asked to say it again (or the municipality): the question again
                out.reprompts += 1
                audio = question
            if caller.closed.is_set():
                break  # the bot ended the call (a transfer, a goodbye)
            await caller.wait_for_bot(spoke, quiet_s=0.8, within_s=20)
            spoke = await caller.send_audio(audio)
        with contextlib.suppress(websockets.ConnectionClosed):
            await caller.stop()
    finally:
        await ws.close()
    errors, n = word_errors(q["text"], out.heard)
    out.wer = ratio(errors, n)
    return out


async def latency_only(url: str, q: dict[str, Any], rendition: tuple[str, str, int, int],
                       seed: int) -> float | None:
    """The stock baseline: question in, seconds to its first reply audio."""
    from evals.caller import synthesize

    _, voice, speed, pitch = rendition
    ws, caller = await _dial(url, f"CAstock{time.time_ns()}{seed:04d}", None)
    try:
        spoke = await caller.send_audio(synthesize(q["text"], speed=speed, voice=voice,
                                                   pitch=pitch))
        await caller.wait_for_bot(spoke, quiet_s=0.5, within_s=20)
        first = caller.first_sound_after(spoke)
        with contextlib.suppress(websockets.ConnectionClosed):
            await caller.stop()
    finally:
        await ws.close()
    return None if first is None else round(first - spoke, 3)


def _pct(values: list[float], p: float) -> float | None:
    return round(float(np.percentile(values, p)), 3) if values else None


def summarise(calls: list[CallResult]) -> dict[str, Any]:
    n = len(calls)
    lat = [c.latency_s for c in calls if c.latency_s is not None]
    m: dict[str, Any] = {
        "calls": n,
        "first_topic_accuracy": ratio(sum(c.first_topic == c.topic for c in calls), n),
        "resolved_within_2": ratio(sum(c.resolved_turn is not None and c.resolved_turn <= 2
                                       for c in calls), n),
        "resolved": ratio(sum(c.resolved_turn is not None for c in calls), n),
        "reprompt_rate": ratio(sum(c.reprompts for c in calls),
                               max(1, sum(c.bot_turns for c in calls))),
        "false_cutoff_rate": ratio(sum(c.cutoffs > 0 for c in calls), n),
        "wer": round(float(np.mean([c.wer for c in calls if c.wer is not None])), 3)
        if calls else None,
        "latency_p50_s": _pct(lat, 50), "latency_p95_s": _pct(lat, 95),
    }
    for part in ("eot_s", "stt_s", "frontdesk_s", "tts_s"):
        vals = [getattr(c, part) for c in calls if getattr(c, part) is not None]
        m[f"{part[:-2]}_p50_s"] = _pct(vals, 50)
    return m


def run(frontdesk: Frontdesk, app: Any, path: Path, data: dict[str, Any],
        progress: Callable[[int], None] = lambda n: None, *, noisy: tuple[bool, ...] = (
            False, True), concurrent: int = 1, stock_app: Any | None = None,
        limit: int | None = None) -> SuiteReport:
    """`app`: the gateway around `frontdesk`, voice configured; `stock_app`: the
    baseline served in the same run (latency only)."""
    from bot.turn.confirm import spoken_topic
    from evals.live import serve_app

    validate(path, data)
    questions = data["questions"][:limit] if limit else data["questions"]
    jobs = [(i, q, RENDITIONS[i % len(RENDITIONS)], n) for n in noisy
            for i, q in enumerate(questions)]
    results: list[CallResult] = []
    stock: list[float | None] = []
    with serve_app(app) as url:
        voice = _voice(app, url)
        tl = observe(frontdesk, voice.recognizer if voice else None)

        async def all_calls() -> None:
            sem = asyncio.Semaphore(concurrent)

            async def one(i: int, q: dict[str, Any], rend: Any, n: bool) -> None:
                async with sem:
                    try:
                        results.append(await ask(
                            url, tl, q, rend, n, lambda t: spoken_topic(frontdesk.services, t),
                            i))
                    except (OSError, RuntimeError, websockets.WebSocketException) as exc:
                        # a call the harness could not make counts as not resolved
                        results.append(CallResult(str(q.get("id")), rend[0], n, q["topic"],
                                                  heard=f"(call failed: {exc!r})"[:200]))
                    progress(1)

            await asyncio.gather(*(one(*j) for j in jobs))

        asyncio.run(all_calls())
    if stock_app is not None:
        with serve_app(stock_app) as url:
            for i, q, rend, n in jobs:
                if not n:
                    stock.append(asyncio.run(latency_only(url, q, rend, i)))
    items = [Item(f"{c.id}-{c.rendition}-{'noise' if c.noisy else 'clean'}",
                  c.resolved_turn is not None and c.resolved_turn <= 2, asdict(c))
             for c in sorted(results, key=lambda c: (c.noisy, c.id))]
    metrics: dict[str, Any] = {"concurrent": concurrent}
    for name, group in (("clean", [c for c in results if not c.noisy]),
                        ("noise", [c for c in results if c.noisy])):
        if group:
            metrics |= {f"{name}_{k}": v for k, v in summarise(group).items()}
    if stock:
        ok = [s for s in stock if s is not None]
        metrics |= {"stock_latency_p50_s": _pct(ok, 50), "stock_latency_p95_s": _pct(ok, 95),
                    "stock_unanswered": len(stock) - len(ok)}
        ours = metrics.get("clean_latency_p50_s")
        if ours and metrics["stock_latency_p50_s"]:
            metrics["latency_ratio_to_stock"] = round(ours / metrics["stock_latency_p50_s"], 3)
    return SuiteReport("callers", str(path), "-", metrics, dict(data.get("thresholds") or {}),
                       items)


def _voice(app: Any, url: str) -> Any:
    """The app's voice services, loaded now (the first call would load them)."""
    import httpx as _httpx

    _httpx.post(f"{url}/voice/twilio/incoming", data={"CallSid": "CAwarm", "From": "+45",
                                                      "To": "+45"}, timeout=30)
    loading = app.state.voice
    deadline = time.monotonic() + 120
    while loading is None or not loading.done():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)
        loading = app.state.voice
    return loading.result()
