"""The agent console as agents expect it (issue 20.4), in real headless Chromium:
the queue, "Mine samtaler" and the conversation side by side at 1280×800 with the reply
box in view however long the transcript; two conversations switched with their drafts
kept and an unread count; a canned reply kept by an administrator and inserted with
"/"; an internal note the citizen's page never gets; signing out; a handover to a
colleague who then answers; the citizen's earlier contacts by their consented number.

Real components: a real uvicorn server, the real store on SQLite, real WebSockets, the
real frontdesk, Debian's Chromium driven by Playwright.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from gateway.console_tools import TO_COLLEAGUE
from handoff.accounts import Accounts
from handoff.desk import HandoffDesk
from store import canned
from store.models import CallbackContact, Conversation, HandoffPacket, Turn
from store.outcomes import OutcomeStore, database_url
from tests.browser_login import PASSWORD, log_in
from tests.servers import serve_app
from tests.test_browser_handoff import tuesday_morning

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
ASK = "jeg vil gerne tale med en medarbejder om min digitale post"
DESKTOP = {"width": 1280, "height": 800}


@contextmanager
def gateway(knowledge, tmp_path) -> Iterator[tuple[str, OutcomeStore]]:
    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    accounts.add("anne", "Anne Agent", "agent", "0849", ("digital-post",), PASSWORD)
    accounts.add("bo", "Bo Berg", "agent", None, ("digital-post",), PASSWORD)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    settings = knowledge.settings.model_copy(update={
        "queue_offer_timeout_s": 120.0, "queue_missed_offer_away": False,
        "agent_capacity": 2})
    front = Frontdesk(knowledge, store, handoffs=HandoffDesk.from_settings(settings))
    with serve_app(create_app(settings, frontdesk=front, clock=tuesday_morning())) as url:
        yield url, store
    store.close()


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def sign_in(browser, url: str, username: str, **context: Any):
    page = browser.new_context(viewport=DESKTOP, **context).new_page()
    log_in(page, url, username)
    page.locator("#desk").wait_for()
    return page


def ask_for_a_person(browser, url: str) -> tuple[Any, str]:
    """A citizen's page that asked for a person and waits in the queue."""
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{url}/?municipality=0849")
    page.get_by_label("Din besked").fill(ASK)
    page.keyboard.press("Enter")
    page.locator("li.msg--bot[data-action='handoff']").wait_for(timeout=20_000)
    return page, page.evaluate("JSON.parse(sessionStorage.getItem('ddh-chat:0849')).id")


def take(agent, conversation: str) -> None:
    """Take the conversation from the queue list (not the offer: either would do)."""
    agent.locator(f"#queue li[data-conversation='{conversation}']").get_by_role(
        "button", name="Tag samtalen").click(timeout=15_000)
    agent.locator(f"#convs button[data-conversation='{conversation}']").wait_for(timeout=15_000)


def in_view(page, selector: str) -> bool:
    return page.evaluate("""(sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0 &&
               document.scrollingElement.scrollTop === 0;
      }""", selector)


# the tab hidden or not as the test says (a notification is only for a hidden tab)
HIDDEN = """window.__hidden = false;
Object.defineProperty(document, 'hidden', { get: () => window.__hidden });
"""


def test_layout_drafts_canned_reply_note_and_signing_out(knowledge, tmp_path):
    with gateway(knowledge, tmp_path) as (url, store), chromium() as browser:
        # the administrator keeps DDH's canned replies in the console's panel
        ada = sign_in(browser, url, "ada")
        ada.get_by_label("Kø (ddh eller kommunekode)").fill("ddh")
        ada.get_by_label("Genvej").fill("hilsen")
        ada.get_by_label("Titel").fill("Hilsen")
        ada.get_by_label("Tekst").fill("Hej, jeg hedder {agent} og hjælper dig gerne.")
        ada.get_by_role("button", name="Gem standardsvar").click()
        ada.locator("#canned-list li", has_text="/hilsen").wait_for(timeout=10_000)
        ARTIFACTS.mkdir(exist_ok=True)
        ada.screenshot(path=str(ARTIFACTS / "console-canned-replies.png"))

        context = {"permissions": ["notifications"]}
        anne = sign_in(browser, url, "anne", **context)
        anne.context.add_init_script(HIDDEN)
        anne.reload()
        anne.locator("#desk").wait_for()
        anne.get_by_text("Ingen venter.").wait_for()

        first, one = ask_for_a_person(browser, url)
        for i in range(20):  # a long conversation before the agent comes
            store.record_message(one, "citizen" if i % 2 else "bot",
                                 f"Linje {i + 1} af en lang samtale om digital post.")
        # the queue comes as changes; the wait beside the citizen is counted on the page
        label = anne.locator(f"#queue li[data-conversation='{one}'] strong")
        label.wait_for(timeout=15_000)
        before = int(re.search(r"· (\d+) s", label.inner_text()).group(1))
        anne.wait_for_timeout(2_500)
        assert int(re.search(r"· (\d+) s", label.inner_text()).group(1)) >= before + 2
        take(anne, one)
        anne.locator("#transcript li", has_text="Linje 20").wait_for()
        assert anne.locator("#transcript li").count() >= 21
        # side by side, and the reply box in view without scrolling the page
        boxes = [anne.locator(s).bounding_box() for s in
                 (".console__queue", ".console__convs", "#active")]
        assert all(b is not None for b in boxes)
        assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # type: ignore[index]
        assert in_view(anne, "#reply-text") and in_view(anne, "#reply button[type=submit]")
        assert anne.evaluate("(() => { const t = document.getElementById('transcript');"
                             " return t.scrollHeight > t.clientHeight; })()")
        ARTIFACTS.mkdir(exist_ok=True)
        anne.screenshot(path=str(ARTIFACTS / "agent-console-1280x800.png"))

        # a second citizen while the tab is hidden: a beep, the title, a notification
        anne.evaluate("window.__hidden = true")
        beeps = anne.evaluate("window.ddhNotify.beeps")
        second, two = ask_for_a_person(browser, url)
        anne.wait_for_function(f"window.ddhNotify.beeps > {beeps}", timeout=15_000)
        anne.wait_for_function("document.title.startsWith('(1) Agentkonsol')", timeout=10_000)
        anne.wait_for_function("window.ddhNotify.notifications.length > 0", timeout=10_000)
        anne.evaluate("window.__hidden = false")
        take(anne, two)
        anne.locator("#presence").wait_for()
        anne.wait_for_function("document.getElementById('presence').value === 'busy'",
                               timeout=15_000)  # the desk says so at capacity (2)

        # drafts stay with their conversation
        reply = anne.get_by_label("Svar til borgeren")
        reply.fill("Udkast til nummer to")
        anne.locator(f"#convs button[data-conversation='{one}']").click()
        assert reply.input_value() == ""
        reply.fill("Udkast til nummer et")
        anne.locator(f"#convs button[data-conversation='{two}']").click()
        assert reply.input_value() == "Udkast til nummer to"
        anne.locator(f"#convs button[data-conversation='{one}']").click()
        assert reply.input_value() == "Udkast til nummer et"
        # the other citizen writes: an unread count on their conversation
        second.get_by_label("Din besked").fill("hallo er der nogen der kan hjælpe")
        second.keyboard.press("Enter")
        badge = anne.locator(f"#convs button[data-conversation='{two}'] .console__unread")
        badge.wait_for(timeout=10_000)
        assert badge.inner_text() == "1"
        anne.wait_for_function("document.title.startsWith('(1) ')", timeout=10_000)

        # canned replies: the menu lists the conversation's queue's; "/" + a shortcut,
        # keyboard only
        canned.add(store.sessions, "0849", "hjemmeside", "Kommunens side",
                   "Se jammerbugt.dk", "jens", datetime.now(UTC))
        anne.evaluate("document.dispatchEvent(new CustomEvent('ddh:signed-in',"
                      " { detail: window.ddhAgent.me() }))")  # the replies again, now
        reply.fill("")
        anne.get_by_role("button", name="Standardsvar").click()
        anne.locator("#canned-suggest li", has_text="/hjemmeside").wait_for(timeout=5_000)
        assert anne.locator("#canned-suggest li").count() == 2
        reply.press("Escape")
        assert anne.locator("#canned-suggest").is_hidden()
        reply.press_sequentially("/h")
        anne.locator("#canned-suggest li", has_text="/hjemmeside").wait_for(timeout=5_000)
        reply.press("ArrowDown")
        reply.press("Enter")
        assert reply.input_value() == "Se jammerbugt.dk"
        reply.fill("")
        reply.press_sequentially("/hil")
        anne.locator("#canned-suggest li", has_text="/hilsen").wait_for(timeout=5_000)
        reply.press("Enter")
        assert reply.input_value() == "Hej, jeg hedder Anne og hjælper dig gerne."
        assert anne.locator("#canned-suggest").is_hidden()

        # an internal note: shown to the agent as such, never to the citizen
        anne.get_by_label("Intern note til kolleger (borgeren ser den ikke)").fill(
            "Borgeren virker presset")
        anne.get_by_role("button", name="Gem note").click()
        note = anne.locator("#transcript li.msg--note", has_text="Borgeren virker presset")
        note.wait_for(timeout=10_000)
        assert "Intern note" in note.inner_text()
        anne.get_by_role("button", name="Send", exact=True).click()
        first.locator("li.msg--agent", has_text="jeg hedder Anne").wait_for(timeout=10_000)
        assert "presset" not in first.content()
        anne.screenshot(path=str(ARTIFACTS / "agent-console-two-conversations.png"))

        # narrow screens stack the panes (and the page scrolls)
        anne.set_viewport_size({"width": 420, "height": 800})
        stacked = [anne.locator(s).bounding_box() for s in
                   (".console__queue", ".console__convs", "#active")]
        assert stacked[0]["y"] < stacked[1]["y"] < stacked[2]["y"]  # type: ignore[index]
        anne.set_viewport_size(DESKTOP)

        # "Log ud": the session ends, the sign-in form is back
        anne.get_by_role("button", name="Log ud").click()
        anne.get_by_role("button", name="Log ind").wait_for()
        assert anne.locator("#desk").is_hidden()
        assert anne.evaluate("fetch('/api/agent/me').then((r) => r.status)") == 401
        assert anne.title() == "Agentkonsol – Den Digitale Hotline"


def _earlier_contact(store: OutcomeStore) -> str:
    """A conversation of nine days ago with a ticket to the citizen's consented number."""
    cid, at = "earlier-contact", datetime.now(UTC) - timedelta(days=9)
    with store.sessions.begin() as s:
        s.add(Conversation(id=cid, channel="chat", municipality="0849", topic="digital-post",
                           started_at=at, ended_at=at, outcome="ticket", turns=1))
        s.flush()
        s.add(Turn(conversation_id=cid, seq=1, role="citizen",
                   text="Jeg kan ikke finde mit brev fra kommunen", at=at))
        s.add(HandoffPacket(id="t-earlier", conversation_id=cid, kind="ticket", target="0849",
                            topic="digital-post", reason="r", summary="Brev",
                            packet={"municipality": "0849"}, created_at=at, status="done"))
        s.flush()
        s.add(CallbackContact(handoff_id="t-earlier", phone="+45 28 12 34 56", consented_at=at))
    return cid


def test_handover_to_a_colleague_and_earlier_contacts(knowledge, tmp_path):
    with gateway(knowledge, tmp_path) as (url, store), chromium() as browser:
        _earlier_contact(store)
        anne = sign_in(browser, url, "anne")
        bo = sign_in(browser, url, "bo")
        citizen, conversation = ask_for_a_person(browser, url)
        take(anne, conversation)

        # a callback number with consent: the citizen's earlier contact shows
        anne.get_by_label("Tlf. til tilbagekald").fill("28123456")
        anne.get_by_role("button", name="Opret sag").click()
        earlier = anne.locator("#history-list li")
        earlier.first.wait_for(timeout=10_000)
        assert "Sag oprettet" in earlier.first.inner_text()
        earlier.first.get_by_role("button", name="Vis samtalen").click()
        anne.locator("#viewer-log li", has_text="Jeg kan ikke finde mit brev").wait_for()
        anne.get_by_role("button", name="Luk").click()

        # handed to Bo, with a note for him
        anne.locator("#handover-to option[value='agent:bo']").wait_for(state="attached",
                                                                       timeout=15_000)
        anne.get_by_label("Giv samtalen videre til").select_option("agent:bo")
        anne.get_by_label("Note til den næste (valgfri, borgeren ser den ikke)").fill(
            "Har ringet før om det samme brev")
        anne.get_by_role("button", name="Giv videre").click()
        citizen.get_by_text(TO_COLLEAGUE).first.wait_for(timeout=10_000)
        anne.get_by_text("Ingen samtaler endnu.").wait_for(timeout=10_000)

        bo.locator("#offer").get_by_role("button", name="Tag samtalen").click(timeout=20_000)
        bo.locator("#transcript li.msg--note", has_text="Har ringet før").wait_for(
            timeout=10_000)
        bo.get_by_label("Svar til borgeren").fill("Hej, det er Bo. Jeg hjælper dig videre.")
        # a reload: the console shows his conversation again, with its note and draft
        bo.reload()
        bo.locator(f"#convs button[data-conversation='{conversation}']").wait_for(
            timeout=15_000)
        bo.locator("#transcript li.msg--note", has_text="Har ringet før").wait_for()
        assert bo.get_by_label("Svar til borgeren").input_value() == \
            "Hej, det er Bo. Jeg hjælper dig videre."
        bo.get_by_role("button", name="Send", exact=True).click()
        citizen.locator("li.msg--agent", has_text="det er Bo").wait_for(timeout=10_000)
        citizen.get_by_text("Bo Berg fra Den Digitale Hotline er nu med i samtalen.") \
            .first.wait_for(timeout=10_000)
        assert "Har ringet før" not in citizen.content()
        ARTIFACTS.mkdir(exist_ok=True)
        bo.screenshot(path=str(ARTIFACTS / "agent-console-handed-over.png"))
    conv = store.conversation(conversation)
    assert conv is not None and conv["agent"] == "bo"
