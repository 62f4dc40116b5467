from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.schedule import Schedule, spoken_when

TZ = ZoneInfo("Europe/Copenhagen")


@pytest.fixture(scope="module")
def schedule(registry):
    return Schedule(registry)


def at(s: str) -> datetime:
    return datetime.fromisoformat(s)


@pytest.mark.parametrize(("when", "open_"), [
    ("2026-11-24T07:59:00+01:00", False),  # Tuesday before opening
    ("2026-11-24T08:00:00+01:00", True),   # the opening minute
    ("2026-11-24T17:59:00+01:00", True),
    ("2026-11-24T18:00:00+01:00", False),  # the closing minute
    ("2026-11-27T15:59:00+01:00", True),   # Friday
    ("2026-11-27T16:00:00+01:00", False),
    ("2026-11-28T10:00:00+01:00", False),  # Saturday
    ("2026-12-24T10:00:00+01:00", False),  # Juleaftensdag (configured closing day)
    ("2026-12-25T10:00:00+01:00", False),  # Juledag
    ("2026-04-03T10:00:00+02:00", False),  # Langfredag
    ("2026-06-05T10:00:00+02:00", False),  # Grundlovsdag
    ("2026-11-24T09:00:00Z", True),        # 10:00 in Copenhagen
    ("2026-11-24T17:30:00Z", False),       # 18:30 in Copenhagen
])
def test_ddh_hours(schedule, when, open_):
    assert schedule.ddh(at(when)).open is open_


def test_member_and_non_member_hours(schedule):
    assert schedule.municipality("0615", at("2026-11-24T09:00:00+01:00")).open
    assert not schedule.municipality("0615", at("2026-11-24T15:00:00+01:00")).open
    assert schedule.municipality("0813", at("2026-11-24T11:59:00+01:00")).open
    assert not schedule.municipality("0813", at("2026-11-24T12:00:00+01:00")).open
    assert schedule.municipality("0101", at("2026-11-27T12:59:00+01:00")).open  # Fri 9-13
    assert not schedule.municipality("0101", at("2026-11-27T13:00:00+01:00")).open


def test_next_opening_skips_weekends_and_holidays(schedule):
    closed = schedule.ddh(at("2026-12-23T19:00:00+01:00"))  # Wednesday evening
    # 24, 25, 26 December closed; 27 is Sunday; Monday 28 December opens at 08:00.
    assert closed.next_open == datetime(2026, 12, 28, 8, 0, tzinfo=TZ)
    fri = schedule.municipality("0615", at("2026-11-27T16:00:00+01:00"))
    assert fri.next_open == datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    assert schedule.ddh(at("2026-12-25T10:00:00+01:00")).closed_reason == "Juledag"


def test_spoken_when():
    now = datetime(2026, 11, 24, 20, 0, tzinfo=TZ)
    assert spoken_when(datetime(2026, 11, 25, 8, 0, tzinfo=TZ), now) == "i morgen kl. 8.00"
    assert spoken_when(datetime(2026, 11, 30, 9, 30, tzinfo=TZ), now) == "mandag kl. 9.30"
    assert spoken_when(datetime(2026, 12, 28, 8, 0, tzinfo=TZ), now) == \
        "den 28. december kl. 8.00"
