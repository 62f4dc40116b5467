"""The gateway over real HTTP: health, readiness, search, OpenAPI docs and cold start."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx

from ddh.settings import Settings
from gateway.app import create_app
from knowledge.service import Knowledge
from tests.servers import ddh_serve, serve_app

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def test_health_ready_and_search(knowledge):
    with serve_app(create_app(knowledge.settings, knowledge=knowledge)) as url:
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["retrieval"] == "hybrid" and ready.json()["guides"] >= 90
        hits = httpx.get(f"{url}/api/knowledge/search",
                         params={"q": "hvordan fornyer jeg mit kørekort", "k": 3}).json()
        assert hits[0]["topic"] == "koerekort" and len(hits) == 3
        bad = httpx.get(f"{url}/api/knowledge/search", params={"q": "pas", "municipality": "75"})
        assert bad.status_code == 422
        unknown = httpx.get(f"{url}/api/knowledge/search",
                            params={"q": "pas", "municipality": "9999"})
        assert unknown.status_code == 422 and "9999" in unknown.text
        assert httpx.get(f"{url}/docs").status_code == 200
        paths = httpx.get(f"{url}/openapi.json").json()["paths"]
        assert "/api/knowledge/search" in paths and "/readyz" in paths


def test_readyz_is_503_with_reason_when_index_is_empty(tmp_path, registry, embedder):
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    settings = Settings(data_dir=tmp_path / "var", guides_dir=empty)
    k = Knowledge.open(settings, registry, embedder)
    with serve_app(create_app(settings, knowledge=k)) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503 and "empty" in ready.json()["reason"]


def test_ddh_serve_builds_index_then_reuses_it(tmp_path):
    corpus = tmp_path / "guides"
    shutil.copytree(EXPORTS / "markdown", corpus)
    env = {"DDH_DATA_DIR": str(tmp_path / "var"), "DDH_GUIDES_DIR": str(corpus)}
    with ddh_serve(env) as (url, _):
        assert httpx.get(f"{url}/readyz").status_code == 200
        hits = httpx.get(f"{url}/api/knowledge/search",
                         params={"q": "gammel sofa storskrald", "municipality": "0615"}).json()
        assert hits[0]["id"] == "test-fixture-storskrald"
    # Second start: the index exists and is opened as it is, nothing is embedded or
    # written again (the start-up time is a figure of bench/, not of a test).
    def writes() -> int:
        db = sqlite3.connect(tmp_path / "var" / "chroma" / "chroma.sqlite3")
        try:
            return db.execute("SELECT max(seq_id) FROM embeddings").fetchone()[0]
        finally:
            db.close()

    before = writes()
    with ddh_serve(env) as (url, _):
        assert httpx.get(f"{url}/readyz").status_code == 200
        hits = httpx.get(f"{url}/api/knowledge/search",
                         params={"q": "gammel sofa storskrald", "municipality": "0615"}).json()
        assert hits[0]["id"] == "test-fixture-storskrald"
    assert before and writes() == before
