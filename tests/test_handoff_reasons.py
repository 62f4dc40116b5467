"""Handoff reasons: the typed reason of every handoff, transfer and ticket, from the
frontdesk's decision through the packet and the store to the agent's screen and the
dashboard's counts (hand-computed, SQLite and PostgreSQL); and agent assist ranked by
the conversation, not by its last line."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import websockets
from alembic import command
from sqlalchemy import create_engine, insert

from bot.frontdesk import Frontdesk, TurnInput
from ddh.vocabulary import Action, HandoffReason
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.assist import suggest
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store import kpi
from store.migrate import alembic_config
from store.models import Conversation, KpiState
from store.models import HandoffPacket as HandoffRow
from store.outcomes import OutcomeStore, database_url
from store.records import HandoffPacket, TranscriptLine, TurnRecord
from tests.postgres import store_on
from tests.servers import serve_app

TZ = ZoneInfo("Europe/Copenhagen")
MON = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday, 09:00 local
TUE = MON + timedelta(days=1)
PASSWORD = "korrekt-hest-batteri"
R = HandoffReason


def packet(hid: str, kind: Action, reason: HandoffReason | None, at: datetime,
           municipality: str = "0751", channel: str = "chat") -> HandoffPacket:
    return HandoffPacket(
        id=hid, kind=kind, target="ddh" if kind == Action.HANDOFF else municipality,
        topic="pas", municipality=municipality,
        reason=f"{reason}: policy" if reason else "r", summary="s", channel=channel,
        created_at=at, reason_kind=reason)


def escalate(store: OutcomeStore, cid: str, kind: Action, reason: HandoffReason | None,
             at: datetime = MON, municipality: str = "0751", channel: str = "chat") -> None:
    """A contact whose first turn escalates (through the store's real write path)."""
    store.record(TurnRecord(
        conversation_id=cid, channel=channel, seq=1, at=at, citizen_text="spørgsmål",
        bot_text="svar", language="da", action=kind, topic="pas", municipality=municipality,
        municipality_source="widget", reason="r", outcome=str(kind),
        handoff=packet(f"h-{cid}", kind, reason, at, municipality, channel)))


def fixture(store: OutcomeStore) -> None:
    """Escalations by hand (Aarhus 0751, Viborg 0791; Monday unless said):
    r1  Aarhus chat   handoff  wants_person
    r2  Aarhus chat   handoff  wants_person, then the agent's ticket (wants_person)
    r3  Viborg chat   transfer own_case
    r4  Viborg voice  ticket   not_understood
    r5  Aarhus voice  handoff  not_understood
    r6  Aarhus chat   handoff  complaint       (Tuesday)
    r7  Viborg chat   ticket   no_guide        (Tuesday)
    r8  Aarhus chat   handoff  crisis
    r9  Viborg chat   handoff  not_helped
    r10 Aarhus chat   handoff  none recorded (an older record)
    r11 Aarhus chat   answered by the bot: no escalation
    r12 Viborg chat   transfer not_helped      (a week later)
    """
    escalate(store, "r1", Action.HANDOFF, R.WANTS_PERSON)
    escalate(store, "r2", Action.HANDOFF, R.WANTS_PERSON)
    store.add_ticket("r2", packet("t-r2", Action.TICKET, R.WANTS_PERSON, MON), [], None,
                     MON + timedelta(minutes=5))
    escalate(store, "r3", Action.TRANSFER, R.OWN_CASE, municipality="0791")
    escalate(store, "r4", Action.TICKET, R.NOT_UNDERSTOOD, municipality="0791",
             channel="voice")
    escalate(store, "r5", Action.HANDOFF, R.NOT_UNDERSTOOD, channel="voice")
    escalate(store, "r6", Action.HANDOFF, R.COMPLAINT, at=TUE)
    escalate(store, "r7", Action.TICKET, R.NO_GUIDE, at=TUE, municipality="0791")
    escalate(store, "r8", Action.HANDOFF, R.CRISIS)
    escalate(store, "r9", Action.HANDOFF, R.NOT_HELPED, municipality="0791")
    escalate(store, "r10", Action.HANDOFF, None)
    store.record(TurnRecord(
        conversation_id="r11", channel="chat", seq=1, at=MON, citizen_text="spørgsmål",
        bot_text="svar", language="da", action=Action.ANSWER, topic="pas",
        municipality="0751", municipality_source="widget", reason="r",
        outcome="resolved_bot"))
    escalate(store, "r12", Action.TRANSFER, R.NOT_HELPED, at=MON + timedelta(days=7),
             municipality="0791")


def counts(rows: list[kpi.ReasonCount]) -> dict[str | None, tuple[int, int, int]]:
    """(handoffs, transfers, tickets) per reason, the reasons with none left out."""
    return {(str(r.reason) if r.reason else None): (r.handoffs, r.transfers, r.tickets)
            for r in rows if r.escalations}


ALL = {"wants_person": (2, 0, 1), "not_understood": (1, 0, 1), "no_guide": (0, 0, 1),
       "not_helped": (1, 1, 0), "own_case": (0, 1, 0), "complaint": (1, 0, 0),
       "crisis": (1, 0, 0), None: (1, 0, 0)}


# --- the packet ------------------------------------------------------------------------


def test_the_packet_carries_its_reason_through_json():
    p = HandoffPacket(kind=Action.TICKET, target="0751", topic="pas", municipality="0751",
                      reason="complaint: closed", summary="Årsag: borgeren vil klage.",
                      channel="chat", created_at=MON, need="jeg vil klage",
                      transcript=(TranscriptLine("citizen", "jeg vil klage"),),
                      reason_kind=R.COMPLAINT)
    data = json.loads(json.dumps(p.as_json()))
    assert data["reason_kind"] == "complaint"
    assert data["packet"]["reason_kind"] == "complaint"
    assert data["packet"]["reason_da"] == "Klage"
    back = HandoffPacket.from_json(data)
    assert back == p and back.reason_kind is R.COMPLAINT
    # Written before reasons were recorded, or with a reason this version does not know.
    del data["reason_kind"], data["packet"]["reason_kind"]
    assert HandoffPacket.from_json(data).reason_kind is None
    data["reason_kind"] = "a-future-reason"
    assert HandoffPacket.from_json(data).reason_kind is None
    assert HandoffPacket.from_json({**p.as_json(), "reason_kind": None}).reason_kind \
        is R.COMPLAINT  # the body's copy
    assert [r.value for r in R] == ["wants_person", "not_understood", "no_guide",
                                    "not_helped", "own_case", "complaint", "crisis"]
    assert all(r.label_da for r in R)


# --- stored and counted ----------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    with store_on(request.param, tmp_path_factory, fixture) as s:
        yield s


def test_every_escalation_is_stored_with_its_reason(store):
    conv = store.conversation("r2")
    assert sorted((h["kind"], h["reason_kind"]) for h in conv["handoffs"]) == \
        [("handoff", "wants_person"), ("ticket", "wants_person")]
    assert store.conversation("r10")["handoffs"][0]["reason_kind"] is None
    tickets = {t["id"]: t["reason_kind"] for t in store.tickets()}
    assert tickets == {"t-r2": "wants_person", "h-r4": "not_understood",
                       "h-r7": "no_guide"}


def test_escalations_per_reason_counted_by_hand(store):
    rows = kpi.escalation_reasons(store)
    assert counts(rows) == ALL
    assert [r.reason for r in rows] == [*R, None]  # the vocabulary's order, then unknown
    assert sum(r.escalations for r in rows) == 12  # r1-r10, r2's ticket and r12
    viborg = kpi.escalation_reasons(store, kpi.Filters(municipality="0791"))
    assert counts(viborg) == {"not_helped": (1, 1, 0), "own_case": (0, 1, 0),
                              "not_understood": (0, 0, 1), "no_guide": (0, 0, 1)}
    assert None not in [r.reason for r in viborg]  # no unknown row when there is none
    voice = kpi.escalation_reasons(store, kpi.Filters(channel="voice"))
    assert counts(voice) == {"not_understood": (1, 0, 1)}
    week = kpi.escalation_reasons(store, kpi.Filters(start=MON, end=MON + timedelta(days=2)))
    assert counts(week) == {**ALL, "not_helped": (1, 0, 0)}  # r12 is a week later
    tuesday = kpi.escalation_reasons(store, kpi.Filters(start=TUE, end=TUE + timedelta(days=1)))
    assert counts(tuesday) == {"complaint": (1, 0, 0), "no_guide": (0, 0, 1)}
    view = kpi.dashboard(store)
    assert view["reasons"] == [r.as_json() for r in rows]
    assert view["reasons"][0] == {"reason": "wants_person", "escalations": 3,
                                  "handoffs": 2, "transfers": 0, "tickets": 1}


def test_the_counts_follow_new_escalations(tmp_path):
    """A refresh recomputes the hours of conversations that got a new escalation: a
    ticket the agent made later, and a new contact in an hour already rolled up."""
    s = OutcomeStore(database_url(None, tmp_path))
    fixture(s)
    assert counts(kpi.escalation_reasons(s)) == ALL
    s.add_ticket("r9", packet("t-r9", Action.TICKET, R.NOT_HELPED, MON), [], None,
                 MON + timedelta(minutes=30))
    escalate(s, "r13", Action.HANDOFF, R.COMPLAINT, at=MON + timedelta(minutes=20))
    assert counts(kpi.escalation_reasons(s)) == {**ALL, "not_helped": (1, 1, 1),
                                                 "complaint": (2, 0, 0)}
    s.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_migration_reads_older_reasons_and_recounts(tmp_path, database):
    """Handoffs written before migration 0007 get their kind from the "<need>: …" text
    of their reason (an agent's ticket stays unknown), and the next read of the
    dashboard counts them although the roll-up was up to date."""
    if database == "sqlite":
        _migrate_older_store(database_url(None, tmp_path))
        return
    from tests.postgres import pg_bin, postgres_server

    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed")
    with postgres_server() as url:
        _migrate_older_store(url)


def _migrate_older_store(url: str) -> None:
    engine = create_engine(url)
    cfg = alembic_config(url)
    old = MON - timedelta(days=2)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conversations = Conversation.__table__
        handoffs = HandoffRow.__table__
        rows = (("o1", "own_case: the municipality is open", "transfer"),
                ("o2", "wants_person: DDH is staffed", "handoff"),
                ("o3", "agent anne: ring om pas", "ticket"),
                ("o4", "crisis: DDH is staffed", "handoff"))
        for cid, reason, kind in rows:
            conn.execute(insert(conversations).values(
                id=cid, channel="chat", municipality="0751", language="da", topic="pas",
                started_at=old, turns=1, outcome=kind, updated_at=old))
            conn.execute(insert(handoffs).values(
                id=f"h-{cid}", conversation_id=cid, kind=kind, target="0751",
                topic="pas", reason=reason, summary="s", packet={}, created_at=old,
                status="open"))
        # The roll-up was refreshed after these were written: nothing is dirty.
        conn.execute(insert(KpiState.__table__).values(name="rollup",
                                                       at=datetime.now(UTC)))
    engine.dispose()
    store = OutcomeStore(url)  # upgrades to the newest revision
    kinds = {cid: store.conversation(cid)["handoffs"][0]["reason_kind"]
             for cid in ("o1", "o2", "o3", "o4")}
    assert kinds == {"o1": "own_case", "o2": "wants_person", "o3": None, "o4": "crisis"}
    assert counts(kpi.escalation_reasons(store)) == {
        "own_case": (0, 1, 0), "wants_person": (1, 0, 0), "crisis": (1, 0, 0),
        None: (0, 0, 1)}
    assert kpi.headline(store)["contacts"] == 4
    store.close()


# --- the frontdesk records a reason on every escalation --------------------------------


def test_the_frontdesk_records_the_reason_of_each_escalation(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store)
    tue_day = datetime.fromisoformat("2026-11-24T10:15:00+01:00")
    tue_evening = datetime.fromisoformat("2026-11-24T20:15:00+01:00")
    wed = datetime.fromisoformat("2026-11-25T13:00:00+01:00")

    def last_turn(*turns: str, municipality: str, at: datetime):
        cid = uuid.uuid4().hex
        results = [desk.handle(TurnInput(cid, text, "chat", municipality if i == 0 else None,
                                         None, at)) for i, text in enumerate(turns)]
        return results[-1]

    cases = [
        (("hvordan logger jeg på mitid", "det hjalp ikke"), "0615", tue_day,
         "handoff", R.NOT_HELPED),
        (("jeg vil gerne tale med en medarbejder",), "0615", tue_evening,
         "ticket", R.WANTS_PERSON),
        (("jeg vil klage over en afgørelse",), "0751", tue_day, "transfer", R.COMPLAINT),
        (("hvad er status på min sag? jeg har ikke hørt noget i 5 uger",), "0813", wed,
         "ticket", R.OWN_CASE),
    ]
    for turns, municipality, at, action, reason in cases:
        r = last_turn(*turns, municipality=municipality, at=at)
        assert (r.action, r.handoff and r.handoff.reason_kind) == (action, reason), turns
        line = r.contract()["handoff"]
        assert line["reason_kind"] == str(reason)
        assert line["reason"].startswith(f"{reason}: ")  # the free text, as before
        assert "Årsag: " in r.handoff.summary
        (stored,) = store.conversation(r.conversation)["handoffs"]
        assert stored["reason_kind"] == str(reason)
        assert stored["packet"]["reason_kind"] == str(reason)
    store.close()


# --- the agent's screen, agent assist and the dashboard over HTTP ----------------------


@pytest.fixture(scope="module")
def gateway(knowledge, tmp_path_factory):
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("reasons-gateway")))
    accounts = Accounts(store)
    accounts.add("sofie", "Sofie Agent", "agent", "0849", ("sundhedskort",), PASSWORD)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("vera", "Vera Manager", "manager", "0791", (), PASSWORD)
    start = datetime(2026, 11, 24, 11, 0, tzinfo=TZ)  # Tuesday: DDH is staffed
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    app = create_app(knowledge.settings, frontdesk=desk,
                     clock=lambda: start + timedelta(seconds=1))
    with serve_app(app) as url:
        yield url, store, desk
    store.close()


def signed_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url)
    client.post("/api/agent/login",
                json={"username": username, "password": PASSWORD}).raise_for_status()
    return client


async def until(ws, kind: str, per_event_s: float = 20.0) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), per_event_s))
        if event.get("type") == kind:
            return event


def test_the_agent_sees_the_reason_and_guides_of_the_conversation(gateway):
    """A citizen asks about a lost health card, then only for a person. The agent's
    queue and packet say why ("Årsag"), and the suggested guides are the health card's,
    although the last line ("kan jeg tale med en medarbejder") names no subject."""
    url, store, _ = gateway
    ws_base = url.replace("http://", "ws://")
    generic = "kan jeg tale med en medarbejder"

    async def scenario():
        conv = (await asyncio.to_thread(
            httpx.post, f"{url}/api/chat/conversations", json={"municipality": "0849"})).json()
        cookie = (await asyncio.to_thread(signed_in, url, "sofie")).cookies["ddh_session"]
        agent = await websockets.connect(f"{ws_base}/api/agent/ws",
                                         additional_headers={"Cookie": f"ddh_session={cookie}"})
        citizen = await websockets.connect(ws_base + conv["websocket"])
        bot = []
        for i, text in enumerate(("jeg har mistet mit sundhedskort", generic)):
            await citizen.send(json.dumps({"type": "message", "id": f"m{i}", "text": text}))
            reply = await until(citizen, "message")
            while reply.get("reply_to") != f"m{i}":
                reply = await until(citizen, "message")
            bot.append(reply)
        view = await until(agent, "queue")
        while not [e for e in view["entries"] if e["conversation"] == conv["id"]]:
            view = await until(agent, "queue")
        (entry,) = [e for e in view["entries"] if e["conversation"] == conv["id"]]
        await agent.send(json.dumps({"type": "accept", "id": entry["id"]}))
        accepted = await until(agent, "accepted")
        await agent.send(json.dumps({"type": "assist", "conversation": conv["id"],
                                     "text": generic, "municipality": "0849"}))
        assisted = await until(agent, "assist")
        await agent.send(json.dumps({"type": "ticket", "conversation": conv["id"],
                                     "target": "0849", "note": "ring om kortet"}))
        ticket = await until(agent, "ticket")
        await agent.close()
        await citizen.close()
        return conv["id"], bot, entry, accepted, assisted["guides"], ticket

    cid, bot, entry, accepted, guides, ticket = asyncio.run(scenario())
    assert [b["action"] for b in bot] == ["answer", "handoff"]
    assert bot[1]["topic"] == "sundhedskort"
    assert (entry["reason_kind"], entry["reason"]) == ("wants_person", "Bad om en medarbejder")
    assert (accepted["reason_kind"], accepted["reason"]) == \
        ("wants_person", "Bad om en medarbejder")
    assert "Årsag: borgeren beder om at tale med en medarbejder." in accepted["summary"]

    topics = [g["topic"] for g in guides]
    assert topics[0] == "sundhedskort", guides
    # no guide of another topic above a health-card guide
    assert topics == sorted(topics, key=lambda t: t != "sundhedskort"), guides
    assert guides[0]["url"].startswith("https://")

    # The agent's ticket keeps why the citizen needed a person.
    (row,) = [t for t in store.tickets() if t["id"] == ticket["id"]]
    assert row["reason_kind"] == "wants_person"
    kinds = sorted((h["kind"], h["reason_kind"]) for h in store.conversation(cid)["handoffs"])
    assert kinds == [("handoff", "wants_person"), ("ticket", "wants_person")]


def test_assist_ranks_by_the_conversation_not_the_last_line(knowledge):
    """The same ranking without the gateway: the last line alone finds guides of other
    topics; with the conversation's topic and the citizen's first question, the
    health-card guides come first."""
    retriever = knowledge.retriever
    generic = "kan jeg tale med en medarbejder"
    plain = retriever.search(generic, "0849", k=3)
    assert plain[0].guide.topic != "sundhedskort"  # what assist used to show first
    found = suggest(retriever, latest=generic,
                    citizen=["jeg har mistet mit sundhedskort", generic],
                    topic="sundhedskort", municipality="0849", k=3)
    topics = [s.guide.topic for s in found]
    assert topics[0] == "sundhedskort"
    assert topics == sorted(topics, key=lambda t: t != "sundhedskort")
    assert found[0].guide.id == retriever.search("jeg har mistet mit sundhedskort", "0849",
                                                 k=1)[0].guide.id
    # Without a topic (a conversation not taken) the subject still leads.
    untopical = suggest(retriever, latest=generic,
                        citizen=["jeg har mistet mit sundhedskort", generic], k=3)
    assert untopical[0].guide.topic == "sundhedskort"
    # The guide on reaching a person is not for the agent: the citizen has one.
    assert "menneske" not in topics + [s.guide.topic for s in untopical]
    # A new subject in the latest line still gets a place, after the conversation's.
    moved = suggest(retriever, latest="og hvordan bestiller jeg et nyt pas",
                    citizen=["jeg har mistet mit sundhedskort",
                             "og hvordan bestiller jeg et nyt pas"],
                    topic="sundhedskort", municipality="0849", k=3)
    moved_topics = [s.guide.topic for s in moved]
    assert moved_topics[0] == "sundhedskort" and "pas" in moved_topics


def test_the_dashboard_counts_escalations_per_reason(gateway):
    """The JSON the dashboard reads and the page itself, for an administrator and for a
    municipality's manager (who sees only their own)."""
    url, store, _ = gateway
    fixture(store)
    period = {"start": "2026-11-23", "end": "2026-11-23"}  # the Monday only
    ada = signed_in(url, "ada")
    figures = ada.get("/api/admin/figures", params=period).json()
    reasons = {r["reason"]: (r["handoffs"], r["transfers"], r["tickets"])
               for r in figures["reasons"]}
    assert reasons == {"wants_person": (2, 0, 1), "not_understood": (1, 0, 1),
                       "no_guide": (0, 0, 0), "not_helped": (1, 0, 0),
                       "own_case": (0, 1, 0), "complaint": (0, 0, 0),
                       "crisis": (1, 0, 0), None: (1, 0, 0)}
    assert figures["reasons"][0]["escalations"] == 3
    page = ada.get("/admin", params=period).text
    assert "Årsager til at borgeren fik brug for en medarbejder" in page
    assert '<tr data-reason="wants_person"><td>Bad om en medarbejder</td>' \
        '<td class="escalations">3</td><td>2</td><td>0</td><td>1</td></tr>' in page
    assert '<tr data-reason=""><td>Ukendt</td><td class="escalations">1</td>' in page
    assert '<tr data-reason="crisis"><td>Krise</td><td class="escalations">1</td>' in page

    vera = signed_in(url, "vera")  # Viborg's manager
    mine = vera.get("/api/admin/figures", params={**period, "municipality": "0751"}).json()
    assert {r["reason"]: r["escalations"] for r in mine["reasons"]} == {
        "wants_person": 0, "not_understood": 1, "no_guide": 0, "not_helped": 1,
        "own_case": 1, "complaint": 0, "crisis": 0}
    page = vera.get("/admin", params=period).text
    assert '<tr data-reason="own_case"><td>Sagsstatus</td><td class="escalations">1</td>' \
        in page
    assert "Ukendt" not in page
