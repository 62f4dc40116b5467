"""The words every layer shares: channels, actions, outcomes, answer modes, handoff
reasons.

They travel from the frontdesk through the handoff desk into the store and out to the
console and the dashboard, so they live on the ground floor. Each is a `StrEnum`: its
members compare equal to the strings the contract, the database and the JSON
protocols use ("answer", "resolved_bot"), so nothing on the wire changes.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    CHAT = "chat"
    VOICE = "voice"
    EMAIL = "email"  # answered by mail in the same thread (gateway/mail_channel.py)


class Action(StrEnum):
    """What the frontdesk does with a turn (DOMAIN.md; CONTRACT.md `action`)."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    HANDOFF = "handoff"  # a DDH agent takes over, warm, in this channel
    TRANSFER = "transfer"  # the call or chat moves to the municipality
    TICKET = "ticket"  # the municipality calls or writes back
    REDIRECT = "redirect"  # a national authority or someone else owns the matter
    END = "end"

    @property
    def escalates(self) -> bool:
        """A person takes over (now or later): the turn carries a handoff packet."""
        return self in (Action.HANDOFF, Action.TRANSFER, Action.TICKET)


class Outcome(StrEnum):
    """How a conversation ended, for the quality figures (store/kpi.py)."""

    UNRESOLVED = "unresolved"
    RESOLVED_BOT = "resolved_bot"
    RESOLVED_AGENT = "resolved_agent"
    REDIRECT = "redirect"
    TICKET = "ticket"
    TRANSFER = "transfer"
    HANDOFF = "handoff"
    ABANDONED = "abandoned"  # left without a closing turn
    HUNG_UP = "hung_up"  # the caller hung up
    DROPPED = "dropped"  # the gateway process died with the call live (ours, not theirs)
    # An agent's wrap-up code "forkert henvendelse": the contact belonged to the citizen's
    # own municipality (a wrong call, store/wrong_calls.py); not resolved at first contact.
    WRONG_CALL = "wrong_call"


class Mode(StrEnum):
    """Who worded the turn: the grounded composer, the language model, or the grounded
    composer because the model failed."""

    GROUNDED = "grounded"
    LLM = "llm"
    LLM_FALLBACK = "llm-fallback"


class HandoffReason(StrEnum):
    """Why the citizen needed a person: recorded on every handoff, transfer and ticket
    (the `reason_kind` of the packet and of the `handoffs` row), shown to the agent and
    counted on the dashboard. The frontdesk's `Need` is this vocabulary."""

    WANTS_PERSON = "wants_person"  # asked for a person
    NOT_UNDERSTOOD = "not_understood"  # could not be understood (voice)
    NO_GUIDE = "no_guide"  # no guide covers the question
    NOT_HELPED = "not_helped"  # the guide given did not help
    OWN_CASE = "own_case"  # asks about their own case or a decision (case status)
    COMPLAINT = "complaint"
    CRISIS = "crisis"  # about a live crisis notice of the municipality

    @property
    def label_da(self) -> str:
        """The reason as agents and managers read it ("Årsag: …")."""
        return REASON_LABELS_DA[self]

    @classmethod
    def parse(cls, value: object) -> HandoffReason | None:
        """A stored or received value; None when absent or not a known reason (records
        written before reasons were recorded)."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None


REASON_LABELS_DA: dict[HandoffReason, str] = {
    HandoffReason.WANTS_PERSON: "Bad om en medarbejder",
    HandoffReason.NOT_UNDERSTOOD: "Ikke forstået",
    HandoffReason.NO_GUIDE: "Ingen vejledning",
    HandoffReason.NOT_HELPED: "Vejledningen hjalp ikke",
    HandoffReason.OWN_CASE: "Sagsstatus",
    HandoffReason.COMPLAINT: "Klage",
    HandoffReason.CRISIS: "Krise",
}
UNKNOWN_REASON_DA = "Ukendt"  # no reason recorded (older records)
