"""Shared fixtures: the real registry, one real embedding model and one real index.

The full-corpus index is a real Chroma index of real embeddings, built once for a
given corpus and embedder and kept in var/test-cache (tests/index_cache.py: keyed by
a hash of the guides, the registry, the indexing code and the embedder; on a clean
checkout it starts from the index scripts/install.sh built). Each session gets its
own copy; tests that change an index build their own small one.
"""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path

# Built models (the ONNX embedder, Whisper base) are cached in the repository's
# var/models, which the install step fills; servers started by tests inherit this.
MODELS = Path(__file__).resolve().parent.parent / "var" / "models"
os.environ.setdefault("DDH_MODELS_DIR", str(MODELS))

import pytest  # noqa: E402

from bot.frontdesk import Frontdesk  # noqa: E402
from ddh.settings import Settings  # noqa: E402
from knowledge.embeddings import Embedder  # noqa: E402
from knowledge.registry import Registry, load_registry  # noqa: E402
from knowledge.service import Knowledge  # noqa: E402
from store.outcomes import OutcomeStore, database_url  # noqa: E402
from tests.index_cache import cached_index, make_test_embedder  # noqa: E402
from tests.servers import redis_server  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return make_test_embedder()


@pytest.fixture(scope="session")
def knowledge(tmp_path_factory, registry, embedder) -> Knowledge:
    """The bundled corpus in an embedded Chroma index: this session's copy of the
    cached one (tests write stores and outboxes into its data directory)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("index"))
    shutil.copytree(cached_index(settings, embedder), settings.chroma_path)
    k = Knowledge.open(settings, registry, embedder)
    k.refresh_index()  # compares content hashes only: nothing to embed on a current cache
    return k


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real SQLite outcome store per test module (modules may define their own)."""
    s = OutcomeStore(database_url(None, tmp_path_factory.mktemp("store")))
    yield s
    s.close()


@pytest.fixture(scope="module")
def desk(knowledge, store):
    """The grounded frontdesk on the test index and the module's store."""
    return Frontdesk(knowledge, store)


@pytest.fixture(scope="module")
def redis_url():
    """A real `redis-server` of the module's own (installed by scripts/install.sh --test)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (scripts/install.sh --test installs it)")
    with redis_server() as url:
        yield url
