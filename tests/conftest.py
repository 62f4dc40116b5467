"""Shared fixtures: the real registry, one real embedding model and one real index.

The full-corpus index is built once per test session (about 20 s on two cores) in a
temporary directory; tests that change an index build their own small one.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path

# Built models (the ONNX embedder, Whisper base) are cached in the repository's
# var/models, which the install step fills; servers started by tests inherit this.
MODELS = Path(__file__).resolve().parent.parent / "var" / "models"
os.environ.setdefault("DDH_MODELS_DIR", str(MODELS))

import pytest  # noqa: E402

from ddh.settings import Settings  # noqa: E402
from knowledge.embeddings import Embedder, make_embedder  # noqa: E402
from knowledge.registry import Registry, load_registry  # noqa: E402
from knowledge.service import Knowledge  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    e = make_embedder("onnx", cache_dir=Path(os.environ["DDH_MODELS_DIR"]))
    assert type(e).__name__ == "OnnxE5Embedder", "the ONNX embedder must load in tests"
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
