"""The desk's offers (issue 20.2): the pure rules (handoff/offers.py), property tests of
the plan, and the desk on both backends with an injected clock — capacity, offers that
time out, declines, wrap-up, reassignment, SLA and the citizens waiting elsewhere. The
Redis backend is a real `redis-server`; several desks on one Redis are several gateway
processes."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddh.settings import Settings, parse_sla_overrides
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend, RedisBackend
from handoff.desk import HandoffDesk
from handoff.offers import (
    FOREVER,
    PASS_HOLD,
    DeskPolicy,
    Offer,
    elsewhere,
    idle_since,
    is_free,
    may_offer,
    passed_over,
    plan,
    reassign_due,
    service_order,
    sla_state,
)
from handoff.queues import Agent, RoutingRules, Waiting
from store.outcomes import OutcomeStore, database_url
from tests.servers import DDH

RULES = RoutingRules(skill_wait_s=60, overflow_wait_s=180, handle_time_s=300)
POLICY = DeskPolicy(capacity=2, offer_timeout_s=20, wrapup_s=30, reassign_after_s=180,
                    sla_s=120, sla_overrides=(("0751", 300.0),))
T0 = 1_000_000.0


def w(id: str, at: float = T0, queue: str = "ddh", topic: str | None = "pas",
      priority: int = 0, channel: str = "chat") -> Waiting:
    return Waiting(id, f"conv-{id}", queue, topic, None, channel, f"summary {id}", at, priority)


def agent(id: str, since: float = T0 - 100, capacity: int = 2, state: str = "available",
          queues: tuple[str, ...] = ("ddh",), skills: tuple[str, ...] = ("pas",),
          conversations: tuple[str, ...] = (), takes_calls: bool = True) -> Agent:
    return Agent(id, id.title(), queues, skills, state, since, capacity, conversations,
                 takes_calls=takes_calls)


def seen_all(*agents: Agent, at: float = T0) -> dict[str, float]:
    return {a.id: at for a in agents}


# --- the rules -------------------------------------------------------------------------


def test_offers_go_oldest_first_to_the_agent_idle_longest():
    anne, bo = agent("anne", since=T0 - 50), agent("bo", since=T0 - 200)
    entries = [w("new", T0 + 5), w("old", T0), w("mid", T0 + 2)]
    made = plan(entries, [anne, bo], [], {}, seen_all(anne, bo), T0 + 10, RULES, POLICY)
    assert [(o.entry, o.agent) for o in made] == [("old", "bo"), ("mid", "anne")]
    # a pending offer holds both its conversation and its agent
    again = plan(entries, [anne, bo], made, {}, seen_all(anne, bo), T0 + 11, RULES, POLICY)
    assert again == []


def test_who_is_free():
    now = T0 + 1
    assert is_free(agent("a"), now, {"a": now}, POLICY)
    assert not is_free(agent("a", state="busy"), now, {"a": now}, POLICY)
    assert not is_free(agent("a", state="wrap-up"), now, {"a": now}, POLICY)
    assert not is_free(agent("a", conversations=("c1", "c2")), now, {"a": now}, POLICY)
    assert is_free(agent("a", conversations=("c1",)), now, {"a": now}, POLICY)
    assert not is_free(agent("a"), now, {}, POLICY)  # no console heard from
    assert not is_free(agent("a"), now + 16, {"a": now}, POLICY)  # console gone


def test_a_call_is_offered_only_to_an_agent_with_a_phone():
    call = w("v", channel="voice")
    assert not may_offer(agent("a", takes_calls=False), call, T0, RULES)
    assert may_offer(agent("a"), call, T0, RULES)


def test_an_agent_who_passed_is_passed_over_for_a_while():
    passes = {"e": {"anne": T0, "bo": FOREVER}}
    assert passed_over("anne", "e", passes, T0 + 1, POLICY)
    assert not passed_over("anne", "e", passes, T0 + PASS_HOLD * 20, POLICY)
    assert passed_over("bo", "e", passes, T0 + 10_000, POLICY)  # taken from bo: for good
    anne, cid = agent("anne", since=T0 - 500), agent("cid", since=T0 - 1)
    made = plan([w("e")], [anne, cid], [], passes, seen_all(anne, cid), T0 + 1, RULES, POLICY)
    assert [(o.entry, o.agent) for o in made] == [("e", "cid")]


def test_sla_states_and_the_bump_after_crisis():
    assert sla_state(w("d", T0), T0 + 95, POLICY) == "ok"
    assert sla_state(w("d", T0), T0 + 96, POLICY) == "warning"  # 80 % of 120
    assert sla_state(w("d", T0), T0 + 120, POLICY) == "breached"
    assert sla_state(w("a", T0, queue="0751"), T0 + 200, POLICY) == "ok"  # its own 300
    now = T0 + 130
    entries = [w("aarhus-older", T0 - 50, queue="0751"), w("ddh-breached", T0),
               w("crisis", T0 + 120, topic="krise", priority=1), w("ddh-new", T0 + 100)]
    assert [e.id for e in service_order(entries, now, POLICY)] == [
        "crisis", "ddh-breached", "aarhus-older", "ddh-new"]
    both = agent("both", queues=("ddh", "0751"))
    made = plan(entries, [both], [], {}, {"both": now}, now, RULES, POLICY)
    assert [o.entry for o in made] == ["crisis"]


def test_sla_overrides_setting():
    assert parse_sla_overrides("ddh=90, 0751=180") == (("ddh", 90.0), ("0751", 180.0))
    assert parse_sla_overrides("") == ()
    for bad in ("ddh", "aarhus=90", "ddh=-1", "0751=x"):
        with pytest.raises(ValueError):
            parse_sla_overrides(bad)
    policy = DeskPolicy.from_settings(Settings(queue_sla_overrides="ddh=90"))
    assert policy.sla_for("ddh") == 90 and policy.sla_for("0751") == 120
    assert policy.capacity == 2 and policy.offer_timeout_s == 20 and policy.missed_offer_away


def test_reassign_due():
    p = POLICY
    assert reassign_due(T0, None, T0 + 179, p) is None
    assert reassign_due(T0, None, T0 + 180, p) == "silent"
    assert reassign_due(None, T0, T0 + 180, p) == "gone"
    assert reassign_due(None, T0 + 100, T0 + 180, p) is None


def test_elsewhere_counts_and_when_they_open():
    ddh_only = agent("bo", skills=("pas",))
    now = T0 + 10
    entries = [w("a1", T0, queue="0751"), w("a2", T0 + 5, queue="0751"),
               w("m", T0, topic="mitid"), w("p", T0)]
    assert elsewhere(ddh_only, entries, now, RULES) == [
        {"queue": "0751", "count": 2, "opens_in_s": 170.0},
        {"queue": "ddh", "count": 1, "opens_in_s": 50.0}]
    aarhus_only = agent("carl", queues=("0751",))
    assert elsewhere(aarhus_only, entries, now, RULES) == [
        {"queue": "ddh", "count": 2, "opens_in_s": None}]


# --- properties of the plan ------------------------------------------------------------

QUEUES = ("ddh", "0751")
TOPICS = (None, "pas", "mitid", "krise")


@st.composite
def desks(draw):
    n_agents = draw(st.integers(1, 6))
    agents = []
    for i in range(n_agents):
        capacity = draw(st.integers(1, 3))
        agents.append(Agent(
            f"a{i}", f"A{i}", tuple(draw(st.sets(st.sampled_from(QUEUES), min_size=1))),
            tuple(draw(st.sets(st.sampled_from(("pas", "mitid"))))),
            draw(st.sampled_from(("available",) * 4 + ("busy", "away", "wrap-up"))),
            T0 - draw(st.integers(0, 500)), capacity,
            tuple(f"held{i}-{k}" for k in range(draw(st.integers(0, capacity) if
                                                       draw(st.booleans()) else st.just(0)))),
            takes_calls=draw(st.booleans())))
    entries = []
    for i in range(draw(st.integers(1, 12))):
        topic = draw(st.sampled_from(TOPICS))
        entries.append(Waiting(
            f"e{i}", f"c{i}", draw(st.sampled_from(QUEUES)), topic, None,
            draw(st.sampled_from(("chat", "chat", "voice"))), "", T0 - draw(st.integers(0, 400)),
            1 if topic == "krise" else 0))
    # offers already pending: distinct entries and agents
    pending = draw(st.lists(st.tuples(st.sampled_from([e.id for e in entries] or ["x"]),
                                      st.sampled_from([a.id for a in agents])), max_size=3))
    offers, used_e, used_a = [], set(), set()
    for entry_id, agent_id in pending:
        if entry_id in used_e or agent_id in used_a or not entries:
            continue
        used_e.add(entry_id)
        used_a.add(agent_id)
        offers.append(Offer(entry_id, agent_id, T0))
    passes: dict[str, dict[str, float]] = {}
    for entry_id, agent_id in draw(st.lists(st.tuples(
            st.sampled_from([e.id for e in entries] or ["x"]),
            st.sampled_from([a.id for a in agents])), max_size=4)):
        passes.setdefault(entry_id, {})[agent_id] = T0 - draw(st.integers(0, 100))
    seen = {a.id: T0 for a in agents if draw(st.integers(0, 3))}  # some consoles gone
    return agents, entries, offers, passes, seen


@settings(max_examples=300, deadline=None)
@given(desks())
def test_the_plan_never_doubles_never_overfills_and_goes_oldest_first(desk):
    agents, entries, offers, passes, seen = desk
    now = T0
    made = plan(entries, agents, offers, passes, seen, now, RULES, POLICY)
    by_id = {a.id: a for a in agents}
    entry_of = {e.id: e for e in entries}
    # never two pending offers for one conversation, nor for one agent
    all_offers = offers + made
    assert len({o.entry for o in all_offers}) == len(all_offers)
    assert len({o.agent for o in all_offers}) == len(all_offers)
    # capacity never exceeded: every agent offered one is free, so taking it fits
    for o in made:
        a, e = by_id[o.agent], entry_of[o.entry]
        assert a.state == "available" and len(a.conversations) + 1 <= a.capacity
        assert may_offer(a, e, now, RULES) and not passed_over(a.id, e.id, passes, now, POLICY)
    order = [e.id for e in service_order(entries, now, POLICY)]
    pending = {o.entry for o in all_offers}
    busy = {o.agent for o in all_offers}
    for o in made:
        a = by_id[o.agent]
        # oldest first: no earlier entry this agent could take goes without an offer
        for earlier in order[:order.index(o.entry)]:
            assert earlier in pending or not may_offer(a, entry_of[earlier], now, RULES) or \
                passed_over(a.id, earlier, passes, now, POLICY)
        # idle longest: no free agent left without an offer had waited longer for it
        for b in agents:
            if b.id not in busy and is_free(b, now, seen, POLICY) and \
                    may_offer(b, entry_of[o.entry], now, RULES) and \
                    not passed_over(b.id, o.entry, passes, now, POLICY):
                assert (idle_since(b), b.id) > (idle_since(a), a.id)
    # nothing left that could be offered
    for e in entries:
        if e.id in pending:
            continue
        for b in agents:
            if b.id not in busy and is_free(b, now, seen, POLICY):
                assert not may_offer(b, e, now, RULES) or \
                    passed_over(b.id, e.id, passes, now, POLICY)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("offer", "accept", "pick", "decline", "wrap",
                                           "tick")),
                          st.integers(0, 5), st.integers(0, 9)), max_size=40))
def test_capacity_is_never_exceeded_whatever_the_agents_do(ops):
    """Random offers, accepts, picks from the list, declines, wrap-ups and time on a
    desk: no agent ever holds more than their capacity, and the backend never holds
    two offers for one conversation or one agent."""
    clock = [T0]
    desk = HandoffDesk(MemoryBackend(), RULES, clock=lambda: clock[0], policy=POLICY)
    for i, cap in enumerate((1, 2, 3)):
        desk.register(agent(f"a{i}", capacity=cap))
    for i in range(10):
        desk.backend.enqueue(w(f"e{i}", T0 - 100 + i))
    for op, who, which in ops:
        agent_id = f"a{who % 3}"
        desk.touch(["a0", "a1", "a2"])
        if op == "offer":
            desk.make_offers()
        elif op == "accept":
            mine = [o for o in desk.offers() if o.agent == agent_id]
            if mine:
                desk.accept(agent_id, mine[0].entry)
        elif op == "pick":
            desk.accept(agent_id, f"e{which}")
        elif op == "decline":
            for o in desk.offers():
                if o.agent == agent_id:
                    desk.withdraw(o.entry, agent_id)
        elif op == "wrap":
            a = desk.agent(agent_id)
            if a is not None and a.conversations:
                desk.release(agent_id, a.conversations[0])
        else:
            clock[0] += 25
            desk.expire_offers()
            desk.settle(["a0", "a1", "a2"])
        for a in desk.backend.agents():
            assert len(a.conversations) <= a.capacity
            assert a.state != "available" or len(a.conversations) < a.capacity
        pending = desk.offers()
        assert len({o.entry for o in pending}) == len({o.agent for o in pending}) == len(pending)


# --- the desk, on both backends --------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def make_desk(request, redis_url):
    """A desk factory on a fresh backend; on Redis, desks made twice share it (two
    gateway processes)."""
    prefix = f"t{time.monotonic_ns()}:"
    memory = MemoryBackend()
    clock = [T0]

    def make(policy: DeskPolicy = POLICY) -> HandoffDesk:
        backend = memory if request.param == "memory" else RedisBackend(redis_url, prefix)
        return HandoffDesk(backend, RULES, clock=lambda: clock[0], policy=policy)

    make.clock = clock  # type: ignore[attr-defined]
    return make


def sign_in(desk: HandoffDesk, *agents: Agent) -> None:
    for a in agents:
        desk.register(a)
    desk.touch([a.id for a in agents])


def test_an_offer_times_out_moves_on_and_sets_the_agent_away(make_desk):
    desk = make_desk()
    sign_in(desk, agent("anne", since=T0 - 300), agent("bo", since=T0 - 10))
    desk.backend.enqueue(w("e1"))
    (first,) = desk.make_offers()
    assert (first.entry, first.agent) == ("e1", "anne")  # idle longest
    make_desk.clock[0] += 19.9
    assert desk.expire_offers() == [] and desk.make_offers() == []
    make_desk.clock[0] += 0.1
    assert desk.expire_offers() == [first]
    assert desk.fate("e1", "anne") == "timeout"
    assert desk.missed("anne").state == "away"
    desk.touch(["anne", "bo"])
    (second,) = desk.make_offers()
    assert (second.entry, second.agent) == ("e1", "bo")


def test_without_away_a_lapsed_agent_gets_the_entry_only_after_the_others(make_desk):
    desk = make_desk(replace(POLICY, missed_offer_away=False))
    sign_in(desk, agent("anne", since=T0 - 300))
    desk.backend.enqueue(w("e1"))
    desk.make_offers()
    make_desk.clock[0] += 20
    desk.expire_offers()
    assert desk.missed("anne") is None and desk.agent("anne").state == "available"
    desk.touch(["anne"])
    assert desk.make_offers() == []  # passed over for a while…
    make_desk.clock[0] += PASS_HOLD * 20
    desk.touch(["anne"])
    assert [o.entry for o in desk.make_offers()] == ["e1"]  # …then back to them


def test_a_decline_moves_on_at_once_and_a_claim_ends_the_offer(make_desk):
    desk = make_desk()
    sign_in(desk, agent("anne", since=T0 - 300), agent("bo", since=T0 - 10))
    desk.backend.enqueue(w("e1"))
    desk.backend.enqueue(w("e2", T0 + 1))
    offers = {o.agent: o.entry for o in desk.make_offers()}
    assert offers == {"anne": "e1", "bo": "e2"}
    assert desk.withdraw("e1", "anne")
    assert not desk.withdraw("e1", "anne")  # once
    assert desk.make_offers() == []  # e1: bo has an offer pending, anne declined it
    assert desk.accept("bo", "e1").id == "e1"  # bo picks e1 from the list instead
    assert {o.entry for o in desk.offers()} == {"e2"}  # bo's offer of e2 still pending
    assert desk.accept("anne", "e2").id == "e2"  # anne takes bo's offered entry
    assert desk.offers() == [] and desk.fate("e2", "bo") == "taken"
    assert desk.fate("e2", "anne") == "accepted"
    desk.backend.enqueue(w("e3", T0 + 2))
    desk.touch(["anne", "bo"])
    (o3,) = desk.make_offers()
    assert desk.leave("e3") and desk.offers() == [] and desk.fate("e3", o3.agent) == "left"


def test_capacity_busy_wrap_up_and_back(make_desk):
    desk = make_desk()
    sign_in(desk, agent("anne", capacity=2))
    for i in range(3):
        desk.backend.enqueue(w(f"e{i}", T0 + i))
    assert desk.accept("anne", "e0") is not None
    assert desk.agent("anne").state == "available"  # below capacity: still offered more
    desk.touch(["anne"])
    assert [o.entry for o in desk.make_offers()] == ["e1"]
    assert desk.accept("anne", "e1") is not None
    anne = desk.agent("anne")
    assert anne.state == "busy" and anne.conversations == ("conv-e0", "conv-e1")
    assert desk.accept("anne", "e2") is None and desk.at_capacity("anne")  # refused
    assert [x.id for x in desk.backend.waiting()] == ["e2"]
    assert desk.set_state("anne", "available").state == "busy"  # "Klar" at capacity
    assert desk.release("anne", "conv-e0").state == "wrap-up"
    make_desk.clock[0] += 29
    assert desk.settle(["anne"]) == [] and desk.agent("anne").state == "wrap-up"
    make_desk.clock[0] += 1
    (back,) = desk.settle(["anne"])
    assert back.state == "available" and back.conversations == ("conv-e1",)
    desk.release("anne", "conv-e1")
    assert desk.set_state("anne", "available").state == "available"  # "Klar" ends it early


def test_reassigned_goes_to_the_front_never_back_to_the_same_agent(make_desk):
    desk = make_desk()
    sign_in(desk, agent("anne", since=T0 - 300, capacity=1), agent("bo", since=T0 - 10))
    desk.backend.enqueue(w("old", T0))
    desk.backend.enqueue(w("new", T0 + 30))
    taken = desk.accept("anne", "old")
    assert desk.agent("anne").state == "busy"
    make_desk.clock[0] += 200
    assert desk.requeue(taken, "anne")
    assert desk.requeue(taken, "anne")  # again (the queue rebuilt meanwhile): still once
    assert [x.id for x in desk.in_order()] == ["old", "new"]  # its own place: first
    assert next(x for x in desk.backend.waiting() if x.id == "old").enqueued_at == T0
    anne = desk.agent("anne")
    assert anne.conversations == () and anne.state == "available"
    desk.touch(["anne", "bo"])
    offers = {o.entry: o.agent for o in desk.make_offers()}
    assert offers == {"old": "bo", "new": "anne"}
    assert desk.accept("bo", "old") is not None
    assert not desk.requeue(taken, "anne")  # bo's now: not anne's to give back


def test_sla_and_elsewhere_through_the_desk(make_desk):
    desk = make_desk()
    sign_in(desk, agent("bo"))
    desk.backend.enqueue(w("a", T0 - 100, queue="0751"))
    desk.backend.enqueue(w("d", T0 - 120))
    (d,) = desk.visible_to("bo")
    assert desk.sla(d) == "breached"
    assert desk.elsewhere("bo") == [{"queue": "0751", "count": 1, "opens_in_s": 80.0}]


def test_two_processes_on_one_redis_never_offer_one_citizen_twice(redis_url):
    """Eight desks (gateway processes) on one Redis plan and offer at the same moment,
    over and over: each conversation is offered to one agent, each agent gets one."""
    prefix = f"race{time.monotonic_ns()}:"
    desks = [HandoffDesk(RedisBackend(redis_url, prefix), RULES, clock=lambda: T0,
                         policy=POLICY) for _ in range(8)]
    agents = [agent(f"a{i}", since=T0 - i) for i in range(5)]
    sign_in(desks[0], *agents)
    for i in range(12):
        desks[0].backend.enqueue(w(f"e{i}", T0 - 100 + i))
    barrier = threading.Barrier(len(desks))
    made: list[Offer] = []

    def offer(desk: HandoffDesk) -> None:
        barrier.wait()
        for _ in range(5):
            made.extend(desk.make_offers())

    threads = [threading.Thread(target=offer, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pending = desks[0].offers()
    assert len(made) == len(pending) == 5
    assert len({o.entry for o in pending}) == 5 and len({o.agent for o in pending}) == 5
    assert sorted(o.entry for o in pending) == [f"e{i}" for i in range(5)]  # the oldest


def test_make_offer_is_atomic_on_redis(redis_url):
    prefix = f"atomic{time.monotonic_ns()}:"
    backends = [RedisBackend(redis_url, prefix) for _ in range(16)]
    backends[0].enqueue(w("hot"))
    for i in range(8):
        backends[0].enqueue(w(f"o{i}"))
    barrier = threading.Barrier(16)
    wins: list[str] = []

    def grab(i: int) -> None:
        barrier.wait()
        # eight offer "hot", each to another agent; eight offer another entry each to
        # the same agent
        offer = Offer("hot", f"a{i}", T0) if i % 2 else Offer(f"o{i // 2}", "same", T0)
        if backends[i].make_offer(offer):
            wins.append(f"{offer.entry}->{offer.agent}")

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    offers = backends[0].offers()
    assert len(offers) == len(wins) and len({o.entry for o in offers}) == len(offers)
    assert sum(o.agent == "same" for o in offers) == 1
    assert sum(o.entry == "hot" for o in offers) == 1
    assert backends[0].remove("hot")  # the citizen left: their offer goes with them
    assert all(o.entry != "hot" for o in backends[0].offers())


def test_ddh_users_add_with_capacity(tmp_path):
    """`ddh users add --capacity N` (migration 0013); unset, the setting decides."""
    env = {**os.environ, "DDH_DATA_DIR": str(tmp_path), "DDH_LOG_LEVEL": "WARNING"}

    def ddh(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([DDH, "users", *args], input="korrekt-hest-batteri\n",
                              capture_output=True, text=True, env=env, timeout=60)

    assert ddh("add", "tre", "--capacity", "3", "--password-stdin").returncode == 0
    assert ddh("add", "standard", "--password-stdin").returncode == 0
    zero = ddh("add", "nul", "--capacity", "0", "--password-stdin")
    assert zero.returncode == 1 and "capacity" in zero.stderr
    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    assert accounts.get("tre").capacity == 3 and accounts.get("standard").capacity is None
    store.close()
