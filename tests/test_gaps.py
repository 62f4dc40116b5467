"""The knowledge-gap report's parts: the clustering (numpy), the store's gap query on a
fixture worked out by hand (SQLite and PostgreSQL), re-redaction, the draft guide, and
the pipeline at tens of thousands of questions."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import insert

from ddh.vocabulary import Action
from handoff.gap_draft import draft_guide
from handoff.gaps import GapCluster, build_report, short_label, subject
from knowledge.clustering import average_linkage, centred, cluster, combined, lexical, medoid
from store.gaps import gap_kind, gap_questions
from store.models import Conversation, Decision, Turn
from store.outcomes import OutcomeStore, database_url
from store.records import TurnRecord
from tests.postgres import store_on

TZ = ZoneInfo("Europe/Copenhagen")
MON = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
CPR = "010190-1234"
GUIDE_FIELDS = {"municipality", "topic", "title", "summary", "steps", "keywords", "url",
                "review_by"}  # CONTRACT.md §6, POST /api/admin/guides


# --- clustering ------------------------------------------------------------------------


def groups_of(n_groups: int, per: int, spread: float, dim: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_groups), per)
    x = centres[labels] + spread * rng.normal(size=(len(labels), dim)) / np.sqrt(dim)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), labels


def test_separated_groups_are_found_whole_and_pure():
    x, labels = groups_of(6, 25, spread=0.8)
    found = cluster(x, threshold=0.3)
    assert len(found) == 6
    assert all(len(set(labels[g])) == 1 and len(g) == 25 for g in found)


def test_average_linkage_by_hand():
    # a, b close (0.9); c close to b (0.5) but not to a (0.1): average a∪b to c = 0.3
    sim = np.array([[1, 0.9, 0.1], [0.9, 1, 0.5], [0.1, 0.5, 1]], np.float32)
    # rows whose dot products are `sim`: its Cholesky factor
    rows = np.linalg.cholesky(sim.astype(np.float64)).astype(np.float32)
    assert average_linkage(rows, np.ones(3), 0.35).tolist() == [0, 0, 1]
    assert average_linkage(rows, np.ones(3), 0.25).tolist() == [0, 0, 0]
    assert average_linkage(rows, np.ones(3), 0.95).tolist() == [0, 1, 2]


def test_threshold_one_and_empty_and_single():
    x, _ = groups_of(3, 4, spread=0.5)
    assert len(cluster(x, threshold=1.01)) == 12  # nothing is that similar
    assert cluster(np.zeros((0, 8), np.float32)) == []
    assert cluster(x[:1]) == [[0]]


def test_beyond_the_exact_size_sample_and_assign_is_fast_and_the_same():
    x, labels = groups_of(40, 500, spread=0.9, dim=384)  # 20,000 rows
    t0 = time.perf_counter()
    found = cluster(x, threshold=0.3, exact_max=4000)
    assert time.perf_counter() - t0 < 10
    assert len(found) == 40 and all(len(set(labels[g])) == 1 for g in found)
    assert sorted(len(g) for g in found) == [500] * 40


def test_centring_spreads_out_what_all_rows_share():
    rng = np.random.default_rng(1)
    shared = rng.normal(size=32)
    x = shared * 3 + rng.normal(size=(50, 32))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    c = centred(x)
    assert np.allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-5)
    off = ~np.eye(50, dtype=bool)
    assert (x @ x.T)[off].mean() > 0.8 and abs((c @ c.T)[off].mean()) < 0.1


def test_lexical_similarity_follows_shared_rare_stems():
    v = lexical(["der er rotter i haven", "jeg har set en rotte", "hvornår kommer sneplovet"])
    assert v[0] @ v[1] > 0.3 and abs(v[0] @ v[2]) < 0.1  # "rotter", "rotte": one stem
    both = combined(v, v, 0.6)
    assert np.allclose(np.linalg.norm(both, axis=1), 1.0, atol=1e-5)


def test_medoid_is_the_most_typical_member():
    x = np.array([[1, 0], [0.9, 0.436], [0.95, 0.312], [0, 1]], np.float32)
    assert medoid(x, [0, 1, 2]) == 2
    assert medoid(x, [3]) == 3


def test_subject_strips_greetings_and_generic_asks():
    assert subject("hej jeg har et spørgsmål, der er rotter i min have hvem skal jeg "
                   "kontakte") == "der er rotter i min have"
    assert subject("Godmorgen, hvornår kommer sneplovet? Kan I hjælpe mig?") == \
        "hvornår kommer sneplovet"
    assert subject("hej") == "hej"  # nothing left: the text itself
    assert short_label("undskyld, " + "meget lang " * 20).endswith(" …")


# --- the store's gap query: a fixture worked out by hand --------------------------------


def turn(store: OutcomeStore, cid: str, seq: int, text: str, action: str, reason: str,
         topic: str | None = None, municipality: str = "0751",
         at: datetime = MON) -> None:
    store.record(TurnRecord(
        conversation_id=cid, channel="chat", seq=seq, at=at + timedelta(minutes=seq),
        citizen_text=text, bot_text="svar", language="da", action=action, topic=topic,
        municipality=municipality, municipality_source="widget", reason=reason))


def fixture(store: OutcomeStore) -> None:
    """g1 rephrase (not understood) · g2 greeting (no gap) · g3 no guide, transferred ·
    g4 answered, then "det hjalp ikke" (the question is the answered one) · g5 asks for
    a person (no gap) · g6 no guide in Viborg · g7 the call had to end (no gap) · g8 no
    guide a month before · g9 no guide, municipality asked first, then a person (one
    gap: the question, not the place) · g10 the same question twice (counted once)."""
    turn(store, "g1", 1, "hvad med rotterne", "clarify", "no guide matches confidently")
    turn(store, "g2", 1, "hej", "clarify", "greeting or a request for help without a subject")
    turn(store, "g3", 1, "der er rotter i min have", "transfer",
         "no guide: andet-rotter; no_guide: the municipality is open", "andet-kommunalt")
    turn(store, "g4", 1, "hvordan fornyer jeg mit pas", "answer", "guide pas-forny answers it",
         "pas")
    turn(store, "g4", 2, "det hjalp ikke", "handoff", "not_helped: DDH is staffed", "pas")
    turn(store, "g5", 1, "jeg vil tale med en medarbejder", "handoff",
         "wants_person: DDH is staffed", "menneske")
    turn(store, "g6", 1, "gadelampen er gået ud", "ticket",
         "no guide: andet-gadebelysning; no_guide: the municipality is closed",
         "andet-kommunalt", municipality="0791")
    turn(store, "g7", 1, "noget om pas", "ticket",
         "not_helped: the call had to end (restart) (the call had to end: a ticket instead)",
         "pas")
    turn(store, "g8", 1, "hundeskov", "transfer", "no guide: andet-hunde; no_guide: open",
         "andet-kommunalt", at=MON - timedelta(days=30))
    turn(store, "g9", 1, "hvornår bliver vejen saltet", "clarify",
         "no guide: andet-vintertjeneste; the municipality is needed for a person",
         "andet-kommunalt", municipality=None)  # type: ignore[arg-type]
    turn(store, "g9", 2, "jeg bor i Aarhus", "ticket", "no_guide: the municipality is closed",
         "andet-kommunalt")
    turn(store, "g10", 1, "rotter i kælderen", "clarify", "no guide matches confidently")
    turn(store, "g10", 2, "Rotter i  kælderen", "clarify", "no guide matches confidently")
    # A row from before a redaction rule: a CPR number in clear in the store.
    with store.sessions.begin() as s:
        s.execute(insert(Conversation), [{
            "id": "g11", "channel": "voice", "municipality": "0751", "language": "da",
            "started_at": MON, "turns": 1, "updated_at": MON}])
        s.execute(insert(Turn), [{"conversation_id": "g11", "seq": 1, "role": "citizen",
                                  "text": f"mit cpr er {CPR} og der er rotter", "at": MON}])
        s.execute(insert(Decision), [{
            "conversation_id": "g11", "seq": 1, "at": MON, "action": "transfer",
            "topic": "andet-kommunalt", "reason": "no guide: andet-rotter; no_guide: open",
            "mode": "grounded"}])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def gap_store(request, tmp_path_factory):
    with store_on(request.param, tmp_path_factory, fixture) as s:
        yield s


def test_the_gap_questions_by_hand(gap_store):
    week = (MON - timedelta(days=1), MON + timedelta(days=1))
    found = [(q.conversation_id, q.kind, q.text, q.municipality)
             for q in gap_questions(gap_store, *week)]
    assert sorted(found) == sorted([
        ("g1", "not_understood", "hvad med rotterne", "0751"),
        ("g3", "no_guide", "der er rotter i min have", "0751"),
        ("g4", "not_helped", "hvordan fornyer jeg mit pas", "0751"),
        ("g6", "no_guide", "gadelampen er gået ud", "0791"),
        ("g9", "no_guide", "hvornår bliver vejen saltet", "0751"),
        ("g10", "not_understood", "rotter i kælderen", "0751"),
        ("g11", "no_guide", "mit cpr er [CPR] og der er rotter", "0751"),
    ])
    viborg = gap_questions(gap_store, *week, municipality="0791")
    assert [q.conversation_id for q in viborg] == ["g6"]
    both = gap_questions(gap_store, *week, municipalities=["0791", "0751"])
    assert len(both) == 7
    month = gap_questions(gap_store, MON - timedelta(days=31), MON - timedelta(days=29))
    assert [q.text for q in month] == ["hundeskov"]


def test_gap_kinds_of_reasons():
    assert gap_kind(Action.CLARIFY, None, "not made out: asked again in a few words") == \
        "not_understood"
    assert gap_kind(Action.CLARIFY, "pas", "unsure what was heard (x): pas confirmed first") \
        is None
    assert gap_kind(Action.CLARIFY, None, "municipality given, no question") is None
    assert gap_kind(Action.HANDOFF, "menneske", "not_understood: DDH is staffed") == \
        "not_understood"
    assert gap_kind(Action.TICKET, "pas", "confirmed: not_helped: closed") == "not_helped"
    assert gap_kind(Action.TICKET, "pas", "a ticket for this need was already sent") is None
    assert gap_kind(Action.ANSWER, "pas", "guide pas answers it") is None


# --- the draft guide --------------------------------------------------------------------


def test_a_draft_guide_is_the_guide_editing_payload():
    c = GapCluster(id="abc", label="der er rotter i min have", count=40, previous=10,
                   examples=["hej der er rotter i min have hvad gør jeg",
                             "jeg har set en rotte i kælderen"],
                   nearest_guide=None, kinds={"no_guide": 40},
                   municipalities={"0751": 30, "ukendt": 4, "0791": 6},
                   topic="andet-kommunalt", keywords=["rotter", "rotte"], texts=12)
    d = draft_guide(c, None, date(2026, 12, 4))
    assert set(d) == GUIDE_FIELDS
    assert d["municipality"] == "0751"  # the municipality asking most
    assert d["title"] == "Der er rotter i min have"
    assert d["keywords"][:2] == ["der er rotter i min have", "jeg har set en rotte i kælderen"]
    assert "rotter" in d["keywords"] and len(d["keywords"]) <= 8
    assert d["steps"] and all(s.startswith("UDKAST") for s in d["steps"])
    assert "40 gange" in d["summary"] and d["review_by"] == "2027-06-04"
    assert draft_guide(c, "0791", date(2026, 12, 4))["municipality"] == "0791"
    assert c.trend == 3.0 and c.as_json()["trend"] == 3.0


# --- tens of thousands of questions ------------------------------------------------------


class WordVectors:
    """A fast stand-in for the model at scale (the real one is tested in
    test_gap_report.py): a text's vector is the mean of fixed random word vectors."""

    name = "words-64"
    dense = True

    def query(self, text: str) -> np.ndarray:
        seeds = [int.from_bytes(hashlib.sha256(w.encode()).digest()[:8], "little")
                 for w in text.split()]
        v = np.mean([np.random.default_rng(s).normal(size=64) for s in seeds], axis=0)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def passages(self, texts):
        return np.vstack([self.query(t) for t in texts])


class NoGuides:
    has_dense = True

    def __init__(self) -> None:
        self.guides: dict = {}

    def search(self, *args, **kwargs):
        return []


def test_thirty_thousand_questions_in_seconds(tmp_path):
    store = OutcomeStore(database_url(None, tmp_path))
    subjects = ["rotter i haven", "sne på vejen", "gadelys slukket", "hundeskov i byen"]
    rows_c, rows_t, rows_d = [], [], []
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for i in range(30_000):
        cid = f"c{i}"
        at = start + timedelta(seconds=80 * i)
        # four subjects, each in many distinct wordings, and a long tail asked once
        text = f"{subjects[i % 4]} v{i % 3000}" if i % 10 else f"enkelt{i} spørgsmål{i}"
        rows_c.append({"id": cid, "channel": "chat", "municipality": "0751", "language": "da",
                       "started_at": at, "turns": 1, "updated_at": at})
        rows_t.append({"conversation_id": cid, "seq": 1, "role": "citizen", "text": text,
                       "at": at})
        rows_d.append({"conversation_id": cid, "seq": 1, "at": at, "action": "clarify",
                       "reason": "no guide matches confidently", "mode": "grounded"})
    with store.sessions.begin() as s:
        s.execute(insert(Conversation), rows_c)
        s.execute(insert(Turn), rows_t)
        s.execute(insert(Decision), rows_d)
    t0 = time.perf_counter()
    report = build_report(store, WordVectors(), NoGuides(),  # type: ignore[arg-type]
                          datetime(2026, 12, 2, tzinfo=UTC), days=30, limit=10)
    took = time.perf_counter() - t0
    assert report.questions == 30_000 and report.dropped > 0  # capped, and said so
    assert took < 30, took
    top = report.clusters[:4]
    assert {c.label.rsplit(" v", 1)[0] for c in top} == set(subjects)
    # 5,000 of 5,700 distinct texts were clustered: each subject keeps most of its 6,750
    assert all(c.count > 5000 for c in top)
    store.close()
