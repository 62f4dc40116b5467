"""Guides edited by the municipalities (CONTRACT.md §6): the JSON API under
`/api/admin/guides` and the editor's page `/admin/guides`.

Signed in through the console like the dashboard; changes need the session's CSRF
token. The rules — who may write, review and publish, one person never both — live in
`handoff/guide_desk.py`; this module maps its refusals onto HTTP (403, 404, 409, 422)
and, after a publication or retirement, makes the change live in this process at once
(other processes pick it up on their next poll, handoff/guide_sync.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ddh.logging import get_logger
from gateway.api.deps import (
    COOKIE,
    AccountsDep,
    GuideDeskDep,
    GuideSyncDep,
    RegistryDep,
    SettingsDep,
    SignedInDep,
)
from gateway.pages import templates
from handoff.guide_desk import GuideDesk, GuideDeskError, Invalid
from handoff.guide_sync import GuideSync

router = APIRouter(prefix="/admin/guides", tags=["guides"])
pages = APIRouter(include_in_schema=False)
log = get_logger(__name__)
TZ = ZoneInfo("Europe/Copenhagen")
T = TypeVar("T")

Text = Annotated[str, Field(min_length=1, max_length=500)]
Keyword = Annotated[str, Field(min_length=1, max_length=120)]


class GuideChange(BaseModel):
    """Fields of a guide, as in the Markdown corpus (knowledge/guides/README.md); all
    optional for PATCH."""

    title: str | None = Field(None, min_length=3, max_length=200,
                              description="Danish, what the citizen wants to do")
    topic: str | None = Field(None, min_length=1, max_length=64,
                              description="a topic slug from domain/topics.yaml")
    summary: str | None = Field(None, min_length=10, max_length=1000,
                                description="1–2 plain sentences, read aloud on calls")
    steps: list[Text] | None = Field(None, max_length=15, description="short steps")
    keywords: list[Keyword] | None = Field(None, max_length=60,
                                           description="ways citizens say it")
    url: str | None = Field(None, max_length=500, pattern=r"^https?://\S+$",
                            description="the official page to open")
    body: str | None = Field(None, max_length=10000, description="a few paragraphs")
    review_by: date | None = Field(None, description="check the guide's facts by then")
    owner: str | None = Field(None, max_length=120, description="who keeps it current "
                              "(a console username; default: the author)")

    def fields(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"owner"})


class GuideFields(GuideChange):
    """A whole guide (POST, PUT): title, topic, summary and url are required."""

    title: str = Field(min_length=3, max_length=200)  # type: ignore[assignment]
    topic: str = Field(min_length=1, max_length=64)  # type: ignore[assignment]
    summary: str = Field(min_length=10, max_length=1000)  # type: ignore[assignment]
    url: str = Field(max_length=500, pattern=r"^https?://\S+$")  # type: ignore[assignment]

    def fields(self) -> dict[str, Any]:
        return {"steps": [], "keywords": [], "body": "", "review_by": None,
                **self.model_dump(exclude={"owner"})}


class NewGuide(GuideFields):
    municipality: str | None = Field(None, pattern=r"^\d{4}$",
                                     description="kommunekode; default: the editor's own")

    def fields(self) -> dict[str, Any]:
        out = super().fields()
        out.pop("municipality", None)
        return out


class Pick(BaseModel):
    version: int | None = Field(None, ge=1, description="default: the newest draft")


async def desk_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a desk call in the thread pool; its refusals become HTTP errors."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except Invalid as exc:
        raise HTTPException(status_code=422, detail=[
            {"loc": ["body"], "msg": p, "type": "value_error"} for p in exc.problems]) \
            from None
    except GuideDeskError as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None


async def _go_live(sync: GuideSync | None) -> None:
    """This process answers from the change at once; a failure is left to the poller."""
    if sync is None:
        return
    try:
        await run_in_threadpool(sync.check)
    except Exception as exc:
        log.error("guides.sync_failed", error=str(exc)[:200])


def _full(record: Any) -> dict[str, Any]:
    out = record.as_dict()
    out["latest"] = record.latest.as_dict()
    out["published"] = record.published.as_dict() if record.published else None
    return out


@router.get("")
async def list_guides(who: SignedInDep, desk: GuideDeskDep,
                      municipality: str | None = Query(None, pattern=r"^\d{4}$")
                      ) -> list[dict[str, Any]]:
    """A municipality's guides with their status (draft, published, retired), newest
    version, published version and the draft waiting for review."""
    records = await desk_call(desk.listing, who.account, municipality)
    return [r.as_dict() for r in records]


@router.post("", status_code=201)
async def create_guide(body: NewGuide, who: SignedInDep, desk: GuideDeskDep
                       ) -> dict[str, Any]:
    """A new local guide, as a draft (version 1)."""
    code = body.municipality or (who.account.municipality
                                 if who.account.role != "admin" else None)
    record = await desk_call(desk.create, who.account, code, body.fields(), body.owner)
    return _full(record)


@router.get("/due")
async def due_for_review(who: SignedInDep, desk: GuideDeskDep, settings: SettingsDep,
                         days: int | None = Query(None, ge=0, le=365)) -> list[dict[str, Any]]:
    """Published guides past their review-by date or within `days` of it (default
    `DDH_GUIDES_REVIEW_DAYS`): the account's own municipality (administrators: all)."""
    scope = None if who.account.role == "admin" else who.account.municipality
    if who.account.role not in ("admin", "manager", "editor"):
        raise HTTPException(status_code=403, detail="for editors, managers and administrators")
    due = await run_in_threadpool(desk.due_for_review, datetime.now(TZ).date(),
                                  settings.guides_review_days if days is None else days, scope)
    return [d.as_dict() for d in due]


@router.get("/{guide_id}")
async def get_guide(guide_id: str, who: SignedInDep, desk: GuideDeskDep) -> dict[str, Any]:
    return _full(await desk_call(desk.guide, who.account, guide_id))


async def _edit(guide_id: str, body: GuideChange, who: Any, desk: GuideDesk,
                partial: bool) -> dict[str, Any]:
    version = await desk_call(desk.edit, who.account, guide_id, body.fields(), partial,
                          body.owner)
    return version.as_dict()


@router.put("/{guide_id}")
async def replace_guide(guide_id: str, body: GuideFields, who: SignedInDep,
                        desk: GuideDeskDep) -> dict[str, Any]:
    """A new draft version with exactly these fields."""
    return await _edit(guide_id, body, who, desk, partial=False)


@router.patch("/{guide_id}")
async def change_guide(guide_id: str, body: GuideChange, who: SignedInDep,
                       desk: GuideDeskDep) -> dict[str, Any]:
    """A new draft version: the newest version with these fields changed."""
    return await _edit(guide_id, body, who, desk, partial=True)


@router.post("/{guide_id}/submit")
async def submit_guide(guide_id: str, who: SignedInDep, desk: GuideDeskDep) -> dict[str, Any]:
    """The newest draft is ready for review by a second person."""
    return (await desk_call(desk.submit, who.account, guide_id)).as_dict()


@router.post("/{guide_id}/publish")
async def publish_guide(guide_id: str, who: SignedInDep, desk: GuideDeskDep,
                        sync: GuideSyncDep, body: Pick | None = None) -> dict[str, Any]:
    """A second account of the municipality (not the author), or a DDH administrator,
    publishes the draft: live in chat and voice within seconds."""
    record = await desk_call(desk.publish, who.account, guide_id, body.version if body else None)
    await _go_live(sync)
    return _full(record)


@router.post("/{guide_id}/retire")
async def retire_guide(guide_id: str, who: SignedInDep, desk: GuideDeskDep,
                       sync: GuideSyncDep) -> dict[str, Any]:
    """The guide is no longer answered from; its history stays."""
    record = await desk_call(desk.retire, who.account, guide_id)
    await _go_live(sync)
    return _full(record)


@router.get("/{guide_id}/history")
async def guide_history(guide_id: str, who: SignedInDep, desk: GuideDeskDep
                        ) -> list[dict[str, Any]]:
    """Every version, oldest first, with its status, author and reviewer."""
    return [v.as_dict() for v in await desk_call(desk.history, who.account, guide_id)]


@router.get("/{guide_id}/diff")
async def guide_diff(guide_id: str, who: SignedInDep, desk: GuideDeskDep,
                     old: int = Query(..., alias="from", ge=1),
                     new: int = Query(..., alias="to", ge=1)) -> dict[str, Any]:
    """The unified diff of two versions as Markdown files (difflib)."""
    lines = await desk_call(desk.diff, who.account, guide_id, old, new)
    return {"from": old, "to": new, "diff": "\n".join(lines), "lines": lines}


@router.post("/{guide_id}/restore", status_code=201)
async def restore_guide(guide_id: str, body: Pick, who: SignedInDep,
                        desk: GuideDeskDep) -> dict[str, Any]:
    """An old version comes back as a new draft, to be reviewed like any edit."""
    if body.version is None:
        raise HTTPException(status_code=422, detail="give the version to restore")
    return (await desk_call(desk.restore, who.account, guide_id, body.version)).as_dict()


@pages.get("/admin/guides", response_class=HTMLResponse)
async def guides_page(request: Request, accounts: AccountsDep, registry: RegistryDep,
                      desk: GuideDeskDep, settings: SettingsDep) -> Response:
    """The editor's page (templates/guides.html, static/guides.js); not signed in: to
    the console's sign-in."""
    who = await run_in_threadpool(accounts.session, request.cookies.get(COOKIE))
    if who is None:
        return RedirectResponse("/agent", status_code=303)
    viewer = who.account
    if viewer.role not in ("admin", "manager", "editor"):
        raise HTTPException(status_code=403, detail="for editors, managers and administrators")
    scope = None if viewer.role == "admin" else viewer.municipality
    due = await run_in_threadpool(desk.due_for_review, datetime.now(TZ).date(),
                                  settings.guides_review_days, scope)
    topics = sorted(((t.slug, t.name) for t in registry.topics.values()
                     if t.slug not in ("andet-kommunalt", "krise")), key=lambda t: t[1])
    context = {
        "viewer": viewer,
        "scope": registry.municipalities[scope].name if scope in registry.municipalities
        else "alle kommuner",
        "municipality": scope or "", "topics": topics, "alerts": due,
        "topics_json": json.dumps(dict(topics), ensure_ascii=False),
        "review_days": settings.guides_review_days,
    }
    return templates.TemplateResponse(request, "guides.html", context)
