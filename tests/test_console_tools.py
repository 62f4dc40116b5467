"""The console's tools through the real server (issue 20.4): canned replies and who may
keep them, internal notes that never reach the citizen, handing a conversation to a
colleague or a queue, the citizen's earlier contacts by their consented callback
number, and a malformed frame closing only its own socket.

Real components: a real uvicorn server (tests/servers.py), the real store on SQLite,
real WebSockets, the real frontdesk deciding the handoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import websockets

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from gateway.console_tools import TO_COLLEAGUE, TO_QUEUE
from handoff.accounts import Accounts
from handoff.desk import HandoffDesk
from store.models import CallbackContact, Conversation, HandoffPacket, Turn
from store.outcomes import OutcomeStore, database_url
from tests.console_sockets import PASSWORD, Socket, citizen, console, kind, signed_in, until
from tests.servers import serve_app

MORNING = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


@contextlib.contextmanager
def gateway(knowledge, tmp_path) -> Iterator[tuple[str, OutcomeStore, Any]]:
    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    accounts.add("anne", "Anne Agent", "agent", "0849", ("digital-post",), PASSWORD)
    accounts.add("bo", "Bo Berg", "agent", None, ("digital-post",), PASSWORD, capacity=1)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("jens", "Jens Manager", "manager", "0849", (), PASSWORD)
    accounts.add("vera", "Vera Manager", "manager", "0751", (), PASSWORD)
    accounts.add("ed", "Ed Editor", "editor", "0849", (), PASSWORD)
    settings = knowledge.settings.model_copy(update={
        "queue_offer_timeout_s": 60.0, "queue_missed_offer_away": False})
    front = Frontdesk(knowledge, store, handoffs=HandoffDesk.from_settings(settings))
    app = create_app(settings, frontdesk=front, clock=lambda: MORNING + timedelta(seconds=1))
    with serve_app(app) as url:
        yield url, store, app
    store.close()


async def take(sock: Socket, conversation: str) -> dict:
    """Accept the conversation from the queue view (or the offer pushed)."""
    def listed(e: dict) -> bool:
        return e.get("type") == "queue" and any(
            x["conversation"] == conversation for x in e["entries"])
    view = await until(sock, listed)
    entry = next(x for x in view["entries"] if x["conversation"] == conversation)
    await sock.send({"type": "accept", "id": entry["id"]})
    return await until(sock, kind("accepted", conversation=conversation))


def test_canned_replies_are_kept_by_managers_and_administrators(knowledge, tmp_path):
    with gateway(knowledge, tmp_path) as (url, store, _):
        ada, jens, vera = (signed_in(url, u) for u in ("ada", "jens", "vera"))
        anne, ed = signed_in(url, "anne"), signed_in(url, "ed")
        hej = {"queue": "ddh", "shortcut": "hej", "title": "Hilsen",
               "text": "Hej, jeg hedder {agent} og hjælper dig."}
        made = ada.post("/api/canned", json=hej)
        assert made.status_code == 201 and made.json()["editable"]
        own = jens.post("/api/canned", json={**hej, "queue": "0849", "shortcut": "affald",
                                             "title": "Affald", "text": "Se kommunens side."})
        assert own.status_code == 201
        assert jens.post("/api/canned", json={**hej, "queue": "0751"}).status_code == 403
        assert jens.post("/api/canned", json={**hej, "shortcut": "x1"}).status_code == 403
        assert anne.post("/api/canned", json={**hej, "shortcut": "x2"}).status_code == 403
        assert ada.post("/api/canned", json={**hej, "queue": "9999"}).status_code == 422
        assert ada.post("/api/canned", json=hej).status_code == 409  # the shortcut is taken
        assert ada.post("/api/canned", json={**hej, "shortcut": "Æ Ø"}).status_code == 422
        no_token = httpx.post(f"{url}/api/canned", json=hej, cookies=ada.cookies)
        assert no_token.status_code == 403
        assert httpx.get(f"{url}/api/canned").status_code == 401
        assert ed.get("/api/canned").status_code == 403  # guide editors read no replies

        # agents read them all (to pick the conversation's queue's), change none
        listed = anne.get("/api/canned").json()
        assert {(r["queue"], r["shortcut"], r["editable"]) for r in listed} == {
            ("ddh", "hej", False), ("0849", "affald", False)}
        # a manager reads DDH's and their own; another municipality's is not there for them
        assert {r["shortcut"] for r in vera.get("/api/canned").json()} == {"hej"}
        rid = own.json()["id"]
        assert vera.patch(f"/api/canned/{rid}", json={"title": "Mit"}).status_code == 404
        assert vera.delete(f"/api/canned/{rid}").status_code == 404
        assert jens.patch(f"/api/canned/{made.json()['id']}",
                          json={"title": "Mit"}).status_code == 404  # DDH's: admin only
        changed = jens.patch(f"/api/canned/{rid}", json={"text": "Se jammerbugt.dk/affald."})
        assert changed.status_code == 200 and changed.json()["text"] == "Se jammerbugt.dk/affald."
        assert anne.delete(f"/api/canned/{rid}").status_code == 403
        assert jens.delete(f"/api/canned/{rid}").status_code == 200
        assert jens.get(f"/api/canned/{rid}").status_code in (404, 405)

        log = Accounts(store).audit_log(50)
        done = [(e["username"], e["action"], e["object"]) for e in log
                if e["action"].startswith("canned_")]
        assert ("ada", "canned_add", f"canned:{made.json()['id']}") in done
        assert ("jens", "canned_edit", f"canned:{rid}") in done
        assert ("jens", "canned_delete", f"canned:{rid}") in done
        assert not any(u in ("vera", "anne") for u, _, _ in done)


def test_notes_handover_to_a_colleague_and_a_queue(knowledge, tmp_path):
    with gateway(knowledge, tmp_path) as (url, store, app):
        async def scenario() -> dict[str, Any]:
            conversation, person = await citizen(url)
            first_wait = next(w.enqueued_at for w in
                              app.state.frontdesk.handoffs.backend.waiting()
                              if w.conversation == conversation)
            anne = await console(url, "anne")
            anne2 = await console(url, "anne")  # a second tab of hers
            accepted = await take(anne, conversation)
            assert accepted["contacts"] == []  # no consented number: no earlier contacts

            await anne.send({"type": "note", "conversation": conversation,
                             "text": "Borgeren har CPR 010190-1234 og virker presset"})
            noted = await until(anne, kind("note", conversation=conversation))
            assert "010190-1234" not in noted["note"]["text"]  # stored redacted
            assert "presset" in noted["note"]["text"] and noted["note"]["name"] == "Anne Agent"
            await until(anne2, kind("note", conversation=conversation))  # both her tabs
            await anne.send({"type": "message", "conversation": conversation,
                             "text": "Et øjeblik, jeg ser på det."})
            said = await until(person, lambda e: e.get("type") == "message" and
                               e.get("role") == "agent")
            assert "øjeblik" in said["text"]
            assert not any("presset" in json.dumps(e) for e in person.kept)

            # Bo is not on duty: Anne is told so, and the conversation stays hers
            await anne.send({"type": "handover", "conversation": conversation,
                             "to_agent": "bo"})
            refused = await until(anne, kind("error", about="handover"))
            assert refused["message"] == "Bo Berg er ikke på vagt lige nu."
            await anne.send({"type": "handover", "conversation": conversation,
                             "to_agent": "nobody"})
            assert "ingen kollega" in (await until(anne, kind("error")))["message"]

            # a malformed frame closes only its own socket
            await anne.send({"type": "note", "conversation": conversation, "text": 5})
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await until(anne, kind("never"), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
            bo = await console(url, "bo")
            for _ in range(60):  # until Bo's console is heard from (the heartbeat)
                if any(c["username"] == "bo" for c in await ask_colleagues(anne2)):
                    break
                await asyncio.sleep(0.3)
            await anne2.send({"type": "handover", "conversation": conversation,
                              "to_agent": "bo", "note": "Ring om pas, CPR 010190-1234"})
            handed = await until(anne2, kind("handed_over", conversation=conversation))
            assert handed["offered"] and handed["name"] == "Bo Berg"
            told = await until(person, kind("agent_left"))
            assert told["text"] == TO_COLLEAGUE
            offer = await until(bo, kind("offer", conversation=conversation))
            assert (await until(bo, kind("handover_offer")))["from"] == "Anne Agent"
            assert app.state.frontdesk.handoffs.agent("anne").conversations == ()
            await bo.send({"type": "accept", "id": offer["id"]})
            got = await until(bo, kind("accepted", conversation=conversation))
            notes = [t for t in got["transcript"] if t["role"] == "note"]
            assert [n["name"] for n in notes] == ["Anne Agent", "Anne Agent"]
            assert "Ring om pas" in notes[1]["text"] and "010190-1234" not in notes[1]["text"]
            assert got["transcript"].index(notes[0]) < len(got["transcript"]) - 1
            await bo.send({"type": "message", "conversation": conversation,
                           "text": "Hej, det er Bo. Jeg overtager."})
            answer = await until(person, lambda e: e.get("type") == "message" and
                                 e.get("role") == "agent" and "Bo" in e.get("text", ""))
            assert not any("Ring om pas" in json.dumps(e) for e in person.kept)
            # Bo has as many as he can have (1): Anne's next one cannot go to him
            other, other_person = await citizen(url)
            await take(anne2, other)
            await anne2.send({"type": "handover", "conversation": other, "to_agent": "bo"})
            full = await until(anne2, kind("error", about="handover"))
            assert full["message"] == ("Bo Berg har ikke plads til flere samtaler lige nu "
                                       "(1 af 1).")
            await other_person.ws.close()

            # Bo gives it to Aarhus's queue: at its front with the citizen's first wait
            enqueued = app.state.frontdesk.handoffs.backend.claimed_by(offer["id"])
            await bo.send({"type": "handover", "conversation": conversation,
                           "to_queue": "0751"})
            back = await until(bo, kind("handed_over", conversation=conversation))
            told_again = await until(person, kind("agent_left"))
            waiting = {w.id: w for w in app.state.frontdesk.handoffs.backend.waiting()}
            for sock in (anne2, bo, person):
                await sock.ws.close()
            return {"answer": answer, "back": back, "told": told_again, "waiting": waiting,
                    "id": offer["id"], "claimed_by": enqueued, "conversation": conversation,
                    "first_wait": first_wait}

        out = asyncio.run(scenario())
        entry = out["waiting"][out["id"]]
        assert out["claimed_by"] == "bo" and entry.queue == "0751"
        assert entry.enqueued_at == out["first_wait"]  # the citizen's place in line
        assert out["back"]["to_queue"] == "0751" and not out["back"]["offered"]
        assert out["told"]["text"] == TO_QUEUE.format(where="Aarhus Kommune")
        with store.sessions() as s:
            target = s.get(HandoffPacket, out["id"])
            assert target is not None and target.target == "0751"
        audit = [(e["username"], e["action"], e["detail"]) for e in Accounts(store).audit_log()]
        assert ("anne", "handover", "to agent bo") in audit
        assert ("bo", "handover", "to queue 0751") in audit
        # the note is a colleague's: not in the transcript the citizen can have mailed
        conv = store.conversation(out["conversation"])
        assert conv is not None and not any("presset" in t["text"] for t in conv["transcript"])
        assert any("Bo" in t["text"] for t in conv["transcript"] if t["role"] == "agent")
        # managers read the notes with the conversation, within their municipality
        jens, vera = signed_in(url, "jens"), signed_in(url, "vera")
        seen = jens.get(f"/api/conversations/{out['conversation']}").json()
        assert [n["name"] for n in seen["notes"]] == ["Anne Agent", "Anne Agent"]
        assert vera.get(f"/api/conversations/{out['conversation']}").status_code == 404
        page = jens.get(f"/admin/conversations/{out['conversation']}").text
        assert "Intern note · Anne Agent" in page and "Ring om pas" in page


def test_notes_are_forgotten_with_the_conversations_text(tmp_path):
    from store import retention
    from store.notes import add_note, notes_of

    store = OutcomeStore(database_url(None, tmp_path))
    at = datetime.now(UTC) - timedelta(days=40)
    with store.sessions.begin() as s:
        s.add(Conversation(id="old", channel="chat", started_at=at, turns=0))
        s.add(Conversation(id="asked", channel="chat", started_at=datetime.now(UTC), turns=0))
    for cid in ("old", "asked"):
        add_note(store.sessions, cid, "anne", "Anne Agent", "ring tilbage", at)
    with store.sessions() as s:  # a note alone is text the retention period covers
        assert retention.due(s, datetime.now(UTC) - timedelta(days=30)) == ["old"]
    retention.expire(store.sessions, datetime.now(UTC) - timedelta(days=30))
    assert notes_of(store.sessions, "old") == [] and notes_of(store.sessions, "asked")
    retention.forget_now(store.sessions, "asked", "anne", datetime.now(UTC))
    assert notes_of(store.sessions, "asked") == []
    store.close()


async def ask_colleagues(sock: Socket) -> list[dict]:
    await sock.send({"type": "colleagues"})
    return (await until(sock, kind("colleagues")))["agents"]


def _earlier(store: OutcomeStore, cid: str, municipality: str, phone: str,
             days_ago: int) -> None:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    with store.sessions.begin() as s:
        s.add(Conversation(id=cid, channel="chat", municipality=municipality,
                           topic="digital-post", started_at=at, ended_at=at,
                           outcome="ticket", turns=1))
        s.flush()
        s.add(Turn(conversation_id=cid, seq=1, role="citizen", text="min post er væk", at=at))
        s.add(HandoffPacket(id=f"t-{cid}", conversation_id=cid, kind="ticket",
                            target=municipality, topic="digital-post", reason="r",
                            summary="Post", packet={"municipality": municipality},
                            created_at=at, status="done"))
        s.flush()
        s.add(CallbackContact(handoff_id=f"t-{cid}", phone=phone, consented_at=at))


def test_earlier_contacts_by_the_consented_number(knowledge, tmp_path):
    with gateway(knowledge, tmp_path) as (url, store, _):
        _earlier(store, "earlier-0849", "0849", "+45 28 12 34 56", 9)
        _earlier(store, "earlier-0751", "0751", "2812-3456", 3)
        _earlier(store, "someone-else", "0849", "87654321", 2)

        async def scenario() -> tuple[dict, dict, dict, dict]:
            conversation, person = await citizen(url)
            anne = await console(url, "anne")
            await take(anne, conversation)
            await anne.send({"type": "history", "conversation": conversation})
            before = await until(anne, kind("history"))
            await anne.send({"type": "ticket", "conversation": conversation,
                             "target": "0849", "phone": "28123456", "note": "ring"})
            await until(anne, kind("ticket"))
            after = await until(anne, kind("history"))
            lists = {}
            for manager in ("jens", "vera"):
                sock = await console(url, manager)
                await sock.send({"type": "history", "conversation": conversation})
                lists[manager] = await until(sock, lambda e: e["type"] in ("history", "error"))
                await sock.ws.close()
            await anne.ws.close()
            await person.ws.close()
            return before, after, lists["jens"], lists["vera"]

        before, after, jens, vera = asyncio.run(scenario())
        assert before["contacts"] == []
        assert [c["id"] for c in after["contacts"]] == ["earlier-0751", "earlier-0849"]
        first = after["contacts"][1]
        assert first["outcome_da"] == "Sag oprettet" and first["topic_name"]
        assert first["municipality_name"] == "Jammerbugt"
        assert [c["id"] for c in jens["contacts"]] == ["earlier-0849"]  # his municipality's
        assert vera["type"] == "error"  # another municipality's conversation
        views = [e for e in Accounts(store).audit_log() if e["action"] == "view_history"]
        assert {e["username"] for e in views} == {"anne", "jens"}
