"""Voice: Twilio's webhook and media stream, browser calls (WebRTC), live calls.

A call to one of our numbers reaches Twilio, which POSTs `/voice/twilio/incoming`; we
answer with TwiML that connects the call's audio to `WS /voice/twilio` (Twilio Media
Streams: µ-law 8 kHz), passing the called number (`called_number`), the caller and a
signed token as stream parameters; a `municipality` parameter (kommunekode) may be set
by whoever builds the TwiML instead. These two paths are the contract (CONTRACT.md),
outside `/api`. The greeting (with the AI disclosure) is spoken by the bot itself, so
it is the same on every channel.

Security: with `DDH_TWILIO_AUTH_TOKEN` set (production), the webhook checks Twilio's
request signature and the media stream is accepted only with the token we signed for
that call, so nobody can open a stream without a call from the carrier. Without it
(development, tests, other carriers' bridges) streams are accepted as they come.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any
from xml.sax.saxutils import quoteattr

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bot.voice.carrier import CallInfo
from ddh.logging import get_logger
from ddh.settings import Settings
from gateway.api.deps import (
    DrainDep,
    RegistryDep,
    SettingsDep,
    VoiceLoaderDep,
    WebRTCDep,
    origin_allowed,
)

log = get_logger(__name__)
router = APIRouter(prefix="/voice", tags=["voice"])  # under /api
telephony_router = APIRouter(prefix="/voice", tags=["voice"])  # the carrier's, at the root
START_TIMEOUT_S = 10.0
_PROCESS_SECRET = secrets.token_bytes(32)


def _secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.get_secret_value().encode()
    return _PROCESS_SECRET


def stream_token(settings: Settings, call_sid: str, called: str, caller: str) -> str:
    msg = f"{call_sid}|{called}|{caller}".encode()
    return hmac.new(_secret(settings), msg, hashlib.sha256).hexdigest()[:32]


def conversation_id(carrier: str, call_id: str) -> str:
    """The carrier's call id maps to one conversation id (operations can match logs)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{carrier}:{call_id}").hex


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted POST params."""
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _public(request: Request, settings: Settings, path: str, ws: bool = False) -> str:
    base = settings.voice_public_url.rstrip("/") if settings.voice_public_url else \
        str(request.base_url).rstrip("/")
    if ws:
        base = base.replace("https://", "wss://").replace("http://", "ws://")
    return base + path


@telephony_router.post("/twilio/incoming", response_class=Response)
async def twilio_incoming(request: Request, settings: SettingsDep,
                          voice: VoiceLoaderDep) -> Response:
    """TwiML for an incoming call: connect its audio to our media stream."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    if settings.twilio_auth_token:
        url = _public(request, settings, request.url.path)
        expected = twilio_signature(settings.twilio_auth_token.get_secret_value(), url, form)
        if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
            raise HTTPException(status_code=403, detail="bad Twilio signature")
    call_sid = form.get("CallSid", "")
    if not call_sid:
        raise HTTPException(status_code=422, detail="CallSid missing")
    called, caller = form.get("To", ""), form.get("From", "")
    voice.start()  # load the speech model while Twilio opens the stream
    token = stream_token(settings, call_sid, called, caller)
    url = _public(request, settings, "/voice/twilio", ws=True)
    params = "".join(f"<Parameter name={quoteattr(k)} value={quoteattr(v)}/>"
                     for k, v in (("called_number", called), ("caller", caller),
                                  ("token", token)))
    twiml = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
             f"<Stream url={quoteattr(url)}>{params}</Stream></Connect></Response>")
    return Response(twiml, media_type="application/xml")


async def _twilio_start(ws: WebSocket) -> dict[str, Any]:
    """Read Twilio's `connected` and `start` messages; anything else is malformed."""
    async with asyncio.timeout(START_TIMEOUT_S):
        while True:
            raw = await ws.receive_text()
            try:
                msg = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError("not JSON") from exc
            if not isinstance(msg, dict):
                raise ValueError("not a JSON object")
            if msg.get("event") == "connected":
                continue
            if msg.get("event") == "start" and isinstance(msg.get("start"), dict):
                return msg["start"]
            raise ValueError(f"expected a start event, got {msg.get('event')!r}")


@telephony_router.websocket("/twilio")
async def twilio_stream(ws: WebSocket, settings: SettingsDep, registry: RegistryDep,
                        voice: VoiceLoaderDep, drain: DrainDep) -> None:
    """One phone call: Twilio Media Streams in and out, through the voice pipeline."""
    await ws.accept()
    if drain.draining:  # stopping: the carrier (or the balancer) tries elsewhere
        await ws.close(code=1013, reason="restarting: try again")
        return
    try:
        start = await _twilio_start(ws)
    except (ValueError, TimeoutError) as exc:
        await ws.close(code=1003, reason=f"bad stream start: {exc}"[:120])
        return
    except WebSocketDisconnect:
        return
    custom = start.get("customParameters") or {}
    call_sid, stream_sid = str(start.get("callSid", "")), str(start.get("streamSid", ""))
    called, caller = str(custom.get("called_number", "")), str(custom.get("caller", ""))
    municipality = str(custom.get("municipality", "")) or None
    if not stream_sid or (settings.twilio_auth_token and not hmac.compare_digest(
            stream_token(settings, call_sid, called, caller), str(custom.get("token", "")))):
        await ws.close(code=1008, reason="stream not authorised")
        return
    if municipality and municipality not in registry.municipalities:
        await ws.close(code=1003, reason="unknown kommunekode")
        return
    try:
        services = await voice.start()
    except Exception as exc:  # model failed to load: the caller must not hear silence
        log.error("voice.unavailable", error=str(exc))
        await ws.close(code=1011, reason="voice unavailable")
        voice.forget()  # the next call tries again
        return
    # pipecat loads on the first call, not with the gateway (chat needs none of it)
    from pipecat.transports.websocket.fastapi import (
        FastAPIWebsocketParams,
        FastAPIWebsocketTransport,
    )

    from bot.voice.pipeline import run_call
    from bot.voice.twilio import TwilioSerializer

    call = CallInfo(conversation=conversation_id("twilio", call_sid), carrier="twilio",
                    call_id=call_sid,
                    stream_id=stream_sid, caller=caller or None, called=called or None)
    serializer = TwilioSerializer(
        stream_sid, call_sid, params=TwilioSerializer.InputParams(auto_hang_up=False))
    transport = FastAPIWebsocketTransport(ws, FastAPIWebsocketParams(
        audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
        serializer=serializer, allowed_origins=[]))
    log.info("voice.call", conversation=call.conversation, carrier="twilio")
    async with drain.work():  # a drain waits for the call (and hands it over at the end)
        await run_call(transport, services, call, out_rate=8000, municipality=municipality)


@router.get("/calls")
async def live_calls(voice: VoiceLoaderDep) -> list[dict[str, Any]]:
    """Calls in progress (conversation, carrier, seconds); empty before the first call."""
    services = voice.loaded()
    if services is None:
        return []
    now = time.monotonic()
    return [{"conversation": c.call.conversation, "carrier": c.call.carrier,
             "seconds": round(now - c.started, 1)} for c in services.calls.values()]


# --- browser calls (WebRTC) -------------------------------------------------------------


class OfferBody(BaseModel):
    sdp: str = Field(max_length=100_000)
    type: str = Field(pattern="^(offer|answer)$")
    pc_id: str | None = Field(default=None, max_length=100)
    restart_pc: bool | None = None
    municipality: str | None = Field(default=None, pattern=r"^\d{4}$")


class IceCandidateBody(BaseModel):
    candidate: str = Field(max_length=2_000)
    sdp_mid: str = Field(max_length=100)
    sdp_mline_index: int


class PatchBody(BaseModel):
    pc_id: str = Field(max_length=100)
    candidates: list[IceCandidateBody] = Field(max_length=50)


@router.post("/offer")
async def webrtc_offer(body: OfferBody, request: Request, settings: SettingsDep,
                       registry: RegistryDep, voice: VoiceLoaderDep,
                       webrtc: WebRTCDep, drain: DrainDep) -> dict:
    """SDP offer from the citizen page's "Ring op" button (or any WebRTC client)."""
    if drain.draining:
        raise HTTPException(status_code=503, detail="restarting: try again",
                            headers={"Retry-After": "1"})
    if not origin_allowed(request.headers.get("origin"), request.headers.get("host"),
                          settings.allowed_origins):
        raise HTTPException(status_code=403, detail="origin not allowed")
    if body.municipality and body.municipality not in registry.municipalities:
        raise HTTPException(status_code=422, detail="unknown kommunekode")
    services = await voice.get()
    from pipecat.transports.base_transport import TransportParams
    from pipecat.transports.smallwebrtc.request_handler import SmallWebRTCRequest
    from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport

    from bot.voice.pipeline import run_call

    calls = webrtc.calls

    async def connected(connection: Any) -> None:
        call = CallInfo(conversation=uuid.uuid4().hex, carrier="webrtc",
                        call_id=connection.pc_id)
        transport = SmallWebRTCTransport(connection, TransportParams(
            audio_in_enabled=True, audio_out_enabled=True))
        log.info("voice.call", conversation=call.conversation, carrier="webrtc")
        async def call_drained() -> None:
            async with drain.work():
                await run_call(transport, services, call, out_rate=24000,
                               municipality=body.municipality)

        task = asyncio.create_task(call_drained())
        calls.add(task)
        task.add_done_callback(calls.discard)

    try:
        answer = await webrtc.handler.handle_web_request(
            SmallWebRTCRequest(sdp=body.sdp, type=body.type, pc_id=body.pc_id,
                               restart_pc=body.restart_pc), connected)
    except HTTPException:
        raise
    except Exception as exc:  # a malformed SDP ends this request only
        raise HTTPException(status_code=400, detail=f"bad offer: {exc}"[:200]) from exc
    if answer is None:
        raise HTTPException(status_code=500, detail="no SDP answer")
    return answer


@router.patch("/offer")
async def webrtc_ice(body: PatchBody, webrtc: WebRTCDep) -> dict:
    """Trickled ICE candidates for a connection made by POST /offer."""
    from pipecat.transports.smallwebrtc.request_handler import (
        IceCandidate,
        SmallWebRTCPatchRequest,
    )

    await webrtc.handler.handle_patch_request(SmallWebRTCPatchRequest(
        pc_id=body.pc_id, candidates=[IceCandidate(c.candidate, c.sdp_mid, c.sdp_mline_index)
                                      for c in body.candidates]))
    return {"status": "ok"}
