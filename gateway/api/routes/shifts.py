"""The shift plan and marketplace (`/admin/shifts` and `/api/shifts…`), and the
jumpseat advice the agent console shows.

Signed in through the console (session cookie; changes need `X-CSRF-Token`). Agents,
managers and administrators read the week's plan; administrators plan a week; a
municipality's manager gives up its own shifts, picks open ones, marks jumpseats and
assigns its agents (administrators for any member); another municipality's manager
gets 403. The rules live in `handoff/shift_market.py`; every change is audited there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway import shift_views
from gateway.api.deps import (
    AccountsDep,
    ClockDep,
    FrontdeskDep,
    SettingsDep,
    SignedInDep,
    StoreDep,
    ViewerDep,
    page_viewer,
)
from gateway.pages import templates
from handoff.shift_market import ShiftError, ShiftForbidden, ShiftNotFound
from handoff.staffing import TZ

router = APIRouter(tags=["shifts"])
T = TypeVar("T")
Week = Annotated[date | None, Query(description="Any day of the week (default: this week)")]


def _now(clock: Any) -> datetime:
    return (clock() if clock is not None else datetime.now(TZ)).astimezone(TZ)


async def call(fn: Callable[..., T], *args: Any) -> T:
    """A shift-book call in the thread pool, its errors as HTTP answers."""
    try:
        return await run_in_threadpool(fn, *args)
    except ShiftForbidden as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    except ShiftNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except ShiftError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None


class PlanRequest(BaseModel):
    week: date | None = None  # any day of the week; default: next week


class PickRequest(BaseModel):
    municipality: str | None = Field(None, pattern=r"^\d{4}$")  # administrators only


class JumpseatRequest(BaseModel):
    jumpseat: bool


class AssignRequest(BaseModel):
    agent: str | None = Field(None, min_length=1, max_length=120)


class HopRequest(BaseModel):
    state: str = Field(pattern="^(off|on)$")


@router.get("/api/shifts")
async def week_json(who: SignedInDep, settings: SettingsDep, frontdesk: FrontdeskDep,
                    _store: StoreDep, clock: ClockDep, week: Week = None) -> dict[str, Any]:
    """The week's shifts (`plan`: date, start, end, seats), their seats (`shifts`: each
    with its owner, `open` on the marketplace, jumpseat, agent and the compensation for
    picking it) and the totals per municipality."""
    monday = shift_views.monday_of(week or _now(clock).date())
    book = shift_views.book(settings, frontdesk)
    shifts = await call(book.week, who.account, monday)
    return {"week": monday.isoformat(), "base_share": settings.shift_base_share,
            "rate_dkk_per_hour": settings.shift_rate_dkk_per_hour,
            "plan": shift_views.grouped(shifts), "shifts": shifts,
            "totals": await call(book.totals, monday)}


@router.post("/api/shifts/plan", status_code=201)
async def plan(who: SignedInDep, settings: SettingsDep, frontdesk: FrontdeskDep,
               _store: StoreDep, clock: ClockDep,
               body: PlanRequest | None = None) -> dict[str, Any]:
    """Plan a week (administrators): shifts from DDH's hours and the forecast, the base
    share allocated by size, the rest open. 409 when the week is planned already."""
    today = _now(clock).date()
    monday = shift_views.monday_of(body.week if body and body.week else
                                   date.fromordinal(today.toordinal() + 7))
    if who.account.role != "admin":
        raise HTTPException(status_code=403, detail="only DDH's administrators plan a week")
    seats = await run_in_threadpool(shift_views.plan_seats, settings, frontdesk, monday,
                                    today)
    book = shift_views.book(settings, frontdesk)
    await call(book.plan, who.account, monday, seats)
    return await call(book.totals, monday)


@router.post("/api/shifts/{shift_id}/give-up")
async def give_up(shift_id: int, who: SignedInDep, settings: SettingsDep,
                  frontdesk: FrontdeskDep, _store: StoreDep) -> dict[str, Any]:
    """The owning municipality gives the shift up: it goes to the marketplace."""
    return await call(shift_views.book(settings, frontdesk).give_up, who.account, shift_id)


@router.post("/api/shifts/{shift_id}/pick")
async def pick(shift_id: int, who: SignedInDep, settings: SettingsDep,
               frontdesk: FrontdeskDep, _store: StoreDep,
               body: PickRequest | None = None) -> dict[str, Any]:
    """An open shift becomes the manager's municipality's (administrators name one)."""
    return await call(shift_views.book(settings, frontdesk).pick, who.account, shift_id,
                      body.municipality if body else None)


@router.post("/api/shifts/{shift_id}/jumpseat")
async def mark_jumpseat(shift_id: int, body: JumpseatRequest, who: SignedInDep,
                        settings: SettingsDep, frontdesk: FrontdeskDep,
                        _store: StoreDep) -> dict[str, Any]:
    return await call(shift_views.book(settings, frontdesk).mark_jumpseat, who.account,
                      shift_id, body.jumpseat)


@router.post("/api/shifts/{shift_id}/agent")
async def assign(shift_id: int, body: AssignRequest, who: SignedInDep,
                 settings: SettingsDep, frontdesk: FrontdeskDep,
                 _store: StoreDep) -> dict[str, Any]:
    """The agent (of the owning municipality) who works the shift."""
    return await call(shift_views.book(settings, frontdesk).assign, who.account, shift_id,
                      body.agent)


@router.get("/api/shifts/advice")
async def advice(who: SignedInDep, settings: SettingsDep, frontdesk: FrontdeskDep,
                 _store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """The signed-in agent's jumpseat advice now (`advice` null outside a jumpseat
    shift): "off" — hop off the line, "on" — stay on or come back."""
    return await run_in_threadpool(shift_views.advice, settings, frontdesk,
                                   who.account.username, _now(clock))


@router.post("/api/shifts/{shift_id}/hop")
async def hop(shift_id: int, body: HopRequest, who: SignedInDep, settings: SettingsDep,
              frontdesk: FrontdeskDep, _store: StoreDep, clock: ClockDep) -> dict[str, Any]:
    """The agent of a jumpseat shift hops off the line (a stretch of saved time
    begins) or back on (it ends)."""
    changed = await call(shift_views.book(settings, frontdesk).hop, who.account, shift_id,
                         body.state, _now(clock))
    return {"shift": shift_id, "state": body.state, "changed": changed}


@router.get("/api/shifts/saved")
async def saved(viewer: ViewerDep, settings: SettingsDep, store: StoreDep,
                clock: ClockDep, weeks: Annotated[int, Query(ge=1, le=52)] = 6,
                municipality: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None
                ) -> dict[str, Any]:
    """Hours jumpseat agents saved (off the line while the service level held), beside
    the pilot's 73 h 15 min in six weeks; a manager: their municipality's shifts."""
    scope = viewer.municipality if viewer.role == "manager" else municipality
    return await run_in_threadpool(shift_views.saved, settings, store, _now(clock), weeks,
                                   scope)


@router.get("/admin/shifts", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, accounts: AccountsDep, settings: SettingsDep,
               frontdesk: FrontdeskDep, store: StoreDep, clock: ClockDep,
               week: Week = None) -> Response:
    """The page (templates/shifts.html); not signed in: to the console's sign-in."""
    viewer = await page_viewer(request, accounts)
    if isinstance(viewer, RedirectResponse):
        return viewer
    now = _now(clock)
    monday = shift_views.monday_of(week or now.date())
    book = shift_views.book(settings, frontdesk)
    shifts = await call(book.week, viewer, monday)
    names = {c: m.name for c, m in frontdesk.registry.members.items()}
    context = {
        "viewer": viewer, "monday": monday, "days": shift_views.page_days(shifts, names),
        "totals": await call(book.totals, monday), "names": names,
        "previous": date.fromordinal(monday.toordinal() - 7),
        "next": date.fromordinal(monday.toordinal() + 7),
        "rate": settings.shift_rate_dkk_per_hour, "share": settings.shift_base_share,
        "saved": await run_in_threadpool(shift_views.saved, settings, store, now, 6,
                                         viewer.municipality if viewer.role == "manager"
                                         else None),
    }
    return templates.TemplateResponse(request, "shifts.html", context)
