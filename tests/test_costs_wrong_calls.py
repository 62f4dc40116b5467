"""Cost per contact and wrong calls on a fixture whose figures were computed by hand
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ddh.settings import Settings
from ddh.vocabulary import Outcome
from store.costs import CostError, for_period, load_costs
from store.kpi import Filters
from store.outcomes import OutcomeStore
from store.wrong_calls import wrong_calls
from tests.postgres import store_on
from tests.test_agent_quality import contact

TZ = ZoneInfo("Europe/Copenhagen")
NOV2 = datetime(2026, 11, 2, tzinfo=TZ)
PERIOD = (NOV2, NOV2 + timedelta(days=10))  # 2–11 November 2026
COSTS = """
currency: DKK
agent_hour_dkk: 400
periods:
  - {start: 2026-11-01, end: 2026-11-30, operation: 3000, staffing: 5400, licences: 600}
"""


def fill(store: OutcomeStore) -> None:
    """Ten contacts from 2 to 11 November (by hand), and one later:
    k1-k3 Aarhus pas, resolved by the bot
    k4  Aarhus pas, resolved by agent anne (handling 240 s)
    k5  Aarhus flytning, transferred by the bot
    k6  Aarhus flytning, transferred by agent anne (120 s)
    k7  Viborg pas, resolved by the bot
    k8  Viborg pas, resolved by agent bo (360 s)
    k9  Viborg storskrald, agent bo's wrap-up "forkert henvendelse" (480 s)
    k10 Viborg skat, redirected by the bot (voice)
    k11 Aarhus flytning, transferred by the bot on 20 November (outside the period).
    """
    t = datetime(2026, 11, 3, 10, 0, tzinfo=TZ)
    with store.sessions.begin() as s:
        for cid in ("k1", "k2", "k3"):
            contact(s, cid, None, t, "resolved_bot")
        contact(s, "k4", "anne", t, "resolved_agent", handling_s=240)
        contact(s, "k5", None, t, "transfer", topic="flytning")
        contact(s, "k6", "anne", t, "transfer", topic="flytning", handling_s=120)
        contact(s, "k7", None, t, "resolved_bot", municipality="0791")
        contact(s, "k8", "bo", t, "resolved_agent", municipality="0791", handling_s=360)
        contact(s, "k9", "bo", t + timedelta(days=5), "wrong_call", municipality="0791",
                topic="storskrald", handling_s=480)
        contact(s, "k10", None, t, "redirect", municipality="0791", topic="skat",
                channel="voice")
        contact(s, "k11", None, t + timedelta(days=17), "transfer", topic="flytning")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    with store_on(request.param, tmp_path_factory, fill) as s:
        yield s


@pytest.fixture
def plan(tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text(COSTS, encoding="utf-8")
    return load_costs(path)


def test_price_per_contact_by_hand(store, plan):
    view = for_period(store, plan, *PERIOD, fallback_handling_s=999)
    # 9000 DKK for November's 30 days: 10 of them = 3000 (1000 + 1800 + 200)
    assert view["costs"] == {"operation": 1000.0, "staffing": 1800.0, "licences": 200.0,
                             "total": 3000.0}
    assert view["handling_time_s"] == 300.0  # (240 + 120 + 360 + 480) / 4
    # 10 contacts, 6 resolved at first contact (k1-k4, k7, k8), 4 by the bot
    assert view["total"] == {
        "contacts": 10, "resolved": 6, "resolved_bot": 4, "cost": 3000.0,
        "price_per_contact": 300.0, "price_per_resolved": 500.0,
        "saved_agent_hours": 0.33, "saved_agent_dkk": 133.33}  # 4 × 300 s at 400/h
    rows = {r["municipality"]: r for r in view["municipalities"]}
    assert rows["0751"] == {  # 6 of 10 contacts bear 60 %: 1800
        "municipality": "0751", "contacts": 6, "resolved": 4, "resolved_bot": 3,
        "cost": 1800.0, "price_per_contact": 300.0, "price_per_resolved": 450.0,
        "saved_agent_hours": 0.25, "saved_agent_dkk": 100.0}
    assert rows["0791"] == {
        "municipality": "0791", "contacts": 4, "resolved": 2, "resolved_bot": 1,
        "cost": 1200.0, "price_per_contact": 300.0, "price_per_resolved": 600.0,
        "saved_agent_hours": 0.08, "saved_agent_dkk": 33.33}
    assert [r["municipality"] for r in view["municipalities"]] == ["0751", "0791"]


def test_no_agent_time_falls_back_and_no_cost_outside_the_plan(store, plan):
    dec = datetime(2026, 12, 1, tzinfo=TZ)
    view = for_period(store, plan, dec, dec + timedelta(days=5), fallback_handling_s=300)
    assert view["costs"]["total"] == 0.0 and view["total"]["contacts"] == 0
    assert view["total"]["price_per_contact"] is None
    assert view["handling_time_s"] == 300.0


def test_the_bundled_cost_file_gives_the_2025_price(tmp_path):
    plan = load_costs(Settings(data_dir=tmp_path).costs_path)
    year = plan.between(datetime(2025, 1, 1, tzinfo=TZ), datetime(2026, 1, 1, tzinfo=TZ))
    assert round(year["total"] / 200_000, 2) == 33.64
    bad = tmp_path / "bad.yaml"
    bad.write_text("periods:\n  - {start: soon, end: 2026-12-31}\n")
    with pytest.raises(CostError, match="periods\\[0\\]"):
        load_costs(bad)


def test_wrong_calls_by_hand(store):
    found = wrong_calls(store, Filters(*PERIOD))
    assert found["rows"] == [
        {"municipality": "0751", "topic": "flytning", "transfers": 2, "redirects": 0,
         "wrong_calls": 0, "by_agent": 1, "bot_sent_right": 1, "total": 2},
        {"municipality": "0791", "topic": "skat", "transfers": 0, "redirects": 1,
         "wrong_calls": 0, "by_agent": 0, "bot_sent_right": 1, "total": 1},
        {"municipality": "0791", "topic": "storskrald", "transfers": 0, "redirects": 0,
         "wrong_calls": 1, "by_agent": 1, "bot_sent_right": 0, "total": 1}]
    assert found["total"] == {"transfers": 2, "redirects": 1, "wrong_calls": 1,
                              "by_agent": 2, "bot_sent_right": 2, "total": 4}
    assert [(m["municipality"], m["total"], m["bot_sent_right"])
            for m in found["municipalities"]] == [("0751", 2, 1), ("0791", 2, 1)]


def test_wrong_calls_follow_the_filters(store):
    viborg = wrong_calls(store, Filters(*PERIOD, municipality="0791"))
    assert {(r["topic"], r["total"]) for r in viborg["rows"]} == {("skat", 1),
                                                                  ("storskrald", 1)}
    voice = wrong_calls(store, Filters(*PERIOD, channel="voice"))
    assert [(r["topic"], r["redirects"]) for r in voice["rows"]] == [("skat", 1)]
    first_week = wrong_calls(store, Filters(NOV2, NOV2 + timedelta(days=6)))
    assert first_week["total"]["wrong_calls"] == 0  # k9 was on 8 November
    later = wrong_calls(store, Filters(NOV2, NOV2 + timedelta(days=30)))
    assert later["total"]["transfers"] == 3  # k11 too
    with pytest.raises(ValueError):
        wrong_calls(store, Filters())


def test_the_setting_names_another_cost_file(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(COSTS, encoding="utf-8")
    assert Settings(data_dir=tmp_path, costs_file=path).costs_path == path


def test_the_console_offers_the_wrong_call_wrap_up(store):
    """The agent's wrap-up code "Forkert henvendelse" is stored as its own outcome and
    counted as a wrong call, not as resolved."""
    from gateway.console import OUTCOMES

    assert "wrong_call" in OUTCOMES
    root = Path(__file__).resolve().parent.parent
    page = (root / "gateway" / "static" / "agent.html").read_text(encoding="utf-8")
    assert '<option value="wrong_call">Forkert henvendelse' in page
    t = datetime(2026, 11, 4, 9, 0, tzinfo=TZ)
    with store.sessions.begin() as s:
        contact(s, "w1", "bo", t, "handoff")
    store.wrap_up("w1", "h-w1", "bo", Outcome.WRONG_CALL, 20.0, t + timedelta(minutes=9))
    found = wrong_calls(store, Filters(*PERIOD, municipality="0751"))
    assert [(r["topic"], r["wrong_calls"]) for r in found["rows"]
            if r["wrong_calls"]] == [("pas", 1)]
    assert store.conversation("w1")["outcome"] == "wrong_call"


def test_a_broken_cost_file_leaves_the_rest_of_the_dashboard(store, registry, tmp_path):
    from gateway.quality_views import panels
    from handoff.accounts import Account

    bad = tmp_path / "costs.yaml"
    bad.write_text("periods: [{start: x}]\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path, costs_file=bad)
    admin = Account(1, "ada", "Ada", "admin", None, (), False)
    shown = panels(store, settings, registry, admin, Filters(*PERIOD))
    assert "not a date" in shown["cost"]["error"]
    assert shown["wrong"]["total"]["total"] >= 4
