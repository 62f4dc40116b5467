"""Agent quality, cost per contact and wrong calls over HTTP: who sees what.

An administrator sees everything; a municipality's manager that municipality and its
agents (and the rule's reports about them); an agent their own figures only."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import httpx
import pytest

from bot.frontdesk import Frontdesk
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from store import agent_quality
from store.outcomes import OutcomeStore, database_url
from tests import test_agent_quality as aq
from tests import test_costs_wrong_calls as cw
from tests.servers import serve_app

PASSWORD = "korrekt-hest-batteri"
WEEK = {"start": "2026-11-02", "end": "2026-11-08"}  # k1-k10, none of a-e's contacts


@pytest.fixture(scope="module")
def gateway(knowledge, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quality-gateway")
    store = OutcomeStore(database_url(None, tmp))
    aq.people(store, PASSWORD)
    Accounts(store).add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    aq.contacts(store)
    cw.fill(store)
    costs = tmp / "costs.yaml"
    costs.write_text(cw.COSTS, encoding="utf-8")
    settings = knowledge.settings.model_copy(update={
        "agent_quality_min_contacts": 2, "costs_file": costs})
    # the monthly run for November (the gateway's task runs it for the last closed month)
    rule = agent_quality.Rule(0.2, 3, 2)
    assert [w["agent"] for w in agent_quality.evaluate(store, "2026-11", rule)] == ["e"]
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    app = create_app(settings, frontdesk=desk,
                     clock=lambda: datetime(2026, 11, 24, 10, tzinfo=UTC))
    with serve_app(app) as url:
        yield url, store
    store.close()


def signed_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url)
    client.post("/api/agent/login",
                json={"username": username, "password": PASSWORD}).raise_for_status()
    return client


def agents(client: httpx.Client) -> dict:
    r = client.get("/api/admin/agents", params={"month": "2026-11", "months": 3})
    r.raise_for_status()
    return r.json()


def test_the_administrator_sees_every_agent_and_report(gateway):
    url, _ = gateway
    view = agents(signed_in(url, "ada"))
    assert view["months"] == ["2026-09", "2026-10", "2026-11"]
    assert {r["agent"] for r in view["agents"]} == {"a", "b", "c", "d", "e", "anne", "bo"}
    lowest = {(r["agent"], r["month"]) for r in view["agents"] if r["lowest"]}
    assert lowest == {("e", "2026-09"), ("e", "2026-10"), ("e", "2026-11")}
    assert [(r["agent"], r["month"], r["leaders"]) for r in view["reports"]] == \
        [("e", "2026-11", ["vera"])]
    assert view["rule"]["min_contacts"] == 2


def test_a_manager_sees_their_municipalitys_agents_only(gateway):
    url, _ = gateway
    vera = agents(signed_in(url, "vera"))  # Viborg
    assert {r["agent"] for r in vera["agents"]} == {"d", "e"}
    assert [r["agent"] for r in vera["reports"]] == ["e"]
    mads = agents(signed_in(url, "mads"))  # Aarhus: nothing of Viborg's
    assert {r["agent"] for r in mads["agents"]} == {"a", "b", "c", "anne"}
    assert mads["reports"] == []


def test_an_agent_sees_their_own_figures_only(gateway):
    url, _ = gateway
    e = signed_in(url, "e")
    view = agents(e)
    assert [(r["agent"], r["month"], r["contacts"], r["straks_sag"])
            for r in view["agents"]] == [("e", "2026-09", 4, 0.25),
                                         ("e", "2026-10", 4, 0.25),
                                         ("e", "2026-11", 4, 0.0)]
    assert "reports" not in view and "rule" not in view
    assert all("lowest" not in r for r in view["agents"])
    assert e.get("/api/admin/costs", params=WEEK).status_code == 403
    assert e.get("/api/admin/wrong-calls", params=WEEK).status_code == 403
    assert httpx.get(f"{url}/api/admin/agents").status_code == 401


def test_cost_per_contact_is_scoped(gateway):
    url, _ = gateway
    admin = signed_in(url, "ada").get("/api/admin/costs", params=WEEK).json()
    # 7 days of 300 DKK; 10 contacts, 6 resolved at first contact
    assert admin["total"]["cost"] == 2100.0 and admin["total"]["price_per_contact"] == 210.0
    assert admin["reference_price_per_call"] == 33.64
    assert [m["municipality"] for m in admin["municipalities"]] == ["0751", "0791"]
    mads = signed_in(url, "mads").get("/api/admin/costs", params=WEEK).json()
    assert mads["municipalities"] == [{
        "municipality": "0751", "contacts": 6, "resolved": 4, "resolved_bot": 3,
        "cost": 1260.0, "price_per_contact": 210.0, "price_per_resolved": 315.0,
        "saved_agent_hours": 0.25, "saved_agent_dkk": 100.0}]
    vera = signed_in(url, "vera").get("/api/admin/costs", params={**WEEK,
                                                                  "municipality": "0751"})
    assert [m["municipality"] for m in vera.json()["municipalities"]] == ["0791"]


def test_wrong_calls_are_scoped(gateway):
    url, _ = gateway
    admin = signed_in(url, "ada").get("/api/admin/wrong-calls", params=WEEK).json()
    assert admin["total"]["total"] == 4 and admin["total"]["bot_sent_right"] == 2
    vera = signed_in(url, "vera").get("/api/admin/wrong-calls",
                                      params={**WEEK, "municipality": "0751"}).json()
    assert {r["municipality"] for r in vera["rows"]} == {"0791"}
    assert vera["total"]["total"] == 2


def test_the_dashboard_shows_the_panels_to_the_manager(gateway):
    url, _ = gateway
    page = signed_in(url, "vera").get("/admin", params={"start": "2026-11-02",
                                                        "end": "2026-11-30"}).text
    assert "Medarbejdernes kvalitet pr. måned" in page
    assert 'data-agent="e"' in page and 'data-agent="a"' not in page
    assert "Underretninger til ledere" in page and "Pris pr. henvendelse" in page
    assert "Forkerte henvendelser" in page and "Storskrald" in page
    assert "33,64 kr." in page
    mads = signed_in(url, "mads").get("/admin", params={"start": "2026-11-02",
                                                        "end": "2026-11-30"}).text
    assert 'data-agent="a"' in mads and 'data-agent="e"' not in mads


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="Debian's chromium is not installed")
def test_an_agent_sees_their_own_figures_in_the_console(gateway):
    """In Chromium: the agent signs in to the console and "Vis mine tal" shows their own
    months (November: 4 contacts, StraksSag 0 %), in Danish number format."""
    from playwright.sync_api import sync_playwright
    url, _ = gateway
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.goto(f"{url}/agent")
        page.get_by_label("Brugernavn").fill("e")
        page.get_by_label("Adgangskode").fill(PASSWORD)
        page.get_by_role("button", name="Log ind").click()
        page.locator("#desk").wait_for()
        page.get_by_role("button", name="Vis mine tal").click()
        row = page.locator("#mine tbody tr", has_text="2026-11")
        row.wait_for(timeout=10_000)
        cells = row.locator("td").all_text_contents()
        assert cells[:3] == ["2026-11", "4", "0 %"], cells
        browser.close()
