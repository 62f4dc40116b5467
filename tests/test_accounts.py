"""Console accounts: argon2 passwords, sessions, CSRF, role scoping and the audit log —
through the real HTTP server and the real `ddh users` command."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from datetime import UTC, datetime

import httpx
import pytest
import websockets

from bot.frontdesk import Frontdesk
from ddh.vocabulary import Action
from gateway.app import create_app
from handoff.accounts import AccountError, Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store.outcomes import OutcomeStore, database_url
from store.records import HandoffPacket, TurnRecord
from tests.servers import DDH, serve_app

PASSWORD = "korrekt-hest-batteri"


@pytest.fixture(scope="module")
def console(knowledge, tmp_path_factory):
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("accounts")))
    accounts = Accounts(store)
    accounts.add("anne", "Anne Agent", "agent", "0751", ("pas", "mitid"), PASSWORD)
    accounts.add("morten", "Morten Manager", "manager", "0751", (), PASSWORD)
    accounts.add("vera", "Vera Manager", "manager", "0791", (), PASSWORD)
    for cid, code in (("aarhus-1", "0751"), ("viborg-1", "0791")):
        store.record(TurnRecord(
            conversation_id=cid, channel="chat", seq=1, at=datetime.now(UTC),
            citizen_text="mit pas er udløbet", bot_text="Sådan fornyer du dit pas.",
            language="da", action="answer", topic="pas", municipality=code,
            municipality_source="widget", reason="guide"))
    desk = HandoffDesk(MemoryBackend())
    for hid, code in (("h-aarhus", "0751"), ("h-viborg", "0791")):
        desk.offer(HandoffPacket(id=hid, kind=Action.HANDOFF, target="ddh", topic="pas",
                                 municipality=code, reason="r", summary=f"Borger fra {code}",
                                 channel="chat", created_at=datetime.now(UTC)),
                   f"{code}-waiting", "chat")
    front = Frontdesk(knowledge, store, handoffs=desk)
    with serve_app(create_app(knowledge.settings, frontdesk=front)) as url:
        yield url, accounts
    store.close()


def login(url: str, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=url)
    r = client.post("/api/agent/login", json={"username": username, "password": password})
    r.raise_for_status()
    client.headers["X-CSRF-Token"] = r.json()["csrf"]
    return client


def test_passwords_are_argon2_and_never_stored_plain(console):
    _, accounts = console
    with accounts.store.sessions() as s:
        from sqlalchemy import text

        hashes = [r[0] for r in s.execute(text("SELECT password_hash FROM users"))]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    with pytest.raises(AccountError):
        accounts.add("kort", "Kort Kode", "agent", password="kort")
    with pytest.raises(AccountError):
        accounts.add("m2", "Manager uden kommune", "manager", password=PASSWORD)


def test_login_cookie_is_httponly_strict_and_wrong_password_fails(console):
    url, _ = console
    r = httpx.post(f"{url}/api/agent/login", json={"username": "anne", "password": PASSWORD})
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 200 and "httponly" in cookie and "samesite=strict" in cookie
    bad = httpx.post(f"{url}/api/agent/login", json={"username": "anne", "password": "nej"})
    nobody = httpx.post(f"{url}/api/agent/login", json={"username": "x", "password": "nej"})
    assert bad.status_code == nobody.status_code == 401
    assert httpx.get(f"{url}/api/agent/me").status_code == 401


def test_csrf_token_is_required_for_changes(console):
    url, _ = console
    client = login(url, "anne")
    token = client.headers.pop("X-CSRF-Token")
    assert client.post("/api/agent/logout").status_code == 403
    assert client.post("/api/agent/logout", headers={"X-CSRF-Token": token}).status_code == 200
    assert client.get("/api/agent/me").status_code == 401  # the session is gone


def test_managers_see_only_their_municipality_and_views_are_audited(console):
    url, accounts = console
    morten, vera, anne = login(url, "morten"), login(url, "vera"), login(url, "anne")
    assert morten.get("/api/conversations/aarhus-1").status_code == 200
    assert morten.get("/api/conversations/viborg-1").status_code == 404  # not revealed
    assert vera.get("/api/conversations/viborg-1").status_code == 200
    assert vera.get("/api/conversations/aarhus-1").status_code == 404
    assert anne.get("/api/conversations/viborg-1").json()["transcript"]
    views = [(e["username"], e["object"]) for e in accounts.audit_log()
             if e["action"] == "view_transcript"]
    assert ("morten", "conversation:aarhus-1") in views
    assert ("anne", "conversation:viborg-1") in views
    assert ("morten", "conversation:viborg-1") not in views  # refused, so not viewed


def test_disabling_a_user_ends_their_session(console):
    url, accounts = console
    accounts.add("tmp", "Midlertidig", "agent", password=PASSWORD)
    client = login(url, "tmp")
    assert client.get("/api/agent/me").status_code == 200
    accounts.disable("tmp")
    assert client.get("/api/agent/me").status_code == 401


def test_ddh_users_command(tmp_path):
    env = {**os.environ, "DDH_DATA_DIR": str(tmp_path), "DDH_LOG_LEVEL": "WARNING"}

    def ddh(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([DDH, "users", *args], input=stdin, capture_output=True,
                              text=True, env=env, timeout=60)

    added = ddh("add", "bo", "--name", "Bo Agent", "--municipality", "0751",
                "--skills", "pas,koerekort", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert ddh("add", "bo", "--name", "Bo", "--sso").returncode == 1  # exists
    listed = ddh("list").stdout
    assert "bo" in listed and "pas,koerekort" in listed
    assert ddh("disable", "bo").returncode == 0
    assert "DISABLED" in ddh("list").stdout


def test_live_queue_is_scoped_by_role_over_the_websocket(console):
    url, _ = console
    ws_url = url.replace("http://", "ws://") + "/api/agent/ws"

    async def view(username: str | None) -> tuple[list[str], dict | None, int | None]:
        headers = {}
        if username:
            cookie = login(url, username).cookies.get("ddh_session")
            headers = {"Cookie": f"ddh_session={cookie}"}
        try:
            ws = await websockets.connect(ws_url, additional_headers=headers)
        except websockets.InvalidStatus as exc:  # refused before the handshake completed
            return [], None, exc.response.status_code
        async with ws:
            try:
                first = json.loads(await asyncio.wait_for(ws.recv(), 10))
            except websockets.ConnectionClosed:
                return [], None, ws.close_code
            seen = [e["municipality"] for e in first["entries"]]
            await ws.send(json.dumps({"type": "accept", "id": "h-viborg"}))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            while answer["type"] == "queue":
                answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return seen, answer, None

    morten = asyncio.run(view("morten"))
    vera = asyncio.run(view("vera"))
    assert morten[0] == ["0751"] and morten[1]["type"] == "error"  # managers watch only
    assert vera[0] == ["0791"] and vera[1]["type"] == "error"
    assert asyncio.run(view(None))[2] == 403  # no session, no socket
