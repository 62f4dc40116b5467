"""The knowledge-gap report on the dashboard: `GET /admin/gaps` (the page),
`GET /api/admin/gaps` (its JSON), `GET /api/admin/gaps/{id}/draft` (a draft guide
from one cluster, the JSON `POST /api/admin/guides` takes; CONTRACT.md §6 and §7) and
`POST /api/admin/gaps/{id}/draft`, which saves that draft in the guide editor.

Scoped like the other figures: an administrator sees every municipality's questions
and may pick one; a municipality's manager sees only questions from conversations of
their own municipality, whatever the query asks; agents are refused (403). Every view
is audited. The report is computed by `handoff/gaps.py`; a viewer's report is kept a
couple of minutes, so that "draft a guide" after reading the page finds the same
clusters without embedding anything again.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import (
    AccountsDep,
    ClockDep,
    GuideDeskDep,
    KnowledgeDep,
    SignedInDep,
    StoreDep,
    ViewerDep,
    page_viewer,
)
from gateway.api.routes.guides import desk_call
from gateway.pages import templates
from handoff.accounts import Account
from handoff.gap_draft import draft_guide
from handoff.gaps import GapReport, build_report
from knowledge.guide import NO_GUIDE_TOPIC
from knowledge.service import Knowledge
from store.outcomes import OutcomeStore

router = APIRouter(tags=["admin"])
TZ = ZoneInfo("Europe/Copenhagen")
KEEP_S = 180.0  # how long a viewer's report is reused
KINDS_DA = {"no_guide": "ingen vejledning", "not_understood": "ikke forstået",
            "not_helped": "hjalp ikke"}
_cache: dict[tuple[Any, ...], tuple[float, GapReport]] = {}
_lock = threading.Lock()

Days = Annotated[int, Query(ge=1, le=366)]
Code = Annotated[str | None, Query(pattern=r"^\d{4}$")]
Limit = Annotated[int, Query(ge=1, le=100)]


def scope_of(viewer: Account, municipality: str | None) -> str | None:
    """The municipality a viewer's report covers: a manager's own, always; an
    administrator's choice (None: all)."""
    return viewer.municipality if viewer.role == "manager" else (municipality or None)


def report_for(store: OutcomeStore, knowledge: Knowledge, scope: str | None, days: int,
               limit: int, now: datetime) -> GapReport:
    """The report of the `days` up to `now` for `scope`, reused for `KEEP_S`."""
    key = (id(store), scope, days, limit)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < KEEP_S:
            return hit[1]
    report = build_report(store, knowledge.embedder, knowledge.retriever, now, days, scope,
                          limit=limit)
    with _lock:
        _cache[key] = (time.monotonic(), report)
        for k in [k for k, (t, _) in _cache.items() if time.monotonic() - t > KEEP_S]:
            del _cache[k]
    return report


def as_json(report: GapReport) -> dict[str, Any]:
    return {"start": report.start.isoformat(), "end": report.end.isoformat(),
            "municipality": report.municipality, "questions": report.questions,
            "previous_questions": report.previous_questions,
            "distinct_texts": report.distinct, "sampled_out": report.dropped,
            "clusters": [c.as_json() for c in report.clusters]}


def _now(clock: Any) -> datetime:
    return clock() if clock is not None else datetime.now(TZ)


@router.get("/api/admin/gaps")
async def gaps_json(viewer: ViewerDep, store: StoreDep, knowledge: KnowledgeDep,
                    accounts: AccountsDep, clock: ClockDep, days: Days = 30,
                    municipality: Code = None, limit: Limit = 20) -> dict[str, Any]:
    """The knowledge-gap report (CONTRACT §7's clusters, with the period around them)."""
    scope = scope_of(viewer, municipality)
    report = await run_in_threadpool(report_for, store, knowledge, scope, days, limit,
                                     _now(clock))
    await run_in_threadpool(accounts.audit, viewer, "view_gaps", scope or "alle")
    return as_json(report)


@router.get("/api/admin/gaps/{cluster_id}/draft")
async def gap_draft(cluster_id: str, viewer: ViewerDep, store: StoreDep,
                    knowledge: KnowledgeDep, accounts: AccountsDep, clock: ClockDep,
                    days: Days = 30, municipality: Code = None,
                    limit: Limit = 20) -> dict[str, Any]:
    """A draft guide from one cluster of the viewer's report: `draft` is the body
    `POST /api/admin/guides` takes (CONTRACT §6), `cluster` what it was made from.
    Nothing is saved; 404 when the viewer's report has no such cluster."""
    scope = scope_of(viewer, municipality)
    now = _now(clock)
    report = await run_in_threadpool(report_for, store, knowledge, scope, days, limit, now)
    found = report.cluster(cluster_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such cluster in this report")
    await run_in_threadpool(accounts.audit, viewer, "draft_gap_guide", cluster_id,
                            found.label)
    return {"draft": draft_guide(found, scope, now.date()), "cluster": found.as_json()}


class DraftChoices(BaseModel):
    """What the manager decides before the draft is saved: the topic (a cluster of
    questions no guide covers has none of its own), the municipality (administrators)
    and the link; the rest comes from the cluster."""

    topic: str | None = Field(None, min_length=1, max_length=64)
    municipality: str | None = Field(None, pattern=r"^\d{4}$")
    url: str | None = Field(None, min_length=8, max_length=500)


@router.post("/api/admin/gaps/{cluster_id}/draft", status_code=201)
async def save_gap_draft(cluster_id: str, who: SignedInDep, store: StoreDep,
                         knowledge: KnowledgeDep, accounts: AccountsDep, desk: GuideDeskDep,
                         clock: ClockDep, choices: DraftChoices | None = None,
                         days: Days = 30, municipality: Code = None,
                         limit: Limit = 20) -> dict[str, Any]:
    """The cluster's draft saved as a new local guide (version 1, a draft for an editor
    to finish and a second person to publish): 201 with its `id`. Until the link is
    written, the nearest guide's link stands in; without a topic of its own the
    manager must choose one (422 says so)."""
    viewer = who.account
    if viewer.role not in ("admin", "manager"):
        raise HTTPException(status_code=403, detail="for managers and administrators")
    choices = choices or DraftChoices(topic=None, municipality=None, url=None)
    scope = scope_of(viewer, municipality)
    now = _now(clock)
    report = await run_in_threadpool(report_for, store, knowledge, scope, days, limit, now)
    found = report.cluster(cluster_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such cluster in this report")
    draft = draft_guide(found, scope or choices.municipality, now.date())
    nearest = knowledge.retriever.guides.get(found.nearest_guide["id"]) \
        if found.nearest_guide is not None else None
    draft["url"] = choices.url or (nearest.url if nearest is not None else
                                   "https://www.borger.dk")
    if choices.topic:
        draft["topic"] = choices.topic
    code = draft.pop("municipality") if viewer.role == "admin" else viewer.municipality
    if not draft.get("topic") or draft["topic"] == NO_GUIDE_TOPIC:
        raise HTTPException(status_code=422, detail=[{
            "loc": ["body", "topic"], "type": "value_error",
            "msg": "Vælg et emne til vejledningen (spørgsmålene har ikke et eget emne)"}])
    record = await desk_call(desk.create, viewer, code, draft)
    await run_in_threadpool(accounts.audit, viewer, "draft_gap_guide", cluster_id,
                            f"{found.label} → {record.id}")
    return {"id": record.id, "municipality": record.municipality, "cluster": found.as_json()}


@router.get("/admin/gaps", response_class=HTMLResponse, include_in_schema=False)
async def gaps_page(request: Request, accounts: AccountsDep, store: StoreDep,
                    knowledge: KnowledgeDep, clock: ClockDep, days: Days = 30,
                    municipality: Code = None, limit: Limit = 20) -> Response:
    """The page (templates/gaps.html); not signed in: to the console's sign-in."""
    viewer = await page_viewer(request, accounts)
    if isinstance(viewer, RedirectResponse):
        return viewer
    scope = scope_of(viewer, municipality)
    report = await run_in_threadpool(report_for, store, knowledge, scope, days, limit,
                                     _now(clock))
    names = knowledge.registry.municipalities
    context = {
        "viewer": viewer, "days": days, "municipality": scope or "",
        "scope": names[scope].name if scope in names else "alle kommuner",
        "report": report, "last": (report.end - timedelta(microseconds=1)).date(),
        "kinds": KINDS_DA,
        "query": f"days={days}" + (f"&municipality={scope}" if scope else ""),
        # the topics a new local guide may have (the areas without a guide are none)
        "topics": sorted(((t.slug, t.name) for t in knowledge.registry.topics.values()
                          if t.slug != NO_GUIDE_TOPIC), key=lambda st: st[1]),
    }
    await run_in_threadpool(accounts.audit, viewer, "view_gaps", scope or "alle")
    return templates.TemplateResponse(request, "gaps.html", context)
