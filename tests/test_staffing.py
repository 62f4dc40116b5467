"""Erlang C staffing and the half-hour forecast, against hand-computed figures."""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handoff.staffing import (
    Slot,
    agents_needed,
    day_plan,
    erlang_c,
    forecast,
    jumpseat,
    service_level,
    slot_of,
)

TZ = ZoneInfo("Europe/Copenhagen")


def erlang_c_textbook(n: int, a: float) -> float:
    """The factorial form, for small n (an independent check of the recursion)."""
    top = a ** n / math.factorial(n) * n / (n - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)


def test_erlang_c_hand_computed():
    # N = 3, A = 2: (8/6 · 3) / (1 + 2 + 2 + 8/6 · 3) = 4 / 9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    for n, a in [(5, 3.2), (11, 10.0), (20, 14.5), (40, 33.3)]:
        assert erlang_c(n, a) == pytest.approx(erlang_c_textbook(n, a), rel=1e-9)
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 0.0) == 0.0


def test_service_level_and_agents_needed():
    # 100 calls in 30 min, 3 min each: A = 10 Erlangs. With 11 agents,
    # SL(20 s) = 1 - C(11, 10) · e^(-(11-10)·20/180).
    expected = 1 - erlang_c(11, 10.0) * math.exp(-20 / 180)
    assert service_level(11, 100, 180, 20) == pytest.approx(expected)
    assert 0.3 < expected < 0.45
    n = agents_needed(100, 180, 20, 0.8)
    assert service_level(n, 100, 180, 20) >= 0.8 > service_level(n - 1, 100, 180, 20)
    assert n == 14
    assert agents_needed(0, 180, 20, 0.8) == 0


def test_forecast_is_the_mean_per_weekday_and_half_hour():
    history = [
        datetime(2026, 11, 2, 9, 10, tzinfo=TZ),  # Monday 09:00 slot, week 1
        datetime(2026, 11, 2, 9, 40, tzinfo=TZ),  # Monday 09:30 slot
        datetime(2026, 11, 9, 9, 5, tzinfo=TZ),   # Monday 09:00, week 2
        datetime(2026, 11, 9, 9, 25, tzinfo=TZ),  # Monday 09:00, week 2
        datetime(2026, 11, 3, 14, 0, tzinfo=TZ),  # Tuesday 14:00
    ]
    f = forecast(history, date(2026, 11, 2), date(2026, 11, 15))  # two of each weekday
    assert f[Slot(0, 540)] == 1.5 and f[Slot(0, 570)] == 0.5 and f[Slot(1, 840)] == 0.5
    # UTC in, local slots out (CET = UTC+1 in November).
    assert slot_of(datetime.fromisoformat("2026-11-02T08:15:00+00:00")) == Slot(0, 540)
    assert Slot(0, 540).label == "man 09:00"


def test_jumpseat_signal():
    need = agents_needed(100, 180, 20, 0.8)  # 14
    assert jumpseat(0, need + 2, 100, 180, 20, 0.8) == "leave"
    assert jumpseat(0, need, 100, 180, 20, 0.8) == "ok"
    assert jumpseat(3, need - 1, 100, 180, 20, 0.8) == "more"


def test_day_plan_covers_the_half_hours_with_contacts():
    fc = {Slot(0, 540): 100.0, Slot(0, 570): 1.5, Slot(1, 540): 7.0}
    plan = day_plan(fc, date(2026, 11, 23), 180, 20, 0.8)  # a Monday
    assert [(i.start.hour, i.start.minute) for i in plan] == [(9, 0), (9, 30)]
    assert plan[0].agents == 14  # as hand-checked above: 100 calls, 3 min, 80 % in 20 s
    assert plan[1].agents == agents_needed(1.5, 180, 20, 0.8) >= 1
    assert plan[0].start.tzinfo is not None and plan[0].contacts == 100.0


def test_staffing_view_over_http(knowledge, tmp_path):
    """Four weeks of handoffs on today's weekday, ten per half hour: the view plans
    every half hour with Erlang C's agents, counts the agents on duty, and signals."""
    from datetime import UTC, timedelta

    import httpx

    from bot.frontdesk import Frontdesk
    from gateway.app import create_app
    from handoff.accounts import Accounts
    from handoff.backends import MemoryBackend
    from handoff.desk import HandoffDesk
    from handoff.queues import Agent
    from store.models import Conversation, HandoffPacket
    from store.outcomes import OutcomeStore, database_url
    from tests.servers import serve_app

    store = OutcomeStore(database_url(None, tmp_path))
    Accounts(store).add("ada", "Ada Admin", "admin", None, (), "korrekt-hest-batteri")
    today = datetime.now(TZ).date()
    with store.sessions.begin() as s:
        for week in range(1, 5):
            day = today - timedelta(weeks=week)
            for minute in range(0, 24 * 60, 30):
                for k in range(10):
                    at = datetime(day.year, day.month, day.day, minute // 60, minute % 60,
                                  k, tzinfo=TZ).astimezone(UTC)
                    cid = f"c{week}-{minute}-{k}"
                    s.add(Conversation(id=cid, channel="chat", started_at=at, turns=1,
                                       municipality="0751"))
                    s.add(HandoffPacket(id=f"h{cid}", conversation_id=cid, kind="handoff",
                                        target="ddh", reason="r", summary="s", packet={},
                                        created_at=at))
    desk = HandoffDesk(MemoryBackend())
    desk.register(Agent("anne", "Anne", ("ddh",), (), "available"))
    desk.register(Agent("bo", "Bo", ("ddh",), (), "away"))
    frontdesk = Frontdesk(knowledge, store, handoffs=desk)
    with serve_app(create_app(knowledge.settings, frontdesk=frontdesk)) as url:
        c = httpx.Client(base_url=url)
        assert c.get("/api/admin/staffing").status_code == 401
        c.post("/api/agent/login", json={"username": "ada", "password": "korrekt-hest-batteri"})
        view = c.get("/api/admin/staffing").json()
        page = c.get("/admin").text
    needed = agents_needed(10, 300, 60, 0.8)
    assert len(view["intervals"]) == 48
    assert {i["contacts"] for i in view["intervals"]} == {10.0}
    assert {i["agents_needed"] for i in view["intervals"]} == {needed} and needed > 1
    assert (view["agents_on_duty"], view["waiting"], view["forecast_now"]) == (1, 0, 10.0)
    assert view["signal"] == "more"  # one agent where Erlang C asks for more
    assert "Der mangler én medarbejder nu." in page and "1 logget ind nu" in page
    store.close()
