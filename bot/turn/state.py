"""The conversation state: what the frontdesk remembers between a citizen's turns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.turn.types import Ask, Pending
from ddh.vocabulary import Action, Channel, Outcome
from store.records import HandoffPacket, TranscriptLine

SCHEMA_VERSION = 1


@dataclass
class ConversationState:
    """Everything the frontdesk remembers of a conversation between turns.

    Changed only by `bot.turn.apply`. It round-trips through JSON (`as_json` /
    `from_json`, with `schema_version`) so that it can be kept outside one process's
    memory; all text in it is redacted."""

    id: str
    channel: Channel
    started_at: datetime
    municipality: str | None = None
    municipality_source: str | None = None
    municipality_turn: int = 0  # the turn that named the municipality (0: the channel did)
    candidates: tuple[str, ...] = ()
    candidates_evidence: str | None = None  # the postal code or town that was ambiguous
    called_number: str | None = None
    language: str = "da"
    turns: int = 0
    last_topic: str | None = None
    last_guides: list[str] = field(default_factory=list)  # ids of guides given, in order
    pending: Pending | None = None  # the question the last reply asked
    clarifications: int = 0
    misheard: int = 0  # voice: tries in a row that did not make out the question
    first_question: str | None = None  # redacted: the citizen's need, for summaries
    transcript: list[TranscriptLine] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    outcome: Outcome | None = None
    callback_number: str | None = None  # consented; for tickets only, never in transcripts
    last_ticket: HandoffPacket | None = None
    waiting_id: str | None = None  # the handoff this conversation waits in a queue for
    waiting_packet: HandoffPacket | None = None  # the live handoff the citizen waits for
    satisfaction: int | None = None
    ended: bool = False
    notice_id: str | None = None  # the crisis notice that answered (bot/notices.py)
    disclosed: bool = False  # the AI disclosure has been given (EU AI Act art. 50)
    # the last turn gave only a CPR number's date part: four digits now are its serial
    cpr_serial_expected: bool = False
    # six digits the last turn left (nothing said they were a CPR number's date part):
    # if its last four follow now, they are redacted afterwards everywhere
    cpr_fragments: tuple[str, ...] = ()

    def awaits(self, ask: Ask) -> bool:
        return self.pending is not None and self.pending.ask == ask

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION, "id": self.id, "channel": str(self.channel),
            "started_at": self.started_at.isoformat(), "municipality": self.municipality,
            "municipality_source": self.municipality_source,
            "municipality_turn": self.municipality_turn, "candidates": list(self.candidates),
            "candidates_evidence": self.candidates_evidence,
            "called_number": self.called_number, "language": self.language,
            "turns": self.turns, "last_topic": self.last_topic,
            "last_guides": list(self.last_guides),
            "pending": self.pending.as_json() if self.pending else None,
            "clarifications": self.clarifications, "misheard": self.misheard,
            "first_question": self.first_question,
            "transcript": [[t.role, t.text] for t in self.transcript],
            "actions": [str(a) for a in self.actions],
            "outcome": str(self.outcome) if self.outcome else None,
            "callback_number": self.callback_number,
            "last_ticket": self.last_ticket.as_json() if self.last_ticket else None,
            "waiting_id": self.waiting_id,
            "waiting_packet": self.waiting_packet.as_json() if self.waiting_packet else None,
            "satisfaction": self.satisfaction,
            "ended": self.ended, "notice_id": self.notice_id, "disclosed": self.disclosed,
            "cpr_serial_expected": self.cpr_serial_expected,
            "cpr_fragments": list(self.cpr_fragments),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConversationState:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"conversation state schema {version!r}, expected "
                             f"{SCHEMA_VERSION}")
        pending, ticket, outcome = data["pending"], data["last_ticket"], data["outcome"]
        return cls(
            id=data["id"], channel=Channel(data["channel"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            municipality=data["municipality"],
            municipality_source=data["municipality_source"],
            municipality_turn=data["municipality_turn"],
            candidates=tuple(data["candidates"]),
            candidates_evidence=data["candidates_evidence"],
            called_number=data["called_number"], language=data["language"],
            turns=data["turns"], last_topic=data["last_topic"],
            last_guides=list(data["last_guides"]),
            pending=Pending.from_json(pending) if pending else None,
            clarifications=data["clarifications"], first_question=data["first_question"],
            misheard=data.get("misheard", 0),  # added within schema 1
            transcript=[TranscriptLine(role, text) for role, text in data["transcript"]],
            actions=[Action(a) for a in data["actions"]],
            outcome=Outcome(outcome) if outcome else None,
            callback_number=data["callback_number"],
            last_ticket=HandoffPacket.from_json(ticket) if ticket else None,
            waiting_id=data["waiting_id"],
            # added within schema 1: absent in records written before it
            waiting_packet=HandoffPacket.from_json(data["waiting_packet"])
            if data.get("waiting_packet") else None,
            satisfaction=data["satisfaction"],
            ended=data["ended"], notice_id=data["notice_id"], disclosed=data["disclosed"],
            cpr_serial_expected=data.get("cpr_serial_expected", False),  # within schema 1
            cpr_fragments=tuple(data.get("cpr_fragments", ())))
