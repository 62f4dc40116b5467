"""Console sign-in and role-scoped reading of conversations.

The session cookie is HttpOnly and SameSite=Strict (Secure over HTTPS); state-changing
requests also need the session's CSRF token in `X-CSRF-Token`. A conversation of
another municipality answers 404 to a manager, exactly as one that does not exist.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import (
    COOKIE,
    AccountsDep,
    FloodgateDep,
    SettingsDep,
    SignedInDep,
    StoreDep,
)
from handoff.accounts import SignedIn
from store.notes import notes_of

router = APIRouter(tags=["agent"])


class Login(BaseModel):
    username: str = Field(max_length=120)
    password: str = Field(max_length=500)


def _me(who: SignedIn) -> dict[str, Any]:
    a = who.account
    return {"username": a.username, "name": a.name, "role": a.role,
            "municipality": a.municipality, "skills": list(a.skills), "csrf": who.csrf}


@router.post("/agent/login")
async def login(body: Login, request: Request, response: Response,
                accounts: AccountsDep, floods: FloodgateDep) -> dict[str, Any]:
    """Sign in. Wrong passwords are counted per account and per address: too many, and
    the next try is refused (429, with `Retry-After`) even with the right password."""
    client = request.client.host if request.client else "unknown"
    wait = await run_in_threadpool(floods.login_wait, body.username, client)
    if wait > 0:
        seconds = math.ceil(wait)
        raise HTTPException(status_code=429, headers={"Retry-After": str(seconds)},
                            detail=f"For mange forkerte forsøg. Prøv igen om {seconds} "
                                   "sekunder.")
    who = await run_in_threadpool(accounts.login, body.username, body.password)
    if who is None:
        await run_in_threadpool(floods.login_failed, body.username, client)
        raise HTTPException(status_code=401, detail="wrong username or password")
    response.set_cookie(COOKIE, who.token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    await run_in_threadpool(accounts.audit, who.account, "login", "console")
    return _me(who)


@router.post("/agent/logout")
async def logout(who: SignedInDep, response: Response, accounts: AccountsDep) -> dict:
    await run_in_threadpool(accounts.logout, who.token)
    response.delete_cookie(COOKIE, path="/")
    return {"status": "signed out"}


@router.get("/agent/config")
async def console_config(settings: SettingsDep) -> dict[str, bool]:
    """What the sign-in page offers (single sign-on only when configured)."""
    return {"sso": bool(settings.oidc_issuer and settings.oidc_client_id)}


@router.get("/agent/me")
async def me(who: SignedInDep) -> dict[str, Any]:
    return _me(who)


@router.get("/conversations/{conversation_id}")
async def conversation(conversation_id: str, who: SignedInDep, accounts: AccountsDep,
                       store: StoreDep) -> dict[str, Any]:
    """A conversation with its redacted transcript and the agents' internal notes
    (`notes`); the view is audited."""
    conv = await run_in_threadpool(store.conversation, conversation_id)
    if conv is None or not who.account.may_read(conv["municipality"]):
        raise HTTPException(status_code=404, detail="no such conversation")
    await run_in_threadpool(accounts.audit, who.account, "view_transcript",
                            f"conversation:{conversation_id}")
    # agents' internal notes (never the citizen's), for colleagues and managers
    return {**conv, "notes": await run_in_threadpool(notes_of, store.sessions,
                                                     conversation_id)}
