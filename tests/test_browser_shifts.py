"""The shift plan in real headless Chromium: an administrator plans the week from the
page, a municipality's manager picks an open shift on the marketplace, and the agent
of a jumpseat shift is told by the console to hop off, and does."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from handoff.queues import Agent
from handoff.shift_market import Rate, ShiftBook
from store.models import JumpseatLeg
from store.outcomes import OutcomeStore, database_url
from tests.browser_login import PASSWORD, log_in
from tests.servers import serve_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
TZ = ZoneInfo("Europe/Copenhagen")


def test_plan_pick_and_hop_off_in_the_browser(knowledge, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    ada = accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("hans", "Hans Horsens", "manager", "0615", (), PASSWORD)
    accounts.add("anne", "Anne Agent", "agent", "0615", (), PASSWORD)
    desk = HandoffDesk(MemoryBackend())
    desk.register(Agent("bo", "Bo", ("ddh",), (), "available"))
    frontdesk = Frontdesk(knowledge, store, handoffs=desk)
    now = [datetime(2026, 11, 30, 7, 0, tzinfo=TZ)]  # a Monday, before opening
    app = create_app(knowledge.settings, frontdesk=frontdesk, clock=lambda: now[0])
    with serve_app(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])

        def signed_in(username: str):
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            log_in(page, url, username)
            page.locator("#desk").wait_for()
            return page

        admin = signed_in("ada")
        admin.goto(f"{url}/admin/shifts?week=2026-11-30")
        assert "Ugen har ingen vagtplan endnu." in admin.content()
        admin.get_by_role("button", name="Læg vagtplan for ugen").click()
        admin.locator("table.shifts").first.wait_for()
        assert admin.locator("table.shifts tbody tr").count() == 14

        manager = signed_in("hans")
        manager.goto(f"{url}/admin/shifts?week=2026-11-30")
        before = manager.locator("button[data-action=give-up]").count()
        first_open = manager.locator("button[data-action=pick]").first
        sid = int(first_open.get_attribute("data-shift") or 0)
        first_open.click()
        row = manager.locator(f"tr[data-shift='{sid}']")
        expect(row).to_contain_text("Horsens")
        assert manager.locator("button[data-action=give-up]").count() == before + 1

        # Horsens makes the shift a jumpseat for Anne; during it her console advises.
        book = ShiftBook(store, {"0615": "Horsens"}, Rate(420.0))
        hans = accounts.get("hans")
        assert hans is not None and ada is not None
        book.mark_jumpseat(hans, sid, True)
        row_data = book.assign(hans, sid, "anne")
        now[0] = datetime.fromisoformat(row_data["start"]) + timedelta(minutes=5)
        agent = signed_in("anne")
        box = agent.locator("#jumpseat")
        expect(box).to_be_visible()
        expect(box).to_contain_text("du kan gå af linjen")
        agent.get_by_role("button", name="Gå af linjen").click()
        expect(agent.get_by_role("button", name="Gå på linjen")).to_be_visible()
        assert agent.locator("#presence").input_value() == "away"
        browser.close()
    with store.sessions() as s:
        legs = list(s.scalars(select(JumpseatLeg)))
    assert [(leg.shift_id, leg.agent, leg.on_at) for leg in legs] == [(sid, "anne", None)]
    store.close()
