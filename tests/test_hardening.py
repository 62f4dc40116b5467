"""The gateway hardened like a public service (issue 18): sign-in throttling and
security headers, over a real server.

Throttling: wrong passwords count per account and per client address in tiers (a
minute, an hour, a day); once a tier is used up the next try is refused with 429, a
`Retry-After` and a Danish message, even with the right password; other accounts and
right passwords are not affected. Shared through Redis when it is configured.
"""

from __future__ import annotations

import httpx
import pytest

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from gateway.floods import Floodgate
from handoff.accounts import Accounts
from store.outcomes import OutcomeStore, database_url
from tests.servers import redis_server, serve_app

PASSWORD = "korrekt-hest-batteri"


@pytest.fixture
def gateway(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    for name in ("anne", "bo"):
        accounts.add(name, name.title(), "agent", "0751", ("pas",), PASSWORD)
    settings = knowledge.settings.model_copy(update={"allowed_origins":
                                                     ["https://www.aarhus.dk"]})
    with serve_app(create_app(settings, frontdesk=Frontdesk(knowledge, store))) as url:
        yield url
    store.close()


def _login(url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}/api/agent/login",
                      json={"username": username, "password": password})


def test_the_eleventh_wrong_password_in_a_minute_is_refused_even_when_right(gateway):
    for _ in range(10):
        assert _login(gateway, "anne", "forkert").status_code == 401
    refused = _login(gateway, "anne", PASSWORD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["detail"].startswith("For mange forkerte forsøg")
    assert _login(gateway, "ANNE", PASSWORD).status_code == 429  # the same account
    # another account is not locked by Anne's guesser (the address has room left)
    assert _login(gateway, "bo", PASSWORD).status_code == 200


def test_right_passwords_count_nothing(gateway):
    for _ in range(15):
        assert _login(gateway, "bo", PASSWORD).status_code == 200


def test_waits_grow_tier_by_tier_and_processes_count_together_through_redis():
    """The tiers give longer waits; two gateway processes (two Floodgates) on one
    Redis refuse together."""
    with redis_server() as redis:
        one = Floodgate("10 per second", "100 per second", "8 per 10 seconds", redis,
                        login_account="3 per minute; 5 per hour", login_client="100/day")
        two = Floodgate("10 per second", "100 per second", "8 per 10 seconds", redis,
                        login_account="3 per minute; 5 per hour", login_client="100/day")
        for gate in (one, two, one):
            assert gate.login_wait("anne", "10.0.0.1") == 0
            gate.login_failed("anne", "10.0.0.1")
        assert 0 < two.login_wait("anne", "10.0.0.2") <= 60  # the minute's tier
        # past the minute's tier (counted in Redis), the hour's is used up: a long wait
        for gate in (one, two):
            gate.login_failed("anne", "10.0.0.3")
        assert one.login_wait("anne", "10.0.0.3") > 60


@pytest.mark.parametrize("path", ["/", "/agent", "/admin", "/docs", "/api/chat/conversations"])
def test_every_page_has_security_headers(gateway, path):
    r = httpx.get(f"{gateway}{path}")
    h = r.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    csp = h["content-security-policy"]
    assert "object-src 'none'" in csp and "default-src 'self'" in csp
    if path == "/":  # the widget frames the chat on the municipal sites configured
        assert "frame-ancestors 'self' https://www.aarhus.dk" in csp
        assert "x-frame-options" not in h
    else:
        assert "frame-ancestors 'none'" in csp and h["x-frame-options"] == "DENY"
    if path != "/docs":
        assert "'unsafe-inline'" not in csp  # the pages have no inline script
    assert "strict-transport-security" not in h  # plain HTTP here; HSTS only over TLS


def test_hsts_behind_tls(gateway):
    r = httpx.get(f"{gateway}/agent", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"].startswith("max-age=")
