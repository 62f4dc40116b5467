"""A small OpenID Connect provider on a real socket, for the console's single sign-on.

Discovery document, authorization endpoint (it "signs in" whoever the test named and
redirects back with a code), token endpoint (an RS256 ID token with the nonce it was
given) and JWKS — the parts of the protocol a relying party uses.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey


class FakeIdP:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.user: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.base = ""
        self.app = self._app()

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict:
            return {"issuer": self.base, "authorization_endpoint": f"{self.base}/authorize",
                    "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks",
                    "response_types_supported": ["code"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "subject_types_supported": ["public"]}

        @app.get("/jwks")
        def jwks() -> dict:
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["client_id"] == self.client_id and q["response_type"] == "code"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": q.get("nonce"), "user": dict(self.user)}
            return RedirectResponse(f"{q['redirect_uri']}?" + urlencode(
                {"code": code, "state": q["state"]}), status_code=302)

        @app.post("/token")
        def token(request: Request, code: str = Form(...),
                  client_id: str | None = Form(None),
                  client_secret: str | None = Form(None)) -> JSONResponse:
            grant = self.codes.pop(code, None)
            if grant is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {"iss": self.base, "aud": self.client_id, "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], **grant["user"]}
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return JSONResponse({"access_token": secrets.token_urlsafe(16),
                                 "token_type": "Bearer", "expires_in": 300,
                                 "id_token": id_token})

        return app
