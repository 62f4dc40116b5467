"""Crisis notices (beredskab) for managers and administrators: publish, edit, end, and
the live volume of contacts each one answered (bot/notices.py does the work).

A municipality's manager acts on their own municipality's notices only (others are
404, as if they did not exist); a DDH administrator on any. Changes need the session's
CSRF token, like every console request; each is audited by the notice board.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.notices import Notice, NoticeError
from bot.schedule import TZ
from gateway.api.deps import NoticesDep, RegistryDep, SignedInDep
from handoff.accounts import Account

router = APIRouter(prefix="/admin/notices", tags=["admin"])


async def editor(who: SignedInDep) -> Account:
    if who.account.role not in ("admin", "manager"):
        raise HTTPException(status_code=403, detail="for managers and administrators")
    return who.account


Editor = Annotated[Account, Depends(editor)]


class NewNotice(BaseModel):
    municipality: str | None = Field(None, pattern=r"^\d{4}$",
                                     description="kommunekode; a manager's own is used")
    title: str = Field(min_length=3, max_length=200)
    text: str = Field(min_length=10, max_length=1500,
                      description="what citizens are told, in Danish; read aloud on calls")
    keywords: list[str] = Field(default_factory=list, max_length=20,
                                description="words citizens use about it, e.g. drikkevand")
    expires_at: datetime | None = Field(None, description="aware time; or use hours")
    hours: float | None = Field(None, gt=0, le=24 * 30)


class NoticeChange(BaseModel):
    title: str | None = Field(None, min_length=3, max_length=200)
    text: str | None = Field(None, min_length=10, max_length=1500)
    keywords: list[str] | None = Field(None, max_length=20)
    expires_at: datetime | None = None
    hours: float | None = Field(None, gt=0, le=24 * 30)


def _expiry(expires_at: datetime | None, hours: float | None) -> datetime | None:
    if hours is not None:
        return datetime.now(UTC) + timedelta(hours=hours)
    if expires_at is not None and expires_at.tzinfo is None:
        raise HTTPException(status_code=422, detail="expires_at needs a time zone offset")
    return expires_at


def _own(account: Account, notice: Notice | None, notice_id: str) -> Notice:
    if notice is None or (account.role == "manager" and
                          notice.municipality != account.municipality):
        raise HTTPException(status_code=404, detail=f"no notice {notice_id}")
    return notice


@router.get("")
async def list_notices(viewer: Editor, notices: NoticesDep) -> list[dict[str, Any]]:
    """Live and recent notices with their contacts (all, and the last hour)."""
    scope = viewer.municipality if viewer.role == "manager" else None
    return await run_in_threadpool(notices.volumes, scope)


@router.post("", status_code=201)
async def publish(body: NewNotice, account: Editor, notices: NoticesDep,
                  registry: RegistryDep) -> dict[str, Any]:
    code = account.municipality if account.role == "manager" else body.municipality
    if not code or code not in registry.municipalities:
        raise HTTPException(status_code=422, detail="a notice needs a known municipality")
    expires = _expiry(body.expires_at, body.hours)
    if expires is None:
        raise HTTPException(status_code=422, detail="give expires_at or hours")
    try:
        notice = await run_in_threadpool(notices.publish, account.username, code, body.title,
                                         body.text, expires, body.keywords)
    except NoticeError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return notice.as_dict()


@router.patch("/{notice_id}")
async def edit(notice_id: str, body: NoticeChange, account: Editor,
               notices: NoticesDep) -> dict[str, Any]:
    _own(account, await run_in_threadpool(notices.get, notice_id), notice_id)
    try:
        notice = await run_in_threadpool(
            lambda: notices.edit(account.username, notice_id, title=body.title,
                                 text=body.text, keywords=body.keywords,
                                 expires_at=_expiry(body.expires_at, body.hours)))
    except NoticeError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return notice.as_dict()


@router.post("/{notice_id}/end")
async def end(notice_id: str, account: Editor, notices: NoticesDep) -> dict[str, Any]:
    _own(account, await run_in_threadpool(notices.get, notice_id), notice_id)
    return (await run_in_threadpool(notices.end, account.username, notice_id)).as_dict()


def rows(volumes: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """The notices as the dashboard's beredskab table shows them (templates/_notices.html):
    the municipality by name, the expiry in local time."""
    return [{**v, "municipality": names.get(v["municipality"], v["municipality"]),
             "until": datetime.fromisoformat(v["expires_at"]).astimezone(TZ)
             .strftime("%d.%m %H:%M")} for v in volumes]
