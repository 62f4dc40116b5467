"""Agent quality, cost per contact and wrong calls, scoped to who is looking.

One place for the scoping, so that the JSON (gateway/api/routes/quality.py) and the
dashboard's panels (templates/_quality.html) can never disagree:
- a DDH administrator sees every agent, municipality and report;
- a municipality's manager sees the agents of that municipality (the `users` row's),
  that municipality's cost and wrong calls, and the rule's reports about its agents;
- an agent sees their own figures only, without the rule's ranking or reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ddh.settings import Settings
from handoff.accounts import Account
from knowledge.registry import Registry
from store import agent_quality, costs, kpi, wrong_calls
from store.agent_rollup import months_between
from store.outcomes import OutcomeStore

REFERENCE_KEY = "price_per_call_dkk_2026_estimate"  # ddh.yaml kpi_2025


def rule(settings: Settings) -> agent_quality.Rule:
    return agent_quality.Rule(settings.agent_quality_lowest_share,
                              settings.agent_quality_months,
                              settings.agent_quality_min_contacts)


def agents(store: OutcomeStore, settings: Settings, viewer: Account, months: list[str],
           now: datetime | None = None) -> dict[str, Any]:
    """Figures per agent and month; for managers and administrators also the rule's
    ranking, run for the last closed month first (it reports once, however often it
    runs), and its reports."""
    users = agent_quality.agents_of(store)
    r = rule(settings)
    if viewer.role == "agent":
        rows = agent_quality.monthly(store, months, r, agents={viewer.username})
        return {"months": months, "agents": [
            {k: v for k, v in row.items() if k != "lowest"} | {"name": viewer.name}
            for row in rows]}
    evaluated = agent_quality.closed_month(now)
    agent_quality.evaluate(store, evaluated, r, now)
    mine = None if viewer.role == "admin" else {
        u for u, info in users.items() if info["municipality"] == viewer.municipality}
    rows = agent_quality.monthly(store, months, r, agents=mine)
    for row in rows:
        info = users.get(row["agent"], {})
        row["name"] = info.get("name", row["agent"])
        row["municipality"] = info.get("municipality")
    return {
        "months": months, "agents": rows,
        "rule": {"share": r.share, "months": r.months, "min_contacts": r.min_contacts,
                 "evaluated_month": evaluated},
        "reports": agent_quality.reports(
            store, None if viewer.role == "admin" else viewer.municipality),
    }


def cost(store: OutcomeStore, settings: Settings, registry: Registry, viewer: Account,
         f: kpi.Filters) -> dict[str, Any]:
    """Cost per contact of the period; a manager gets their municipality's row (the
    allocation still divides DDH's whole cost by every municipality's contacts)."""
    assert f.start is not None and f.end is not None
    plan = costs.load_costs(settings.costs_path)
    view = costs.for_period(store, plan, f.start, f.end, settings.queue_handle_time_s)
    if viewer.role != "admin":
        view["municipalities"] = [m for m in view["municipalities"]
                                  if m["municipality"] == viewer.municipality]
    reference = (registry.raw_ddh.get("kpi_2025") or {}).get(REFERENCE_KEY)
    view["reference_price_per_call"] = reference
    return view


def wrong(store: OutcomeStore, f: kpi.Filters) -> dict[str, Any]:
    """Wrong calls of the period (the filters hold a manager to their municipality)."""
    return wrong_calls.wrong_calls(store, f)


def panels(store: OutcomeStore, settings: Settings, registry: Registry, viewer: Account,
           f: kpi.Filters) -> dict[str, Any]:
    """The dashboard's three panels for its period (the months it touches)."""
    assert f.start is not None and f.end is not None
    months = months_between(f.start, f.end)[-max(1, settings.agent_quality_months):]
    try:
        priced = cost(store, settings, registry, viewer, f)
    except costs.CostError as exc:  # the rest of the dashboard still shows
        priced = {"error": str(exc), "municipalities": []}
    out = {"agents": agents(store, settings, viewer, months), "cost": priced,
           "wrong": wrong(store, f)}
    for row in (*out["cost"]["municipalities"], *out["wrong"]["rows"],
                *out["wrong"]["municipalities"]):
        code = row["municipality"]
        row["name"] = registry.municipalities[code].name \
            if code in registry.municipalities else "ukendt"
    for row in out["wrong"]["rows"]:
        topic = registry.topics.get(row["topic"] or "")
        row["topic_name"] = topic.name if topic else row["topic"] or "ukendt"
    return out


def evaluate_closed_month(store: OutcomeStore, settings: Settings) -> list[dict[str, Any]]:
    """The monthly run of the rule (the gateway's background task calls it)."""
    return agent_quality.evaluate(store, agent_quality.closed_month(), rule(settings))


async def watch(store: OutcomeStore, settings: Settings, every_s: float = 3600.0) -> None:
    """Run the agent rule for the last closed month now and then (the gateway's
    background task): a new month's reports appear within the hour, once each."""
    import asyncio

    from ddh.logging import get_logger

    log = get_logger(__name__)
    while True:
        try:
            written = await asyncio.to_thread(evaluate_closed_month, store, settings)
            if written:
                log.info("agent_quality.reported", agents=[w["agent"] for w in written])
        except Exception as exc:  # the dashboard runs the rule on its next read anyway
            log.error("agent_quality.failed", error=str(exc)[:200])
        await asyncio.sleep(every_s)
