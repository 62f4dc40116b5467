"""Who can help a citizen now, said before they ask: the chat page's availability banner.

A citizen should know before typing whether a person is there, the hours, and what
happens otherwise (a ticket answered by the next opening, a callback). The answer
comes from the routing policy itself (`bot.policy.escalate` for a plain request for
a person) and the opening hours from `bot.schedule`, so the banner can never promise
what the frontdesk would not do. Text is Danish, plain and short: the page is Danish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.policy import escalate
from bot.replies import spaced_phone
from bot.schedule import Opening, Schedule, local, spoken_when
from ddh.vocabulary import Action
from knowledge.hours import Interval
from knowledge.registry import Registry

DDH_NAME = "Den Digitale Hotline"
PERSON_TOPIC = "menneske"  # "I want to talk to a person": the policy's plain case


@dataclass(frozen=True)
class Hours:
    """One service's hours today, as the banner shows them."""

    who: str  # "ddh" or a kommunekode
    name: str
    open_now: bool
    today: Interval | None  # None: closed all day
    closed_reason: str | None = None  # e.g. the holiday's name

    def as_json(self) -> dict[str, Any]:
        return {"who": self.who, "name": self.name, "open_now": self.open_now,
                "opens": self.today.start.strftime("%H:%M") if self.today else None,
                "closes": self.today.end.strftime("%H:%M") if self.today else None,
                "closed_reason": self.closed_reason, "text": self.text()}

    def text(self) -> str:
        """'Den Digitale Hotline: i dag 8.00–18.00' / '… lukket i dag (juledag)'."""
        if self.today is None:
            why = f" ({self.closed_reason.lower()})" if self.closed_reason else ""
            return f"{self.name}: lukket i dag{why}"
        return f"{self.name}: i dag {_clock(self.today.start)}–{_clock(self.today.end)}"


@dataclass(frozen=True)
class Availability:
    """Whether a person can take the chat now, and what happens if not."""

    municipality: str | None
    person_now: bool
    route: Action  # what a request for a person gets now: handoff, transfer, ticket…
    target: str | None  # "ddh" or a kommunekode
    hours: tuple[Hours, ...]
    next_open: datetime | None  # of the target, when closed
    headline: str
    otherwise: str

    def as_json(self) -> dict[str, Any]:
        return {"municipality": self.municipality, "person_now": self.person_now,
                "route": str(self.route), "target": self.target,
                "hours": [h.as_json() for h in self.hours],
                "next_open": self.next_open.isoformat() if self.next_open else None,
                "callback": self.route == Action.TICKET,
                "headline": self.headline, "otherwise": self.otherwise}


def _clock(t: Any) -> str:
    return f"{t.hour}.{t.minute:02d}"


def _hours(schedule: Schedule, who: str, name: str, opening: Opening,
           at: datetime) -> Hours:
    today = schedule.hours_on(local(at).date(), None if who == "ddh" else who)
    return Hours(who, name, opening.open, today, opening.closed_reason)


def availability(registry: Registry, schedule: Schedule, municipality: str | None,
                 at: datetime) -> Availability:
    """The banner for a chat opened on `municipality`'s site (None: not known yet)."""
    ddh_open = schedule.ddh(at)
    ddh = _hours(schedule, "ddh", DDH_NAME, ddh_open, at)
    if municipality is None:  # the policy needs the municipality; DDH's hours meanwhile
        headline = "En medarbejder kan hjælpe dig nu." if ddh_open.open else \
            "Der er ingen medarbejder lige nu."
        otherwise = "Assistenten svarer med det samme. Skriv, hvilken kommune du bor i, " \
            "så finder vi den rette hjælp."
        return Availability(None, ddh_open.open, Action.CLARIFY, None, (ddh,),
                            None if ddh_open.open else ddh_open.next_open, headline,
                            otherwise)
    routing = registry.routing_for(municipality)
    own = _hours(schedule, municipality, f"{routing.name} Kommune",
                 schedule.municipality(municipality, at), at)
    hours = (ddh, own) if routing.member else (own,)
    e = escalate(registry, schedule, PERSON_TOPIC, municipality, at)
    if e.action == Action.HANDOFF:
        return Availability(municipality, True, e.action, e.target, hours, None,
                            "En medarbejder kan hjælpe dig nu.",
                            "Skriv dit spørgsmål. Assistenten svarer først, og du kan "
                            "altid bede om en medarbejder.")
    if e.action == Action.TRANSFER:
        phone = f" på telefon {spaced_phone(routing.phone)}" if routing.phone else ""
        return Availability(municipality, True, e.action, e.target, hours, None,
                            f"{routing.name} Kommune har åbent nu.",
                            f"Assistenten svarer her. Har du brug for en medarbejder, "
                            f"kan du ringe til {routing.name} Kommune{phone}.")
    next_open = e.opening.next_open if e.opening else None
    who = DDH_NAME if e.target == "ddh" else f"{routing.name} Kommune"
    when = spoken_when(next_open, at) if next_open else "næste hverdag"
    return Availability(municipality, False, e.action, e.target, hours, next_open,
                        "Der er ingen medarbejder lige nu.",
                        f"Assistenten svarer med det samme. Har du brug for en "
                        f"medarbejder, sender vi din henvendelse videre, og {who} svarer "
                        f"senest {when}. Giv dit telefonnummer, hvis du vil ringes op.")
