"""The citizen chat page in real headless Chromium (Debian's), driven by Playwright.

Ask a question, get an answer with a working link, end and rate the conversation,
then find it in the outcome store. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from store.outcomes import OutcomeStore, database_url
from tests.servers import serve_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def test_citizen_asks_gets_link_ends_and_rates(knowledge, tmp_path):
    from playwright.sync_api import sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store)
    with serve_app(create_app(knowledge.settings, frontdesk=desk)) as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        page.goto(f"{url}/?municipality=0615")
        bot = page.locator("li.msg--bot")
        bot.first.wait_for()
        assert "AI" in bot.first.inner_text()

        page.get_by_label("Din besked").fill("jeg har mistet mit sundhedskort")
        page.keyboard.press("Enter")
        answer = page.locator("li.msg--bot[data-action='answer']")
        answer.wait_for(timeout=20_000)
        link = answer.locator("a").first
        href = link.get_attribute("href")
        assert href and href.startswith("https://")
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert answer.inner_text().strip().endswith("Hjalp det?")

        page.get_by_role("button", name="Afslut samtalen").click()
        page.locator("li.msg--bot[data-action='end']").wait_for(timeout=20_000)
        page.get_by_role("button", name="8 ud af 10").click()
        page.locator("li.msg--bot[data-action='end']").nth(1).wait_for(timeout=20_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        conversation_id = page.evaluate(
            "JSON.parse(sessionStorage.getItem('ddh-chat:0615')).id")
        browser.close()
        assert httpx.get(f"{url}/healthz").status_code == 200

    conv = store.conversation(conversation_id)
    store.close()
    assert conv["municipality"] == "0615" and conv["topic"] == "sundhedskort"
    assert conv["satisfaction"] == 8 and conv["outcome"] == "resolved_bot"
    assert [d["action"] for d in conv["decisions"]] == ["answer", "end", "end"]


def test_the_open_page_survives_a_gateway_restart(knowledge, tmp_path):
    """The gateway stops (and its sockets close with 1012) while a citizen's page is
    open; the citizen writes while it is down; a new gateway on the same store and
    port answers that message once, and a reload shows the whole conversation."""
    from playwright.sync_api import sync_playwright

    from tests.servers import free_port

    url_db = database_url(None, tmp_path)
    port = free_port()

    def gateway():
        return create_app(knowledge.settings, frontdesk=Frontdesk(knowledge, OutcomeStore(url_db)))

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        with serve_app(gateway(), port) as url:
            page.goto(f"{url}/?municipality=0615")
            page.get_by_label("Din besked").fill("jeg har mistet mit sundhedskort")
            page.keyboard.press("Enter")
            page.locator("li.msg--bot[data-action='answer']").wait_for(timeout=20_000)
        # the gateway is gone: the page says so and keeps what the citizen writes
        page.locator("#status", has_text="Prøver igen").wait_for(timeout=10_000)
        page.get_by_label("Din besked").fill("tak for hjælpen")
        page.keyboard.press("Enter")
        with serve_app(gateway(), port) as url:
            bots = page.locator("li.msg--bot")
            bots.nth(2).wait_for(timeout=30_000)
            assert page.locator("#status").inner_text() == ""
            texts = page.locator("li.msg").all_inner_texts()
            assert texts.count("tak for hjælpen") == 1  # answered once, shown once
            page.reload()
            page.locator("li.msg").nth(4).wait_for(timeout=20_000)
            again = page.locator("li.msg").all_inner_texts()
            assert again == texts  # the whole conversation, from the store
            assert bots.count() == 3
            cid = page.evaluate("JSON.parse(sessionStorage.getItem('ddh-chat:0615')).id")
        browser.close()
    store = OutcomeStore(url_db)
    assert store.conversation(cid)["turns"] == 2
    store.close()


def test_slet_min_samtale_in_the_page(knowledge, tmp_path):
    """The citizen deletes the conversation: asked to confirm, then the page empties,
    says so and keeps nothing; the store keeps no transcript."""
    from playwright.sync_api import sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    desk = Frontdesk(knowledge, store)
    with serve_app(create_app(knowledge.settings, frontdesk=desk)) as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(f"{url}/?municipality=0751")
        page.get_by_label("Din besked").fill("jeg har mistet mit sundhedskort")
        page.keyboard.press("Enter")
        page.locator("li.msg--bot[data-action='answer']").wait_for(timeout=20_000)
        cid = page.evaluate("JSON.parse(sessionStorage.getItem('ddh-chat:0751')).id")
        asked: list[str] = []
        page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
        page.get_by_role("button", name="Slet min samtale").click()
        page.get_by_text("Din samtale er slettet.").wait_for(timeout=10_000)
        assert asked and "slette" in asked[0]
        assert page.locator("li.msg").count() == 0
        assert page.evaluate("sessionStorage.getItem('ddh-chat:0751')") is None
        assert page.get_by_label("Din besked").is_disabled()
        browser.close()
    assert store.conversation(cid)["transcript"] == []
    store.close()
