"""A caller for tests: Danish speech from espeak-ng, sent the way Twilio sends it.

Speaks the Twilio Media Streams protocol over a real WebSocket (connected, start,
media frames of 20 ms µ-law at 8 kHz, stop), records the bot's audio, and
transcribes it with the same bundled Whisper model the bot uses.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time

import numpy as np
import soxr
import websockets

RATE = 8000
FRAME = 160  # 20 ms at 8 kHz


def synthesize(text: str, rate: int = RATE, speed: int = 150, voice: str = "da",
               pitch: int = 50) -> np.ndarray:
    """Danish speech from espeak-ng as float32 samples at `rate` (`voice`: "da" or a
    variant such as "da+f3"; `pitch` 0-99)."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                          "--stdout", text], check=True, capture_output=True).stdout
    pcm = np.frombuffer(wav[44:], dtype=np.int16).astype(np.float32) / 32768.0
    return soxr.resample(pcm, 22050, rate).astype(np.float32)


def last_audible(samples: np.ndarray, rate: int = RATE) -> float:
    """Seconds into a clip at which its last audible 20 ms frame ends: frames within
    ~26 dB of the loudest one (and above an absolute floor) count as audible."""
    frames = len(samples) // FRAME
    if frames == 0:
        return 0.0
    x = np.asarray(samples[:frames * FRAME], dtype=np.float64).reshape(frames, FRAME)
    rms = np.sqrt(np.mean(x * x, axis=1))
    loud = np.nonzero(rms >= max(0.005, float(rms.max()) * 0.05))[0]
    return float((loud[-1] + 1) * FRAME / rate) if loud.size else 0.0


def ulaw_encode(x: np.ndarray) -> bytes:
    """G.711 µ-law (as telephone networks send it)."""
    pcm = np.clip(x * 32768.0, -32768, 32767).astype(np.int32)
    sign = np.where(pcm < 0, 0x80, 0)
    mag = np.minimum(np.abs(pcm), 32635) + 0x84
    exp = np.floor(np.log2(mag)).astype(np.int32) - 7
    exp = np.clip(exp, 0, 7)
    mant = (mag >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign, exp, mant = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    mag = ((mant << 3) + 0x84) << exp
    pcm = np.where(sign != 0, 0x84 - mag, mag - 0x84)
    return (pcm / 32768.0).astype(np.float32)


class _Listener:
    """What a caller has heard from the bot: timestamped audio chunks."""

    LOUD = 0.02

    def __init__(self) -> None:
        self._received: list[tuple[float, np.ndarray]] = []
        self.closed = asyncio.Event()

    def _loud(self, a: np.ndarray) -> bool:
        return bool(a.size) and float(np.abs(a).max()) > self.LOUD

    def first_sound_after(self, t: float) -> float | None:
        """When the bot's audio first became audible after monotonic time `t`."""
        return next((ts for ts, a in self._received if ts >= t and self._loud(a)), None)

    def bot_is_speaking(self, window: float = 0.15) -> bool:
        now = time.monotonic()
        return any(now - ts < window and self._loud(a) for ts, a in self._received[-20:])

    async def _keepalive(self) -> None:
        await asyncio.sleep(0.1)

    async def wait_for_bot(self, since: float, quiet_s: float = 1.2,
                           within_s: float = 30.0) -> np.ndarray:
        """Keep the line open until the bot has spoken and gone quiet; its audio since.

        After `within_s` it returns what it heard so far: silence is a result, not an error.
        """
        deadline = time.monotonic() + within_s
        last_loud = None
        while time.monotonic() < deadline and not self.closed.is_set():
            await self._keepalive()
            loud = [ts for ts, a in self._received if ts >= since and self._loud(a)]
            if loud:
                last_loud = loud[-1]
            if last_loud is not None and time.monotonic() - last_loud > quiet_s:
                break
        chunks = [a for ts, a in self._received if ts >= since]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return audio if self._loud(audio) else np.zeros(0, np.float32)


class TwilioCaller(_Listener):
    """One phone call over a Twilio media stream WebSocket."""

    def __init__(self, ws, stream_sid: str = "MZtest", call_sid: str = "CAtest") -> None:
        super().__init__()
        self.ws = ws
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self.cleared = 0  # Twilio `clear` events (barge-in)
        self._reader: asyncio.Task | None = None

    async def start(self, params: dict[str, str]) -> None:
        await self.ws.send(json.dumps({"event": "connected", "protocol": "Call",
                                       "version": "1.0.0"}))
        await self.ws.send(json.dumps({
            "event": "start", "sequenceNumber": "1", "streamSid": self.stream_sid,
            "start": {"streamSid": self.stream_sid, "callSid": self.call_sid,
                      "accountSid": "ACtest", "tracks": ["inbound"],
                      "customParameters": params,
                      "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                      "channels": 1}}}))
        self._reader = asyncio.create_task(self._read())

    async def answered(self, params: dict[str, str], within_s: float = 60) -> np.ndarray:
        """Start the call and listen to the whole greeting; returns its audio."""
        t0 = time.monotonic()
        await self.start(params)
        return await self.wait_for_bot(t0, within_s=within_s)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                if msg.get("event") == "media":
                    audio = ulaw_decode(base64.b64decode(msg["media"]["payload"]))
                    self._received.append((time.monotonic(), audio))
                elif msg.get("event") == "clear":
                    self.cleared += 1
        except Exception:  # the server closed the call
            pass
        finally:
            self.closed.set()

    async def send_audio(self, samples: np.ndarray, realtime: bool = True) -> float:
        """Send the clip as the caller's audio (in real time by default); returns when its
        last audible frame was sent (monotonic seconds): where a caller's question ends,
        not the near-silence a synthesiser appends (espeak-ng: ~0.45 s)."""
        data = ulaw_encode(samples)
        audible_end = round(last_audible(samples) * RATE)
        t0 = time.monotonic()
        heard: float | None = None
        for i in range(0, len(data), FRAME):
            if self.closed.is_set():
                break  # the bot ended the call
            chunk = data[i:i + FRAME]
            try:
                await self.ws.send(json.dumps({
                    "event": "media", "streamSid": self.stream_sid,
                    "media": {"payload": base64.b64encode(chunk).decode()}}))
            except websockets.ConnectionClosed:
                self.closed.set()
                break
            if realtime:
                await asyncio.sleep(max(0.0, t0 + (i + FRAME) / RATE - time.monotonic()))
            if heard is None and i + FRAME >= audible_end:
                heard = time.monotonic()
        return heard if heard is not None else time.monotonic()

    async def silence(self, seconds: float) -> None:
        await self.send_audio(np.zeros(int(seconds * RATE), np.float32))

    async def send_dtmf(self, digits: str) -> None:
        for d in digits:
            await self.ws.send(json.dumps({"event": "dtmf", "streamSid": self.stream_sid,
                                           "dtmf": {"track": "inbound_track", "digit": d}}))

    async def _keepalive(self) -> None:
        await self.silence(0.2)  # a phone line carries audio all the time

    async def stop(self) -> None:
        await self.ws.send(json.dumps({"event": "stop", "streamSid": self.stream_sid}))


def transcribe(samples: np.ndarray, model_dir: str, rate: int = RATE) -> str:
    """What the caller heard, as text (faster-whisper, Danish, beam 5, no prompt)."""

    model = _model(model_dir)
    audio16 = soxr.resample(samples, rate, 16000).astype(np.float32)
    segments, _ = model.transcribe(audio16, language="da", beam_size=5, temperature=0.0,
                                   condition_on_previous_text=False, no_repeat_ngram_size=3,
                                   without_timestamps=True)
    return " ".join(s.text.strip() for s in segments).strip()


_MODELS: dict[str, object] = {}


def _model(path: str):
    from faster_whisper import WhisperModel

    if path not in _MODELS:
        _MODELS[path] = WhisperModel(path, device="cpu", compute_type="int8")
    return _MODELS[path]


class WebRTCCaller(_Listener):
    """A browser-like caller: an aiortc peer that sends speech and records the bot."""

    RATE = 48000

    def __init__(self) -> None:
        from aiortc import RTCPeerConnection

        super().__init__()
        self.pc = RTCPeerConnection()
        self.track = _SpeechTrack(self.RATE)
        self.pc.addTrack(self.track)
        self._tasks: list[asyncio.Task] = []

        @self.pc.on("track")
        def on_track(track) -> None:
            if track.kind == "audio":
                self._tasks.append(asyncio.create_task(self._record(track)))

    async def _record(self, track) -> None:
        try:
            while True:
                frame = await track.recv()
                pcm = frame.to_ndarray().astype(np.float32).reshape(-1) / 32768.0
                if len(frame.layout.channels) == 2:
                    pcm = pcm.reshape(-1, 2).mean(axis=1)
                if frame.sample_rate != self.RATE:
                    pcm = soxr.resample(pcm, frame.sample_rate, self.RATE).astype(np.float32)
                self._received.append((time.monotonic(), pcm))
        except Exception:  # track ended: the call is over
            return

    async def call(self, url: str, municipality: str | None = None) -> dict:
        import httpx

        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with httpx.AsyncClient(timeout=60) as http:
            r = await http.post(f"{url}/api/voice/offer", json={
                "sdp": self.pc.localDescription.sdp, "type": self.pc.localDescription.type,
                "municipality": municipality})
            r.raise_for_status()
            answer = r.json()
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        return answer

    def say(self, samples: np.ndarray) -> float:
        """Queue speech (at 48 kHz); returns when it will have been sent."""
        return self.track.play(samples)

    async def hang_up(self) -> None:
        await self.pc.close()
        for t in self._tasks:
            t.cancel()


class _SpeechTrack:
    """An aiortc audio track: silence, or queued speech, paced in real time."""

    def __new__(cls, rate: int):
        from aiortc import MediaStreamTrack

        class Track(MediaStreamTrack):
            kind = "audio"

            def __init__(self) -> None:
                super().__init__()
                self.rate = rate
                self.samples = 960  # 20 ms
                self.pending = np.zeros(0, np.float32)
                self.start: float | None = None
                self.pts = 0

            def play(self, audio: np.ndarray) -> float:
                self.pending = np.concatenate([self.pending, audio.astype(np.float32)])
                return time.monotonic() + len(self.pending) / self.rate

            async def recv(self):
                import av

                if self.start is None:
                    self.start = time.monotonic()
                wait = self.start + self.pts / self.rate - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                chunk = self.pending[:self.samples]
                self.pending = self.pending[self.samples:]
                if len(chunk) < self.samples:
                    chunk = np.pad(chunk, (0, self.samples - len(chunk)))
                frame = av.AudioFrame.from_ndarray(
                    (np.clip(chunk, -1, 1) * 32767).astype(np.int16)[None, :],
                    format="s16", layout="mono")
                frame.sample_rate = self.rate
                frame.pts = self.pts
                from fractions import Fraction

                frame.time_base = Fraction(1, self.rate)
                self.pts += self.samples
                return frame

        return Track()
