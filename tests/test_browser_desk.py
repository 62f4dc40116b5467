"""The desk in real headless Chromium (issue 20.2): three agents of capacity 1, 2 and 3
in three console pages, ten citizens asking for a person (real chat sockets). The queue
breaches its SLA while everyone is away (red entries, a sound) and a citizen waits in
Aarhus's own queue, not yet open to them (shown as waiting elsewhere); then offers arrive
oldest first, a declined offer and an ignored one move on (the one who ignored it is set
away), a silent agent's chat goes to a colleague (the citizen is told in Danish), and
wrap-up ends by itself. The figures are printed for the record.

Short settings make the timers run in seconds: offers lapse after 3 s, wrap-up lasts
2 s, a silent chat is reassigned after 6 s, the SLA is 4 s.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.sync.client import connect

from bot.frontdesk import Frontdesk
from ddh.vocabulary import Action
from gateway.app import create_app
from gateway.desk_dispatch import REASSIGNED
from handoff.accounts import Accounts
from handoff.desk import HandoffDesk
from store.outcomes import OutcomeStore, database_url
from store.records import HandoffPacket
from tests.browser_login import PASSWORD, log_in
from tests.servers import serve_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
ASK = "jeg vil gerne tale med en medarbejder om min digitale post"
AGENTS = {"ida": 1, "ole": 2, "tea": 3}  # username: capacity
MORNING = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))


class Citizen:
    """A citizen's chat socket (real, not a page: ten pages would not fit two cores)."""

    def __init__(self, url: str, sockets: contextlib.ExitStack) -> None:
        conv = httpx.post(f"{url}/api/chat/conversations", json={"municipality": "0849"}).json()
        self.id = conv["id"]
        self.ws = sockets.enter_context(connect(url.replace("http", "ws") + conv["websocket"]))
        self.ws.send(json.dumps({"type": "message", "id": "m1", "text": ASK}))
        assert self.until(lambda e: e.get("role") == "bot")["action"] == "handoff"

    def until(self, match, within: float = 20.0) -> dict:
        deadline = time.monotonic() + within
        while True:
            event = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if match(event):
                return event


def until_true(page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JavaScript expression (wait_for_function would evaluate a string, which
    the console's Content-Security-Policy rightly forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s} s: {expression}")
        time.sleep(0.1)


def test_three_agents_ten_citizens_offers_timeouts_reassignment_and_sla(knowledge, tmp_path):
    from playwright.sync_api import sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    for username, capacity in AGENTS.items():
        Accounts(store).add(username, username.title(), "agent", None, ("digital-post",),
                            PASSWORD, capacity=capacity)
    settings = knowledge.settings.model_copy(update={
        "queue_offer_timeout_s": 3.0, "agent_wrapup_s": 2.0, "queue_reassign_after_s": 6.0,
        "queue_sla_s": 4.0})
    front = Frontdesk(knowledge, store, handoffs=HandoffDesk.from_settings(settings))
    app = create_app(settings, frontdesk=front, clock=lambda: MORNING + timedelta(seconds=1))
    with serve_app(app) as url, sync_playwright() as pw, contextlib.ExitStack() as sockets:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--autoplay-policy=no-user-gesture-required"])
        pages = {}
        for username in AGENTS:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            log_in(page, url, username)
            page.get_by_text("Ingen venter.").wait_for()
            page.locator("#presence").select_option("away")  # nobody takes anything yet
            pages[username] = page
        ida, ole, tea = pages["ida"], pages["ole"], pages["tea"]
        for page in pages.values():
            until_true(page, "window.ddhDesk.states.at(-1) === 'away'")

        citizens = [Citizen(url, sockets) for _ in range(10)]
        c = [x.id for x in citizens]
        # and one in Aarhus's own queue, which DDH's agents may take only after overflow
        front.handoffs.offer(HandoffPacket(
            id="aarhus", kind=Action.HANDOFF, target="0751", topic="digital-post",
            municipality="0751", reason="r", summary="Aarhus", channel="chat",
            created_at=datetime.now(UTC)), "conv-aarhus", "chat")
        tea.locator("#elsewhere li", has_text="1 venter hos Aarhus Kommune").wait_for()
        assert "åbner for dig om 3 min" in tea.locator("#elsewhere li").inner_text()

        def offered(page, conversation: str) -> None:
            page.locator(f"#offer[data-conversation='{conversation}']").wait_for(
                state="visible", timeout=15_000)

        def take(page, conversation: str, reply: bool = True) -> None:
            """Accept the offer of this conversation and, unless silent, greet the
            citizen (the next offer may already be on the screen)."""
            offered(page, conversation)
            page.locator("#offer").get_by_role("button", name="Tag samtalen").click()
            until_true(page, f"window.ddhDesk.accepted.includes('{conversation}')")
            if reply:
                page.get_by_label("Svar til borgeren").fill("Hej, jeg hjælper dig nu.")
                page.get_by_role("button", name="Send", exact=True).click()
                page.locator("#transcript li", has_text="jeg hjælper dig nu").last.wait_for()

        def state(page, value: str) -> None:
            until_true(page, f"document.getElementById('presence').value === '{value}'")

        # the SLA (4 s) breaches while everyone is away: red entries, and a sound
        tea.locator("#queue li.sla-breached").nth(9).wait_for(timeout=20_000)
        assert tea.evaluate("window.ddhDesk.beeps") >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        tea.screenshot(path=str(ARTIFACTS / "desk-sla-breached.png"), full_page=True)

        # Tea (3) is ready: the three oldest, one offer at a time, then busy
        tea.locator("#presence").select_option("available")
        for conversation in c[:3]:
            take(tea, conversation)
        state(tea, "busy")
        # Ole (2) declines the oldest left; it moves on and he gets the next ones
        ole.locator("#presence").select_option("available")
        offered(ole, c[3])
        ole.locator("#offer").get_by_role("button", name="Afvis").click()
        take(ole, c[4])
        take(ole, c[5])
        state(ole, "busy")
        # Ida (1) lets the oldest lapse: withdrawn after 3 s, and she is set away
        ida.locator("#presence").select_option("available")
        offered(ida, c[3])
        ida.screenshot(path=str(ARTIFACTS / "desk-offer.png"), full_page=True)
        ida.locator("#offer").wait_for(state="hidden", timeout=10_000)
        state(ida, "away")
        assert "Tilbuddet udløb" in ida.locator("#desk-note").inner_text()
        # back, she takes the next one (not the one she let lapse, for a while) …
        ida.locator("#presence").select_option("available")
        take(ida, c[6], reply=False)
        state(ida, "busy")
        # … and says nothing: after 6 s the chat goes back to the queue, first in line
        citizens[6].ws.send(json.dumps({"type": "message", "id": "m2", "text": "hallo?"}))
        ida.get_by_text("ventede for længe på dit svar").wait_for(timeout=15_000)
        ida.locator("#presence").select_option("away")
        assert ida.locator("#active").is_hidden()
        told = citizens[6].until(lambda e: e.get("type") == "agent_left")
        assert told["text"] == REASSIGNED
        # Tea wraps one up: wrap-up, then ready by herself, offered the oldest waiting
        tea.get_by_label("Afslut med udfald").select_option("resolved_agent")
        tea.get_by_role("button", name="Afslut samtalen").click()
        state(tea, "wrap-up")
        take(tea, c[3])
        # Ole wraps one up: the reassigned chat comes before every later citizen
        ole.get_by_label("Afslut med udfald").select_option("resolved_agent")
        ole.get_by_role("button", name="Afslut samtalen").click()
        take(ole, c[6])
        citizens[6].until(lambda e: e.get("type") == "agent_joined" and "Ole" in e["text"])
        ole.screenshot(path=str(ARTIFACTS / "desk-reassigned-taken.png"), full_page=True)

        shown = {name: page.evaluate("window.ddhDesk.offers") for name, page in pages.items()}
        withdrawn = {name: page.evaluate("window.ddhDesk.withdrawn")
                     for name, page in pages.items()}
        browser.close()

    dispatch = app.state.console.dispatch
    counts, peak = dispatch.counts, dispatch.peak
    order = {cid: i for i, cid in enumerate(c)}
    print("\noffers per agent (citizen number, in order shown):")
    for name, seq in shown.items():
        print(f"  {name} (capacity {AGENTS[name]}): {[order[x] for x in seq]}; "
              f"withdrawn: {[r for _, r in withdrawn[name]]}")
    print(f"offers made {counts['made']}, shown {counts['shown']}, accepted "
          f"{counts['accepted']}, declined {counts['declined']}, timed out "
          f"{counts['timeout']}, withdrawn (agent unavailable) {counts['unavailable']}, "
          f"reassigned {counts['reassigned']}")
    print(f"max concurrent per agent: {peak}")
    assert [order[x] for x in shown["tea"][:3]] == [0, 1, 2]  # oldest first
    assert [order[x] for x in shown["ole"][:3]] == [3, 4, 5]
    assert [order[x] for x in shown["ida"][:2]] == [3, 6]
    assert ("declined" in [r for _, r in withdrawn["ole"]] and
            "timeout" in [r for _, r in withdrawn["ida"]])
    assert counts["declined"] >= 1 and counts["timeout"] >= 1 and counts["reassigned"] == 1
    assert counts["accepted"] == 8
    assert peak == {"ida": 1, "ole": 2, "tea": 3}  # capacity, reached and never exceeded
    audit = [r for r in Accounts(store).audit_log(500) if r["action"] == "reassign"]
    assert [(r["username"], r["detail"]) for r in audit] == [("ida", "silent")]
    store.close()
