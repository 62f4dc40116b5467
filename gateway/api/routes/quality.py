"""Agent quality, cost per contact and wrong calls as JSON (`/api/admin/...`).

Scoping is gateway/quality_views.py's: administrators see all, a municipality's
manager their municipality and its agents, an agent their own figures (the only one
of the three views open to agents). The period filters are the dashboard's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from gateway import quality_views
from gateway.api.deps import (
    AccountsDep,
    RegistryDep,
    SettingsDep,
    SignedInDep,
    StoreDep,
    ViewerDep,
)
from gateway.api.routes.admin import Args, filters
from store.agent_quality import last_months
from store.agent_rollup import month_of
from store.costs import CostError

router = APIRouter(tags=["admin"])


@router.get("/admin/agents")
async def agent_quality(who: SignedInDep, store: StoreDep, settings: SettingsDep,
                        accounts: AccountsDep,
                        month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
                        months: int = Query(0, ge=0, le=24)) -> dict[str, Any]:
    """Figures per agent and month: `months` months (default `DDH_AGENT_QUALITY_MONTHS`)
    ending with `month` (default this one); the rule's ranking and reports for managers
    and administrators; an agent gets their own rows only."""
    viewer = who.account
    if viewer.role not in ("agent", "manager", "admin"):
        raise HTTPException(status_code=403, detail="no quality figures for this role")
    wanted = last_months(month or month_of(datetime.now(UTC)),
                         months or settings.agent_quality_months)
    view = await run_in_threadpool(quality_views.agents, store, settings, viewer, wanted)
    await run_in_threadpool(accounts.audit, viewer, "view_agent_quality",
                            viewer.username if viewer.role == "agent" else
                            viewer.municipality or "all", ",".join(wanted))
    return view


@router.get("/admin/costs")
async def cost_per_contact(viewer: ViewerDep, args: Args, store: StoreDep,
                           settings: SettingsDep, registry: RegistryDep) -> dict[str, Any]:
    """Price per contact and per resolved contact, by municipality, beside DDH's 2025
    figure, with the bot's resolved contacts as saved agent time."""
    f = filters(viewer, **args)
    try:
        return await run_in_threadpool(quality_views.cost, store, settings, registry,
                                       viewer, f)
    except CostError as exc:
        raise HTTPException(status_code=503, detail=f"cost file: {exc}") from None


@router.get("/admin/wrong-calls")
async def wrong_calls(viewer: ViewerDep, args: Args, store: StoreDep) -> dict[str, Any]:
    """Contacts that belonged to the municipality (or elsewhere), per municipality and
    topic, and how many the bot sent to the right place before an agent."""
    f = filters(viewer, **args)
    return await run_in_threadpool(quality_views.wrong, store, f)
