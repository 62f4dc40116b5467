"""Wrong calls: contacts that belonged somewhere else, per municipality and topic.

Why: 45 % of the calls DDH took in 2025 went straight back to the municipality, and
agents spend their time sending them there. Counted per municipality and topic of the
contact, in the period (local days; the dashboard's channel and municipality filters
apply):
- `transfers`: contacts transferred to the citizen's own municipality (outcome
  `transfer`; the frontdesk transfers to the municipality it placed the citizen in,
  an agent's transfer is their wrap-up "Stillet videre");
- `redirects`: contacts the bot sent to the authority that owns the matter (outcome
  `redirect`; DOMAIN.md's redirect share, "wrong calls");
- `wrong_calls`: agents' wrap-ups coded "Forkert henvendelse" (outcome `wrong_call`);
- `by_agent`: those of the above an agent handled (transfers and wrap-ups);
- `bot_sent_right`: sent to the right place by the bot before any agent was
  involved = transfers + redirects − agents' transfers.

Transfers and redirects come from the dashboard's roll-up (store/rollup.py), the
agents' part from the agents' roll-up (store/agent_rollup.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from ddh.vocabulary import Outcome
from store import agent_rollup, rollup
from store.kpi import TZ, Filters
from store.models import KpiHour
from store.outcomes import OutcomeStore

FIELDS = ("transfers", "redirects", "wrong_calls", "by_agent", "bot_sent_right", "total")


def wrong_calls(store: OutcomeStore, f: Filters) -> dict[str, Any]:
    """Rows per (municipality, topic) with any wrong call, most first, and the totals
    per municipality and overall. `f` must have a period (the dashboard's always has)."""
    if f.start is None or f.end is None:
        raise ValueError("wrong calls need a period")
    rollup.refresh(store)
    cells: dict[tuple[str | None, str | None], Counter[str]] = defaultdict(Counter)
    with store.sessions() as s:
        rows = s.execute(f.on(KpiHour, select(
            KpiHour.municipality, KpiHour.topic, func.sum(KpiHour.transfers),
            func.sum(KpiHour.redirects))).group_by(KpiHour.municipality, KpiHour.topic))
        for municipality, topic, transfers, redirects in rows:
            if transfers or redirects:
                cell = cells[(municipality or None, topic or None)]
                cell["transfers"] += transfers or 0
                cell["redirects"] += redirects or 0
    roll = agent_rollup.for_store(store)
    roll.ensure(agent_rollup.months_between(f.start, f.end))
    first = f.start.astimezone(TZ).date()
    last = (f.end - timedelta(seconds=1)).astimezone(TZ).date()
    for _, day in roll.between(first, last):
        for (municipality, topic, channel), n in day.sent_back.items():
            if (f.municipality and municipality != f.municipality) or \
                    (f.channel and channel != f.channel):
                continue
            cell = cells[(municipality or None, topic or None)]
            cell["wrong_calls"] += n[Outcome.WRONG_CALL.value]
            cell["agent_transfers"] += n[Outcome.TRANSFER.value]
    out, by_municipality, total = [], defaultdict(Counter), Counter()
    for (municipality, topic), c in cells.items():
        row = {"transfers": c["transfers"], "redirects": c["redirects"],
               "wrong_calls": c["wrong_calls"],
               "by_agent": c["agent_transfers"] + c["wrong_calls"],
               "bot_sent_right": c["transfers"] + c["redirects"] - c["agent_transfers"],
               "total": c["transfers"] + c["redirects"] + c["wrong_calls"]}
        out.append({"municipality": municipality, "topic": topic, **row})
        by_municipality[municipality].update(row)
        total.update(row)
    out.sort(key=lambda r: (-r["total"], r["municipality"] or "", r["topic"] or ""))
    return {
        "rows": out,
        "municipalities": sorted(
            ({"municipality": m, **{k: c[k] for k in FIELDS}}
             for m, c in by_municipality.items()),
            key=lambda r: (-r["total"], r["municipality"] or "")),
        "total": {k: total[k] for k in FIELDS},
    }
