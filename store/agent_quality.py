"""Agent quality per month, and DDH's rule for telling an agent's leader.

Definitions (DOMAIN.md; a *contact* of an agent is a conversation with a citizen turn
that the agent took from the queue, counted in the local month it started):
- StraksSag: the agent's contacts resolved at first contact (wrap-up "Løst",
  outcome `resolved_agent`: no transfer, no ticket) / the agent's contacts;
- handling time: mean seconds from taking the contact (handoff offered + the citizen's
  wait) to the wrap-up, over wrapped-up contacts;
- wrap-up outcomes: the agent's contacts per outcome (`handoff`: not wrapped up yet);
- satisfaction: mean score 1–10 of the agent's contacts, and how many scored.

The rule (DDH's steering group): an agent whose StraksSag is among the lowest
`share` (default 20 %) for `months` months in a row (default 3) is reported to their
leader. A month ranks the agents with at least `min_contacts` contacts; the lowest
share is the floor(share × ranked) lowest, and anyone tied with the last of them (a
tie never spares one of two equal agents; fewer than 1/share agents ranked: nobody).
The leader is every manager of the agent's municipality (the `users` row's). The
report is one `audit_log` row per agent and month (user `SYSTEM`, action
`FLAG_ACTION`), written once however often the rule runs; the dashboard shows it to
those managers and to DDH's administrators. (E-mail to the leader may come later.)
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from store import agent_rollup
from store.agent_rollup import AgentSums, month_start, next_month
from store.models import AuditEntry, User
from store.rollup import Database

SYSTEM = "system"  # the audit log's user for what the gateway does by itself
FLAG_ACTION = "agent_quality_flag"
LOCK_KEY = 0x44_44_48_02  # the PostgreSQL advisory lock of the rule's evaluation


@dataclass(frozen=True)
class Rule:
    share: float = 0.2
    months: int = 3
    min_contacts: int = 20


def previous_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"


def last_months(month: str, n: int) -> list[str]:
    """`n` months ending with `month`, oldest first."""
    out = [month]
    while len(out) < n:
        out.append(previous_month(out[-1]))
    return out[::-1]


def closed_month(now: datetime | None = None) -> str:
    """The last whole local month before `now`."""
    return previous_month(agent_rollup.month_of(now or datetime.now(UTC)))


def sums_by_month(db: Database, months: list[str]) -> dict[str, dict[str, AgentSums]]:
    """month → agent → sums, from the roll-up (loaded and refreshed first)."""
    roll = agent_rollup.for_store(db)
    roll.ensure(months)
    out: dict[str, dict[str, AgentSums]] = {}
    for month in months:
        first = month_start(month).date()
        last = month_start(next_month(month)).date() - timedelta(days=1)
        agents: dict[str, AgentSums] = defaultdict(AgentSums)
        for _, day in roll.between(first, last):
            for agent, sums in day.agents.items():
                agents[agent].add(sums)
        out[month] = dict(agents)
    return out


def figures(agent: str, month: str, s: AgentSums) -> dict[str, Any]:
    return {
        "agent": agent, "month": month, "contacts": s.contacts,
        "straks_sag": round(s.resolved / s.contacts, 4) if s.contacts else None,
        "resolved": s.resolved,
        "handling_time_s": round(s.handling_s / s.ended, 1) if s.ended else None,
        "outcomes": dict(sorted(s.outcomes.items())),
        "satisfaction_mean": round(s.score_sum / s.scores, 2) if s.scores else None,
        "satisfaction_responses": s.scores,
    }


def lowest(agents: dict[str, AgentSums], rule: Rule) -> set[str]:
    """The agents among the lowest share of one month's StraksSag (module docstring)."""
    ranked = sorted((s.resolved / s.contacts, a) for a, s in agents.items()
                    if s.contacts >= rule.min_contacts)
    k = math.floor(rule.share * len(ranked) + 1e-9)
    if k == 0:
        return set()
    bar = ranked[k - 1][0]
    return {a for value, a in ranked if value <= bar + 1e-12}


def monthly(db: Database, months: list[str], rule: Rule = Rule(),
            agents: set[str] | None = None) -> list[dict[str, Any]]:
    """Figures per agent and month (agents None: all), each marked `lowest` when the
    agent was among the month's lowest share; sorted by month, then agent."""
    by_month = sums_by_month(db, months)
    rows = []
    for month in months:
        low = lowest(by_month[month], rule)
        for agent, s in sorted(by_month[month].items()):
            if agents is None or agent in agents:
                rows.append({**figures(agent, month, s), "lowest": agent in low})
    return rows


def flagged(db: Database, month: str, rule: Rule = Rule()) -> dict[str, list[dict]]:
    """Agents among the lowest share in each of the `rule.months` months ending with
    `month`: agent → that agent's figures of those months."""
    months = last_months(month, rule.months)
    by_month = sums_by_month(db, months)
    low = [lowest(by_month[m], rule) for m in months]
    hit = set.intersection(*low) if low else set()
    return {a: [figures(a, m, by_month[m][a]) for m in months] for a in sorted(hit)}


def evaluate(db: Database, month: str, rule: Rule = Rule(),
             now: datetime | None = None) -> list[dict[str, Any]]:
    """Run the rule for a closed month and report each agent it hits to their leader:
    one audit row per agent and month, never twice (evaluations on several processes
    serialise on a lock). Returns the reports written now."""
    hits = flagged(db, month, rule)
    written: list[dict[str, Any]] = []
    if not hits or not set(hits) - _reported(db, month):
        return written  # the common case: nothing new, no write lock taken
    with db.sessions.begin() as s:
        if db.engine.dialect.name == "postgresql":
            s.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
        else:  # a write first: this transaction holds SQLite's write lock
            s.execute(update(AuditEntry).where(AuditEntry.id == -1).values(detail=None))
        done = set(s.scalars(select(AuditEntry.object).where(
            AuditEntry.username == SYSTEM, AuditEntry.action == FLAG_ACTION)))
        users = {u.username: u for u in s.scalars(select(User))}
        for agent, months in hits.items():
            obj = f"agent:{agent}:{month}"
            if obj in done:
                continue
            user = users.get(agent)
            municipality = user.municipality if user else None
            leaders = sorted(u.username for u in users.values() if u.role == "manager"
                             and municipality and u.municipality == municipality)
            detail = {"agent": agent, "month": month, "municipality": municipality,
                      "leaders": leaders, "share": rule.share, "months": rule.months,
                      "straks_sag": {m["month"]: m["straks_sag"] for m in months}}
            s.add(AuditEntry(at=now or datetime.now(UTC), username=SYSTEM,
                             action=FLAG_ACTION, object=obj,
                             detail=json.dumps(detail, ensure_ascii=False)))
            written.append(detail)
    return written


def _reported(db: Database, month: str) -> set[str]:
    """The agents already reported for `month`."""
    with db.sessions() as s:
        objects = s.scalars(select(AuditEntry.object).where(
            AuditEntry.username == SYSTEM, AuditEntry.action == FLAG_ACTION))
        tail = f":{month}"  # objects are agent:<username>:<month>
        return {o[len("agent:"):-len(tail)] for o in objects if o.endswith(tail)}


def reports(db: Database, municipality: str | None = None,
            limit: int = 200) -> list[dict[str, Any]]:
    """The rule's reports, newest first; `municipality`: only its agents' (a manager)."""
    with db.sessions() as s:
        rows = s.execute(select(AuditEntry.at, AuditEntry.detail).where(
            AuditEntry.username == SYSTEM, AuditEntry.action == FLAG_ACTION)
            .order_by(AuditEntry.id.desc()).limit(limit)).all()
    out = []
    for at, detail in rows:
        d = json.loads(detail or "{}")
        if municipality is None or d.get("municipality") == municipality:
            out.append({**d, "at": at})
    return out


def agents_of(db: Database) -> dict[str, dict[str, Any]]:
    """Console users by username: name and municipality (for scoping and names)."""
    with db.sessions() as s:
        return {u.username: {"name": u.name, "municipality": u.municipality,
                             "role": u.role}
                for u in s.scalars(select(User))}


def handling_mean(db: Database, first: date, last: date) -> float | None:
    """Mean handling time of every agent's wrapped-up contacts on local days
    first..last (the cost view's saved agent time)."""
    roll = agent_rollup.for_store(db)
    roll.ensure(agent_rollup.months_between(
        datetime(first.year, first.month, first.day, tzinfo=agent_rollup.TZ),
        datetime(last.year, last.month, last.day, tzinfo=agent_rollup.TZ)
        + timedelta(days=1)))
    total, ended = 0.0, 0
    for _, day in roll.between(first, last):
        for sums in day.agents.values():
            total += sums.handling_s
            ended += sums.ended
    return total / ended if ended else None
