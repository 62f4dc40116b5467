"""The knowledge-gap report end to end: six weeks of simulated traffic with planted
gaps through the real frontdesk into a real SQLite store, the real embedding model,
`ddh gaps` as a process, and the dashboard's endpoints over a real HTTP server with
role scoping."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import insert

from bot.frontdesk import Frontdesk, TurnInput
from evals.gap_themes import THEMES
from evals.traffic import TrafficSimulator
from gateway.app import create_app
from handoff.accounts import Accounts
from handoff.backends import MemoryBackend
from handoff.desk import HandoffDesk
from handoff.gap_draft import draft_guide
from handoff.gaps import GapReport, build_report
from knowledge.guide import NO_GUIDE_TOPIC
from store.gaps import gap_questions
from store.models import Conversation, Decision, Turn
from store.outcomes import OutcomeStore, database_url
from tests.servers import DDH, ROOT, serve_app

TZ = ZoneInfo("Europe/Copenhagen")
LAST_DAY = date(2026, 11, 29)  # a Sunday: six weeks from Monday 19 October
END = datetime(2026, 11, 30, tzinfo=TZ)
DAYS = 21  # the report's period; the trend compares the three weeks before
CPR = "010190-1234"
PASSWORD = "korrekt-hest-batteri"
LOCAL = "hvad sker der med springvandet på Bispetorvet"  # asked in Aarhus only
GUIDE_FIELDS = {"municipality", "topic", "title", "summary", "steps", "keywords", "url",
                "review_by"}  # CONTRACT.md §6
THEME_OF = {" ".join(p.casefold().split()): t.id for t in THEMES for p in t.paraphrases}


def theme(text: str) -> str | None:
    return THEME_OF.get(" ".join(text.casefold().split()))


@pytest.fixture(scope="module")
def month(knowledge, tmp_path_factory):
    """Six weeks of traffic, a third of the citizens asking about a planted gap; plus a
    CPR number in a gap question (through the frontdesk, and one row written in clear
    as an older store might hold it), and an Aarhus-only question."""
    store = OutcomeStore(database_url(None, tmp_path_factory.mktemp("gaps")))
    desk = Frontdesk(knowledge, store, handoffs=HandoffDesk(MemoryBackend()))
    sim = TrafficSimulator(desk, seed=7, gap_share=0.35).run(days=42, per_day=40,
                                                             last_day=LAST_DAY)
    at = datetime(2026, 11, 24, 10, 15, tzinfo=TZ)
    for i in range(2):
        r = desk.handle(TurnInput(uuid.uuid4().hex, f"der er rotter i min have, mit cpr er "
                                  f"{CPR}", "chat", "0751", None, at + timedelta(hours=i)))
        assert r.action in ("transfer", "ticket")
    rows = [(f"raw-{i}", "0751" if i < 3 else "0791",
             LOCAL if i < 3 else f"min cpr er {CPR}, hvornår svarer I") for i in range(5)]
    with store.sessions.begin() as s:
        for cid, code, text in rows:
            s.execute(insert(Conversation).values(
                id=cid, channel="chat", municipality=code, language="da", started_at=at,
                turns=1, updated_at=at))
            s.execute(insert(Turn).values(conversation_id=cid, seq=1, role="citizen",
                                          text=text, at=at))
            s.execute(insert(Decision).values(
                conversation_id=cid, seq=1, at=at, action="clarify", topic=None,
                reason="no guide matches confidently", mode="grounded"))
    store.flush()
    yield store, sim, desk
    store.close()


@pytest.fixture(scope="module")
def report(month, knowledge) -> GapReport:
    store, _, _ = month
    return build_report(store, knowledge.embedder, knowledge.retriever, END, DAYS, limit=15)


def test_the_planted_gaps_are_the_top_clusters(month, report):
    _, sim, _ = month
    assert sim.planted and set(sim.planted) == {t.id for t in THEMES}
    clusters = report.clusters
    shown = [(c.label, c.count, [theme(e) for e in c.examples]) for c in clusters]

    def planted(c) -> str | None:
        """The theme of a cluster whose examples are (at least 4 in 5) one theme."""
        votes = Counter(theme(e) for e in c.examples)
        (best, n), = votes.most_common(1)
        return best if best is not None and n >= 0.8 * len(c.examples) else None

    # the top clusters are planted themes, every theme among them, before any cluster
    # of other questions
    first_other = next(i for i, c in enumerate(clusters) if planted(c) is None)
    assert first_other >= len(THEMES), shown
    assert {planted(c) for c in clusters[:first_other]} == {t.id for t in THEMES}, shown
    assert [c.count for c in clusters] == sorted((c.count for c in clusters), reverse=True)
    top = clusters[0]
    assert theme(top.examples[0]) in ("rotter", "snerydning")  # the two asked most
    assert top.kinds.get("no_guide", 0) >= top.count * 0.9
    assert top.topic == "andet-kommunalt" and top.nearest_guide is not None
    assert set(top.nearest_guide) >= {"id", "title", "score"}
    # the rising theme rises; a cluster's label is its subject without greetings
    snow = [c for c in clusters[:first_other] if planted(c) == "snerydning"]
    assert sum(c.count for c in snow) > sum(c.previous for c in snow)
    assert all(not c.label.lower().startswith(("hej", "godmorgen", "undskyld"))
               for c in clusters)


def test_examples_are_redacted(month, report):
    store, _, _ = month
    texts = [q.text for q in gap_questions(store, END - timedelta(days=DAYS), END)]
    assert sum("[CPR]" in t for t in texts) == 4  # two through the frontdesk, two raw
    dumped = json.dumps([c.as_json() for c in report.clusters], ensure_ascii=False)
    for text in [*texts, dumped]:
        assert CPR not in text and "0101901234" not in text and "010190" not in text


def test_a_draft_guide_from_the_top_cluster(report):
    top = report.clusters[0]
    d = draft_guide(top, None, END.date())
    assert set(d) == GUIDE_FIELDS
    assert d["municipality"] is not None and d["topic"] == "andet-kommunalt"
    assert d["keywords"] and all(isinstance(k, str) and k for k in d["keywords"])
    assert d["keywords"][0] in {" ".join(e.lower().split()) for e in top.examples} or \
        any(d["keywords"][0] in e.lower() for e in top.examples)


# --- `ddh gaps` as a process ------------------------------------------------------------


def ddh(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([DDH, *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_ddh_gaps_json_and_table(month, report, knowledge):
    store, _, _ = month
    env = {"DDH_DATA_DIR": str(knowledge.settings.data_dir), "DDH_DATABASE_URL": store.url}
    out = ddh("gaps", "--json", "--days", str(DAYS), "--until", "2026-11-30", "--limit", "8",
              env=env)
    assert out.returncode == 0, out.stderr
    clusters = json.loads(out.stdout)
    assert isinstance(clusters, list) and 5 <= len(clusters) <= 8
    for c in clusters:
        assert isinstance(c["label"], str) and c["label"]
        assert isinstance(c["count"], int) and c["count"] >= 2
        assert c["examples"] and all(isinstance(e, str) for e in c["examples"])
        g = c["nearest_guide"]
        assert g is None or (isinstance(g["id"], str) and isinstance(g["title"], str) and
                             isinstance(g["score"], float))
        assert {"previous", "trend", "id", "topic", "keywords", "kinds"} <= set(c)
    assert [c["count"] for c in clusters] == sorted((c["count"] for c in clusters),
                                                    reverse=True)
    assert [c["label"] for c in clusters[:5]] == [c.label for c in report.clusters[:5]]
    assert CPR not in out.stdout
    table = ddh("gaps", "--days", str(DAYS), "--until", "2026-11-30", "--limit", "3", env=env)
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("Knowledge gaps 2026-11-09 – 2026-11-29")
    assert clusters[0]["label"] in table.stdout and "nearest guide:" in table.stdout
    bad = ddh("gaps", "--days", "0", env=env)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "--days" in bad.stderr


# --- the dashboard: role scoping over HTTP -----------------------------------------------


@pytest.fixture(scope="module")
def gateway(month, knowledge):
    store, _, desk = month
    accounts = Accounts(store)
    accounts.add("ada", "Ada Admin", "admin", None, (), PASSWORD)
    accounts.add("morten", "Morten Manager", "manager", "0751", (), PASSWORD)
    accounts.add("vera", "Vera Manager", "manager", "0791", (), PASSWORD)
    accounts.add("anne", "Anne Agent", "agent", "0751", ("pas",), PASSWORD)
    app = create_app(knowledge.settings, frontdesk=desk, clock=lambda: END)
    with serve_app(app) as url:
        yield url


def signed_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    client.post("/api/agent/login",
                json={"username": username, "password": PASSWORD}).raise_for_status()
    return client


def test_the_gap_report_is_scoped_by_role(gateway):
    url = gateway
    period = {"days": DAYS}
    ada = signed_in(url, "ada").get("/api/admin/gaps", params=period).json()
    assert ada["questions"] > 100 and ada["municipality"] is None
    local = [c for c in ada["clusters"] if LOCAL in c["examples"]]
    assert len(local) == 1 and local[0]["municipalities"]["0751"] == 3
    assert len({m for c in ada["clusters"] for m in c["municipalities"]}) > 2

    morten = signed_in(url, "morten").get("/api/admin/gaps", params=period).json()
    assert morten["municipality"] == "0751"
    assert any(LOCAL in c["examples"] for c in morten["clusters"])
    assert all(set(c["municipalities"]) == {"0751"} for c in morten["clusters"])

    vera = signed_in(url, "vera")
    mine = vera.get("/api/admin/gaps", params={**period, "municipality": "0751"})
    assert mine.status_code == 200 and mine.json()["municipality"] == "0791"
    assert "Bispetorvet" not in mine.text  # nothing of Aarhus's questions
    assert all(set(c["municipalities"]) <= {"0791"} for c in mine.json()["clusters"])
    assert vera.get("/api/admin/gaps", params=period).json()["questions"] < \
        ada["questions"]

    draft = signed_in(url, "ada").get(f"/api/admin/gaps/{local[0]['id']}/draft",
                                      params=period)
    assert draft.status_code == 200
    body = draft.json()
    assert set(body["draft"]) == GUIDE_FIELDS and body["draft"]["municipality"] == "0751"
    assert body["cluster"]["id"] == local[0]["id"]
    assert "bispetorvet" in " ".join(body["draft"]["keywords"])
    # another municipality's manager cannot draft from Aarhus's questions
    assert vera.get(f"/api/admin/gaps/{local[0]['id']}/draft",
                    params=period).status_code == 404

    agent = signed_in(url, "anne")
    assert agent.get("/api/admin/gaps").status_code == 403
    assert agent.get(f"/api/admin/gaps/{local[0]['id']}/draft").status_code == 403
    assert httpx.get(f"{url}/api/admin/gaps").status_code == 401


def test_the_gap_page(gateway):
    url = gateway
    page = signed_in(url, "ada").get("/admin/gaps", params={"days": DAYS})
    assert page.status_code == 200
    assert "Videnshuller · alle kommuner" in page.text and "Bispetorvet" in page.text
    assert "Udkast til vejledning" in page.text and CPR not in page.text
    vera = signed_in(url, "vera").get("/admin/gaps", params={"days": DAYS,
                                                             "municipality": "0751"})
    assert "Videnshuller · Viborg" in vera.text and "Bispetorvet" not in vera.text
    # the dashboard links the page (the template itself: /admin renders panels of
    # other features that this test does not fill)
    assert 'href="/admin/gaps"' in (ROOT / "gateway/templates/admin.html").read_text()
    assert httpx.get(f"{url}/admin/gaps", follow_redirects=False).status_code == 303


def test_a_manager_saves_a_cluster_as_a_draft_guide(gateway):
    """The step from the report to the guide editor: the cluster's draft saved as a
    new local guide of the manager's own municipality, waiting for an editor and a
    second person; only with the session's CSRF token, never for another municipality."""
    url = gateway
    morten = signed_in(url, "morten")
    csrf = {"X-CSRF-Token": morten.get("/api/agent/me").json()["csrf"]}
    clusters = morten.get("/api/admin/gaps", params={"days": DAYS}).json()["clusters"]
    local = next(c for c in clusters if LOCAL in c["examples"])
    path = f"/api/admin/gaps/{local['id']}/draft"
    assert morten.post(path, params={"days": DAYS}, json={}).status_code == 403  # no CSRF
    if local["topic"] in (None, NO_GUIDE_TOPIC):
        refused = morten.post(path, params={"days": DAYS}, json={}, headers=csrf)
        assert refused.status_code == 422 and "emne" in refused.text
    saved = morten.post(path, params={"days": DAYS}, headers=csrf,
                        json={"topic": "affaldssortering"})
    assert saved.status_code == 201, saved.text
    guide_id = saved.json()["id"]
    listed = morten.get("/api/admin/guides", params={"municipality": "0751"}).json()
    mine = next(g for g in (listed if isinstance(listed, list) else listed["guides"])
                if g["id"] == guide_id)
    assert mine["status"] == "draft" and mine["municipality"] == "0751"
    vera = signed_in(url, "vera")
    vcsrf = {"X-CSRF-Token": vera.get("/api/agent/me").json()["csrf"]}
    assert vera.post(path, params={"days": DAYS}, headers=vcsrf,
                     json={"topic": "affaldssortering"}).status_code == 404


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="Debian's chromium is not installed")
def test_the_gap_page_opens_a_draft_in_the_guide_editor(gateway):
    """In Chromium: a manager picks a topic on a cluster, "Opret kladde" saves the
    draft and opens the guide editor on it."""
    from playwright.sync_api import sync_playwright
    url = gateway
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.goto(f"{url}/agent")
        page.get_by_label("Brugernavn").fill("morten")
        page.get_by_label("Adgangskode").fill(PASSWORD)
        page.get_by_role("button", name="Log ind").click()
        page.locator("#desk").wait_for()
        page.goto(f"{url}/admin/gaps?days={DAYS}")
        row = page.locator("tr", has_text="Bispetorvet").first
        row.get_by_label("Emne").select_option("storskrald")
        row.get_by_role("button", name="Opret kladde").click()
        page.wait_for_url(f"{url}/admin/guides#*", timeout=15_000)
        guide_id = page.url.rsplit("#", 1)[1]
        assert guide_id.startswith("aarhus-")
        page.locator("tr.highlight").wait_for(timeout=15_000)
        browser.close()
