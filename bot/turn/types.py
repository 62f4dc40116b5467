"""The records a turn passes between its stages, and the turn's input and result.

`TurnInput` is what a channel hands the frontdesk; `TurnResult` is what it gets back
(its `contract()` is the `ddh ask --jsonl` output line). In between: `Heard` (the
redacted text and its cues), `Located` (what the turn says about the municipality),
and `Pending` (the question the bot asked, answered in the next turn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.intents import Cues
from bot.municipality import Detection
from ddh.vocabulary import Action, Channel, HandoffReason, Mode
from store.records import HandoffPacket

# The channel, not the citizen, named the municipality (the widget's page, the number
# called): it is not acknowledged back as if the citizen had said it.
CHANNEL_SOURCES = ("widget", "called_number")


class Ask(StrEnum):
    """The question a reply asked; the next turn is read as its answer first."""

    HELPED = "helped"  # "Fik du svar på dit spørgsmål?"
    MUNICIPALITY = "municipality"  # needed before a person can be found
    SATISFACTION = "satisfaction"  # the 1-10 rating at the end
    CALLBACK = "callback"  # the number to call back on, for a ticket
    NOTICE = "notice"  # the municipality, to see whether a crisis notice is theirs
    TOPIC = "topic"  # "Handler det om dit sundhedskort?": what was heard, confirmed
    MENU = "menu"  # "Tryk 1 for MitID, 2 for …": a topic chosen on the keypad
    PLACE = "place"  # "Bor du i Aarhus Kommune?": a municipality heard, confirmed


# Why the citizen needs a person (recorded with the escalation): the handoff reasons
# of the shared vocabulary, which the store, the console and the dashboard read too.
Need = HandoffReason


@dataclass(frozen=True)
class Pending:
    """A question awaiting its answer, with what the bot needs to resume after it: the
    topic and need of an escalation waiting for the municipality, or the question a
    crisis notice may answer once the municipality is known."""

    ask: Ask
    topic: str | None = None
    need: Need | None = None
    question: str | None = None
    options: tuple[str, ...] = ()  # topics to offer next (the menu's, in key order)

    def as_json(self) -> dict[str, Any]:
        return {"ask": str(self.ask), "topic": self.topic,
                "need": str(self.need) if self.need else None, "question": self.question,
                "options": list(self.options)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pending:
        need = data.get("need")
        return cls(Ask(data["ask"]), data.get("topic"), Need(need) if need else None,
                   data.get("question"), tuple(data.get("options") or ()))


@dataclass(frozen=True)
class Recognition:
    """How sure speech recognition was of what it heard, and what else it may have been.

    From Whisper's own scores of the best hypothesis: the mean log-probability of its
    tokens, the probability that the audio held no speech, and how repetitive the text
    is (a hallucinating model loops, which compresses well). `unsure` is the
    recogniser's verdict from its configured limits (`DDH_STT_MIN_LOGPROB`, …)."""

    alternatives: tuple[str, ...] = ()  # the other hypotheses, best first
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    unsure: bool = False


@dataclass(frozen=True)
class TurnInput:
    conversation: str
    text: str
    channel: Channel = Channel.CHAT
    municipality: str | None = None
    called_number: str | None = None
    at: datetime | None = None
    # The channel could not make out what the citizen said (voice: repeatedly): the
    # turn is recorded with empty text and a person is offered.
    unheard: bool = False
    # The channel's id of this message (chat client id, e-mail Message-ID): the same
    # id again is answered with what was answered, never run twice (any process).
    message_id: str | None = None
    # The channel must end the conversation now (the process is stopping): no citizen
    # words; the need goes to a person (a transfer or a ticket) and the citizen is told.
    hand_over: bool = False
    # The citizen ended the conversation with the channel's own control (the chat
    # page's "Afslut samtalen"): no citizen words; the rating is asked, unless it was
    # asked before in this conversation (then a goodbye).
    ends: bool = False
    # Speech: how sure the recogniser was, and its other hypotheses (None: typed, or
    # pressed on the keypad, which is certain).
    recognition: Recognition | None = None


@dataclass(frozen=True)
class Heard:
    """The turn after redaction: only this text goes on (to the store, logs, models)."""

    text: str
    phones: tuple[str, ...]  # phone numbers the citizen gave (for a consented callback)
    pii_kinds: tuple[str, ...]
    cues: Cues
    alternatives: tuple[str, ...] = ()  # what speech recognition may also have heard
    unsure: bool = False  # speech recognition was unsure of `text`
    serial_to_come: bool = False  # only a CPR number's date part was given
    serial: bool = False  # a CPR number's last four digits (its date part came before)
    fragments: tuple[str, ...] = ()  # six digits that may be a date part (nothing said)


@dataclass(frozen=True)
class Located:
    """What this turn tells about the municipality: found, or still ambiguous."""

    found: Detection | None = None
    candidates: tuple[str, ...] = ()
    evidence: str | None = None
    # speech the recogniser was unsure of named this municipality: asked before noted
    unsure: Detection | None = None
    declined: bool = False  # the caller said no to "Bor du i … Kommune?"


@dataclass
class TurnResult:
    conversation: str
    action: Action
    topic: str | None
    municipality: str | None
    reply: str
    guides: list[dict[str, Any]] = field(default_factory=list)
    handoff: HandoffPacket | None = None
    language: str = "da"
    reason: str = ""
    redacted_text: str = ""
    awaiting: Ask | None = None  # the question the reply asked, if any
    mode: Mode = Mode.GROUNDED
    replayed: bool = False  # the message was handled before: this is what it got then
    # the last turn's text held these, now known to be a CPR number's date part: the
    # channel redacts them in what it holds too (the store's copy is redacted already)
    redacted_earlier: tuple[str, ...] = ()

    @property
    def asks_rating(self) -> bool:
        """The reply asks for a 1-10 satisfaction score."""
        return self.awaiting == Ask.SATISFACTION

    def as_json(self) -> dict[str, Any]:
        """Everything the result holds, for the store: a re-sent message is answered
        with it (`from_json`)."""
        return {"conversation": self.conversation, "action": str(self.action),
                "topic": self.topic, "municipality": self.municipality, "reply": self.reply,
                "guides": self.guides,
                "handoff": self.handoff.as_json() if self.handoff else None,
                "language": self.language, "reason": self.reason,
                "redacted_text": self.redacted_text,
                "awaiting": str(self.awaiting) if self.awaiting else None,
                "mode": str(self.mode)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TurnResult:
        handoff, awaiting = data.get("handoff"), data.get("awaiting")
        return cls(data["conversation"], Action(data["action"]), data["topic"],
                   data["municipality"], data["reply"], list(data["guides"]),
                   HandoffPacket.from_json(handoff) if handoff else None,
                   data["language"], data["reason"], data["redacted_text"],
                   Ask(awaiting) if awaiting else None, Mode(data["mode"]))

    def contract(self) -> dict[str, Any]:
        """The output line of `ddh ask --jsonl` (CONTRACT.md)."""
        handoff = None
        if self.handoff:
            h = self.handoff.as_json()
            handoff = {k: h[k] for k in ("id", "kind", "target", "summary", "reason",
                                         "reason_kind", "topic", "municipality")}
            if self.handoff.next_open:
                handoff["next_open"] = self.handoff.next_open.isoformat()
        return {"conversation": self.conversation, "action": str(self.action),
                "topic": self.topic, "municipality": self.municipality, "reply": self.reply,
                "guides": self.guides, "handoff": handoff}
