"""Retrieval quality on the labelled dev set: the gate a guide edit must pass.

The set (evals/retrieval/dev.yaml) was written without looking at the guides.
"""

from __future__ import annotations

from evals.retrieval import evaluate, load_queries


def _score(knowledge, mode):
    r = knowledge.retriever
    return evaluate(mode, lambda lq: [h.guide.topic for h in r.search(lq.q, lq.municipality,
                                                                       5, mode)],
                    load_queries())


def test_dev_set_is_large_and_labelled_with_known_topics(registry):
    queries = load_queries()
    assert len(queries) >= 150
    assert {q.topic for q in queries} <= set(registry.topics)
    styles = {q.style for q in queries}
    assert {"voice", "english", "misspelled", "colloquial", "typed"} <= styles


def test_hybrid_meets_the_bar_and_beats_each_part(knowledge):
    hybrid = _score(knowledge, "hybrid")
    dense = _score(knowledge, "dense")
    bm25 = _score(knowledge, "bm25")
    assert hybrid.hit_at(3) >= 0.95, [m[0].q for m in hybrid.misses]
    assert hybrid.mrr > dense.mrr and hybrid.mrr > bm25.mrr


def test_memory_and_chroma_dense_search_agree(knowledge):
    from knowledge.retrieval import HybridRetriever

    memory = knowledge.retriever
    chroma = HybridRetriever(knowledge.index, memory_limit=0)
    assert memory.dense_backend == "memory" and chroma.dense_backend == "chroma"
    for lq in load_queries()[::15]:
        a = [h.guide.id for h in memory.search(lq.q, lq.municipality, 3, "dense")]
        b = [h.guide.id for h in chroma.search(lq.q, lq.municipality, 3, "dense")]
        assert a == b, lq.q
