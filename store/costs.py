"""Price per contact: DDH's configured costs over the contacts of a period.

Why: the price per call decides whether municipalities stay in DDH (it rises as members
leave), and the steering group assembles it by hand. The costs are configuration (a
YAML file, `DDH_COSTS_FILE`, default `knowledge/data/costs.yaml`): per period, its
operation, staffing and licences in DKK, plus the loaded cost of an agent hour.

Computed for a view period [start, end) (channel filters do not apply: costs are
DDH's as a whole):
- cost of the period: each configured period's costs × the share of its length that
  lies in the view period (prorated by time; configured periods are whole local days,
  `end` inclusive);
- price per contact = cost / contacts; per resolved contact = cost / contacts resolved
  at first contact (StraksSag: by the bot or an agent), from the dashboard's roll-up;
- by municipality: the cost is allocated by contact share (a municipality with 10 %
  of the contacts bears 10 % of the cost), so its price per contact is DDH's and its
  price per resolved contact differs with its StraksSag; contacts whose municipality is
  unknown form their own row (`null`) and bear their share;
- saved agent time: contacts the bot resolved × the mean handling time of agents'
  contacts in the period (store/agent_quality.py; the configured
  `DDH_QUEUE_HANDLE_TIME_S` when no agent contact was wrapped up), in hours, and its
  value at the configured cost of an agent hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, select

from store import agent_quality, kpi, rollup
from store.models import KpiHour

TZ = ZoneInfo("Europe/Copenhagen")
KINDS = ("operation", "staffing", "licences")


class CostError(ValueError):
    """A cost file that cannot be read (named with the file and the entry)."""


@dataclass(frozen=True)
class CostPeriod:
    start: date
    end: date  # inclusive
    operation: float
    staffing: float
    licences: float

    @property
    def total(self) -> float:
        return self.operation + self.staffing + self.licences

    def span(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time(), TZ),
                datetime.combine(self.end + timedelta(days=1), time(), TZ))


@dataclass(frozen=True)
class CostPlan:
    periods: tuple[CostPeriod, ...]
    agent_hour_dkk: float | None = None
    currency: str = "DKK"

    def between(self, start: datetime, end: datetime) -> dict[str, float]:
        """Costs of [start, end) by kind (and `total`), prorated by time."""
        out: dict[str, float] = dict.fromkeys((*KINDS, "total"), 0.0)
        for p in self.periods:
            p0, p1 = p.span()
            overlap = (min(end, p1) - max(start, p0)).total_seconds()
            if overlap <= 0:
                continue
            share = overlap / (p1 - p0).total_seconds()
            for kind in KINDS:
                out[kind] += getattr(p, kind) * share
            out["total"] += p.total * share
        return out


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CostError(f"{where}: not a date: {value!r}") from None


def load_costs(path: Path) -> CostPlan:
    """Read a cost file; `CostError` names what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise CostError(f"{path}: {exc}") from exc
    periods = []
    for i, raw in enumerate(data.get("periods") or []):
        where = f"{path}: periods[{i}]"
        try:
            amounts = {k: float(raw.get(k, 0) or 0) for k in KINDS}
        except (TypeError, ValueError, AttributeError):
            raise CostError(f"{where}: amounts must be numbers") from None
        p = CostPeriod(_date(raw.get("start"), where), _date(raw.get("end"), where),
                       **amounts)
        if p.end < p.start or any(v < 0 for v in amounts.values()):
            raise CostError(f"{where}: end before start, or a negative amount")
        periods.append(p)
    hour = data.get("agent_hour_dkk")
    return CostPlan(tuple(periods), float(hour) if hour is not None else None,
                    str(data.get("currency", "DKK")))


def _row(cost: float, contacts: int, resolved: int, bot: int, handling_s: float,
         plan: CostPlan) -> dict[str, Any]:
    saved_h = bot * handling_s / 3600
    return {
        "contacts": contacts, "resolved": resolved, "resolved_bot": bot,
        "cost": round(cost, 2),
        "price_per_contact": round(cost / contacts, 2) if contacts else None,
        "price_per_resolved": round(cost / resolved, 2) if resolved else None,
        "saved_agent_hours": round(saved_h, 2),
        "saved_agent_dkk": round(saved_h * plan.agent_hour_dkk, 2)
        if plan.agent_hour_dkk is not None else None,
    }


def cost_view(plan: CostPlan, start: datetime, end: datetime,
              by_municipality: dict[str | None, tuple[int, int, int]],
              handling_s: float) -> dict[str, Any]:
    """The figures of the module docstring. `by_municipality`: municipality (None:
    unknown) → (contacts, resolved at first contact, resolved by the bot), every
    municipality of the period; `handling_s`: the mean agent handling time."""
    costs = plan.between(start, end)
    contacts = sum(c for c, _, _ in by_municipality.values())
    total = _row(costs["total"], contacts,
                 sum(r for _, r, _ in by_municipality.values()),
                 sum(b for _, _, b in by_municipality.values()), handling_s, plan)
    rows = [{"municipality": m,
             **_row(costs["total"] * c / contacts if contacts else 0.0, c, r, b,
                    handling_s, plan)}
            for m, (c, r, b) in by_municipality.items()]
    rows.sort(key=lambda r: (-r["contacts"], r["municipality"] or ""))
    return {"currency": plan.currency, "costs": {k: round(v, 2) for k, v in costs.items()},
            "handling_time_s": round(handling_s, 1), "agent_hour_dkk": plan.agent_hour_dkk,
            "total": total, "municipalities": rows}


def for_period(store: Any, plan: CostPlan, start: datetime, end: datetime,
               fallback_handling_s: float) -> dict[str, Any]:
    """The cost view of [start, end) (local midnights), every municipality: contacts
    from the dashboard's roll-up, handling time from the agents' roll-up."""
    rollup.refresh(store)
    h = KpiHour
    with store.sessions() as s:  # three sums only: a year's read stays cheap
        rows = s.execute(kpi.Filters(start, end).on(h, select(
            h.municipality, func.sum(h.contacts), func.sum(h.resolved_bot),
            func.sum(h.resolved_agent))).group_by(h.municipality)).all()
    counts = {m or None: (n or 0, (bot or 0) + (agent or 0), bot or 0)
              for m, n, bot, agent in rows if n}
    last = (end - timedelta(seconds=1)).astimezone(TZ).date()
    handling = agent_quality.handling_mean(store, start.astimezone(TZ).date(), last)
    return cost_view(plan, start, end, counts,
                     handling if handling is not None else fallback_handling_s)
