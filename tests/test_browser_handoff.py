"""Warm handoff in real headless Chromium with two pages: a citizen on `/`, an agent on
`/agent`. The citizen asks for a person; the agent sees the conversation with its
summary, accepts and replies; the citizen sees the reply; the agent wraps up; the
outcome is in the store with the wait and the agent."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store.outcomes import OutcomeStore, database_url
from tests.browser_login import PASSWORD, log_in
from tests.servers import serve_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def tuesday_morning():
    start, t0 = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen")), \
        time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def test_citizen_to_agent_and_back(knowledge, tmp_path):
    from playwright.sync_api import sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    Accounts(store).add("anne", "Anne Agent", "agent", "0849", ("digital-post",), PASSWORD)
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    app = create_app(knowledge.settings, frontdesk=desk, clock=tuesday_morning())
    with serve_app(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run"])
        agent = browser.new_page(viewport={"width": 1200, "height": 900})
        log_in(agent, url, "anne")
        agent.get_by_text("Ingen venter.").wait_for()

        citizen = browser.new_page(viewport={"width": 390, "height": 844})
        citizen.goto(f"{url}/?municipality=0849")
        citizen.locator("li.msg--bot").first.wait_for()
        citizen.get_by_label("Din besked").fill(
            "jeg vil gerne tale med en medarbejder om min digitale post")
        citizen.keyboard.press("Enter")
        queued = citizen.locator("li.msg--bot[data-action='handoff']")
        queued.wait_for(timeout=20_000)
        assert "Du er nummer 1 i køen." in queued.inner_text()

        waiting = agent.locator("#queue li")
        waiting.first.wait_for(timeout=10_000)
        assert "digital" in waiting.first.inner_text().lower()
        assert "Bad om en medarbejder" in waiting.first.inner_text()  # the reason
        waiting.first.get_by_role("button", name="Tag samtalen").click()
        agent.locator("#packet").wait_for()
        assert "Årsag: borgeren beder om at tale med en medarbejder" in \
            agent.locator("#packet").inner_text()
        assert "digital" in agent.locator("#transcript").inner_text().lower()

        citizen.get_by_text("Anne Agent fra Den Digitale Hotline er nu med i samtalen.") \
            .first.wait_for(timeout=10_000)
        # a system message is shown (and announced by the live log) once, not also as status
        assert citizen.get_by_text("Anne Agent fra Den Digitale Hotline er nu med i "
                                   "samtalen.").count() == 1
        agent.get_by_label("Svar til borgeren").fill("Hej, jeg hjælper dig med Digital Post.")
        citizen.locator("#typing").wait_for(state="visible", timeout=10_000)  # agent writes
        agent.get_by_role("button", name="Send", exact=True).click()
        citizen.locator("li.msg--agent", has_text="jeg hjælper dig").wait_for(timeout=10_000)
        citizen.locator("#typing").wait_for(state="hidden", timeout=10_000)

        citizen.get_by_label("Din besked").fill("tusind")  # the agent sees them write
        agent.get_by_text("Borgeren skriver …").wait_for(timeout=10_000)
        citizen.get_by_label("Din besked").fill("tusind tak")
        citizen.keyboard.press("Enter")
        agent.locator("#transcript li", has_text="tusind tak").wait_for(timeout=10_000)
        agent.locator("#assist li").first.wait_for(timeout=10_000)  # guides suggested

        ARTIFACTS.mkdir(exist_ok=True)
        agent.screenshot(path=str(ARTIFACTS / "agent-console.png"), full_page=True)
        citizen.screenshot(path=str(ARTIFACTS / "citizen-with-agent.png"), full_page=True)
        agent.get_by_label("Afslut med udfald").select_option("resolved_agent")
        agent.get_by_role("button", name="Afslut samtalen").click()
        citizen.get_by_text("Anne Agent har afsluttet samtalen.").first.wait_for(timeout=10_000)
        conversation_id = citizen.evaluate(
            "JSON.parse(sessionStorage.getItem('ddh-chat:0849')).id")
        browser.close()

    conv = store.conversation(conversation_id)
    assert conv["agent"] == "anne" and conv["outcome"] == "resolved_agent"
    assert conv["queue_wait_s"] is not None and 0 <= conv["queue_wait_s"] < 60
    roles = [t["role"] for t in conv["transcript"]]
    assert roles[-2:] == ["agent", "citizen"] and conv["ended_at"] is not None
    store.close()


def test_citizen_and_agent_pages_survive_a_gateway_restart(knowledge, tmp_path):
    """Mid-conversation between a citizen and an agent, the gateway restarts (a new
    process on the same store and port). Both pages reconnect by themselves: the
    citizen's next message reaches the agent's console, and the agent's reply reaches
    the citizen, without either page being reloaded."""
    from playwright.sync_api import sync_playwright

    from tests.servers import free_port

    url_db = database_url(None, tmp_path)
    Accounts(OutcomeStore(url_db)).add("anne", "Anne Agent", "agent", "0849",
                                       ("digital-post",), PASSWORD)
    port = free_port()
    clock = tuesday_morning()

    def gateway():
        desk = Frontdesk(knowledge, OutcomeStore(url_db),
                         handoffs=HandoffDesk(MemoryBackend()))
        return create_app(knowledge.settings, frontdesk=desk, clock=clock)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run"])
        agent = browser.new_page(viewport={"width": 1200, "height": 900})
        citizen = browser.new_page(viewport={"width": 390, "height": 844})
        with serve_app(gateway(), port) as url:
            log_in(agent, url, "anne")
            agent.get_by_text("Ingen venter.").wait_for()
            citizen.goto(f"{url}/?municipality=0849")
            citizen.get_by_label("Din besked").fill(
                "jeg vil gerne tale med en medarbejder om min digitale post")
            citizen.keyboard.press("Enter")
            citizen.locator("li.msg--bot[data-action='handoff']").wait_for(timeout=20_000)
            agent.locator("#queue li").first.wait_for(timeout=10_000)
            agent.locator("#queue li").first.get_by_role("button", name="Tag samtalen").click()
            citizen.get_by_text("Anne Agent fra Den Digitale Hotline er nu med i samtalen.") \
                .first.wait_for(timeout=10_000)
        # the gateway is gone; a new one starts where the pages expect it
        with serve_app(gateway(), port):
            citizen.locator("#status", has_text="").wait_for(timeout=15_000)
            time.sleep(3)  # the console reconnects every 2 s
            citizen.get_by_label("Din besked").fill("er du der stadig")
            citizen.keyboard.press("Enter")
            agent.locator("#transcript li", has_text="er du der stadig").wait_for(
                timeout=15_000)
            agent.get_by_label("Svar til borgeren").fill("Ja, jeg er her stadig.")
            agent.get_by_role("button", name="Send", exact=True).click()
            citizen.locator("li.msg--agent", has_text="jeg er her stadig").wait_for(
                timeout=15_000)
        browser.close()
