"""A decision of the frontdesk for one turn: the action, the reply, and what the
conversation should remember afterwards.

Deciding (and the language model's rewording) only produce these; `bot.turn.apply`
carries what they say into the conversation state. Frozen, so a stage that wants a
different reply makes a new one (`dataclasses.replace`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.turn.types import Need, Pending
from ddh.vocabulary import Action, Mode
from knowledge.retrieval import Hit
from store.records import HandoffPacket

# Topics that name an intent rather than a subject: a subject from earlier in the
# conversation tells the receiving person more.
GENERIC_TOPICS = {"menneske", "klage", "sagsstatus"}
# Those topics' guides found for a question mean the need itself.
INTENT_NEED = {"menneske": Need.WANTS_PERSON, "sagsstatus": Need.OWN_CASE,
               "klage": Need.COMPLAINT}
# Municipal matters no guide covers (`NO_GUIDE_TOPIC`): their entries recognise them;
# they are never given as answers (the bot says so and routes to the municipality).
REASON_DA = {
    Need.WANTS_PERSON: "borgeren beder om at tale med en medarbejder",
    Need.OWN_CASE: "borgeren spørger til sin egen sag",
    Need.COMPLAINT: "borgeren vil klage",
    Need.NOT_HELPED: "vejledningen løste ikke problemet",
    Need.NOT_UNDERSTOOD: "borgeren kunne ikke forstås i telefonen",
    Need.NO_GUIDE: "ingen vejledning dækker spørgsmålet",
    Need.CRISIS: "borgeren spørger til en aktuel krisemeddelelse",
}


@dataclass(frozen=True)
class Decision:
    action: Action
    topic: str | None
    reply: str
    reason: str
    hits: tuple[Hit, ...] = ()
    target: str | None = None
    handoff: HandoffPacket | None = None
    new_handoff: bool = True  # False: an earlier ticket, returned again (callback added)
    mode: Mode = Mode.GROUNDED
    # --- what the conversation remembers (applied by bot.turn.apply) ---
    pending: Pending | None = None  # the question this reply asks
    given_guide: str | None = None  # the id of a guide given (answer or redirect)
    first_question: str | None = None  # the citizen's need, stated in this turn
    notice_id: str | None = None  # the crisis notice this turn is about
    satisfaction: int | None = None  # the rating given: the conversation has ended
    clarified: bool = False  # a clarifying question that counts towards the limit
    misheard: int | None = None  # voice: failed tries to make out the question, if changed
