"""Agent quality per month and the "lowest 20 % three months running" rule, on
fixtures whose figures were computed by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handoff.accounts import Accounts
from store import agent_quality
from store.agent_quality import Rule
from store.models import AuditEntry, Conversation, HandoffPacket
from store.outcomes import OutcomeStore
from tests.postgres import store_on

TZ = ZoneInfo("Europe/Copenhagen")
RULE = Rule(share=0.2, months=3, min_contacts=2)
# Resolved contacts of four per agent and month (by hand): the lowest is D in August,
# E in September, October and November.
RESOLVED = {
    "2026-08": {"a": 4, "b": 3, "c": 3, "d": 1, "e": 2},
    "2026-09": {"a": 4, "b": 3, "c": 2, "d": 3, "e": 1},
    "2026-10": {"a": 3, "b": 3, "c": 2, "d": 2, "e": 1},
    "2026-11": {"a": 4, "b": 2, "c": 3, "d": 3, "e": 0},
}
NOT_RESOLVED = ("transfer", "wrong_call", "ticket", "unresolved")


def contact(s, cid: str, agent: str | None, start: datetime, outcome: str, *,
            handling_s: float | None = None, wait_s: float = 30.0,
            offered_after_s: float = 60.0, score: int | None = None,
            municipality: str = "0751", topic: str = "pas", channel: str = "chat") -> None:
    """One conversation; an agent's is offered `offered_after_s` after its start, taken
    after `wait_s` and wrapped up `handling_s` later (None: not wrapped up)."""
    taken = start + timedelta(seconds=offered_after_s + wait_s)
    s.add(Conversation(
        id=cid, channel=channel, municipality=municipality, topic=topic, started_at=start,
        ended_at=taken + timedelta(seconds=handling_s) if handling_s is not None else None,
        outcome=outcome, turns=2, satisfaction=score, agent=agent,
        queue_wait_s=wait_s if agent else None, language="da"))
    s.flush()
    if agent:
        s.add(HandoffPacket(id=f"h-{cid}", conversation_id=cid, kind="handoff",
                            target="ddh", topic=topic, reason="r", summary="s", packet={},
                            created_at=start + timedelta(seconds=offered_after_s),
                            status="done"))


def people(store: OutcomeStore, password: str | None = None) -> None:
    """Agents a, b, c and anne of Aarhus, d and e of Viborg; their managers."""
    accounts = Accounts(store)
    for name, code in (("a", "0751"), ("b", "0751"), ("c", "0751"), ("d", "0791"),
                       ("e", "0791"), ("anne", "0751")):
        accounts.add(name, name.upper(), "agent", code, password=password)
    accounts.add("vera", "Vera", "manager", "0791", password=password)
    accounts.add("mads", "Mads", "manager", "0751", password=password)


def fill(store: OutcomeStore) -> None:
    people(store)
    contacts(store)


def contacts(store: OutcomeStore) -> None:
    with store.sessions.begin() as s:
        for month, counts in RESOLVED.items():
            start = datetime.fromisoformat(f"{month}-10T10:00:00").replace(tzinfo=TZ)
            for agent, resolved in counts.items():
                for i in range(4):
                    outcome = "resolved_agent" if i < resolved else NOT_RESOLVED[i]
                    contact(s, f"{month}-{agent}-{i}", agent,
                            start + timedelta(minutes=10 * i), outcome, handling_s=100.0)
        # Anne, July 2026 (alone that month: nobody is ranked); local months:
        jul = datetime(2026, 7, 1, 0, 30, tzinfo=TZ)  # 30 June 22:30 UTC: July's
        contact(s, "j1", "anne", jul, "resolved_agent", handling_s=300, score=9)
        contact(s, "j2", "anne", jul, "transfer", wait_s=60, offered_after_s=120,
                handling_s=120, score=6)
        contact(s, "j3", "anne", jul, "wrong_call", wait_s=10, offered_after_s=0,
                handling_s=150)
        contact(s, "j4", "anne", jul, "handoff")  # taken, not wrapped up yet
        contact(s, "j5", None, jul, "resolved_bot")  # the bot's: no agent's figure
        # 30 June 23:30 local: June's.
        contact(s, "j0", "anne", datetime(2026, 6, 30, 23, 30, tzinfo=TZ), "resolved_agent",
                handling_s=50)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    with store_on(request.param, tmp_path_factory, fill) as s:
        yield s


def test_an_agents_month_computed_by_hand(store):
    rows = agent_quality.monthly(store, ["2026-07"], RULE)
    assert rows == [{
        "agent": "anne", "month": "2026-07", "contacts": 4, "straks_sag": 0.25,
        "resolved": 1,
        "handling_time_s": 190.0,  # (300 + 120 + 150) / 3 wrapped up
        "outcomes": {"handoff": 1, "resolved_agent": 1, "transfer": 1, "wrong_call": 1},
        "satisfaction_mean": 7.5, "satisfaction_responses": 2,
        "lowest": False}]  # alone: fewer than 1 / 0.2 agents ranked
    june = agent_quality.monthly(store, ["2026-06"], RULE)
    assert [(r["agent"], r["contacts"], r["handling_time_s"]) for r in june] == \
        [("anne", 1, 50.0)]


def test_a_month_of_five_agents(store):
    rows = {r["agent"]: r for r in agent_quality.monthly(store, ["2026-08"], RULE)}
    assert {a: (r["contacts"], r["straks_sag"], r["lowest"]) for a, r in rows.items()} == {
        "a": (4, 1.0, False), "b": (4, 0.75, False), "c": (4, 0.75, False),
        "d": (4, 0.25, True), "e": (4, 0.5, False)}
    assert rows["d"]["outcomes"] == {"resolved_agent": 1, "wrong_call": 1, "ticket": 1,
                                     "unresolved": 1}
    assert rows["d"]["handling_time_s"] == 100.0
    only = agent_quality.monthly(store, ["2026-08"], RULE, agents={"a"})
    assert [r["agent"] for r in only] == ["a"]


def test_the_lowest_share(store):
    sums = agent_quality.sums_by_month(store, ["2026-08"])["2026-08"]
    assert agent_quality.lowest(sums, RULE) == {"d"}
    assert agent_quality.lowest(sums, Rule(share=0.4, min_contacts=2)) == {"d", "e"}
    # b and c tie at 0.75: a tie with the last of the lowest share is in it
    assert agent_quality.lowest(sums, Rule(share=0.6, min_contacts=2)) == {"d", "e", "b", "c"}
    assert agent_quality.lowest(sums, Rule(share=0.2, min_contacts=5)) == set()


def test_the_rule_flags_exactly_the_agent_three_months_running(store):
    assert agent_quality.flagged(store, "2026-10", RULE) == {}  # E: Sep, Oct; D: Aug
    hits = agent_quality.flagged(store, "2026-11", RULE)
    assert list(hits) == ["e"]
    assert [(m["month"], m["straks_sag"]) for m in hits["e"]] == [
        ("2026-09", 0.25), ("2026-10", 0.25), ("2026-11", 0.0)]
    assert agent_quality.flagged(store, "2026-11", Rule(share=0.2, months=4,
                                                        min_contacts=2)) == {}


def test_the_report_is_audited_once(store):
    at = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    assert agent_quality.evaluate(store, "2026-10", RULE, at) == []
    written = agent_quality.evaluate(store, "2026-11", RULE, at)
    assert [(w["agent"], w["municipality"], w["leaders"]) for w in written] == \
        [("e", "0791", ["vera"])]
    assert agent_quality.evaluate(store, "2026-11", RULE, at) == []  # not twice
    with store.sessions() as s:
        rows = s.execute(select(AuditEntry.username, AuditEntry.object, AuditEntry.detail)
                         .where(AuditEntry.action == agent_quality.FLAG_ACTION)).all()
    assert [(u, o) for u, o, _ in rows] == [("system", "agent:e:2026-11")]
    assert json.loads(rows[0][2])["straks_sag"] == {"2026-09": 0.25, "2026-10": 0.25,
                                                    "2026-11": 0.0}
    assert [r["agent"] for r in agent_quality.reports(store)] == ["e"]
    assert [r["agent"] for r in agent_quality.reports(store, "0791")] == ["e"]
    assert agent_quality.reports(store, "0751") == []


def test_new_writes_reach_a_loaded_month(store):
    before = {r["agent"]: r for r in agent_quality.monthly(store, ["2026-09"], RULE)}
    with store.sessions.begin() as s:
        contact(s, "late", "e", datetime(2026, 9, 20, 12, 0, tzinfo=TZ), "resolved_agent",
                handling_s=100.0)
    after = {r["agent"]: r for r in agent_quality.monthly(store, ["2026-09"], RULE)}
    assert (before["e"]["contacts"], after["e"]["contacts"]) == (4, 5)
    assert after["e"]["straks_sag"] == 0.4  # 2 of 5
