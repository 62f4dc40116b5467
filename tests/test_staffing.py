"""Erlang C staffing and the half-hour forecast, against hand-computed figures."""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handoff.staffing import (
    Slot,
    agents_needed,
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
