"""Drill-down from a dashboard figure to the conversations behind it.

`GET /admin/drill?figure=KEY&start&end&channel&municipality&page=N`: the contacts a
headline figure counts (store/drilldown.py), newest first, 25 a page, each linked to
`GET /admin/conversations/{id}`, its redacted transcript. Managers and administrators
only (agents read conversations in the console); a manager is held to their own
municipality and asking for another one is refused (403). Every list page and every
transcript view is written to the audit log, as the API's conversation view is
(gateway/api/routes/agent.py), because each shows citizens' (redacted) words.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway import dashboard_views
from gateway.api.deps import AccountsDep, ClockDep, RegistryDep, StoreDep, page_viewer
from gateway.api.routes.admin import Args, filters
from gateway.pages import templates
from store import drilldown
from store.notes import notes_of

router = APIRouter(tags=["admin"])
PER_PAGE = 25
Figure = Annotated[str, Query(pattern="^[a-z0-9_]{1,40}$")]


@router.get("/admin/drill", response_class=HTMLResponse, include_in_schema=False)
async def drill(request: Request, args: Args, accounts: AccountsDep, store: StoreDep,
                registry: RegistryDep, clock: ClockDep, figure: Figure = "contacts",
                page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """One page of the conversations behind `figure`, role-scoped and audited."""
    viewer = await page_viewer(request, accounts)
    if isinstance(viewer, RedirectResponse):
        return viewer
    fig = next((x for x in dashboard_views.FIGURES if x.key == figure), None)
    if fig is None or figure not in drilldown.CONDITIONS:
        raise HTTPException(status_code=404, detail="no such figure")
    asked = args["municipality"]
    if viewer.role == "manager" and asked and asked != viewer.municipality:
        raise HTTPException(status_code=403, detail="another municipality's conversations")
    f = filters(viewer, **args, today=dashboard_views.now_of(clock).date())
    rows, total = await run_in_threadpool(drilldown.conversations, store, f, figure, page,
                                          PER_PAGE)
    rows = [{**r, "started_at": r["started_at"].astimezone(dashboard_views.TZ)} for r in rows]
    first, last = dashboard_views.period_days(f)
    scope = f.municipality or "alle"
    await run_in_threadpool(accounts.audit, viewer, "view_drilldown", f"figure:{figure}",
                            f"municipality={scope} period={first}..{last} "
                            f"channel={f.channel or 'alle'} page={page} rows={len(rows)}")
    pages = max(1, math.ceil(total / PER_PAGE))
    names = {c: m.name for c, m in registry.municipalities.items()}
    topics = {k: t.name for k, t in registry.topics.items()}
    base = dashboard_views.query(f, figure=figure)
    return templates.TemplateResponse(request, "drill.html", {
        "viewer": viewer, "figure": fig, "rows": rows, "total": total, "page": page,
        "pages": pages, "first": first, "last": last, "names": names, "topics": topics,
        "prev_href": f"?{base}&page={page - 1}" if page > 1 else None,
        "next_href": f"?{base}&page={page + 1}" if page < pages else None,
        "back_href": "/admin?" + dashboard_views.query(f)})


@router.get("/admin/conversations/{conversation_id}", response_class=HTMLResponse,
            include_in_schema=False)
async def transcript(conversation_id: str, request: Request, accounts: AccountsDep,
                     store: StoreDep) -> Response:
    """A conversation's redacted transcript as a page; another municipality's
    conversation answers 404, as one that does not exist (the API does the same)."""
    viewer = await page_viewer(request, accounts)
    if isinstance(viewer, RedirectResponse):
        return viewer
    conv = await run_in_threadpool(store.conversation, conversation_id)
    if conv is None or not viewer.may_read(conv["municipality"]):
        raise HTTPException(status_code=404, detail="no such conversation")
    await run_in_threadpool(accounts.audit, viewer, "view_transcript",
                            f"conversation:{conversation_id}", "dashboard")
    conv = {**conv, "started_at": conv["started_at"].astimezone(dashboard_views.TZ)}
    notes = [{**n, "at": datetime.fromisoformat(n["at"]).astimezone(dashboard_views.TZ)}
             for n in await run_in_threadpool(notes_of, store.sessions, conversation_id)]
    return templates.TemplateResponse(request, "conversation.html",
                                      {"viewer": viewer, "c": conv, "notes": notes})
