"""The routing policy: who helps a citizen who needs a person, now.

DOMAIN.md is the specification. A question a guide answers gets `answer` (or
`redirect` for national authorities' topics). When a person is needed, the topic's
route decides:

- `ddh` and `bot` topics (and a plain request for a person): a warm `handoff` to
  DDH when the municipality is a member, DDH is staffed now and handles the topic
  for that member; else `transfer` to the municipality when its own service is open;
  else a `ticket` (to DDH for members, to the municipality otherwise).
- `kommune` topics: `transfer` when the municipality is open, else a `ticket` to it.
- `redirect` topics stay `redirect`: a person at DDH or the municipality cannot help.

Every branch names its reason, which is recorded with the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.schedule import Opening, Schedule
from ddh.vocabulary import Action
from knowledge.registry import Registry


@dataclass(frozen=True, slots=True)
class Escalation:
    action: Action  # handoff | transfer | ticket | redirect | clarify
    target: str | None  # "ddh" or a kommunekode
    reason: str
    opening: Opening | None = None  # of the target, when closed: when it opens next


def escalate(registry: Registry, schedule: Schedule, topic: str, municipality: str | None,
             at: datetime) -> Escalation:
    """Decide how a citizen who needs a person about `topic` is helped at `at`."""
    t = registry.topics.get(topic)
    route = t.route if t else "ddh"
    if route == "redirect":
        return Escalation(Action.REDIRECT, None, f"{topic} belongs to a national authority")
    if municipality is None:
        return Escalation(Action.CLARIFY, None,
                          "a person is needed and the municipality is unknown")
    muni = registry.routing_for(municipality)
    own = schedule.municipality(municipality, at)
    if route == "kommune":
        if own.open:
            return Escalation(Action.TRANSFER, municipality, f"{topic} needs the municipality, "
                              f"which is open")
        return Escalation(Action.TICKET, municipality, f"{topic} needs the municipality, which is "
                          f"closed", own)
    # ddh and bot topics, and requests for a person
    ddh = schedule.ddh(at)
    if not muni.member:
        reason = "municipality is not a DDH member"
    elif topic in muni.ddh_topics_exclude:
        reason = f"DDH does not handle {topic} for this member"
    elif ddh.open:
        return Escalation(Action.HANDOFF, "ddh",
                          "DDH is staffed and the municipality is a member")
    else:
        reason = "DDH is closed"
    if own.open:
        return Escalation(Action.TRANSFER, municipality, f"{reason}; the municipality is open")
    if muni.member and topic not in muni.ddh_topics_exclude:
        return Escalation(Action.TICKET, "ddh", f"{reason} and the municipality is closed", ddh)
    return Escalation(Action.TICKET, municipality, f"{reason} and the municipality is closed", own)
