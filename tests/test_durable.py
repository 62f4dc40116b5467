"""Durable conversations (issue 17): nothing a citizen said lives in one process only.

- the frontdesk's conversation state is in the store: a restarted or second process
  continues a conversation where the first left it;
- a re-sent message (same id) is answered with what was answered, by any process, and
  recorded once;
- the chat log is in the store: after a restart the conversation id is valid, `since`
  resumes it and a re-sent id is answered from the log; two gateways serve one chat;
- draining: `/readyz` 503, new chats refused, sockets told to reconnect (1012).

Real components: the frontdesk over the real index, SQLite (and PostgreSQL when it is
installed), real uvicorn servers, real WebSocket clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.frontdesk import Frontdesk, TurnInput
from ddh.vocabulary import Action, Channel
from gateway.app import create_app
from store.outcomes import OutcomeStore, database_url
from tests.postgres import pg_bin, postgres_server
from tests.servers import DDH, ROOT, free_port, serve_app, wait_ok

EXPORTS = Path(__file__).parent / "fixtures" / "exports"  # a small corpus to serve
QUESTIONS = ["jeg har mistet mit pas", "hvordan bestiller jeg et sundhedskort",
             "min MitID virker ikke", "hvornår bliver storskrald hentet",
             "jeg vil gerne tale med en medarbejder", "hvad koster et kørekort",
             "tak for hjælpen", "Aarhus", "8000", "ja", "nej"]


@contextlib.contextmanager
def store_url(kind: str, tmp_path_factory) -> Iterator[str]:
    if kind == "sqlite":
        yield database_url(None, tmp_path_factory.mktemp("durable"))
        return
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed")
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def url(request, tmp_path_factory):
    with store_url(request.param, tmp_path_factory) as u:
        yield u


def process(knowledge, url: str) -> Frontdesk:
    """A frontdesk as a new gateway process would have it: its own store connection
    and nothing in memory."""
    return Frontdesk(knowledge, OutcomeStore(url))


def turn(desk: Frontdesk, cid: str, text: str, mid: str | None = None):
    return desk.handle(TurnInput(cid, text, Channel.CHAT, "0751", message_id=mid))


def test_a_new_process_continues_where_the_old_one_left(knowledge, url):
    a = process(knowledge, url)
    a.open("restart-1", "chat", "0751")
    turn(a, "restart-1", "jeg har mistet mit pas")
    left = a.states.peek("restart-1")
    assert left is not None
    b = process(knowledge, url)  # the restarted process
    turn(b, "restart-1", "tak for hjælpen")
    now = b.states.peek("restart-1")
    assert now is not None and now.turns == 2 and now.disclosed
    assert now.transcript[:2] == left.transcript  # the conversation so far came along
    assert now.last_guides[:len(left.last_guides)] == left.last_guides
    assert b.store is not None and b.store.conversation("restart-1")["turns"] == 2


def test_two_processes_take_turns_of_one_conversation(knowledge, url):
    a, b = process(knowledge, url), process(knowledge, url)
    a.open("two-1", "chat", "0751")
    for i, text in enumerate(QUESTIONS[:6]):
        turn((a, b)[i % 2], "two-1", text, f"m{i}")
    assert a.store is not None
    stored = a.store.conversation("two-1")
    assert stored["turns"] == 6
    assert [d["seq"] for d in stored["decisions"]] == list(range(1, 7))
    # each process saw the other's turns: the transcript holds all six questions
    last = b.states.peek("two-1")
    assert last is not None and [t.text for t in last.transcript if t.role == "citizen"] == \
        QUESTIONS[:6]


def test_turns_of_one_conversation_at_two_processes_at_once_are_taken_in_turn(knowledge,
                                                                              url):
    """Two processes get turns of the same conversation at the same moment (a page
    that re-sent over a balancer): each turn waits for the other's lease, so none
    overwrites another and every message is one numbered turn."""
    a, b = process(knowledge, url), process(knowledge, url)
    a.open("race-1", "chat", "0751")
    texts = [f"{q} ({i})" for i, q in enumerate(QUESTIONS[:5] * 2)]
    errors: list[BaseException] = []

    def run(desk: Frontdesk, mine: list[tuple[int, str]]) -> None:
        try:
            for i, text in mine:
                turn(desk, "race-1", text, f"r{i}")
        except BaseException as exc:
            errors.append(exc)

    work = list(enumerate(texts))
    threads = [threading.Thread(target=run, args=(d, work[k::2]))
               for k, d in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert a.store is not None
    stored = a.store.conversation("race-1")
    assert [d["seq"] for d in stored["decisions"]] == list(range(1, 11))
    said = [t["text"] for t in stored["transcript"] if t["role"] == "citizen"]
    assert sorted(said) == sorted(texts)  # every message, once
    last = process(knowledge, url)
    turn(last, "race-1", "tak for hjælpen")
    held = last.states.peek("race-1")
    assert held is not None and held.turns == 11
    assert len([t for t in held.transcript if t.role == "citizen"]) == 11


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(QUESTIONS), min_size=1, max_size=4),
       st.lists(st.integers(0, 3), min_size=1, max_size=6))
def test_a_resent_message_is_answered_once_by_any_process(knowledge, url, texts, resend):
    """Messages, then some of them again (to the same or another process): each id is
    one turn in the store, and a re-sent one gets the reply it got the first time."""
    a, b = process(knowledge, url), process(knowledge, url)
    cid = f"resend-{id(texts)}-{len(resend)}-{hash(tuple(texts)) & 0xffff}"
    first = {f"m{i}": turn(a, cid, t, f"m{i}") for i, t in enumerate(texts)}
    for n, i in enumerate(resend):
        mid = f"m{i % len(texts)}"
        again = turn((a, b)[n % 2], cid, texts[i % len(texts)], mid)
        assert (again.reply, again.action, again.topic) == \
            (first[mid].reply, first[mid].action, first[mid].topic)
    assert a.store is not None
    assert a.store.conversation(cid)["turns"] == len(texts)


def test_an_ended_call_leaves_no_state_to_continue(knowledge, url):
    a = process(knowledge, url)
    turn(a, "ended-1", "jeg har mistet mit pas")
    assert a.store is not None and a.store.live.state("ended-1") is not None
    assert a.close("ended-1")
    assert a.store.live.state("ended-1") is None
    assert not process(knowledge, url).close("ended-1")  # nothing left to end twice


def test_idle_conversations_end_as_abandoned_and_may_be_taken_up_again(knowledge, url):
    a = process(knowledge, url)
    turn(a, "idle-1", "jeg har mistet mit pas")
    a.open("idle-2", "chat", "0751")  # opened, never written in
    assert a.store is not None
    later = datetime.now(UTC) + timedelta(hours=5)
    b = process(knowledge, url)  # any process may do it
    assert b.expire_idle(4 * 3600, later) >= 2
    for cid in ("idle-1", "idle-2"):
        assert a.store.conversation(cid)["ended_at"] is not None
        assert a.store.live.state(cid) is None
    assert a.store.conversation("idle-1")["outcome"] == "resolved_bot"  # it was answered
    assert a.store.conversation("idle-2")["outcome"] == "abandoned"
    assert b.expire_idle(4 * 3600, later) == 0  # ended once
    # the citizen comes back to the page hours later: the turn is recorded as the second
    turn(b, "idle-1", "tak for hjælpen")
    assert a.store.conversation("idle-1")["turns"] == 2


def test_a_call_whose_process_died_is_recorded_as_dropped(knowledge, url):
    """A call's process renews its lease while the call lives; one that died stops,
    and another process records the call as dropped (our failure, shown as such even
    after an answer), while a call still renewing is left alone."""
    dead, alive = process(knowledge, url), process(knowledge, url)
    for desk, cid in ((dead, "call-dead"), (alive, "call-alive")):
        desk.open(cid, "voice", "0751")
        desk.handle(TurnInput(cid, "jeg har mistet mit pas", Channel.VOICE, "0751"))
        desk.keep_alive(cid, ttl_s=0.5)
    # one that died while the caller was still on their first question: greeted only
    dead.open("call-greeted", "voice", "0751")
    dead.keep_alive("call-greeted", ttl_s=0.5)
    for _ in range(8):  # only the living one keeps renewing
        time.sleep(0.2)
        alive.keep_alive("call-alive", ttl_s=0.5)
    other = process(knowledge, url)
    assert other.expire_dropped(lease_s=1.0) == 2
    assert other.store is not None
    for cid in ("call-dead", "call-greeted"):
        ended = other.store.conversation(cid)
        assert ended["outcome"] == "dropped" and ended["ended_at"] is not None
    assert other.store.conversation("call-alive")["ended_at"] is None
    assert other.expire_dropped(lease_s=1.0) == 0  # recorded once


# --- the chat channel over real servers -----------------------------------------------

def open_chat(base: str) -> dict:
    r = httpx.post(f"{base}/api/chat/conversations", json={"municipality": "0751"})
    assert r.status_code == 201, r.text
    return r.json()


def ws(base: str, cid: str) -> str:
    return base.replace("http://", "ws://") + f"/api/chat/ws/{cid}"


async def say(base: str, cid: str, mid: str, text: str) -> list[dict]:
    """Connect and send one message: the logged events that carry and answer it."""
    async with websockets.connect(ws(base, cid)) as sock:
        await sock.send(json.dumps({"type": "message", "id": mid, "text": text}))
        got: list[dict] = []
        while True:
            ev = json.loads(await asyncio.wait_for(sock.recv(), 20))
            if ev["type"] == "message" and mid in (ev.get("id"), ev.get("reply_to")):
                got.append(ev)
                if ev.get("reply_to") == mid:
                    return got


async def resume(base: str, cid: str, since: int) -> list[dict]:
    """Connect and resume: the events after `since` (until the socket is quiet)."""
    async with websockets.connect(ws(base, cid)) as sock:
        await sock.send(json.dumps({"type": "resume", "since": since}))
        got: list[dict] = []
        with contextlib.suppress(TimeoutError):
            while True:
                got.append(json.loads(await asyncio.wait_for(sock.recv(), 1.0)))
        return got


def gateway(knowledge, url: str):
    desk = process(knowledge, url)
    return create_app(knowledge.settings, frontdesk=desk), desk


def test_a_chat_survives_a_restart(knowledge, url):
    app, _ = gateway(knowledge, url)
    with serve_app(app) as base:
        conv = open_chat(base)
        first = asyncio.run(say(base, conv["id"], "a1", "jeg har mistet mit pas"))
    app, desk = gateway(knowledge, url)  # a new process on the same store
    with serve_app(app) as base:
        log = httpx.get(f"{base}/api/chat/conversations/{conv['id']}/messages").json()
        assert [e["seq"] for e in log] == [1, 2, 3] and log[2]["text"] == first[-1]["text"]
        # the page re-sends a1 (it saw no reply) and goes on
        resumed = asyncio.run(resume(base, conv["id"], 1))
        assert [e["seq"] for e in resumed] == [2, 3]
        again = asyncio.run(say(base, conv["id"], "a1", "jeg har mistet mit pas"))
        assert [e["seq"] for e in again] == [2, 3] and again[-1]["text"] == first[-1]["text"]
        nxt = asyncio.run(say(base, conv["id"], "a2", "tak for hjælpen"))
        assert [e["seq"] for e in nxt] == [4, 5]
        assert httpx.get(f"{base}/api/chat/conversations/nope/messages").status_code == 404
    assert desk.store is not None and desk.store.conversation(conv["id"])["turns"] == 2


def test_two_gateways_serve_one_chat(knowledge, url):
    (app1, desk), (app2, _) = gateway(knowledge, url), gateway(knowledge, url)
    with serve_app(app1) as one, serve_app(app2) as two:
        conv = open_chat(one)
        cid = conv["id"]
        asyncio.run(say(one, cid, "b1", "jeg har mistet mit pas"))
        assert [e["seq"] for e in asyncio.run(resume(two, cid, 1))] == [2, 3]
        got = asyncio.run(say(two, cid, "b2", "hvad koster det"))
        assert [e["seq"] for e in got] == [4, 5]
        got = asyncio.run(say(one, cid, "b3", "tak for hjælpen"))
        assert [e["seq"] for e in got] == [6, 7]
        assert [e["seq"] for e in asyncio.run(resume(one, cid, 5))] == [6, 7]
        again = asyncio.run(say(two, cid, "b1", "jeg har mistet mit pas"))
        assert [e["seq"] for e in again] == [2, 3]  # answered from the log
    assert desk.store is not None and desk.store.conversation(cid)["turns"] == 3


def test_a_locked_store_does_not_hold_replies_and_loses_nothing(knowledge, tmp_path):
    """Another process holds the SQLite write lock for seconds: citizens open chats and
    get their replies meanwhile (from the journal's side), and once the lock is gone
    the store has every turn and every logged event, once."""
    import sqlite3

    url = database_url(None, tmp_path)
    app, desk = gateway(knowledge, url)
    with serve_app(app) as base:
        before = open_chat(base)["id"]
        blocker = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=1)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            during = open_chat(base)["id"]  # opened while locked
            got = {cid: asyncio.run(say(base, cid, "q1", "jeg har mistet mit pas"))
                   for cid in (before, during)}
            assert desk.store is not None and desk.store.pending > 0  # waiting on disk
        finally:
            blocker.rollback()  # the replies above came while the lock was held
            blocker.close()
        assert desk.store.flush(timeout_s=20)
        for cid in (before, during):
            assert [e["seq"] for e in got[cid]] == [2, 3]
            assert desk.store.conversation(cid)["turns"] == 1
            log = httpx.get(f"{base}/api/chat/conversations/{cid}/messages").json()
            assert [e["seq"] for e in log] == [1, 2, 3]
            assert log[2]["text"] == got[cid][-1]["text"]
        again = asyncio.run(say(base, during, "q1", "jeg har mistet mit pas"))
        assert [e["seq"] for e in again] == [2, 3]  # a re-send: from the log, not twice


def test_a_turn_in_flight_when_draining_starts_is_finished_and_delivered(knowledge, tmp_path,
                                                                         monkeypatch):
    """Draining starts while a turn is being handled: its reply still reaches the
    citizen on the same socket, the drain sees the work finish, and the next message
    on that socket is not started here but answered with "reconnect now" (1012)."""
    app, desk = gateway(knowledge, database_url(None, tmp_path))
    handle = desk.handle

    def slow(turn):  # the turn takes a while, so that the drain starts in the middle
        time.sleep(1.0)
        return handle(turn)

    monkeypatch.setattr(desk, "handle", slow)
    drain = app.state.drain
    with serve_app(app) as base:
        cid = open_chat(base)["id"]

        async def run() -> tuple[dict, bool, int | None]:
            async with websockets.connect(ws(base, cid)) as sock:
                await sock.send(json.dumps({"type": "message", "id": "d1",
                                            "text": "jeg har mistet mit pas"}))
                while json.loads(await sock.recv())["type"] != "typing":
                    pass
                drain.start()  # SIGTERM arrives now, mid-turn
                while True:
                    ev = json.loads(await asyncio.wait_for(sock.recv(), 10))
                    if ev["type"] == "message" and ev.get("reply_to") == "d1":
                        break
                await sock.send(json.dumps({"type": "message", "id": "d2", "text": "tak"}))
                with contextlib.suppress(websockets.ConnectionClosed):
                    await asyncio.wait_for(sock.recv(), 5)
                return ev, drain.in_flight == 0, sock.close_code

        reply, finished, code = asyncio.run(run())
    assert reply["role"] == "bot" and reply["action"] == "answer"
    assert finished and code == 1012
    assert desk.store is not None and desk.store.conversation(cid)["turns"] == 1  # d2 not run


def test_a_draining_gateway_sends_citizens_elsewhere(knowledge, url):
    app, _ = gateway(knowledge, url)
    with serve_app(app) as base:
        conv = open_chat(base)
        assert httpx.get(f"{base}/readyz").status_code == 200
        app.state.drain.start()
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503 and "draining" in ready.json()["reason"]
        refused = httpx.post(f"{base}/api/chat/conversations", json={})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"

        async def closed_with() -> int | None:
            async with websockets.connect(ws(base, conv["id"])) as sock:
                with contextlib.suppress(websockets.ConnectionClosed):
                    await asyncio.wait_for(sock.recv(), 5)
                return sock.close_code

        assert asyncio.run(closed_with()) == 1012  # reconnect now, elsewhere


# --- SIGTERM on the real process ------------------------------------------------------

def ddh_process(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([DDH, "serve", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    if not wait_ok(f"{base}/readyz", timeout=120):
        proc.kill()
        raise RuntimeError("ddh serve did not become ready")
    return proc, base


async def chat_through_restart(base: str, convs: list[str], restart) -> dict[str, list]:
    """Every conversation sends one message at once, the gateway is stopped
    (`restart`: SIGTERM and a new process), and each client behaves as the page does:
    on a close it reconnects, resumes and re-sends its unanswered message. The replies
    each client got, by conversation."""
    got: dict[str, list[dict]] = {c: [] for c in convs}
    closes: list[int | None] = []
    sent = asyncio.Event()
    sending = set(convs)

    async def client(cid: str) -> None:
        # by time, not by tries: a refused connect returns at once, and a new process
        # on a loaded machine takes a while to listen
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                async with websockets.connect(ws(base_now[0], cid)) as sock:
                    await sock.send(json.dumps({"type": "resume", "since": 1}))
                    await sock.send(json.dumps({"type": "message", "id": f"{cid}-q",
                                                "text": "jeg har mistet mit sundhedskort"}))
                    sending.discard(cid)
                    if not sending:  # all sent: most are queued or mid-turn now
                        sent.set()
                    while True:
                        ev = json.loads(await asyncio.wait_for(sock.recv(), 30))
                        if ev["type"] == "message" and ev.get("reply_to") == f"{cid}-q":
                            got[cid].append({**ev, "_from": base_now[0]})
                            return
            except (websockets.ConnectionClosed, OSError) as exc:
                closes.append(getattr(getattr(exc, "rcvd", None), "code", None))
                await asyncio.sleep(0.3)
        raise AssertionError(f"{cid}: no reply within 120 s")

    base_now = [base]

    async def stopper() -> None:
        await sent.wait()
        base_now[0] = await asyncio.to_thread(restart)

    await asyncio.gather(stopper(), *(client(c) for c in convs))
    got["_closes"] = closes  # type: ignore[assignment]
    return got


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_stop_mid_turn_then_a_new_process_delivers_every_reply_once(tmp_path, sig):
    """The embedded default's restart guarantee: chats mid-turn when the process is
    stopped — drained on SIGTERM (it exits cleanly, having delivered the turns in
    flight), killed on SIGKILL — and a new process on the same store answers the rest:
    every message is answered exactly once and every id stays valid."""
    corpus = tmp_path / "guides"
    shutil.copytree(EXPORTS / "markdown", corpus)
    env = {"DDH_DATA_DIR": str(tmp_path / "var"), "DDH_GUIDES_DIR": str(corpus),
           "DDH_DRAIN_TIMEOUT_S": "20"}
    old, base = ddh_process(env)
    convs = [open_chat(base)["id"] for _ in range(20)]
    procs, bases = [old], [base]

    def restart() -> str:
        old.send_signal(sig)
        code = old.wait(timeout=40)
        assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
        new, new_base = ddh_process(env)
        procs.append(new)
        bases.append(new_base)
        return new_base

    try:
        got = asyncio.run(chat_through_restart(base, convs, restart))
        new_base = bases[-1]
        assert new_base != base
        closes = got.pop("_closes")
        by_old = sum(got[c][0]["_from"] == base for c in convs)
        if sig == signal.SIGTERM:
            assert closes.count(1012) >= 1  # told to reconnect, not cut off
        print(f"{sig.name}: {by_old} replies from the old process, {len(convs) - by_old} "
              f"after the restart; closes {closes[:25]}")
        for cid in convs:
            assert len(got[cid]) == 1, cid  # answered, once, to the client
            log = httpx.get(f"{new_base}/api/chat/conversations/{cid}/messages").json()
            replies = [e for e in log if e.get("reply_to") == f"{cid}-q"]
            assert len(replies) == 1 and replies[0]["seq"] == got[cid][0]["seq"]
            mine = [e for e in log if e.get("id") == f"{cid}-q"]
            assert len(mine) == 1  # the citizen's message logged once too
        store = OutcomeStore(database_url(None, tmp_path / "var"))
        assert all(store.conversation(c)["turns"] == 1 for c in convs)  # run once each
        store.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(QUESTIONS), max_size=3), st.integers(0, 167),
       st.sampled_from([None, "0751", "0615", "0101"]))
def test_a_hand_over_goes_to_a_person_and_says_why(knowledge, tmp_path_factory, said, hour,
                                                   municipality):
    """Whatever was said before and whenever it happens, a call that must end is
    transferred or ticketed, never left in a queue, and the caller is told why."""
    desk = process(knowledge, database_url(None, tmp_path_factory.mktemp("handover")))
    at = datetime(2026, 11, 23, tzinfo=ZoneInfo("Europe/Copenhagen")) + timedelta(hours=hour)
    cid = f"call-{hour}-{len(said)}"
    desk.open(cid, "voice", municipality, at=at)  # the greeting discloses the AI
    for text in said:
        desk.handle(TurnInput(cid, text, Channel.VOICE, municipality, at=at))
    r = desk.handle(TurnInput(cid, "", Channel.VOICE, municipality, at=at, hand_over=True))
    assert r.action in (Action.TICKET, Action.TRANSFER)
    assert r.reply.startswith("Jeg er nødt til at afslutte opkaldet")
    assert r.handoff is not None and r.handoff.kind == r.action
    assert desk.store is not None
    assert any(h["kind"] == str(r.action) for h in desk.store.conversation(cid)["handoffs"])


def test_a_call_that_outlives_the_drain_is_handed_over_with_a_word(tmp_path):
    """SIGTERM while a caller is on the line: the call goes on through the drain, then
    the caller hears why it must end and their need goes to a person (a ticket, or the
    call transferred), the line closes, and the process exits cleanly."""
    from evals.caller import TwilioCaller, synthesize
    from evals.voice import incoming

    corpus = tmp_path / "guides"
    shutil.copytree(EXPORTS / "markdown", corpus)
    env = {"DDH_DATA_DIR": str(tmp_path / "var"), "DDH_GUIDES_DIR": str(corpus),
           "DDH_DRAIN_TIMEOUT_S": "8"}
    proc, base = ddh_process(env)
    try:
        async def call() -> tuple[float, float | None, bool]:
            stream, params = await incoming(base, "CAdrain")
            async with websockets.connect(stream) as ws:
                caller = TwilioCaller(ws, call_sid="CAdrain")
                await caller.answered(params, within_s=60)
                await caller.send_audio(synthesize("Jeg har mistet mit sundhedskort.",
                                                   speed=140))
                await caller.wait_for_bot(time.monotonic(), within_s=30)
                stopped = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                # the caller stays on the line; the bot is quiet until it hands over
                await caller.wait_for_bot(stopped + 1.0, quiet_s=1.5, within_s=20)
                spoke = caller.first_sound_after(stopped + 1.0)
                for _ in range(100):  # and then the line closes
                    if caller.closed.is_set():
                        break
                    await caller.silence(0.1)
                return stopped, spoke, caller.closed.is_set()

        stopped, spoke, closed = asyncio.run(call())
        assert spoke is not None and spoke - stopped >= 3.0  # after the drain, a word
        assert closed
        assert proc.wait(timeout=30) == 0
        store = OutcomeStore(database_url(None, tmp_path / "var"))
        engine = store.engine
        with engine.connect() as db:
            rows = db.exec_driver_sql(
                "SELECT action, reason FROM decisions ORDER BY id DESC").all()
        store.close()
        action, reason = rows[0]
        assert action in ("ticket", "transfer") and "had to end" in reason
    finally:
        if proc.poll() is None:
            proc.kill()
