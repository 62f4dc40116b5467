"""The Chroma index with real embeddings: incremental sync, persistence, scope, fallback."""

from __future__ import annotations

import pytest

from knowledge.embeddings import HashingEmbedder
from knowledge.guide import guide_from_mapping
from knowledge.index import GuideIndex
from knowledge.langchain_retriever import GuideRetriever
from knowledge.retrieval import HybridRetriever


def _guide(gid, title, topic, summary, municipality=None, keywords=(), source="corpus"):
    return guide_from_mapping({
        "id": gid, "title": title, "topic": topic, "municipality": municipality,
        "url": f"https://example.dk/{gid}", "summary": summary, "keywords": list(keywords),
        "steps": ["Gør det første.", "Gør det næste."], "body": f"Mere om {title.lower()}.",
    }, source=source)


GUIDES = [
    _guide("pas-nyt", "Bestil nyt pas", "pas", "Du bestiller pas i Borgerservice.",
           keywords=["fornye pas"]),
    _guide("sundhedskort-nyt", "Bestil nyt sundhedskort", "sundhedskort",
           "Du bestiller et nyt gult kort på borger.dk.", keywords=["gult kort", "mistet kort"]),
    _guide("storskrald-national", "Storskrald", "storskrald",
           "Kommunen henter storskrald efter aftale.", keywords=["gammel sofa", "storskrald"]),
    _guide("aarhus-storskrald", "Storskrald i Aarhus", "storskrald",
           "I Aarhus bestiller du storskrald hos Kredsløb.", municipality="0751",
           keywords=["storskrald aarhus", "gammel sofa"]),
    _guide("djurs-storskrald", "Storskrald på Djursland", "storskrald",
           "Reno Djurs henter storskrald.", municipality=["0707", "0706"],
           keywords=["storskrald djursland"]),
]


def test_incremental_sync_and_persistence(settings, embedder):
    index = GuideIndex(settings, embedder)
    first = index.sync(GUIDES)
    assert len(first.added) == 5 and first.chunks_embedded == 10

    # A new client on the same directory sees the same index: nothing is re-embedded.
    again = GuideIndex(settings, embedder)
    second = again.sync(GUIDES)
    assert second.unchanged == 5 and second.chunks_embedded == 0 and not second.added

    changed = [*GUIDES[:4], _guide("djurs-storskrald", "Storskrald på Djursland", "storskrald",
                                   "Reno Djurs henter storskrald hver anden uge.",
                                   municipality=["0707", "0706"])]
    third = again.sync(changed)
    assert third.updated == ["djurs-storskrald"] and third.chunks_embedded == 2
    assert third.unchanged == 4

    # Removing a guide from a source removes it from the index.
    fourth = again.sync(GUIDES[:3])
    assert sorted(fourth.removed) == ["aarhus-storskrald", "djurs-storskrald"]
    assert again.count() == 6


def test_sync_of_one_source_never_removes_another(settings, embedder):
    index = GuideIndex(settings, embedder)
    index.sync(GUIDES)
    extra = _guide("import-nemkonto", "Skift NemKonto", "nemkonto", "Skift i netbanken.",
                   source="export")
    report = index.sync([extra])
    assert report.added == ["import-nemkonto"] and report.removed == []
    assert len(index.guides()) == 6


@pytest.mark.parametrize("memory_limit", [50_000, 0], ids=["memory", "chroma"])
def test_scope_national_plus_own_municipality(settings, embedder, memory_limit):
    index = GuideIndex(settings, embedder)
    index.sync(GUIDES)
    r = HybridRetriever(index, memory_limit=memory_limit)
    assert r.dense_backend == ("memory" if memory_limit else "chroma")
    ids = lambda hits: [h.guide.id for h in hits]  # noqa: E731
    unknown = ids(r.search("hvordan bestiller jeg afhentning af storskrald", None, k=5))
    assert "aarhus-storskrald" not in unknown and "djurs-storskrald" not in unknown
    aarhus = r.search("hvordan bestiller jeg afhentning af storskrald", "0751", k=5)
    assert aarhus[0].guide.id == "aarhus-storskrald"  # local guide preferred
    assert "djurs-storskrald" not in ids(aarhus)
    for code in ("0707", "0706"):  # a partner guide covers both municipalities
        assert r.search("storskrald", code, k=1)[0].guide.id == "djurs-storskrald"
    horsens = ids(r.search("storskrald", "0615", k=5))
    assert horsens[0] == "storskrald-national" and "aarhus-storskrald" not in horsens


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("memory_limit", [50_000, 0], ids=["memory", "chroma"])
def test_modes_find_the_obvious_guide(settings, embedder, mode, memory_limit):
    index = GuideIndex(settings, embedder)
    index.sync(GUIDES)
    retriever = HybridRetriever(index, memory_limit=memory_limit)
    hits = retriever.search("jeg har mistet mit gule kort", k=3, mode=mode)
    assert hits[0].guide.id == "sundhedskort-nyt"
    assert 0.0 <= hits[-1].score <= hits[0].score <= 1.0


def test_dense_understands_english(settings, embedder):
    index = GuideIndex(settings, embedder)
    index.sync(GUIDES)
    hits = HybridRetriever(index).search("I need to renew my passport", k=1)
    assert hits[0].guide.id == "pas-nyt"
    assert hits[0].lexical == 0.0  # BM25 shares no terms: the dense side carried it


def test_bm25_only_fallback(settings):
    index = GuideIndex(settings, HashingEmbedder())
    index.sync(GUIDES)
    r = HybridRetriever(index)
    assert not r.has_dense
    hits = r.search("mistet sundhedskortet", k=2, mode="hybrid")
    assert hits[0].guide.id == "sundhedskort-nyt" and hits[0].dense == 0.0
    assert r.search("", k=2) == []


def test_langchain_retriever(settings, embedder):
    index = GuideIndex(settings, embedder)
    index.sync(GUIDES)
    docs = GuideRetriever(retriever=HybridRetriever(index), municipality="0751", k=2).invoke(
        "afhentning af storskrald")
    assert docs[0].metadata["id"] == "aarhus-storskrald"
    assert docs[0].metadata["url"] == "https://example.dk/aarhus-storskrald"
    assert "Kredsløb" in docs[0].page_content
