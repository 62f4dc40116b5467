"""A decision of the frontdesk for one turn, before it becomes a `TurnResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.guide import Guide
from knowledge.retrieval import Hit

# Topics that name an intent rather than a subject: a subject from earlier in the
# conversation tells the receiving person more.
GENERIC_TOPICS = {"menneske", "klage", "sagsstatus"}
REASON_DA = {
    "wants_person": "borgeren beder om at tale med en medarbejder",
    "own_case": "borgeren spørger til sin egen sag",
    "complaint": "borgeren vil klage",
    "not_helped": "vejledningen løste ikke problemet",
    "not_understood": "borgeren kunne ikke forstås i telefonen",
}


@dataclass
class Decision:
    action: str
    topic: str | None
    reply: str
    reason: str
    hits: list[Hit] = field(default_factory=list)
    target: str | None = None
    handoff: dict[str, Any] | None = None
    guide: Guide | None = None
    new_handoff: bool = True  # False: an earlier ticket, returned again (callback added)
    mode: str = "grounded"  # grounded | llm | llm-fallback
