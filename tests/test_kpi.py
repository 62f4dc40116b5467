"""Quality figures on a fixture whose figures were computed by hand (SQLite and
PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, update

from ddh.vocabulary import Action
from store import rollup
from store.kpi import (
    Filters,
    breakdown,
    dashboard,
    headline,
    per_municipality,
    volume_by_hour,
)
from store.models import Conversation, KpiHour, KpiState
from store.outcomes import OutcomeStore, database_url
from store.records import EndRecord, HandoffPacket, TurnRecord
from tests.postgres import store_on

TZ = ZoneInfo("Europe/Copenhagen")
MON = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday, 09:00 local (08:00 UTC)


def turn(store, cid, at, action, outcome, municipality="0751", channel="chat",
         satisfaction=None, ended=False, handoff=None, seq=1):
    store.record(TurnRecord(
        conversation_id=cid, channel=channel, seq=seq, at=at, citizen_text="spørgsmål",
        bot_text="svar", language="da", action=action, topic="pas",
        municipality=municipality, municipality_source="widget", reason="r",
        outcome=outcome, satisfaction=satisfaction, ended=ended, handoff=handoff))


def handoff(hid):
    return HandoffPacket(id=hid, kind=Action.HANDOFF, target="ddh", topic="pas",
                         municipality=None, reason="r", summary="s", channel="chat",
                         created_at=datetime(2026, 11, 2, tzinfo=UTC))


def fixture(store: OutcomeStore) -> None:
    """Ten contacts (by hand):
    c1 bot resolved, scored 9, ended after 120 s      (Aarhus, Mon 09:00)
    c2 bot resolved, scored 7, ended after 60 s       (Aarhus, Mon 09:10)
    c3 bot resolved, no score, ended after 30 s       (Aarhus, Mon 10:00)
    c4 handoff, answered after 30 s, resolved by agent, ended after 300 s (Aarhus)
    c5 handoff, answered after 90 s, agent: transfer, ended after 600 s  (Viborg)
    c6 handoff, never answered (abandoned), ended after 200 s (Viborg)
    c7 transfer (bot)                                 (Viborg, Tue 14:00)
    c8 ticket (bot)                                   (Viborg, voice)
    c9 redirect                                       (Aarhus, voice)
    c10 clarify only, unresolved                      (Aarhus)
    plus a greeting-only call that hung up (not a contact).
    """
    t = MON
    turn(store, "c1", t, "answer", "resolved_bot", satisfaction=9)
    store.record(EndRecord("c1", "chat", t, t + timedelta(seconds=120)))
    turn(store, "c2", t + timedelta(minutes=10), "answer", "resolved_bot", satisfaction=7)
    store.record(EndRecord("c2", "chat", t, t + timedelta(minutes=10, seconds=60)))
    turn(store, "c3", t + timedelta(hours=1), "answer", "resolved_bot")
    store.record(EndRecord("c3", "chat", t, t + timedelta(hours=1, seconds=30)))
    for cid, wait, outcome, length, code in (("c4", 30, "resolved_agent", 300, "0751"),
                                             ("c5", 90, "transfer", 600, "0791")):
        turn(store, cid, t, "handoff", "handoff", municipality=code, handoff=handoff(cid))
        store.wrap_up(cid, cid, "anne", outcome, wait, t + timedelta(seconds=length))
    turn(store, "c6", t, "handoff", "handoff", municipality="0791", handoff=handoff("c6"))
    store.record(EndRecord("c6", "chat", t, t + timedelta(seconds=200)))
    tue = t + timedelta(days=1, hours=5)
    turn(store, "c7", tue, "transfer", "transfer", municipality="0791")
    turn(store, "c8", t, "ticket", "ticket", municipality="0791", channel="voice")
    turn(store, "c9", t, "redirect", "redirect", channel="voice")
    turn(store, "c10", t, "clarify", "unresolved")
    store.record(EndRecord("hangup", "voice", t, t + timedelta(seconds=5)))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    with store_on(request.param, tmp_path_factory, fixture) as s:
        yield s


def test_headline_figures(store):
    h = headline(store, sl_target_s=60)
    assert h["contacts"] == 10
    assert h["straks_sag"] == 0.4  # c1 c2 c3 c4
    assert h["bot_resolution"] == 0.3
    assert (h["handoffs_offered"], h["handoffs_answered"], h["answer_rate"]) == (3, 2, 0.6667)
    assert h["transfer_rate"] == 0.2  # c5 (agent) and c7
    assert h["ticket_rate"] == 0.1 and h["redirect_share"] == 0.1
    assert h["satisfaction_mean"] == 8.0
    assert h["satisfaction_response_rate"] == 0.3333  # 2 scores, 6 ended contacts
    assert (h["queue_wait_median_s"], h["queue_wait_p90_s"]) == (60.0, 90.0)
    assert h["service_level"] == 0.3333  # c4 within 60 s; c5 late; c6 never
    # (120 + 60 + 30 + 300 + 600 + 200) / 6
    assert h["handling_time_s"] == pytest.approx(218.3, abs=0.1)


def test_filters_and_municipality_table(store):
    viborg = headline(store, Filters(municipality="0791"))
    assert viborg["contacts"] == 4 and viborg["transfer_rate"] == 0.5
    assert headline(store, Filters(channel="voice"))["contacts"] == 2
    monday = headline(store, Filters(start=MON, end=MON + timedelta(days=1)))
    assert monday["contacts"] == 9
    table = {r["municipality"]: r for r in per_municipality(store)}
    assert table["0751"] == {"municipality": "0751", "contacts": 6, "resolved_bot": 3,
                             "handed_off": 1, "transferred": 0, "tickets": 0}
    assert table["0791"] == {"municipality": "0791", "contacts": 4, "resolved_bot": 0,
                             "handed_off": 2, "transferred": 2, "tickets": 1}


def test_volume_heat_map_is_in_local_time(store):
    cells = volume_by_hour(store)
    assert cells == {(0, 9): 8, (0, 10): 1, (1, 14): 1}


def test_breakdowns_use_the_same_definitions(store):
    by_weekday = {r["weekday"]: r for r in breakdown(store, by="weekday")}
    assert by_weekday[0]["contacts"] == 9 and by_weekday[1]["contacts"] == 1
    assert by_weekday[1]["transfer_rate"] == 1.0  # c7, the only Tuesday contact
    by_channel = {r["channel"]: r for r in breakdown(store, by="channel")}
    assert by_channel["voice"]["contacts"] == 2 and by_channel["voice"]["ticket_rate"] == 0.5
    assert by_channel["chat"]["queue_wait_median_s"] == 60.0
    assert [r["contacts"] for r in breakdown(store, by="topic")] == [10]
    assert [(r["week"], r["contacts"]) for r in breakdown(store, by="week")] == [("2026-W48", 10)]
    assert [(r["hour"], r["contacts"]) for r in breakdown(store, by="hour")] == \
        [(9, 8), (10, 1), (14, 1)]
    with pytest.raises(ValueError):
        breakdown(store, by="agent")


def test_concurrent_refreshes_leave_one_copy(store):
    """Every conversation marked as just written; eight refreshers race; the figures
    are those of the fixture, not doubled."""
    with store.sessions.begin() as s:
        s.execute(update(Conversation).values(updated_at=datetime.now(UTC)))
    before = headline(store)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: rollup.refresh(store), range(8)))
    assert headline(store, refresh=False) == before
    with store.sessions() as s:
        assert s.scalar(select(func.sum(KpiHour.contacts))) == 10


def test_the_roll_up_follows_new_writes(tmp_path):
    """A refresh recomputes only the hours whose conversations changed: a new contact
    in an hour already rolled up, and a score given later to an old one, both count."""
    s = OutcomeStore(database_url(None, tmp_path))
    fixture(s)
    assert headline(s)["contacts"] == 10
    assert rollup.refresh(s) == 3  # all three hours were written inside the overlap
    turn(s, "c11", MON + timedelta(minutes=20), "answer", "resolved_bot", municipality="0791")
    turn(s, "c3", MON + timedelta(hours=1), "answer", "resolved_bot", satisfaction=3, seq=2)
    h = headline(s)
    assert h["contacts"] == 11 and h["bot_resolution"] == round(4 / 11, 4)
    assert h["satisfaction_mean"] == round((9 + 7 + 3) / 3, 2)
    assert volume_by_hour(s)[(0, 9)] == 9
    s.close()


def test_an_existing_store_is_rolled_up_on_first_read(tmp_path):
    """Rows written before the roll-up existed (or bulk-loaded) are all counted."""
    s = OutcomeStore(database_url(None, tmp_path))
    fixture(s)
    with s.sessions.begin() as db:
        db.execute(delete(KpiState))
        db.execute(delete(KpiHour))
    assert headline(s) == headline(s, refresh=False)
    assert headline(s)["contacts"] == 10
    s.close()


def test_the_dashboard_reads_agree_with_each_figure(store):
    """The dashboard's combined read (bench/kpi.py times it) gives the same figures."""
    view = dashboard(store)
    assert view["headline"] == headline(store)
    assert view["municipalities"] == per_municipality(store)
    assert {(c["weekday"], c["hour"]): c["contacts"] for c in view["heat_map"]} == \
        volume_by_hour(store)
    assert view["satisfaction"][9] == 1 and sum(view["satisfaction"].values()) == 2
