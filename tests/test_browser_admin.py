"""The quality dashboard in real headless Chromium after a simulated week: every chart
has data, a screenshot is kept, and a municipality's manager sees no other one; and
the dashboard as managers read it (quick ranges, axes and legends, drill-down)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.frontdesk import Frontdesk, TurnInput
from evals.traffic import TrafficSimulator
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


def test_dashboard_after_a_simulated_week(knowledge, tmp_path):
    from playwright.sync_api import sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("jens", "Jens Manager", "manager", "0849", (), PASSWORD)
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    TrafficSimulator(desk, seed=5).run(days=7, per_day=30, last_day=today)
    with serve_app(create_app(knowledge.settings, frontdesk=desk)) as url, \
            sync_playwright() as pw:
        assert httpx.get(f"{url}/admin", follow_redirects=False).status_code == 303
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])

        def signed_in(username: str):
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            log_in(page, url, username)
            page.locator("#desk").wait_for()
            page.goto(f"{url}/admin")
            return page

        admin = signed_in("ada")
        assert admin.locator("svg.heat rect.cell").count() == 7 * 24
        busy = admin.eval_on_selector_all("svg.heat rect.cell title",
                                          "els => els.map(e => e.textContent)")
        assert sum(not t.endswith(": 0") for t in busy) >= 10
        assert admin.locator("svg.trend circle.point").count() == 7
        assert admin.locator("svg.bars").count() == 2
        assert admin.locator("svg.bars rect.bar").count() >= 5
        municipalities = admin.locator("table.municipalities tbody tr").count()
        assert municipalities >= 5
        assert "Aarhus" in admin.locator("table.municipalities").inner_text()
        assert admin.locator("#bemanding table.staffing tbody tr").count() >= 1
        assert admin.locator("#bemanding .signal").count() == 1

        # Beredskab: the administrator publishes a notice from the dashboard; a citizen
        # asks; the notice's volume rises on the open page without a reload.
        admin.get_by_label("Overskrift").fill("Forurenet drikkevand i Aabybro")
        admin.get_by_label("Tekst til borgerne").fill(
            "Kog vandet i fem minutter, før du drikker det. Vi giver besked, når det er rent.")
        admin.get_by_label("Ord borgerne bruger (komma)").fill("drikkevand, vandet fra hanen")
        admin.locator("#notice-form").get_by_label("Kommune (kode)").fill("0849")
        admin.get_by_role("button", name="Udsend besked").click()
        row = admin.locator("table.notices tbody tr", has_text="Aabybro")
        row.wait_for()
        assert row.locator("td.contacts").inner_text() == "0"
        reply = desk.handle(TurnInput("beredskab-1", "kan jeg drikke vandet fra hanen?",
                                      "chat", "0849"))
        assert reply.topic == "krise" and "Kog vandet" in reply.reply
        admin.wait_for_function(
            "() => [...document.querySelectorAll('table.notices td.contacts')]"
            ".some(td => td.textContent === '1')", timeout=15_000)
        ARTIFACTS.mkdir(exist_ok=True)
        admin.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        manager = signed_in("jens")
        assert "Aabybro" in manager.locator("table.notices").inner_text()  # his own
        table = manager.locator("table.municipalities tbody tr")
        assert table.count() == 1 and "Jammerbugt" in table.inner_text()
        assert "Aarhus" not in manager.content()
        manager.goto(f"{url}/admin?municipality=0751")  # asking for another: still his own
        assert "Aarhus" not in manager.content()
        manager.screenshot(path=str(ARTIFACTS / "dashboard-manager.png"), full_page=True)
        csv = manager.request.get(f"{url}/api/admin/export/conversations.csv").text()
        rows = csv.strip().splitlines()
        assert rows[0].startswith("id,channel,municipality") and len(rows) > 1
        assert all(",0849," in r for r in rows[1:])  # his municipality only, no text
        parquet = manager.request.get(f"{url}/api/admin/export/conversations.parquet").body()
        import io

        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(parquet))
        assert table.num_rows == len(rows) - 1
        assert set(table.column("municipality").to_pylist()) == {"0849"}
        assert "agent" not in table.column_names  # no personal data
        browser.close()
    store.close()


def test_dashboard_as_managers_read_it(knowledge, tmp_path):
    """Issue 20 item 5 in Chromium, on the gateway's clock: a quick range changes the
    figures, the trend has axis labels and a legend, a figure opens the conversations
    behind it and one of them opens its redacted transcript (both audited)."""
    from playwright.sync_api import sync_playwright

    store = OutcomeStore(database_url(None, tmp_path))
    accounts = Accounts(store)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    clock = datetime(2026, 11, 26, 15, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    TrafficSimulator(desk, seed=7).run(days=14, per_day=12, last_day=clock.date())
    with serve_app(create_app(knowledge.settings, frontdesk=desk, clock=lambda: clock)) \
            as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        log_in(page, url, "ada")
        page.locator("#desk").wait_for()
        page.goto(f"{url}/admin")

        def contacts() -> str:
            return page.locator('.card[data-figure="contacts"] .value').inner_text()

        four_weeks = contacts()
        page.get_by_role("link", name="I går", exact=True).click()
        page.wait_for_url("**start=2026-11-25&end=2026-11-25**")
        yesterday = contacts()
        assert yesterday != four_weeks and int(yesterday.replace(".", "")) <= 12
        assert page.locator(".range--current").inner_text() == "I går"
        page.get_by_role("link", name="7 dage", exact=True).click()
        page.wait_for_url("**start=2026-11-20**")
        trend = page.locator('svg.trend[aria-label="Henvendelser pr. dag"]')
        labels = trend.locator("text.title").all_text_contents()
        assert "Henvendelser" in labels and "Dag" in labels  # axis titles
        assert "25.11" in trend.locator("text.label").all_text_contents()  # a date tick
        assert trend.locator(".legend text").all_text_contents() == ["Henvendelser",
                                                                   "Løst af botten"]
        assert page.locator('#bemanding svg.history circle.point').count() >= 7  # history
        assert "(før:" in page.locator('.card[data-figure="straks_sag"]').inner_text()
        page.locator('.card[data-figure="contacts"] a.value').click()
        page.wait_for_url("**/admin/drill?**")
        rows = page.locator("table.drill-list tbody tr[data-id]")
        assert rows.count() >= 1
        assert page.locator(".total").inner_text() == contacts_in(page.url, store)
        rows.first.locator("a").click()
        page.locator("ol.transcript li").first.wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-transcript.png"), full_page=True)
        browser.close()
    actions = [e["action"] for e in accounts.audit_log()]
    assert "view_drilldown" in actions and "view_transcript" in actions
    store.close()


def contacts_in(url: str, store: OutcomeStore) -> str:
    """The contacts of the drill-down's period, counted by store/kpi.py (Danish)."""
    from urllib.parse import parse_qs, urlparse

    from gateway.formatting import da_number
    from store import kpi

    q = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    tz = ZoneInfo("Europe/Copenhagen")
    start = datetime.fromisoformat(q["start"]).replace(tzinfo=tz)
    end = datetime.fromisoformat(q["end"]).replace(tzinfo=tz) + timedelta(days=1)
    return da_number(kpi.headline(store, kpi.Filters(start, end))["contacts"])
