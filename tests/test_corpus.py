"""The bundled guide corpus meets the bar the frontdesk relies on."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ddh.settings import Settings
from knowledge.corpus import coverage_problems, load_corpus
from knowledge.guide import NO_GUIDE_TOPIC


@pytest.fixture(scope="module")
def corpus(registry):
    return load_corpus(Settings(), registry)


def test_corpus_loads_without_problems(corpus, registry):
    assert [str(p) for p in corpus.problems] == []
    assert coverage_problems(corpus, registry) == []
    assert len(corpus.guides) >= 90


def test_frequent_topics_have_several_national_guides(corpus):
    national = Counter(g.topic for g in corpus.guides if g.national)
    for topic in ("mitid", "digital-post", "sundhedskort", "pas", "koerekort", "flytning"):
        assert national[topic] >= 3, topic
    assert national["storskrald"] + national["affaldssortering"] + \
        national["manglende-toemning"] >= 5


def test_local_guides_for_members_and_partners(corpus, registry):
    members = {c for g in corpus.guides for c in g.municipalities if registry.is_member(c)}
    assert len(members) >= 6
    partners = {g.partner for g in corpus.guides if g.partner}
    assert partners == set(registry.partners)
    for g in corpus.guides:
        if g.partner:
            assert set(g.municipalities) == set(registry.partners[g.partner].municipalities)


def test_every_guide_is_fit_to_speak_and_find(corpus):
    for g in corpus.guides:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", g.summary) if s]
        assert 1 <= len(sentences) <= 3, f"{g.id}: summary should be 1-2 sentences"
        assert "http" not in g.summary and "www." not in g.summary, g.id
        assert len(g.keywords) >= 5, f"{g.id}: too few keywords"
        assert g.updated is not None, g.id
        assert g.url.startswith("https://"), g.id
        words = len(g.body.split())
        if g.topic == NO_GUIDE_TOPIC:  # an area without a guide: who handles it, no steps
            assert not g.steps and 5 <= words <= 120, g.id
            assert "vejledning" in g.summary, f"{g.id}: must say there is no guide"
            continue
        assert 2 <= len(g.steps) <= 8, f"{g.id}: steps"
        assert 40 <= words <= 400, f"{g.id}: body has {words} words"


def test_local_ids_are_prefixed_and_unique(corpus, registry):
    ids = [g.id for g in corpus.guides]
    assert len(ids) == len(set(ids))
