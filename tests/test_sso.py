"""Municipal single sign-on (OpenID Connect) against a fake provider on a real socket."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.accounts import Accounts
from store.outcomes import OutcomeStore, database_url
from tests.fake_oidc import FakeIdP
from tests.servers import serve_app


def test_sso_signs_in_a_provisioned_account_only(knowledge, tmp_path):
    idp = FakeIdP("ddh-console", "idp-secret")
    store = OutcomeStore(database_url(None, tmp_path))
    Accounts(store).add("mette@aarhus.dk", "Mette", "manager", "0751")  # --sso: no password
    with serve_app(idp.app) as issuer:
        idp.base = issuer
        settings = knowledge.settings.model_copy(update={
            "oidc_issuer": issuer, "oidc_client_id": "ddh-console",
            "oidc_client_secret": SecretStr("idp-secret"),
            "oidc_username_claim": "email"})
        with serve_app(create_app(settings, frontdesk=Frontdesk(knowledge, store))) as url:
            assert httpx.get(f"{url}/api/agent/config").json() == {"sso": True}
            # the round trip's cookie is Secure over TLS (here: said by the balancer)
            tls = httpx.get(f"{url}/agent/sso", headers={"X-Forwarded-Proto": "https"})
            assert "secure" in tls.headers["set-cookie"].lower()
            plain = httpx.get(f"{url}/agent/sso")
            assert "secure" not in plain.headers["set-cookie"].lower()
            with httpx.Client(follow_redirects=True, timeout=30) as browser:
                idp.user = {"sub": "u1", "email": "mette@aarhus.dk"}
                landed = browser.get(f"{url}/agent/sso")
                assert landed.status_code == 200 and landed.url.path == "/agent"
                me = browser.get(f"{url}/api/agent/me").json()
                assert (me["username"], me["role"], me["municipality"]) == (
                    "mette@aarhus.dk", "manager", "0751")
            with httpx.Client(follow_redirects=True, timeout=30) as stranger:
                idp.user = {"sub": "u2", "email": "someone@else.dk"}
                refused = stranger.get(f"{url}/agent/sso")
                assert refused.status_code == 403
                assert stranger.get(f"{url}/api/agent/me").status_code == 401
    # No password was ever set: the password login cannot be used for this account.
    assert Accounts(store).login("mette@aarhus.dk", "") is None
    store.close()
