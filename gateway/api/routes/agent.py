"""Console sign-in and role-scoped reading of conversations.

The session cookie is HttpOnly and SameSite=Strict (Secure over HTTPS); state-changing
requests also need the session's CSRF token in `X-CSRF-Token`. A conversation of
another municipality answers 404 to a manager, exactly as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from gateway.api.deps import FrontdeskDep
from handoff.accounts import Accounts, SignedIn

router = APIRouter(tags=["agent"])
COOKIE = "ddh_session"


def get_accounts(conn: HTTPConnection) -> Accounts:
    store = conn.app.state.frontdesk.store if conn.app.state.frontdesk else None
    if store is None:
        raise HTTPException(status_code=503, detail="no outcome store")
    accounts = getattr(conn.app.state, "accounts", None)
    if accounts is None:
        accounts = conn.app.state.accounts = Accounts(store)
    return accounts


AccountsDep = Annotated[Accounts, Depends(get_accounts)]


async def signed_in(request: Request, accounts: AccountsDep) -> SignedIn:
    who = await run_in_threadpool(accounts.session, request.cookies.get(COOKIE))
    if who is None:
        raise HTTPException(status_code=401, detail="not signed in")
    if request.method not in ("GET", "HEAD", "OPTIONS") and \
            request.headers.get("x-csrf-token") != who.csrf:
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
    return who


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


class Login(BaseModel):
    username: str = Field(max_length=120)
    password: str = Field(max_length=500)


def _me(who: SignedIn) -> dict[str, Any]:
    a = who.account
    return {"username": a.username, "name": a.name, "role": a.role,
            "municipality": a.municipality, "skills": list(a.skills), "csrf": who.csrf}


@router.post("/agent/login")
async def login(body: Login, request: Request, response: Response,
                accounts: AccountsDep) -> dict[str, Any]:
    who = await run_in_threadpool(accounts.login, body.username, body.password)
    if who is None:
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
async def console_config(request: Request) -> dict[str, bool]:
    """What the sign-in page offers (single sign-on only when configured)."""
    settings = request.app.state.settings
    return {"sso": bool(settings.oidc_issuer and settings.oidc_client_id)}


@router.get("/agent/me")
async def me(who: SignedInDep) -> dict[str, Any]:
    return _me(who)


@router.get("/conversations/{conversation_id}")
async def conversation(conversation_id: str, who: SignedInDep, accounts: AccountsDep,
                       frontdesk: FrontdeskDep) -> dict[str, Any]:
    """A conversation with its redacted transcript; the view is audited."""
    conv = await run_in_threadpool(frontdesk.store.conversation, conversation_id)
    if conv is None or not who.account.may_read(conv["municipality"]):
        raise HTTPException(status_code=404, detail="no such conversation")
    await run_in_threadpool(accounts.audit, who.account, "view_transcript",
                            f"conversation:{conversation_id}")
    return conv
