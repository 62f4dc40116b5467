"""Carrier adapters: moving a live call (transfer, hang up) and sending SMS.

The voice stage decides *that* a call is transferred or a link is texted; these
adapters do it with the carrier. The interfaces they implement (`Telephony`,
`SmsSender`, with `CallInfo` and `CarrierError`) are the voice package's
(`bot/voice/carrier.py`), so the voice stages need nothing from the gateway; the
gateway builds the adapters (`make_carrier`) and hands them to the pipeline. Twilio is
built in (its REST API, base URL configurable so a compatible or self-hosted endpoint
works too). Other carriers implement the same two small interfaces; `SipReferTransfer`
documents the usual SIP way. Without a carrier configured, nothing leaves the machine:
transfers and texts are appended to JSON-lines outboxes under `DDH_DATA_DIR/outbox/`
for developers to read.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

from bot.voice.carrier import CallInfo, CarrierError, SmsSender, Telephony
from ddh.logging import get_logger
from ddh.settings import Settings

log = get_logger(__name__)


class _Outbox:
    """Append-only JSON lines, one per event (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, event: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": datetime.now(UTC).isoformat(), **event}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text(encoding="utf-8").splitlines() if x]


class OutboxTelephony:
    """No carrier: a transfer is written down (and the bot says goodbye)."""

    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.outbox = _Outbox(path)

    async def transfer(self, call: CallInfo, number: str) -> None:
        self.outbox.append({"event": "transfer", "to": number, **asdict(call)})
        log.info("telephony.transfer_outbox", conversation=call.conversation, to=number)

    async def hang_up(self, call: CallInfo) -> None:
        self.outbox.append({"event": "hang_up", "conversation": call.conversation})


class OutboxSms:
    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.outbox = _Outbox(path)

    async def send(self, to: str, body: str) -> str:
        self.outbox.append({"event": "sms", "to": to, "body": body})
        return f"outbox-{datetime.now(UTC).timestamp():.6f}"


class _TwilioREST:
    def __init__(self, base_url: str, account_sid: str, auth_token: str,
                 timeout_s: float = 5.0) -> None:
        self.base = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}"
        self.auth = (account_sid, auth_token)
        self.timeout_s = timeout_s

    async def post(self, path: str, data: dict[str, str]) -> dict:
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, auth=self.auth) as http:
                r = await http.post(f"{self.base}/{path}", data=data)
        except httpx.HTTPError as exc:
            raise CarrierError(f"Twilio unreachable: {exc}") from exc
        if r.status_code >= 300:
            raise CarrierError(f"Twilio {path}: HTTP {r.status_code} {r.text[:200]}")
        return r.json() if r.content else {}


class TwilioTelephony:
    """Transfers by updating the live call with new TwiML (`<Dial>` the number)."""

    name = "twilio"

    def __init__(self, rest: _TwilioREST) -> None:
        self.rest = rest

    async def transfer(self, call: CallInfo, number: str) -> None:
        if not call.call_id:
            raise CarrierError("no Twilio CallSid for this call")
        twiml = f"<Response><Dial>{escape(number)}</Dial></Response>"
        await self.rest.post(f"Calls/{call.call_id}.json", {"Twiml": twiml})
        log.info("telephony.transfer", conversation=call.conversation, to=number)

    async def hang_up(self, call: CallInfo) -> None:
        if call.call_id:
            await self.rest.post(f"Calls/{call.call_id}.json", {"Status": "completed"})


class TwilioSms:
    name = "twilio"

    def __init__(self, rest: _TwilioREST, sender: str) -> None:
        self.rest = rest
        self.sender = sender

    async def send(self, to: str, body: str) -> str:
        out = await self.rest.post("Messages.json", {"To": to, "From": self.sender,
                                                     "Body": body})
        return str(out.get("sid", ""))


class SipReferTransfer(ABC):
    """Interface for carriers reached over SIP (a PBX, Telia, a SIP trunk).

    A blind transfer in SIP is a REFER request inside the call's dialog with
    `Refer-To: <sip:+4587654321@trunk.example;user=phone>`; the carrier answers
    202 Accepted and reports progress with NOTIFY (sipfrag "SIP/2.0 200 OK" when the
    new leg is up). An adapter implements `refer` with its SIP stack or the carrier's
    call-control API, and `bye` to end the call; `transfer` builds the Refer-To URI.
    """

    name = "sip"

    def __init__(self, trunk_domain: str) -> None:
        self.trunk_domain = trunk_domain

    @abstractmethod
    async def refer(self, call: CallInfo, refer_to: str) -> None:
        """Send REFER in the call's dialog; raise `CarrierError` unless accepted."""

    @abstractmethod
    async def bye(self, call: CallInfo) -> None:
        """End the call (BYE)."""

    async def transfer(self, call: CallInfo, number: str) -> None:
        await self.refer(call, f"<sip:{number}@{self.trunk_domain};user=phone>")

    async def hang_up(self, call: CallInfo) -> None:
        await self.bye(call)


def make_carrier(settings: Settings) -> tuple[Telephony, SmsSender]:
    """Twilio when its account is configured, else the local outboxes."""
    outbox = settings.data_dir / "outbox"
    if settings.twilio_account_sid and settings.twilio_auth_token:
        rest = _TwilioREST(settings.twilio_api_url, settings.twilio_account_sid,
                           settings.twilio_auth_token.get_secret_value())
        sms: SmsSender = TwilioSms(rest, settings.sms_from) if settings.sms_from else \
            OutboxSms(outbox / "sms.jsonl")
        return TwilioTelephony(rest), sms
    return OutboxTelephony(outbox / "calls.jsonl"), OutboxSms(outbox / "sms.jsonl")
