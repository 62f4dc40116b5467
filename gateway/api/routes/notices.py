"""Crisis notices (beredskab) for managers and administrators: publish, edit, end, and
the live volume of contacts each one answered (bot/notices.py does the work).

A municipality's manager acts on their own municipality's notices only (others are
404, as if they did not exist); a DDH administrator on any. Changes need the session's
CSRF token, like every console request; each is audited by the notice board.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.notices import Notice, NoticeBoard, NoticeError
from bot.schedule import TZ
from gateway.api.routes.agent import SignedInDep
from handoff.accounts import Account

router = APIRouter(prefix="/admin/notices", tags=["admin"])


def board(request: Request) -> NoticeBoard:
    notices = request.app.state.frontdesk.notices
    if notices is None:
        raise HTTPException(status_code=503, detail="no outcome store")
    return notices


BoardDep = Annotated[NoticeBoard, Depends(board)]


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
async def list_notices(viewer: Editor, notices: BoardDep) -> list[dict[str, Any]]:
    """Live and recent notices with their contacts (all, and the last hour)."""
    scope = viewer.municipality if viewer.role == "manager" else None
    return await run_in_threadpool(notices.volumes, scope)


@router.post("", status_code=201)
async def publish(body: NewNotice, request: Request, account: Editor,
                  notices: BoardDep) -> dict[str, Any]:
    code = account.municipality if account.role == "manager" else body.municipality
    if not code or code not in request.app.state.frontdesk.registry.municipalities:
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
               notices: BoardDep) -> dict[str, Any]:
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
async def end(notice_id: str, account: Editor, notices: BoardDep) -> dict[str, Any]:
    _own(account, await run_in_threadpool(notices.get, notice_id), notice_id)
    return (await run_in_threadpool(notices.end, account.username, notice_id)).as_dict()


def section(viewer: Account, volumes: list[dict[str, Any]], names: dict[str, str]) -> str:
    """The dashboard's beredskab section: the notices with their live volume (kept
    current by static/admin.js) and the form to publish one."""
    rows = "".join(_row(v, names) for v in volumes) or \
        '<tr class="empty"><td colspan="5">Ingen aktuelle beskeder.</td></tr>'
    where = "" if viewer.role == "manager" else (
        '<label>Kommune (kode) <input name="municipality" size="5" required '
        'pattern="\\d{4}"></label>')
    return f"""<section id="beredskab"><h2>Beredskab</h2>
<table class="table notices" data-names="{escape(json.dumps(names))}"><thead><tr>
<th>Besked</th><th>Kommune</th><th>Gælder til</th>
<th>Henvendelser</th><th>Sidste time</th></tr></thead><tbody>{rows}</tbody></table>
<form class="notice-form" id="notice-form">
<label>Overskrift <input name="title" required minlength="3" maxlength="200"></label>
<label>Tekst til borgerne <textarea name="text" required minlength="10" maxlength="1500"
rows="3"></textarea></label>
<label>Ord borgerne bruger (komma) <input name="keywords"
placeholder="drikkevand, vandet, kogeanbefaling"></label>
<label>Gælder i timer <input name="hours" type="number" min="1" max="720" value="24"></label>
{where}<button type="submit">Udsend besked</button>
<p class="chat__note" id="notice-status" role="status"></p></form></section>"""


def _row(v: dict[str, Any], names: dict[str, str]) -> str:
    until = datetime.fromisoformat(v["expires_at"]).astimezone(TZ).strftime("%d.%m %H:%M")
    state = "" if v["live"] else " (afsluttet)"
    end = (f' <button class="end" data-id="{escape(v["id"])}">Afslut</button>'
           if v["live"] else "")
    return (f'<tr data-id="{escape(v["id"])}"><td>{escape(v["title"])}{state}{end}</td>'
            f'<td>{escape(names.get(v["municipality"], v["municipality"]))}</td>'
            f'<td>{until}</td><td class="contacts">{v["contacts"]}</td>'
            f'<td class="last-hour">{v["contacts_last_hour"]}</td></tr>')
