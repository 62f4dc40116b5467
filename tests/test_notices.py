"""Crisis notices (beredskab): the board, the frontdesk answering from a notice on chat
and voice, crisis priority in the queue, the audit trail, and the HTTP API with its
role scoping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.frontdesk import Frontdesk, TurnInput
from bot.notices import NoticeBoard, NoticeError, about
from bot.schedule import TZ
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store.models import AuditEntry
from store.outcomes import OutcomeStore, database_url
from tests.servers import serve_app

WATER = ("Forurenet drikkevand i Hinnerup",
         "Der er fundet bakterier i drikkevandet i Hinnerup. Kog vandet i fem minutter, før "
         "du drikker det. Vi skriver her, når vandet er rent igen.")
PASSWORD = "korrekt-hest-batteri"


def next_weekday_10() -> datetime:
    """A weekday 10:15 (DDH staffed) in the coming week, so published notices are
    recent whatever day the tests run."""
    day = datetime.now(TZ).replace(hour=10, minute=15, second=0, microsecond=0)
    day += timedelta(days=1)
    while day.weekday() >= 4:  # Mon–Thu: DDH open until 18:00
        day += timedelta(days=1)
    return day


AT = next_weekday_10()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = OutcomeStore(database_url(None, tmp_path_factory.mktemp("notices")))
    yield s
    s.close()


@pytest.fixture(scope="module")
def notice(store):
    board = NoticeBoard(store)
    return board.publish("jens", "0710", *WATER, expires_at=AT + timedelta(days=2),
                         keywords=["drikkevand", "vandet fra hanen", "kogeanbefaling"],
                         at=AT - timedelta(hours=2))


@pytest.fixture(scope="module")
def desk(knowledge, store, notice):
    return Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))


def talk(desk, *turns, municipality=None, channel="chat", at=AT):
    cid = uuid.uuid4().hex
    return cid, [desk.handle(TurnInput(cid, t, channel, municipality if i == 0 else None,
                                       None, at)) for i, t in enumerate(turns)]


def audit(store, action):
    with store.sessions() as s:
        return s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_a_notice_is_about_what_its_keywords_say(notice):
    assert about(notice, "Kan jeg drikke vandet fra hanen i dag?")
    assert about(notice, "hvad er der galt med drikkevandet")  # stem of a keyword
    assert not about(notice, "hvordan bestiller jeg et nyt pas")
    assert not about(notice, "vandet i min kælder")  # one word of a phrase is not enough


def test_a_citizen_of_the_municipality_is_answered_from_the_notice(desk, store, notice):
    cid, (r,) = talk(desk, "Er der noget galt med drikkevandet? Kan jeg drikke det?",
                     municipality="0710")
    assert (r.action, r.topic) == ("answer", "krise")
    assert "Kog vandet i fem minutter" in r.reply and "Favrskov Kommune" in r.reply
    assert r.guides == []  # the notice, not a guide
    store.flush()
    assert store.conversation(cid)["notice_id"] == notice.id
    # The volume the dashboard shows, read as it is written.
    volume = NoticeBoard(store).volumes("0710", now=AT)[0]
    assert volume["id"] == notice.id and volume["contacts"] >= 1
    assert volume["contacts_last_hour"] >= 1


def test_other_municipalities_get_their_usual_answer(desk):
    _, (r,) = talk(desk, "Er der noget galt med drikkevandet?", municipality="0751")
    assert "Hinnerup" not in r.reply and "Vigtig besked" not in r.reply


def test_unknown_municipality_is_asked_first(desk):
    _, (ask, answer) = talk(desk, "kan man drikke vandet fra hanen?", "jeg bor i Favrskov")
    assert (ask.action, ask.topic) == ("clarify", "krise")
    assert "kommune" in ask.reply.lower()
    assert (answer.action, answer.topic, answer.municipality) == ("answer", "krise", "0710")
    assert "Kog vandet" in answer.reply


def test_voice_hears_the_notice_briefly(desk):
    _, (r,) = talk(desk, "ja hej er drikkevandet forurenet", municipality="0710",
                   channel="voice")
    assert r.action == "answer" and r.topic == "krise"
    assert "Forurenet drikkevand i Hinnerup" in r.reply and "http" not in r.reply


def test_a_person_about_the_notice_gets_crisis_priority(desk):
    _, (r,) = talk(desk, "jeg vil gerne tale med en medarbejder om drikkevandet",
                   municipality="0710")
    assert (r.action, r.topic) == ("handoff", "krise")
    waiting = {w.id: w for w in desk.handoffs.backend.waiting()}
    assert waiting[r.handoff.id].priority == 1


def test_publish_edit_end_and_expiry_are_audited(store):
    board = NoticeBoard(store, cache_s=0)
    now = datetime.now(UTC)
    n = board.publish("ada", "0751", "Oversvømmelse på Strandvejen",
                      "Strandvejen er lukket. Kør udenom ad Ringgaden.",
                      expires_at=now + timedelta(hours=3), keywords=["strandvejen"])
    board.edit("ada", n.id, text="Strandvejen er lukket til i aften. Kør ad Ringgaden.")
    assert "til i aften" in board.get(n.id).text
    ended = board.end("ada", n.id)
    assert not ended.live(datetime.now(UTC))
    with pytest.raises(NoticeError):
        board.edit("ada", n.id, title="For sent")
    past = board.publish("ada", "0751", "Kort besked", "Det varer kun et øjeblik her.",
                         expires_at=now - timedelta(minutes=1), at=now - timedelta(hours=1))
    board.notices()  # the first reader notices the expiry
    board.notices()  # ...and only once
    assert [a.object for a in audit(store, "notice.publish")].count(n.id) == 1
    assert [a.detail for a in audit(store, "notice.edit") if a.object == n.id] == ["text"]
    assert [a.username for a in audit(store, "notice.expire") if a.object == n.id] == ["ada"]
    assert [a.username for a in audit(store, "notice.expired")
            if a.object == past.id] == ["system"]
    with pytest.raises(NoticeError):
        board.publish("ada", "0751", "Uden tekst", " ", expires_at=now + timedelta(hours=1))


def test_http_api_is_scoped_and_needs_csrf(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("jens", "Jens Manager", "manager", "0710", (), PASSWORD)
    accounts.add("anne", "Anne Agent", "agent", "0710", (), PASSWORD)
    desk = Frontdesk(knowledge, store)
    with serve_app(create_app(knowledge.settings, frontdesk=desk)) as url:
        def client(user: str) -> tuple[httpx.Client, dict]:
            c = httpx.Client(base_url=url)
            me = c.post("/api/agent/login", json={"username": user, "password": PASSWORD})
            return c, {"X-CSRF-Token": me.json()["csrf"]}

        jens, csrf = client("jens")
        body = {"title": WATER[0], "text": WATER[1], "keywords": ["drikkevand"],
                "hours": 12, "municipality": "0751"}
        assert jens.post("/api/admin/notices", json=body).status_code == 403  # no CSRF
        made = jens.post("/api/admin/notices", json=body, headers=csrf)
        assert made.status_code == 201
        notice = made.json()
        assert notice["municipality"] == "0710"  # a manager's own, whatever was asked
        _, (r,) = talk(desk, "er drikkevandet i orden?", municipality="0710",
                       at=datetime.now(TZ))
        assert r.topic == "krise" and "Hinnerup" in r.reply
        listed = jens.get("/api/admin/notices").json()
        assert listed[0]["id"] == notice["id"] and listed[0]["contacts"] == 1
        page = jens.get("/admin").text
        assert WATER[0] in page and 'class="crisis"' in page

        ada, ada_csrf = client("ada")
        other = ada.post("/api/admin/notices", headers=ada_csrf, json={
            **body, "title": "Vejarbejde i Aarhus", "keywords": ["vejarbejde"]}).json()
        assert other["municipality"] == "0751"
        assert jens.post(f"/api/admin/notices/{other['id']}/end",
                         headers=csrf).status_code == 404  # not his municipality
        assert [n["id"] for n in jens.get("/api/admin/notices").json()] == [notice["id"]]
        changed = jens.patch(f"/api/admin/notices/{notice['id']}", headers=csrf,
                             json={"hours": 2})
        assert changed.status_code == 200
        assert jens.post(f"/api/admin/notices/{notice['id']}/end",
                         headers=csrf).status_code == 200
        assert not jens.get("/api/admin/notices").json()[0]["live"]

        anne, anne_csrf = client("anne")
        assert anne.post("/api/admin/notices", json=body,
                         headers=anne_csrf).status_code == 403
        bad = ada.post("/api/admin/notices", headers=ada_csrf,
                       json={**body, "municipality": "9999"})
        assert bad.status_code == 422
    store.close()
