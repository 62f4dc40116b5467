"""The carrier interfaces the voice stages talk to: move a live call, send an SMS.

They live here, in the voice package, and not beside the adapters, because the
frontdesk stage is what *uses* them: it decides that a call is transferred or a link
is texted, and needs only these shapes to say so. The web app one layer up implements
them (Twilio, SIP, the local outboxes: its `telephony` module), builds the adapters
from its settings and hands them to the pipeline. So `bot` never imports the layer
above it, and a test or another host can hand in its own adapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CarrierError(RuntimeError):
    """The carrier refused or could not be reached; the caller stays with the bot.

    Adapters raise it; the frontdesk stage catches it and tells the caller what to do
    instead (call the number themselves, no SMS right now)."""


@dataclass(frozen=True)
class CallInfo:
    """What the voice channel knows about a live call."""

    conversation: str
    carrier: str  # twilio | webrtc | ...
    call_id: str | None = None  # the carrier's call id (Twilio CallSid)
    stream_id: str | None = None
    caller: str | None = None  # the caller's number (for SMS; never stored in transcripts)
    called: str | None = None  # the number dialled (decides the municipality)


class Telephony(Protocol):
    """Moves a live call: a blind transfer to a number, or the end of the call."""

    name: str

    async def transfer(self, call: CallInfo, number: str) -> None: ...

    async def hang_up(self, call: CallInfo) -> None: ...


class SmsSender(Protocol):
    """Sends one text message; returns the carrier's message id."""

    name: str

    async def send(self, to: str, body: str) -> str: ...
