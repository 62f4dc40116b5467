"""Guides edited by the municipalities, in real headless Chromium: an Aarhus editor
drafts a guide on /admin/guides, cannot publish it alone, an Aarhus manager reviews and
publishes it, and the citizen chat page answers from it within 5 s without a restart;
Horsens' manager neither sees nor edits it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store.outcomes import OutcomeStore, database_url
from tests.browser_login import log_in
from tests.servers import serve_app
from tests.test_guide_edits import GUIDE, PASSWORD, QUESTION, own_knowledge

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def test_editor_drafts_reviewer_publishes_chat_answers(tmp_path, registry, embedder):
    from playwright.sync_api import expect, sync_playwright

    kn = own_knowledge(tmp_path / "var", registry, embedder)
    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    accounts.add("ed", "Ed Redaktør", "editor", "0751", (), PASSWORD)
    accounts.add("mia", "Mia Leder", "manager", "0751", (), PASSWORD)
    accounts.add("ole", "Ole Leder", "manager", "0615", (), PASSWORD)
    desk = Frontdesk(kn, store, handoffs=HandoffDesk(MemoryBackend()))
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_app(create_app(kn.settings, frontdesk=desk)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])

        def signed_in(username: str):
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            log_in(page, url, username)
            if username != "ed":  # an editor is taken to the guides page by itself
                page.locator("#desk").wait_for()
                page.goto(f"{url}/admin/guides")
            page.wait_for_url(f"{url}/admin/guides")
            return page

        editor = signed_in("ed")
        editor.get_by_label("Titel").fill(GUIDE["title"])
        editor.get_by_label("Emne").select_option(GUIDE["topic"])
        editor.get_by_label("Resumé (læses op i telefonen)").fill(GUIDE["summary"])
        editor.get_by_label("Trin (ét pr. linje)").fill("\n".join(GUIDE["steps"]))
        editor.get_by_label("Søgeord – sådan spørger borgerne (ét pr. linje)").fill(
            "\n".join(GUIDE["keywords"]))
        editor.get_by_label("Link").fill(GUIDE["url"])
        editor.get_by_label("Uddybende tekst").fill(GUIDE["body"])
        editor.get_by_label("Gennemgås senest").fill(GUIDE["review_by"])
        editor.get_by_role("button", name="Gem kladde").click()
        row = editor.locator("table.guide-list tbody tr", has_text="Snurrebassehallen")
        expect(row.locator("td.status")).to_have_text("Kladde")
        expect(editor.locator("#guide-status")).to_contain_text("Kladden er gemt (version 1)")
        row.get_by_role("button", name="Godkend og udgiv").click()  # alone: refused
        expect(editor.locator("#guide-status")).to_contain_text("anden end forfatteren")
        row.get_by_role("button", name="Send til godkendelse").click()
        expect(row.locator("td.status")).to_contain_text("venter på godkendelse")
        editor.screenshot(path=str(ARTIFACTS / "guides-editor.png"), full_page=True)

        reviewer = signed_in("mia")
        row = reviewer.locator("table.guide-list tbody tr", has_text="Snurrebassehallen")
        row.get_by_role("button", name="Godkend og udgiv").click()
        expect(row.locator("td.status")).to_have_text("Udgivet")
        published = time.monotonic()

        citizen = browser.new_context().new_page()
        citizen.goto(f"{url}/?municipality=0751")
        citizen.locator("#message").fill(QUESTION)
        citizen.get_by_role("button", name="Send").click()
        answer = citizen.locator(".msg--bot", has_text="Snurrebassehallen")
        answer.wait_for(timeout=5_000)
        assert time.monotonic() - published < 5.0
        assert "lørdagen fra 10 til 13" in answer.inner_text()
        citizen.screenshot(path=str(ARTIFACTS / "guides-chat.png"), full_page=True)

        # History with diff, from the reviewer's page.
        row.get_by_role("button", name="Historik").click()
        versions = reviewer.locator("#history table.versions tbody tr")
        expect(versions).to_have_count(1)
        expect(versions.first).to_contain_text("udgivet")
        reviewer.screenshot(path=str(ARTIFACTS / "guides-reviewer.png"), full_page=True)

        # Horsens' manager neither sees nor edits Aarhus' guide.
        other = signed_in("ole")
        expect(other.locator("table.guide-list tbody")).to_contain_text("ingen vejledninger")
        assert "Snurrebassehallen" not in other.content()
        guide_id = row.get_attribute("data-id")
        assert other.request.get(f"{url}/api/admin/guides/{guide_id}").status == 403
        browser.close()
    store.close()
