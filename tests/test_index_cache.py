"""The cache key of the tests' full-corpus index (tests/index_cache.py): same inputs,
same key; any change to what is indexed or how, another key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.corpus import BUNDLED_GUIDES
from knowledge.registry import BUNDLED_DIR
from tests.index_cache import REGISTRY_FILES, embedder_id, index_key


@pytest.fixture
def inputs(tmp_path) -> tuple[Path, Path, Path]:
    corpus = tmp_path / "guides"
    shutil.copytree(BUNDLED_GUIDES, corpus)
    registry = tmp_path / "registry"
    shutil.copytree(BUNDLED_DIR, registry)
    code = tmp_path / "code.py"
    code.write_text("CHUNK = 1200\n", encoding="utf-8")
    return corpus, registry, code


def key(inputs, embedder: str = "e5onnx-original\nprobe 1") -> str:
    corpus, registry, code = inputs
    return index_key([corpus], registry, embedder, code=[code])


def test_same_inputs_give_the_same_key(inputs, tmp_path):
    first = key(inputs)
    assert key(inputs) == first
    # A copy elsewhere (another checkout) has the same key: paths enter relative.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    copies = [shutil.copytree(p, moved / p.name) if p.is_dir() else
              Path(shutil.copy(p, moved / p.name)) for p in inputs]
    assert key(tuple(copies)) == first


def test_a_changed_guide_changes_the_key(inputs):
    corpus, _, _ = inputs
    before = key(inputs)
    guide = sorted(corpus.rglob("*.md"))[-1]
    text = guide.read_text(encoding="utf-8")
    guide.write_text(text.replace(".", ",", 1), encoding="utf-8")
    changed = key(inputs)
    assert changed != before
    guide.write_text(text, encoding="utf-8")
    assert key(inputs) == before
    guide.rename(guide.with_name("renamed.md"))
    assert key(inputs) != before
    (corpus / "renamed.md").unlink(missing_ok=True)
    guide.with_name("renamed.md").unlink()
    assert key(inputs) not in (before, changed)  # a removed guide too


def test_registry_code_and_embedder_are_in_the_key(inputs):
    _, registry, code = inputs
    before = key(inputs)
    assert key(inputs, embedder="e5onnx-original\nprobe 2") != before
    code.write_text("CHUNK = 800\n", encoding="utf-8")
    assert key(inputs) != before
    code.write_text("CHUNK = 1200\n", encoding="utf-8")
    topics = registry / "topics.yaml"
    assert topics.name in REGISTRY_FILES
    topics.write_text(topics.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert key(inputs) != before


def test_the_embedder_is_identified_by_its_model_and_vectors(embedder):
    ident = embedder_id(embedder)
    assert ident == embedder_id(embedder)
    assert embedder.name in ident and "\nmodel " in ident and "\nprobe " in ident
