"""Agent queues: routing rules, the memory and Redis backends, and the frontdesk's offer."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.frontdesk import Frontdesk, TurnInput
from ddh.vocabulary import Action
from handoff.backends import MemoryBackend, RedisBackend
from handoff.desk import HandoffDesk
from handoff.queues import Agent, RoutingRules, Waiting, expected_wait_s, next_for, position
from store.records import HandoffPacket

RULES = RoutingRules(skill_wait_s=60, overflow_wait_s=180, handle_time_s=300)
T0 = 1_000_000.0


def w(id: str, queue: str = "ddh", topic: str | None = "pas", at: float = T0,
      priority: int = 0) -> Waiting:
    return Waiting(id, f"conv-{id}", queue, topic, None, "chat", "", at, priority)


PAS_AGENT = Agent("a1", "Anne", ("ddh",), ("pas",), "available")
MITID_AGENT = Agent("a2", "Bo", ("ddh",), ("mitid",), "available")
AARHUS_AGENT = Agent("a3", "Carl", ("0751",), ("pas",), "available")


# --- rules ---------------------------------------------------------------------------


def test_skilled_agent_first_anyone_after_the_wait():
    entries = [w("p", topic="pas")]
    assert next_for(PAS_AGENT, entries, T0 + 1, RULES).id == "p"
    assert next_for(MITID_AGENT, entries, T0 + 59, RULES) is None
    assert next_for(MITID_AGENT, entries, T0 + 60, RULES).id == "p"


def test_overflow_opens_a_municipal_queue_to_ddh():
    entries = [w("m", queue="0751")]
    assert next_for(AARHUS_AGENT, entries, T0 + 1, RULES).id == "m"
    assert next_for(PAS_AGENT, entries, T0 + 179, RULES) is None
    assert next_for(PAS_AGENT, entries, T0 + 180, RULES).id == "m"
    # ...but a DDH entry never goes to a municipality-only agent.
    assert next_for(AARHUS_AGENT, [w("d")], T0 + 10_000, RULES) is None


def test_crisis_first_then_longest_waiting():
    entries = [w("old", at=T0), w("new", at=T0 + 5), w("crisis", topic=None, at=T0 + 9,
                                                         priority=1)]
    assert next_for(PAS_AGENT, entries, T0 + 10, RULES).id == "crisis"
    assert [position(e.id, entries) for e in entries] == [2, 3, 1]


def test_expected_wait_counts_agents_on_duty():
    agents = [PAS_AGENT, MITID_AGENT, Agent("x", "X", ("ddh",), (), "away")]
    assert expected_wait_s(1, agents, "ddh", RULES) == 300
    assert expected_wait_s(3, agents, "ddh", RULES) == 600
    assert expected_wait_s(1, [], "ddh", RULES) == float("inf")


# --- backends ------------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def backend(request, redis_url):
    if request.param == "memory":
        return MemoryBackend()
    prefix = f"t{time.monotonic_ns()}:"
    return RedisBackend(redis_url, prefix=prefix)


def test_backend_enqueue_is_idempotent_and_claim_is_once(backend):
    backend.enqueue(w("e1"))
    backend.enqueue(w("e1", at=T0 + 100))  # a retry does not move it or duplicate it
    assert [(e.id, e.enqueued_at) for e in backend.waiting()] == [("e1", T0)]
    assert backend.claim("e1", "a1").id == "e1"
    assert backend.claim("e1", "a2") is None
    backend.enqueue(w("e1"))  # claimed already: not offered again
    assert backend.waiting() == []


def test_backend_claim_is_atomic_under_contention(backend):
    backend.enqueue(w("hot"))
    wins: list[str] = []
    barrier = threading.Barrier(16)

    def grab(agent: str) -> None:
        barrier.wait()
        if backend.claim("hot", agent) is not None:
            wins.append(agent)

    threads = [threading.Thread(target=grab, args=(f"a{i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def test_backend_presence_round_trip(backend):
    backend.put_agent(PAS_AGENT)
    backend.put_agent(Agent("a1", "Anne", ("ddh", "0751"), ("pas", "mitid"), "busy", T0))
    (agent,) = backend.agents()
    assert agent.queues == ("ddh", "0751") and agent.state == "busy"
    assert backend.agent("a1") == agent and backend.agent("nobody") is None
    backend.enqueue(w("gone"))
    assert backend.remove("gone") and not backend.remove("gone")


def test_two_desks_on_one_redis_share_the_queue(redis_url):
    """Two gateway processes: a citizen offered on one, taken by an agent on the other."""
    prefix = f"shared{time.monotonic_ns()}:"
    one = HandoffDesk(RedisBackend(redis_url, prefix), RULES, clock=lambda: T0)
    two = HandoffDesk(RedisBackend(redis_url, prefix), RULES, clock=lambda: T0 + 1)
    two.register(PAS_AGENT)
    entry = one.offer(HandoffPacket(id="h1", kind=Action.HANDOFF, target="ddh", topic="pas",
                                    municipality=None, reason="r", summary="Pas",
                                    channel="chat", created_at=datetime.now(ZoneInfo("UTC"))),
                      "conv-1", "chat")
    assert one.place(entry.id) == (1, 300)
    assert two.next_for("a1").id == "h1"
    assert two.accept("a1", "h1").conversation == "conv-1"
    assert one.place("h1") == (None, 0.0) and two.agent("a1").state == "busy"


# --- the frontdesk offers handoffs -------------------------------------------------------


def test_handoff_tells_the_citizen_their_place(knowledge):
    desk = HandoffDesk(MemoryBackend(), RULES)
    front = Frontdesk(knowledge, handoffs=desk)
    at = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    first = front.handle(TurnInput(
        "c1", "jeg vil gerne tale med en medarbejder om min digitale post",
        municipality="0849", at=at))
    assert first.action == "handoff"
    assert "Du er nummer 1 i køen." in first.reply and "ventetid" not in first.reply
    desk.register(Agent("a1", "Anne", ("ddh",), ("digital-post",), "available"))
    second = front.handle(TurnInput("c2", "kan jeg tale med et menneske om digital post",
                                    municipality="0849", at=at))
    assert second.action == "handoff"
    assert "Du er nummer 2 i køen. Forventet ventetid er cirka 10 minutter." in second.reply
    # The first citizen leaves: the second moves up, and an agent gets the second.
    assert front.close("c1")
    assert desk.place(second.handoff.id)[0] == 1
    assert desk.next_for("a1").conversation == "c2"


def test_a_crisis_is_open_to_every_agent_at_once():
    """Beredskab: a crisis in Viborg's own queue goes to any agent on duty, without
    the overflow wait or the skill."""
    crisis = w("k", queue="0791", topic="krise", priority=1)
    assert next_for(MITID_AGENT, [crisis], T0 + 1, RULES).id == "k"
    assert next_for(AARHUS_AGENT, [crisis], T0 + 1, RULES).id == "k"
    assert next_for(AARHUS_AGENT, [w("v", queue="0791", topic="pas")], T0 + 1, RULES) is None
