"""The typed records that flow into the store: a citizen turn, a conversation's end,
and the warm handoff packet.

They are built above (by the frontdesk and the handoff desk) and written here; the
store is below both, so the records live with it. All text in them is redacted.
`HandoffPacket.as_json()` is the shape of the contract's `handoff` object, the agent
console's packet and the `packet` column, and `from_json` reads it back (queues keep
packets as JSON in Redis), so the wire format stays one and the same.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from ddh.vocabulary import Action, Channel, HandoffReason, Mode, Outcome


@dataclass(frozen=True)
class TranscriptLine:
    role: str  # citizen | bot | agent
    text: str  # redacted


@dataclass(frozen=True)
class HandoffPacket:
    """What a person taking over needs to know; the summary is at most five lines."""

    kind: Action  # handoff | transfer | ticket
    target: str  # "ddh" or a kommunekode
    topic: str | None
    municipality: str | None
    reason: str  # for the record: "<need>: <policy reason>"
    summary: str  # Danish, redacted
    channel: str
    created_at: datetime
    need: str | None = None  # the citizen's first question, redacted
    guides: tuple[str, ...] = ()  # titles of the guides already given
    transcript: tuple[TranscriptLine, ...] = ()
    next_open: datetime | None = None  # when the target opens (tickets after hours)
    # Why a person is needed (the typed part of `reason`); None: not recorded (records
    # written before reasons were).
    reason_kind: HandoffReason | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def with_summary(self, summary: str) -> HandoffPacket:
        return replace(self, summary=summary)

    def as_ticket(self) -> HandoffPacket:
        return replace(self, kind=Action.TICKET)

    def body(self) -> dict[str, Any]:
        """The packet proper (the `packet` column and the console's view)."""
        return {
            "summary": self.summary, "channel": str(self.channel),
            "municipality": self.municipality, "topic": self.topic, "need": self.need,
            "guides": list(self.guides),
            "transcript": [{"role": t.role, "text": t.text} for t in self.transcript],
            "created_at": self.created_at.isoformat(),
            "next_open": self.next_open.isoformat() if self.next_open else None,
            "reason_kind": str(self.reason_kind) if self.reason_kind else None,
            "reason_da": self.reason_da,
        }

    @property
    def reason_da(self) -> str | None:
        """The reason as the agent reads it ("Årsag: …"), None when not recorded."""
        return self.reason_kind.label_da if self.reason_kind else None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": str(self.kind), "target": self.target,
                "topic": self.topic, "municipality": self.municipality,
                "reason": self.reason,
                "reason_kind": str(self.reason_kind) if self.reason_kind else None,
                "summary": self.summary, "packet": self.body()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HandoffPacket:
        body = data.get("packet") or {}
        next_open = body.get("next_open")
        return cls(
            id=data["id"], kind=Action(data["kind"]), target=data["target"],
            topic=data.get("topic"), municipality=data.get("municipality"),
            reason=data.get("reason", ""), summary=data.get("summary", ""),
            channel=body.get("channel", Channel.CHAT),
            created_at=datetime.fromisoformat(body["created_at"]),
            need=body.get("need"), guides=tuple(body.get("guides") or ()),
            transcript=tuple(TranscriptLine(t["role"], t["text"])
                             for t in body.get("transcript") or ()),
            next_open=datetime.fromisoformat(next_open) if next_open else None,
            reason_kind=HandoffReason.parse(data.get("reason_kind") or
                                            body.get("reason_kind")))


@dataclass
class TurnRecord:
    """Everything one citizen turn adds to the store (all text already redacted)."""

    conversation_id: str
    channel: Channel
    seq: int  # the citizen turn's number in the conversation, from 1
    at: datetime
    citizen_text: str
    bot_text: str
    language: str
    action: Action
    topic: str | None
    municipality: str | None
    municipality_source: str | None
    reason: str
    target: str | None = None
    guides: list[dict[str, Any]] = field(default_factory=list)
    pii_kinds: list[str] = field(default_factory=list)
    latency_ms: float | None = None
    mode: Mode = Mode.GROUNDED
    outcome: Outcome | None = None
    conversation_topic: str | None = None
    ended: bool = False
    satisfaction: int | None = None
    handoff: HandoffPacket | None = None  # a new packet made in this turn
    notice_id: str | None = None  # a crisis notice answered the conversation
    callback_phone: str | None = None  # consented; stored apart, only with a ticket
    # A new ticket's destinations, (channel, address): written to the delivery outbox
    # in the same transaction as the ticket (handoff/tickets.py delivers them).
    deliveries: list[tuple[str, str]] = field(default_factory=list)
    # The conversation's state after the turn, written with it (store/live.py), read
    # at `state_version`; the channel's message id and the result, to answer a re-sent
    # message from the store.
    state: dict[str, Any] | None = None
    state_version: int = 0
    message_id: str | None = None
    result: dict[str, Any] | None = None
    # Six digits an earlier turn left, now known to be a CPR number's date part (its
    # last four came in this turn): redacted in what the store holds, in this
    # transaction (store/retention.py: `redact_earlier`).
    redact_earlier: list[str] = field(default_factory=list)


def _enum(cls: Any, value: Any) -> Any:
    return cls(value) if value is not None else None


def record_as_json(rec: TurnRecord | EndRecord) -> dict[str, Any]:
    """A record as JSON (the store's journal keeps records it could not write yet)."""
    if isinstance(rec, EndRecord):
        return {"kind": "end", "conversation_id": rec.conversation_id,
                "channel": str(rec.channel), "started_at": rec.started_at.isoformat(),
                "at": rec.at.isoformat(), "municipality": rec.municipality,
                "outcome": str(rec.outcome)}
    data = {f.name: getattr(rec, f.name) for f in fields(rec)}
    data.update(kind="turn", channel=str(rec.channel), at=rec.at.isoformat(),
                action=str(rec.action), mode=str(rec.mode),
                outcome=str(rec.outcome) if rec.outcome else None,
                handoff=rec.handoff.as_json() if rec.handoff else None,
                deliveries=[list(d) for d in rec.deliveries])
    return data


def record_from_json(data: dict[str, Any]) -> TurnRecord | EndRecord:
    data = dict(data)
    if data.pop("kind") == "end":
        return EndRecord(data["conversation_id"], Channel(data["channel"]),
                         datetime.fromisoformat(data["started_at"]),
                         datetime.fromisoformat(data["at"]), data["municipality"],
                         Outcome(data["outcome"]))
    handoff = data.pop("handoff")
    return TurnRecord(**{
        **data, "channel": Channel(data["channel"]), "at": datetime.fromisoformat(data["at"]),
        "action": Action(data["action"]), "mode": Mode(data["mode"]),
        "outcome": _enum(Outcome, data["outcome"]),
        "handoff": HandoffPacket.from_json(handoff) if handoff else None,
        "deliveries": [tuple(d) for d in data["deliveries"]]})


@dataclass
class EndRecord:
    """The conversation ended without a closing turn (the caller hung up, the chat
    was abandoned). A conversation with no turns at all is still a contact."""

    conversation_id: str
    channel: Channel
    started_at: datetime
    at: datetime
    municipality: str | None = None
    outcome: Outcome = Outcome.ABANDONED  # kept only when no turn gave an outcome
