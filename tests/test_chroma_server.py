"""Scale-out shape: the same index code against a real Chroma server (`chroma run`),
selected by DDH_CHROMA_URL alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ddh.settings import Settings
from knowledge.index import GuideIndex
from knowledge.retrieval import HybridRetriever
from tests.servers import free_port, wait_ok
from tests.test_index import GUIDES

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent))


@pytest.fixture
def chroma_url(tmp_path):
    if CHROMA is None:
        pytest.skip("the chroma CLI is not installed")
    port = free_port()
    proc = subprocess.Popen([CHROMA, "run", "--path", str(tmp_path / "chroma"), "--host",
                             "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_ok(f"{url}/api/v2/heartbeat", timeout=15):
            raise RuntimeError("chroma server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_index_on_a_chroma_server(chroma_url, tmp_path, embedder):
    settings = Settings(data_dir=tmp_path / "var", chroma_url=chroma_url)
    index = GuideIndex(settings, embedder)
    assert index.client.heartbeat() > 0  # talking to the server
    first = index.sync(GUIDES)
    assert len(first.added) == 5
    # A second gateway process would open the same server: nothing is re-embedded.
    again = GuideIndex(settings, embedder).sync(GUIDES)
    assert again.unchanged == 5 and again.chunks_embedded == 0
    assert not (tmp_path / "var" / "chroma").exists()  # nothing embedded locally
    for limit in (50_000, 0):  # exact in-memory search, and the server's own query
        hits = HybridRetriever(index, memory_limit=limit).search(
            "hvordan bestiller jeg afhentning af storskrald", "0751", k=3)
        assert hits[0].guide.id == "aarhus-storskrald"
