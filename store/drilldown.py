"""The conversations behind a headline figure (the dashboard's drill-down).

Each condition selects the conversations a figure of `store/kpi.py` counts in its
numerator or, for rates over handoffs, its denominator — the same outcome columns the
roll-up (store/rollup.py) sums, so the list a manager opens has exactly as many rows
as the card counts. Only ids, times and outcome columns are read here; the redacted
transcript is read one conversation at a time (`OutcomeStore.conversation`), so each
view can be audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, select

from ddh.vocabulary import Action, Outcome
from store.kpi import Filters
from store.models import Conversation, HandoffPacket

_c = Conversation
_handed = exists().where(HandoffPacket.conversation_id == _c.id,
                         HandoffPacket.kind == Action.HANDOFF.value)
# figure → (condition on Conversation; None = every contact)
CONDITIONS: dict[str, Any] = {
    "contacts": None,
    "straks_sag": _c.outcome.in_((Outcome.RESOLVED_BOT.value,
                                  Outcome.RESOLVED_AGENT.value)),
    "bot_resolution": _c.outcome == Outcome.RESOLVED_BOT.value,
    "answer_rate": _handed,  # the handoffs offered (denominator)
    "transfer_rate": _c.outcome == Outcome.TRANSFER.value,
    "ticket_rate": _c.outcome == Outcome.TICKET.value,
    "redirect_share": _c.outcome == Outcome.REDIRECT.value,
    "satisfaction_mean": _c.satisfaction.is_not(None),
    "queue_wait_median_s": and_(_c.agent.is_not(None), _c.queue_wait_s.is_not(None)),
    "queue_wait_p90_s": and_(_c.agent.is_not(None), _c.queue_wait_s.is_not(None)),
    "service_level": _handed,
}
COLUMNS = ("id", "started_at", "channel", "municipality", "topic", "outcome", "turns",
           "queue_wait_s", "satisfaction")


def conversations(store: Any, f: Filters, figure: str, page: int = 1,
                  per_page: int = 25) -> tuple[list[dict[str, Any]], int]:
    """One page (1-based, newest first) of the contacts behind `figure`, and how
    many there are in all. `f` is already scoped to the viewer."""
    if figure not in CONDITIONS:
        raise KeyError(figure)
    cond = CONDITIONS[figure]
    extra = [] if cond is None else [cond]
    with store.sessions() as s:
        total = s.scalar(f.apply(select(func.count()).select_from(_c)).where(*extra)) or 0
        rows = s.execute(f.apply(select(*(getattr(_c, n) for n in COLUMNS))).where(*extra)
                         .order_by(_c.started_at.desc(), _c.id)
                         .limit(per_page).offset((max(page, 1) - 1) * per_page))
        return [dict(zip(COLUMNS, r, strict=True)) for r in rows], int(total)
