"""The citizen's side in real headless Chromium (Debian's), on a 390×844 phone and a desktop.

Who can help is shown before the citizen asks (in and out of hours, by the app's
clock); "Afslut samtalen" gives one rating question whose buttons record the score;
every message is one element; the input stays in view after five answers, on the
page and in the widget; a guide's long link reads as its title; the widget counts a
message that arrives while it is closed. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from store.outcomes import OutcomeStore, database_url
from tests.servers import serve_app

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, ViewportSize

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
TZ = ZoneInfo("Europe/Copenhagen")
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
HOST = "http://kommune.test"  # a municipality's site that embeds the widget
QUESTIONS = ["jeg har mistet mit sundhedskort", "hvordan bestiller jeg et pas",
             "hvornår bliver mit affald hentet", "jeg skal flytte", "hvordan får jeg MitID"]


def ticking(start: datetime):
    t0 = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def launch(pw):
    # The test's "municipal site" is served by Playwright (a public address to Chromium)
    # and the gateway on loopback: Private Network Access would block the widget's
    # script, which in production comes from a public gateway. Off for the tests.
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-features=BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks,"
        "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults"])


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def ask(page, text: str, answers: int) -> None:
    """Type a question and wait for the `answers`-th bot reply after the greeting."""
    page.get_by_label("Din besked").fill(text)
    page.keyboard.press("Enter")
    page.locator("li.msg--bot").nth(answers).wait_for(timeout=20_000)


def in_view(box: FloatRect | None, viewport: ViewportSize) -> bool:
    return box is not None and box["y"] >= 0 and box["x"] >= 0 and \
        box["y"] + box["height"] <= viewport["height"] and \
        box["x"] + box["width"] <= viewport["width"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("hour, open_now", [(11, True), (20, False)], ids=["open", "closed"])
def test_availability_is_shown_before_asking(knowledge, viewport: ViewportSize, hour,
                                             open_now):
    from playwright.sync_api import sync_playwright

    app = create_app(knowledge.settings, frontdesk=Frontdesk(knowledge),
                     clock=ticking(datetime(2026, 11, 24, hour, 0, tzinfo=TZ)))
    with serve_app(app) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport=viewport)
        page.goto(f"{url}/?municipality=0751")
        banner = page.locator("#availability")
        banner.wait_for(state="visible", timeout=10_000)
        page.locator("li.msg--bot").first.wait_for()
        text = banner.inner_text()
        assert page.locator("li.msg--citizen").count() == 0  # before the citizen asks
        assert "Den Digitale Hotline: i dag 8.00–18.00" in text
        assert "Aarhus Kommune: i dag" in text
        if open_now:
            assert "En medarbejder kan hjælpe dig nu." in text
        else:
            assert "Der er ingen medarbejder lige nu." in text
            assert "svarer senest i morgen kl. 8.00" in text and "ringes op" in text
        assert in_view(banner.bounding_box(), viewport)
        shot(page, f"chat-availability-{'open' if open_now else 'closed'}-"
                   f"{viewport['width']}.png")
        browser.close()


def test_end_rating_once_short_links_and_no_duplicates(knowledge, tmp_path):
    from playwright.sync_api import sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    app = create_app(knowledge.settings, frontdesk=Frontdesk(knowledge, store),
                     clock=ticking(datetime(2026, 11, 24, 11, 0, tzinfo=TZ)))
    with serve_app(app) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{url}/?municipality=0615")
        ask(page, "jeg har mistet mit sundhedskort", 1)
        answer = page.locator("li.msg--bot[data-action='answer']")
        link = answer.locator("a").first
        href, label = link.get_attribute("href"), link.inner_text()
        assert href and href.startswith("https://") and link.get_attribute("rel") == \
            "noopener noreferrer"
        assert "://" not in label and len(label) < len(href)  # the title, not the URL
        assert answer.inner_text().strip().endswith("Hjalp det?")
        more = answer.get_by_text("trin mere")
        assert answer.locator("details").count() == 1 and more.is_visible()
        hidden_step = answer.locator("details ol li").first
        assert hidden_step.is_hidden()
        more.click()
        assert hidden_step.is_visible()
        more_box = answer.bounding_box()
        assert more_box is not None and more_box["height"] < 1.2 * PHONE["height"]
        quick = page.get_by_role("group", name="Hurtige svar")
        assert quick.get_by_role("button").all_inner_texts() == ["Ja", "Nej"]

        page.get_by_role("button", name="Afslut samtalen").click()
        page.locator("li.msg--bot[data-action='end']").wait_for(timeout=20_000)
        assert page.locator("li.msg--citizen").count() == 1  # the button wrote nothing
        assert page.locator("li.msg", has_text="1 til 10").count() == 1
        assert page.get_by_text("Tak, det var det").count() == 0
        rating = page.get_by_role("group", name="Giv en karakter fra 1 til 10")
        assert rating.get_by_role("button").count() == 10
        question = page.locator("li.msg", has_text="1 til 10").bounding_box()
        log_box = page.locator("#scroll").bounding_box()
        assert question and log_box and question["y"] >= log_box["y"] and \
            question["y"] + question["height"] <= log_box["y"] + log_box["height"]
        shot(page, "chat-rating-390.png")
        page.get_by_role("button", name="8 ud af 10").click()
        page.locator("li.msg--bot[data-action='end']").nth(1).wait_for(timeout=20_000)
        assert page.locator("#quick").is_hidden()
        page.get_by_role("button", name="Afslut samtalen").click()  # again: no second ask
        page.locator("li.msg--bot[data-action='end']").nth(2).wait_for(timeout=20_000)
        assert page.locator("li.msg", has_text="1 til 10").count() == 1

        # each logged event is one element, shown once (and so announced once)
        seqs = page.locator("#log li[data-seq]").evaluate_all(
            "els => els.map(e => e.dataset.seq)")
        assert len(seqs) == len(set(seqs)) == page.locator("#log > li").count() == 7
        assert page.locator("#status").inner_text() == ""
        cid = page.evaluate("JSON.parse(sessionStorage.getItem('ddh-chat:0615')).id")
        browser.close()
    store.flush()
    conv = store.conversation(cid)
    store.close()
    assert conv["satisfaction"] == 8 and conv["outcome"] == "resolved_bot"
    assert [d["action"] for d in conv["decisions"]] == ["answer", "end", "end", "end"]


def test_input_stays_in_view_after_five_answers(knowledge):
    from playwright.sync_api import sync_playwright

    app = create_app(knowledge.settings, frontdesk=Frontdesk(knowledge),
                     clock=ticking(datetime(2026, 11, 24, 11, 0, tzinfo=TZ)))
    with serve_app(app) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{url}/?municipality=0751")
        page.locator("li.msg--bot").first.wait_for()
        for n, question in enumerate(QUESTIONS, 1):
            ask(page, question, n)
            assert in_view(page.get_by_label("Din besked").bounding_box(), PHONE), n
            assert in_view(page.get_by_role("button", name="Send").bounding_box(), PHONE), n
        # the newest answer starts in view (read from its start)
        last = page.locator("li.msg--bot").last.bounding_box()
        assert last is not None and 0 <= last["y"] < PHONE["height"]
        shot(page, "chat-five-answers-390.png")
        # the citizen's own message is kept as one element, and shows as it was logged
        ask(page, "mit cpr-nummer er 010190-1234, kan I se min sag", len(QUESTIONS) + 1)
        mine = page.locator("li.msg--citizen")
        assert mine.count() == len(QUESTIONS) + 1
        assert "010190-1234" not in mine.last.inner_text()
        browser.close()


class SlowDesk(Frontdesk):
    """Answers after a second: time for the citizen to close the widget first."""

    def handle(self, turn):
        time.sleep(1.0)
        return super().handle(turn)


def host_page(url: str) -> str:
    return (f'<!doctype html><html lang="da"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>Kommune</title></head><body><h1>Kommunens side</h1>'
            f'<script src="{url}/static/widget.js" data-municipality="0751" async>'
            f'</script></body></html>')


def test_widget_on_a_phone_input_in_view_close_and_unread_badge(knowledge):
    from playwright.sync_api import sync_playwright

    settings = knowledge.settings.model_copy(update={"allowed_origins": [HOST]})
    app = create_app(settings, frontdesk=SlowDesk(knowledge),
                     clock=ticking(datetime(2026, 11, 24, 11, 0, tzinfo=TZ)))
    with serve_app(app) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport=PHONE)
        page.route(f"{HOST}/**", lambda route: route.fulfill(
            status=200, content_type="text/html", body=host_page(url)))
        page.goto(f"{HOST}/")
        opener = page.get_by_role("button", name="Chat med os")
        opener.click()
        chat = page.frame_locator("iframe[title='Chat med kommunen']")
        chat.locator("#availability").wait_for(state="visible", timeout=10_000)
        chat.locator("li.msg--bot").first.wait_for(timeout=10_000)
        frame_box = page.locator("iframe[title='Chat med kommunen']").bounding_box()
        assert frame_box is not None
        for n, question in enumerate(QUESTIONS, 1):
            chat.get_by_label("Din besked").fill(question)
            chat.get_by_label("Din besked").press("Enter")
            chat.locator("li.msg--bot").nth(n).wait_for(timeout=20_000)
            box = chat.get_by_label("Din besked").bounding_box()  # in page coordinates
            assert in_view(box, PHONE), n
            assert box is not None and box["y"] + box["height"] <= \
                frame_box["y"] + frame_box["height"], n
        shot(page, "widget-five-answers-390.png")

        # closed while the answer is on its way: the button counts it
        chat.get_by_label("Din besked").fill("hvordan bestiller jeg et sundhedskort")
        chat.get_by_label("Din besked").press("Enter")
        page.get_by_role("button", name="Luk chatten").click()
        assert page.locator("iframe[title='Chat med kommunen']").is_hidden()
        badge = page.locator(".ddh-chat-badge")
        badge.wait_for(state="visible", timeout=20_000)
        assert badge.inner_text() == "1"
        assert page.get_by_role("button", name="Chat med os – 1 ny besked").is_visible()
        shot(page, "widget-unread-390.png")
        page.get_by_role("button", name="Chat med os – 1 ny besked").click()
        assert badge.is_hidden()
        assert chat.locator("li.msg--bot").count() == len(QUESTIONS) + 2
        browser.close()


def test_widget_on_a_desktop_is_a_panel_with_availability(knowledge):
    from playwright.sync_api import sync_playwright

    settings = knowledge.settings.model_copy(update={"allowed_origins": [HOST]})
    app = create_app(settings, frontdesk=Frontdesk(knowledge),
                     clock=ticking(datetime(2026, 11, 24, 20, 0, tzinfo=TZ)))
    with serve_app(app) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport=DESKTOP)
        page.route(f"{HOST}/**", lambda route: route.fulfill(
            status=200, content_type="text/html", body=host_page(url)))
        page.goto(f"{HOST}/")
        assert page.locator("iframe").count() == 0 or \
            page.locator("iframe").get_attribute("src") is None  # nothing opened yet
        page.get_by_role("button", name="Chat med os").click()
        chat = page.frame_locator("iframe[title='Chat med kommunen']")
        chat.get_by_text("Der er ingen medarbejder lige nu.").wait_for(timeout=10_000)
        frame = page.locator("iframe[title='Chat med kommunen']").bounding_box()
        assert frame is not None and frame["width"] < DESKTOP["width"] / 2  # a panel
        assert in_view(chat.get_by_label("Din besked").bounding_box(), DESKTOP)
        shot(page, "widget-closed-hours-1280.png")
        page.get_by_role("button", name="Luk chatten").click()
        assert page.locator("iframe[title='Chat med kommunen']").is_hidden()
        browser.close()
