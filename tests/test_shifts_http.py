"""The shift plan over HTTP on a real server: an administrator plans a week, managers
trade on the marketplace (CSRF, role scoping), a jumpseat agent is advised and hops
off and on, and the saved hours reach the pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from handoff.queues import Agent
from handoff.shift_plan import base_count, largest_remainder, member_sizes
from store.models import AuditEntry
from store.outcomes import OutcomeStore, database_url
from tests.servers import serve_app

TZ = ZoneInfo("Europe/Copenhagen")
PASSWORD = "korrekt-hest-batteri"
MONDAY = "2026-11-30"


def test_shift_marketplace_over_http(knowledge, tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("hans", "Hans Horsens", "manager", "0615", (), PASSWORD)
    accounts.add("aase", "Aase Aarhus", "manager", "0751", (), PASSWORD)
    accounts.add("anne", "Anne Agent", "agent", "0615", (), PASSWORD)
    desk = HandoffDesk(MemoryBackend())
    desk.register(Agent("bo", "Bo", ("ddh",), (), "available"))  # one other on the line
    frontdesk = Frontdesk(knowledge, store, handoffs=desk)
    now = [datetime(2026, 11, 30, 7, 0, tzinfo=TZ)]
    app = create_app(knowledge.settings, frontdesk=frontdesk, clock=lambda: now[0])
    with serve_app(app) as url:
        def client(user: str) -> tuple[httpx.Client, dict]:
            c = httpx.Client(base_url=url)
            me = c.post("/api/agent/login", json={"username": user, "password": PASSWORD})
            return c, {"X-CSRF-Token": me.json()["csrf"]}

        assert httpx.get(f"{url}/api/shifts").status_code == 401
        ada, ada_csrf = client("ada")
        hans, hans_csrf = client("hans")
        aase, aase_csrf = client("aase")
        anne, anne_csrf = client("anne")

        # Only an administrator plans; DDH's 2026 hours, no history: one seat a shift.
        assert hans.post("/api/shifts/plan", json={"week": MONDAY},
                         headers=hans_csrf).status_code == 403
        planned = ada.post("/api/shifts/plan", json={"week": MONDAY}, headers=ada_csrf)
        assert planned.status_code == 201, planned.text
        totals = planned.json()
        assert totals["total"] == 4 * 3 + 2  # Mon–Thu 08–12, 12–16, 16–18; Fri 08–16
        assert totals["allocated_by_key"] == base_count(14, 0.65) == 9
        sizes = member_sizes(knowledge.registry.raw_ddh,
                             {c: m.name for c, m in knowledge.registry.members.items()})
        assert {c: t["by_key"] for c, t in totals["by_municipality"].items()} == \
            {c: n for c, n in largest_remainder(9, sizes).items() if n}
        assert ada.post("/api/shifts/plan", json={"week": MONDAY},
                        headers=ada_csrf).status_code == 409

        week = anne.get("/api/shifts", params={"week": MONDAY}).json()  # agents read
        assert len(week["shifts"]) == 14 and week["rate_dkk_per_hour"] == 420.0
        assert len(week["plan"]) == 14 and {g["seats"] for g in week["plan"]} == {1}
        assert sum(g["open"] for g in week["plan"]) == totals["open"]
        open_one = next(s for s in week["shifts"] if s["open"])
        sid = open_one["id"]
        assert open_one["compensation_dkk"] == 420.0 * open_one["hours"]

        assert anne.post(f"/api/shifts/{sid}/pick", headers=anne_csrf).status_code == 403
        assert hans.post(f"/api/shifts/{sid}/pick").status_code == 403  # no CSRF token
        picked = hans.post(f"/api/shifts/{sid}/pick", headers=hans_csrf)
        assert picked.status_code == 200 and picked.json()["owner"] == "0615"
        assert aase.post(f"/api/shifts/{sid}/pick", headers=aase_csrf).status_code == 409
        # another municipality's manager may not give Horsens' shift away
        assert aase.post(f"/api/shifts/{sid}/give-up", headers=aase_csrf).status_code == 403
        assert hans.post("/api/shifts/99999/give-up", headers=hans_csrf).status_code == 404
        after = ada.get("/api/shifts", params={"week": MONDAY}).json()["totals"]
        assert after["total"] == 14 and after["open"] == totals["open"] - 1

        # Horsens makes it a jumpseat for its agent Anne; during the shift she is advised.
        assert hans.post(f"/api/shifts/{sid}/jumpseat", json={"jumpseat": True},
                         headers=hans_csrf).json()["jumpseat"]
        assert hans.post(f"/api/shifts/{sid}/agent", json={"agent": "anne"},
                         headers=hans_csrf).json()["agent"] == "anne"
        start = datetime.fromisoformat(open_one["start"])
        now[0] = start + timedelta(minutes=10)
        advice = anne.get("/api/shifts/advice").json()
        assert advice["shift"]["id"] == sid and advice["advice"] == "off"
        assert advice["others_on_line"] == 1 and advice["waiting"] == 0
        assert hans.get("/api/shifts/advice").json()["advice"] is None  # not on a shift
        assert anne.post(f"/api/shifts/{sid}/hop", json={"state": "off"},
                         headers=anne_csrf).json()["changed"]
        now[0] = start + timedelta(minutes=55)
        assert anne.post(f"/api/shifts/{sid}/hop", json={"state": "on"},
                         headers=anne_csrf).json()["changed"]
        saved = ada.get("/api/shifts/saved").json()
        assert saved["saved"] == "0 t 45 min" and saved["legs"] == 1
        assert saved["pilot"]["saved"] == "73 t 15 min"
        assert anne.get("/api/shifts/saved").status_code == 403
        assert aase.get("/api/shifts/saved").json()["legs"] == 0  # Horsens' shift, not hers

        page = hans.get("/admin/shifts", params={"week": MONDAY})
        assert page.status_code == 200 and "Vagtplan og vagtbørs" in page.text
        assert "0 t 45 min" in page.text and "Afgiv til børsen" in page.text
        assert "<script>" not in page.text  # the CSP forbids inline script
        assert "Jumpseat: sparet" in ada.get("/admin").text
        assert "/static/jumpseat.js" in httpx.get(f"{url}/agent").text

        given = hans.post(f"/api/shifts/{sid}/give-up", headers=hans_csrf).json()
        assert given["open"] and given["agent"] is None
        assert ada.get("/api/shifts", params={"week": MONDAY}).json()["totals"]["total"] == 14
    with store.sessions() as s:
        actions = [(r.username, r.action) for r in s.scalars(select(AuditEntry))]
    assert ("ada", "shift_plan") in actions and ("hans", "shift_pick") in actions
    assert ("hans", "shift_give_up") in actions and ("anne", "jumpseat_off") in actions
    store.close()
