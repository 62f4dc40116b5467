"""Floods cannot hurt other citizens (issue 17): opening chats is limited per client
address and in all, messages per conversation across its sockets, shared by every
gateway process through Redis, and a dead Redis locks nobody out.

Real components: real uvicorn servers over the real frontdesk, a real `redis-server`.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import parse

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from gateway.floods import Floodgate, MovingWindows
from store.outcomes import OutcomeStore, database_url
from tests.chat_client import ask
from tests.servers import redis_server, serve_app


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 20), st.lists(st.integers(0, 3), max_size=40))
def test_the_limits_count_as_configured(per_client, overall, clients):
    gate = Floodgate(f"{per_client} per minute", f"{overall} per minute", "3 per minute")
    opened: dict[int, int] = {}
    total = 0
    for c in clients:
        ok = gate.may_open(f"10.0.0.{c}")
        expected = opened.get(c, 0) < per_client and total < overall
        assert ok == expected
        if ok:
            opened[c] = opened.get(c, 0) + 1
            total += 1


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5), st.integers(1, 30),
       st.lists(st.tuples(st.floats(0, 12), st.integers(0, 4), st.booleans()), max_size=80))
def test_moving_windows_match_a_brute_force_count(amount, seconds, events):
    """In this process the windows are our own (gateway/floods.py): any hit sequence,
    time moving on by random steps, gives what counting every earlier hit gives."""
    now = [0.0]
    windows = MovingWindows(clock=lambda: now[0])
    windows.SWEEP_EVERY = 3  # sweeping often must not change an answer
    limit = parse(f"{amount} per {seconds} seconds")
    taken: dict[int, list[float]] = {}
    for step, key, take in events:
        now[0] += step
        recent = [t for t in taken.get(key, []) if t > now[0] - seconds]
        expected = len(recent) < amount
        got = windows.hit(limit, str(key)) if take else windows.test(limit, str(key))
        assert got == expected
        if got and take:
            taken.setdefault(key, []).append(now[0])


def test_stale_keys_are_swept_so_ended_conversations_cost_no_memory():
    now = [0.0]
    windows = MovingWindows(clock=lambda: now[0])
    limit = parse("8 per 10 seconds")
    for i in range(2 * MovingWindows.SWEEP_EVERY):
        now[0] += 0.01
        windows.hit(limit, "message", f"conversation-{i}")
    assert len(windows) <= 1001  # swept at the last hit: only the last 10 s (1,000) kept


def gateway(knowledge, tmp_path, **limits):
    s = knowledge.settings.model_copy(update=limits)
    desk = Frontdesk(knowledge, OutcomeStore(database_url(None, tmp_path)))
    return create_app(s, frontdesk=desk)


def test_a_flood_of_new_chats_is_refused_and_live_ones_go_on(knowledge, tmp_path):
    app = gateway(knowledge, tmp_path, chat_open_per_client="30 per minute",
                  chat_open_overall="1000 per minute", chat_open_trusted=[])
    with serve_app(app) as base:
        live = httpx.post(f"{base}/api/chat/conversations", json={}).json()["id"]

        async def flood() -> list[int]:
            # refusals are what is tested, not speed: on a loaded machine 300 requests
            # at once may wait longer than httpx's default 5 s for a pooled connection
            async with httpx.AsyncClient(timeout=60.0) as http:
                rs = await asyncio.gather(*(http.post(f"{base}/api/chat/conversations",
                                                      json={}) for _ in range(300)))
                return [r.status_code for r in rs]

        codes = asyncio.run(flood())
        assert codes.count(201) == 29 and codes.count(429) == 271
        # the citizen who was already here is answered as before
        reply = asyncio.run(ask(base, live, "m1", "jeg har mistet mit pas"))
        assert reply["type"] == "message" and reply["action"] == "answer"


def test_the_message_limit_holds_across_sockets(knowledge, tmp_path):
    app = gateway(knowledge, tmp_path, chat_rate_limit=3, chat_rate_window_s=60.0)
    with serve_app(app) as base:
        cid = httpx.post(f"{base}/api/chat/conversations", json={}).json()["id"]
        # a new socket for every message, as a client dodging a per-socket limit would
        got = [asyncio.run(ask(base, cid, f"m{i}", "hej")) for i in range(5)]
        assert [g.get("code", "ok") for g in got] == ["ok"] * 3 + ["rate_limited"] * 2


def test_processes_count_together_through_redis_and_survive_its_death(knowledge, tmp_path):
    with redis_server() as url:
        limits = {"chat_open_per_client": "4 per minute", "redis_url": url,
                  "chat_open_trusted": []}
        one = gateway(knowledge, tmp_path / "a", **limits)
        two = gateway(knowledge, tmp_path / "b", **limits)
        with serve_app(one) as a, serve_app(two) as b:
            codes = [httpx.post(f"{base}/api/chat/conversations", json={}).status_code
                     for base in (a, b, a, b, a, b)]
            assert codes == [201] * 4 + [429] * 2  # one budget for both processes
    # Redis is gone: each process counts alone rather than refusing everyone
    with serve_app(one) as a:
        assert httpx.post(f"{a}/api/chat/conversations", json={}).status_code == 201


def test_trusted_addresses_count_only_towards_the_overall_limit():
    gate = Floodgate("2 per minute", "5 per minute", "1 per minute",
                     trusted=frozenset({"127.0.0.1"}))
    assert [gate.may_open("127.0.0.1") for _ in range(4)] == [True] * 4
    assert [gate.may_open("10.1.1.1") for _ in range(2)] == [True, False]  # 5 in all


@pytest.mark.parametrize("limit", ["nonsense", "5 per fortnight"])
def test_a_limit_that_is_not_one_is_refused_at_start(limit):
    with pytest.raises(ValueError):
        Floodgate(limit, "1 per second", "1 per second")
