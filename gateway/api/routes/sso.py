"""Single sign-on for municipal staff (OpenID Connect, Authlib), by configuration.

With `DDH_OIDC_ISSUER`, `DDH_OIDC_CLIENT_ID` and `DDH_OIDC_CLIENT_SECRET` set, the
console offers "Log ind med kommunens login": `GET /agent/sso` sends the browser to the
identity provider (authorization code flow with state and nonce), and
`GET /agent/sso/callback` checks the ID token (signature from the provider's JWKS,
issuer, audience, expiry, nonce) and signs in the account whose username equals the
configured claim (`DDH_OIDC_USERNAME_CLAIM`, default `preferred_username`). Accounts
are provisioned with `ddh users add NAME --sso`, so role, municipality and skills stay
under DDH's control; an unknown or disabled user is refused.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import COOKIE, AccountsDep, OidcDep, SettingsDep

router = APIRouter(tags=["agent"])


@router.get("/agent/sso", include_in_schema=False)
async def sso_start(request: Request, client: OidcDep) -> Any:
    return await client.authorize_redirect(request, str(request.url_for("sso_callback")))


@router.get("/agent/sso/callback", name="sso_callback", include_in_schema=False)
async def sso_callback(request: Request, client: OidcDep, settings: SettingsDep,
                       accounts: AccountsDep) -> RedirectResponse:
    from authlib.integrations.base_client import OAuthError

    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        raise HTTPException(status_code=401, detail=f"sign-in refused: {exc.error}") from exc
    claims = token.get("userinfo") or {}
    username = claims.get(settings.oidc_username_claim)
    who = await run_in_threadpool(accounts.login_sso, str(username)) if username else None
    if who is None:
        raise HTTPException(status_code=403, detail="no console account for this login")
    await run_in_threadpool(accounts.audit, who.account, "login", "console (sso)")
    response = RedirectResponse("/agent", status_code=303)
    response.set_cookie(COOKIE, who.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response
