"""Security headers on every HTTP response, as a public service's site is expected to send.

A plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which would wrap every
response body in a stream): it adds the headers when the response starts.

- `Content-Security-Policy`: scripts and styles from this host only (the pages have no
  inline script or style), connections to this host (HTTP and WebSocket), no plugins,
  forms posting here only. The citizen chat page ("/") may be framed by this host and
  the municipal sites in `DDH_ALLOWED_ORIGINS` (the widget); every other page by none.
  `/docs` and `/redoc` load FastAPI's documentation UI from its CDN with an inline
  start-up script, so they get a policy that allows exactly that.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
  `Permissions-Policy` (the microphone for the browser call, nothing else),
  `Cross-Origin-Opener-Policy: same-origin`, `X-Frame-Options: DENY` where nothing may
  frame the page, and `Strict-Transport-Security` when served over TLS.

`SchemeSessions`: the single sign-on round trip's session cookie is `Secure` when the
request came over TLS (directly or through the balancer's `X-Forwarded-Proto`), and
not on plain HTTP (a developer's machine), where a Secure cookie would be dropped.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EMBEDDABLE = ("/",)  # the chat page the widget frames
DOCS = ("/docs", "/redoc")
_BASE = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "font-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; "
         "object-src 'none'; base-uri 'self'; form-action 'self'")
_DOCS = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
         "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: "
         "https://fastapi.tiangolo.com; object-src 'none'; base-uri 'self'; "
         "frame-ancestors 'none'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, frame_sites: list[str]) -> None:
        self.app = app
        sites = " ".join(s.rstrip("/") for s in frame_sites)
        self.embeddable = f"{_BASE}; frame-ancestors 'self'{' ' + sites if sites else ''}"
        self.closed = f"{_BASE}; frame-ancestors 'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers(path, tls):
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, path: str, tls: bool) -> list[tuple[str, str]]:
        docs = path in DOCS
        framed = path in EMBEDDABLE
        out = [("content-security-policy", _DOCS if docs else
                self.embeddable if framed else self.closed),
               ("x-content-type-options", "nosniff"),
               ("referrer-policy", "same-origin"),
               ("permissions-policy", "microphone=(self), camera=(), geolocation=(), "
                                      "payment=(), usb=()"),
               ("cross-origin-opener-policy", "same-origin")]
        if not framed:
            out.append(("x-frame-options", "DENY"))
        if tls:
            out.append(("strict-transport-security", "max-age=31536000; includeSubDomains"))
        return out


class SchemeSessions:
    """Starlette's session middleware, with `Secure` cookies on TLS requests only."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.plain = SessionMiddleware(app, https_only=False, **options)
        self.tls = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tls = scope.get("scheme") in ("https", "wss")
        await (self.tls if tls else self.plain)(scope, receive, send)
