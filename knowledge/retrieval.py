"""Hybrid retrieval: dense (Chroma, e5) + lexical (BM25, Danish stemmer), fused per guide.

Fusion is w·minmax(dense) + (1−w)·minmax(BM25) over the union of both candidate
lists, w = 0.6 by default. Min-max fusion beat either signal alone on colloquial,
voice-style and misspelled Danish, and reciprocal-rank fusion was worse (BM25 scores
all zero on English questions and RRF still rewards its arbitrary order). Our guides
carry many colloquial keywords, which makes BM25 strong: on both labelled sets
(dev and held-out, 538 questions) w = 0.6 gave hit@1 0.91–0.92 against 0.88 at 0.8.

Dense search is exact over vectors cached from Chroma while the index is small
(`memory_limit` chunks, default 50,000: ~75 MB): a matrix product costs well under a
millisecond where a filtered Chroma query costs ~4 ms, and exact beats HNSW's
approximation. Past the limit, Chroma's own filtered query does the work.

Scope: national guides plus the citizen's municipality's own; a local guide gets a
small boost so that, say, Aarhus' storskrald guide wins over the national one for an
Aarhus citizen.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from knowledge.guide import NO_GUIDE_TOPIC, Guide
from knowledge.index import GuideIndex
from knowledge.snapshot import Snapshot, current
from knowledge.spotting import TopicSpotter
from knowledge.text import STOPWORDS as _STOPWORDS
from knowledge.text import analyse, fold, joined_compounds, split_compound, words_and_stems
from knowledge.text import stem as _stem

# bm25s sets its own logger to DEBUG on import and logs every index build.
logging.getLogger("bm25s").setLevel(logging.WARNING)

Mode = Literal["hybrid", "dense", "bm25"]
# Definite, plural and genitive endings of a noun (and the English plural of a cognate,
# "batteries"); "-er" only on longer words, where it is less often a verb's present
# tense ("gælder", "passer").
_NOUN_ENDINGS = frozenset({"en", "et", "ene", "ets", "ens", "s", "n", "ne", "r", "rne", "es"})
_LONG_ENDINGS = _NOUN_ENDINGS | {"er", "erne", "e"}
# Stems of everyday verbs and adjectives that keywords use but that name no subject
# ("hvor ligger", "han sidder", "ledige", "få fat i", "komme forbi"), and aspects that
# every topic has ("hvad koster sådan et" names no topic: the price of what was asked).
# A word used by a topic's phrases speaks for it when at least this part of its uses
# are that topic's.
TERM_SHARE = 0.25
_GENERIC = frozenset(analyse(
    "ligger sidder ledige fat forbi køre kører kommer komme går gå står stå tage tager "
    "giver give gør gøre godt god gode ny nyt nye gammel gamle stor store lille små lang "
    "længe tid hurtigt mange meget bedst selv andre anden andet hjælp hjælpe spørgsmål "
    "brug bruge finde finder ringe skrive sende se ser vil ville skal kan må hvordan hvad "
    "rigtig rigtigt ven dag aften morgen tak hej få får fik fået svar svaret mening "
    # aspects any topic has: price, ordering, renewal, applying, loss, opening hours
    "koste koster pris prisen priser gebyr betale betaler gratis bestille bestil forny "
    "fornye fornyelse ansøge ansøgning søge søger mistet glemt udløbet åbent åben lukket "
    "tabt tabe væk snart "
    # everyday words that some topic's phrases happen to use a lot ("min far", "jeg bor
    # i", "hos kommunen", "det var", "er gået", "en gang til"): they name nothing
    "far mor hos var vare bor bo boede gået gik bliv blive bliver gang ret start hold "
    "holde gen stil egen eget ting fx læs læse dårlig dårligt tjek tjekke antal åbne "
    "hjem hjemme lokal lokale aflever aflevere afleverer afleveret ting tingene sidste "
    # "på nettet" is online, not the internet connection ("det kan jeg ikke finde ud af
    # på nettet"): the connection is named by its own words (internet, wifi, bredbånd)
    "nettet"))
# Topics a caller is never asked to confirm: no guide of theirs answers a question.
# Spelling: words of at least this many letters, matched at this rapidfuzz ratio.
MIN_SPELLED = 6
SPELLING_SCORE = 85.0
CLEAR_SLIP = 92.0  # this close, a slip rather than a compound of two corpus words
_NOT_SPOTTED = frozenset({NO_GUIDE_TOPIC, "uden-for-omraade", "krise"})
_ENGLISH = re.compile(r"\b(?:the|my|to|for|how|of|is|do|does|did|can|i|a|an|get|new|lost|in|"
                      r"and|or|she|he|it|they|what|about|with|me|we|you|your|our|his|her|"
                      r"much|many|cost|costs|there|this|that|be|are|was|will|would|have|"
                      r"has|need|if|on|at|by|from|not|no|yes|when|where|who|which)\b",
                      re.IGNORECASE)
CANDIDATES = 40
# Verbs' past participles that are spelled like a topic's word form ("passet": looked
# after / the passport), read as verbs after an auxiliary ("få passet", "blev passet").
_PARTICIPLE = re.compile(r"(?<![\wæøå])(?:få|får|fik|fået|blive|bliver|blev|været|er|var)"
                         r"\s+(?:\w+\s+)?(passet)(?![\wæøå])")
# Danish letters a keyboard without them writes as a or o.
_DANISH = {"a": ("æ", "å"), "o": ("ø",)}
_PLAIN_LETTERS = re.compile(r"[ao]", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-zæøåÆØÅ]+")
# Topics that gather unrelated subjects, one per entry: see `HybridRetriever.reload`.
_CATCH_ALL = frozenset({NO_GUIDE_TOPIC, "uden-for-omraade"})
NAMED_CACHE = 4096  # texts whose named topics are kept (cleared when full)


@dataclass(frozen=True, slots=True)
class Hit:
    guide: Guide
    score: float  # the fused ranking score, 0..1
    dense: float  # best cosine similarity of the guide's chunks to the query (0: not seen)
    lexical: float  # best BM25 score of the guide's chunks (0: no shared terms)

    def as_dict(self) -> dict[str, object]:
        g = self.guide
        return {
            "id": g.id, "title": g.title, "topic": g.topic, "url": g.url,
            "municipality": (g.municipalities[0] if len(g.municipalities) == 1
                             else list(g.municipalities) or None),
            "score": round(self.score, 4), "dense": round(self.dense, 4),
            "lexical": round(self.lexical, 4),
        }


def _naming_key(g: Guide) -> str:
    return f"{g.topic}/{g.id}" if g.topic in _CATCH_ALL else g.topic


def _topic(key: str) -> str:
    return key.partition("/")[0]


def _minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    if hi - lo < 1e-9:
        return {k: (1.0 if hi > 0 else 0.0) for k in values}
    return {k: (v - lo) / (hi - lo) for k, v in values.items()}


def _best_per_guide(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for gid, score in pairs:
        if score > best.get(gid, float("-inf")):
            best[gid] = score
    return best


class HybridRetriever:
    """Searches the index; BM25 is rebuilt in memory from the index's own chunks."""

    def __init__(self, index: GuideIndex, dense_weight: float = 0.6,
                 local_boost: float = 0.05, local_margin: float = 0.03,
                 memory_limit: int = 50_000, phrase_boost: float = 0.15,
                 named_boost: float = 0.1, previous: Snapshot | None = None,
                 local_min_share: float = 0.7) -> None:
        self.index = index
        self.local_min_share = local_min_share
        self.snapshot: Snapshot | None = None
        self.named_boost = named_boost
        self.phrase_boost = phrase_boost
        self.local_margin = local_margin
        self.memory_limit = memory_limit
        self.dense_weight = dense_weight
        self.local_boost = local_boost
        self.reload(previous)

    @property
    def has_dense(self) -> bool:
        return self.index.embedder.dense

    def reload(self, previous: Snapshot | None = None) -> None:
        """Re-read chunks and guides from the index (after an ingest). The tables come
        from a snapshot (knowledge/snapshot.py): `previous` or this retriever's own
        brought in step with the index, else the disk cache, else one full read."""
        self.snapshot = snap = current(self.index, previous or self.snapshot,
                                       self.has_dense, self.memory_limit)
        in_memory = self.has_dense and len(snap.ids) <= self.memory_limit
        self._vectors = snap.vectors if in_memory else None
        self.guides: dict[str, Guide] = snap.guides
        self._chunk_guide = snap.chunk_guide
        self._national, self._local = snap.masks()
        # Curated keyword phrases ("mit pas er udløbet") as stemmed token tuples: a
        # question that contains one verbatim is strong evidence for that guide.
        self._phrases: dict[tuple[str, ...], set[str]] = {}
        for gid, terms in snap.terms.items():
            for toks in terms.phrases:
                if len(toks) >= 2:
                    self._phrases.setdefault(toks, set()).add(gid)
        # Which topics a word names: how many of each topic's phrases (its guides' titles,
        # counted thrice, and Danish keywords; national guides, since local ones add
        # place names, and the few English keywords are too sparse) use the word. A
        # stem names only in the word forms the phrases use and their noun endings
        # ("pas", "passet"), never in another word that stems the same way ("passe en
        # hund", "gælder det også", "har prøvet" is not "prøvelse").
        # The catch-all topics (areas without a guide, out of scope) gather dozens of
        # unrelated subjects, so their uses are counted per entry (see `_names`).
        self._topic_terms: dict[str, Counter[str]] = {}  # stem → naming key → uses
        by_form: set[str] = set()  # short stems counted only for a longer word form
        self._forms: dict[tuple[str, str], set[str]] = {}  # (stem, topic) → words
        for g in self.guides.values():
            if not g.national:
                continue
            key = _naming_key(g)
            titled = set(analyse(g.title))
            phrases = [g.title] * 3 + [kw for kw in g.keywords if not _ENGLISH.search(kw)]
            for phrase in phrases:
                pairs = words_and_stems(phrase)
                # a short stem counts when the title has it, or when the phrase writes it
                # as a word of four letters or more ("gule" → "gul"; never "pas" alone)
                longest = {}
                for word, stem in pairs:
                    longest[stem] = max(longest.get(stem, 0), len(word))
                for tok in longest:
                    if tok not in _GENERIC and not tok.isdigit() and (
                            len(tok) >= 4 or tok in titled or longest[tok] >= 4):
                        self._topic_terms.setdefault(tok, Counter())[key] += 1
                        if len(tok) < 4 and tok not in titled:
                            by_form.add(tok)
                for word, stem in pairs:
                    self._forms.setdefault((stem, g.topic), set()).add(word)
        # compounds are split into parts the phrases use as stems of their own: a short
        # stem counted only for its longer word form ("num" of "nummer") is no part
        self._term_set = frozenset(t for t in self._topic_terms if t not in by_form)
        self._by_form = frozenset(by_form)
        self._named_cache: dict[str, frozenset[str]] = {}
        self._spotter: TopicSpotter | None = None
        self._letters: dict[str, str] = {}
        self._guide_terms = {gid: t.terms for gid, t in snap.terms.items()}
        self._bm25 = snap.bm25 if snap.bm25 is not None else bm25s.BM25()
        self._vocab = set(self._bm25.vocab_dict) if snap.ids else set()
        self._vocab_list = sorted(t for t in self._vocab if len(t) >= MIN_SPELLED - 2)
        self._spelling: dict[str, tuple[list[str], float]] = {}
        self._frequency = Counter(snap.frequency())

    def _in_scope(self, gid: str, municipality: str | None) -> bool:
        g = self.guides[gid]
        return g.national or (municipality is not None and municipality in g.municipalities)

    def _mask(self, municipality: str | None) -> np.ndarray:
        local = self._local.get(municipality or "")
        return self._national | local if local is not None else self._national

    def _lexical(self, query_tokens: list[str],
                 municipality: str | None) -> dict[str, float]:
        tokens = [part for t in query_tokens for part in (
            # a near-certain slip first ("sundhedsort" is not sundheds + ort), then a
            # compound of two corpus words, then a likely slip
            [t] if t in self._vocab else self._spelled(t, CLEAR_SLIP) or
            split_compound(t, self._vocab) or self._spelled(t))]
        if not tokens or not self._chunk_guide:
            return {}
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        scores = np.where(self._mask(municipality), scores, 0.0)
        top = np.argsort(-scores)[: CANDIDATES * 3]
        best = _best_per_guide((self._chunk_guide[i], float(scores[i])) for i in top
                               if scores[i] > 0)
        return dict(sorted(best.items(), key=lambda kv: -kv[1])[:CANDIDATES])

    def _spelled(self, token: str, min_score: float = 0.0) -> list[str]:
        """A misspelt word ("terase", "tiladelse") as the corpus word it is one letter
        or two from: only long words, only a close and unambiguous match."""
        if len(token) < MIN_SPELLED or not self._vocab_list:
            return []
        cached = self._spelling.get(token)
        if cached is not None:
            return cached[0] if cached[1] >= min_score else []
        found = process.extract(token, self._vocab_list, scorer=fuzz.ratio, limit=4,
                                score_cutoff=SPELLING_SCORE)
        # the closest; among equally close ones, the word the corpus uses most
        best = [w for w, score, _ in found if score == found[0][1]] if found else []
        best.sort(key=lambda w: -self._frequency[w])
        out = [best[0]] if best and (len(best) == 1 or self._frequency[best[0]] >
                                     self._frequency[best[1]]) and \
            abs(len(best[0]) - len(token)) <= 2 else []
        if len(self._spelling) >= NAMED_CACHE:
            self._spelling.clear()
        self._spelling[token] = (out, found[0][1] if out else 0.0)
        return out if out and found[0][1] >= min_score else []

    def named_topics(self, text: str, besides: str | None = None) -> frozenset[str]:
        """Topics the text names by a word of their own: a word (or a part of a
        compound, "pasningsgarantien" → pasning + garanti; or two words written apart,
        "kontant hjælpen") that at least two of a topic's phrases use, and that topic's
        phrases hold at least half of its uses ("flytning" names flytning, though some
        health-card keywords say it too). Whole words only, so "pasning" never names
        the passport topic and "passe en hund" names nothing.

        `besides`: a topic the conversation is on; words its phrases use often too do
        not name another topic.

        Asked several times per turn (ranking, confidence, context, goodbyes) for the
        same text, so answers are kept per text until the next `reload`."""
        key = text if besides is None else f"{besides}\x00{text}"
        cached = self._named_cache.get(key)
        if cached is not None:
            return cached
        text = self.with_danish_letters(text)
        named: set[str] = set()
        # a participle spelled like a topic word, after its auxiliary: "få passet en
        # etårig" is childcare, not the passport
        verbs = {fold(m.group(1)) for m in _PARTICIPLE.finditer(text.lower())}
        whole = [(word, stem) for word, stem in words_and_stems(text)
                 if word not in verbs] + \
            [(None, stem) for stem in joined_compounds(text, self._term_set)]
        for word, tok in whole:
            if _ENGLISH.fullmatch(tok) or (besides is not None and
                                           self._shares(tok, besides)):
                continue
            found = {t for t in self._names(tok) if word is None or self._is_form(word, tok, t)}
            if not found and sum(self._topic_terms.get(tok, Counter()).values()) < 2:
                # a compound the phrases (almost) never use, named by its parts
                for part in split_compound(tok, self._term_set):
                    if len(part) >= 4:
                        found |= self._names(part)
            named |= found
        if len(self._named_cache) >= NAMED_CACHE:
            self._named_cache.clear()
        self._named_cache[key] = result = frozenset(named)
        return result

    def with_danish_letters(self, text: str) -> str:
        """The text with words typed without æ, ø and å ("ka jeg skift lage") written
        with them where that makes a word that names a topic and the word as typed is
        not one the guides use: "lage" → "læge". Only topic words, since a plain word
        the guides happen not to use is usually Danish as typed ("overfor" is not
        "overfør"). Only a/o are tried, at most two per word; the most used word wins."""
        if not _PLAIN_LETTERS.search(text):
            return text
        return _WORD.sub(lambda m: self._lettered(m.group(0)), text)

    def _lettered(self, word: str) -> str:
        low = word.lower()
        if len(low) < 4 or not _PLAIN_LETTERS.search(low) or low in _STOPWORDS:
            return word
        found = self._letters.get(low)
        if found is None:
            found = low
            if _stem(low) not in self._vocab:
                spots = [i for i, ch in enumerate(low) if ch in "ao"][:4]
                options: list[tuple[int, str]] = []
                for n in (1, 2):
                    for at in itertools.combinations(spots, n):
                        for letters in itertools.product(*(_DANISH[low[i]] for i in at)):
                            chars = list(low)
                            for i, ch in zip(at, letters, strict=True):
                                chars[i] = ch
                            cand = "".join(chars)
                            if self._names(_stem(cand)):
                                options.append((self._frequency[_stem(cand)], cand))
                    if options:
                        break
                if options:
                    found = max(options)[1]
            if len(self._letters) >= NAMED_CACHE:
                self._letters.clear()
            self._letters[low] = found
        return word if found == low else found

    @property
    def spotter(self) -> TopicSpotter:
        """Topic words found approximately (misheard, misspelt): built on first use
        after each `reload`, from `topic_words`. Topics no guide answers (area entries,
        out of scope, crisis) are never offered."""
        if self._spotter is None:
            self._spotter = TopicSpotter(self.topic_words(), skip=_NOT_SPOTTED)
        return self._spotter

    def _shares(self, stem: str, topic: str) -> bool:
        """The topic's phrases use the word a good part (a third) as often as all do."""
        uses = self._topic_terms.get(stem)
        return bool(uses) and 3 * sum(n for k, n in uses.items() if _topic(k) == topic) >= \
            sum(uses.values())

    def topic_words(self) -> dict[str, frozenset[str]]:
        """The words that name each topic (see `named_topics`), as the phrases write
        them: what a fuzzy match of misheard or misspelt words is made against."""
        out: dict[str, set[str]] = {}
        for (stem, topic), forms in self._forms.items():
            if topic in self._names(stem):
                out.setdefault(topic, set()).update(forms)
        return {t: frozenset(w) for t, w in out.items()}

    def _is_form(self, word: str, stem: str, topic: str) -> bool:
        """The topic's phrases use the word, or one of their words with a noun ending."""
        forms = self._forms.get((stem, topic), set())
        return word in forms or any(
            word.startswith(f) and word[len(f):] in (_LONG_ENDINGS if len(f) >= 6 else
                                                     _NOUN_ENDINGS) for f in forms)

    def uses_term_of(self, text: str, guide: Guide) -> bool:
        """The text has a word (not an everyday one) that the guide's topic's phrases,
        or the guide's own title and keywords, use — and that is not mostly another
        topic's: "telefonen" is said by MitID, driving licence and health-card phrases
        alike, so "ingen tager telefonen" is about none of them."""
        own = self._guide_terms.get(guide.id, frozenset())
        return any(self._share(stem, guide.topic) >= TERM_SHARE or
                   (stem in own and stem not in _GENERIC)
                   for _, stem in words_and_stems(text))

    def _share(self, stem: str, topic: str) -> float:
        """The part of the word's uses in topics' phrases that is the topic's."""
        uses = self._topic_terms.get(stem)
        if not uses:
            return 0.0
        mine = sum(n for k, n in uses.items() if _topic(k) == topic)
        return mine / sum(uses.values())

    def _names(self, stem: str) -> set[str]:
        """A catch-all topic weighs in with its entry that uses the word most: "vej"
        names the areas without a guide (roads, winter service, street names), "skole"
        the school topic although several area entries mention it too."""
        uses = self._topic_terms.get(stem)
        if not uses:
            return set()
        per: dict[str, int] = {}
        for key, n in uses.items():
            t = _topic(key)
            per[t] = max(per.get(t, 0), n) if t != key else per.get(t, 0) + n
        total = sum(per.values())
        # a short stem counted for its longer form needs more uses ("gule" kort: 9 uses)
        least = 4 if stem in self._by_form else 2
        return {t for t, n in per.items() if n >= least and 2 * n >= total}

    @property
    def chunk_count(self) -> int:
        """Chunks searched (from the tables: asking Chroma costs it memory)."""
        return len(self._chunk_guide)

    @property
    def dense_backend(self) -> str:
        return "memory" if self._vectors is not None else "chroma"

    def _dense(self, query: str, municipality: str | None) -> dict[str, float]:
        vector = self.index.embedder.query(query)
        if self._vectors is None:
            pairs = [(cid.rpartition("#")[0], s) for cid, s in
                     self.index.dense(vector.tolist(), municipality, CANDIDATES * 2)]
        elif len(self._vectors):
            sims = np.where(self._mask(municipality), self._vectors @ vector, -np.inf)
            pairs = [(self._chunk_guide[i], float(sims[i]))
                     for i in np.argsort(-sims)[: CANDIDATES * 2] if np.isfinite(sims[i])]
        else:
            pairs = []
        best = _best_per_guide(pairs)
        return dict(sorted(best.items(), key=lambda kv: -kv[1])[:CANDIDATES])

    def _prefer_local(self, order: list[str], municipality: str, dense: dict[str, float],
                      ranked: dict[str, float]) -> list[str]:
        """Move a local guide above the national guide on the same topic when it is about
        as close to the question (cosine within `local_margin`, or, without a dense model,
        at least 70 % of its score): for a citizen of that municipality it is the more
        specific answer, where the national one often just says "ask your municipality".
        Only a comparable match moves: its fused score at least `local_min_share` of the
        national guide's. Cosines of one topic's guides are all close, so without that a
        poor local match (0.06 against 0.71) jumped over every guide between, and with
        dozens of local guides in scope the right topic fell out of the top three."""
        order = list(order)
        for gid in [g for g in order if municipality in self.guides[g].municipalities]:
            topic = self.guides[gid].topic
            pos = order.index(gid)
            for i, other in enumerate(order[:pos]):
                o = self.guides[other]
                if o.national and o.topic == topic:
                    close = (dense.get(gid, 0.0) >= dense.get(other, 0.0) - self.local_margin
                             and ranked[gid] >= self.local_min_share * ranked[other]
                             if dense else ranked[gid] >= 0.7 * ranked[other])
                    if close:
                        order.insert(i, order.pop(pos))
                    break
        return order

    def search(self, query: str, municipality: str | None = None, k: int = 5,
               mode: Mode = "hybrid") -> list[Hit]:
        """The top-k guides for `query` in the citizen's scope, best first."""
        if not query.strip() or not self.guides:
            return []
        query = self.with_danish_letters(query)
        if not self.has_dense:
            mode = "bm25"
        toks = analyse(query)
        lexical = self._lexical(toks + joined_compounds(query, self._vocab), municipality) \
            if mode != "dense" else {}
        dense = self._dense(query, municipality) if mode != "bm25" else {}
        if mode == "dense":
            ranked = dict(dense)
        elif mode == "bm25":
            ranked = _minmax(lexical)
        else:
            floor = min(dense.values(), default=0.0)
            ids = dense.keys() | lexical.keys()
            d = _minmax({g: dense.get(g, floor) for g in ids})
            lx = _minmax({g: lexical.get(g, 0.0) for g in ids})
            w = self.dense_weight
            ranked = {g: w * d[g] + (1 - w) * lx[g] for g in ids}
        if mode == "hybrid" and self.phrase_boost and self._phrases:
            matched: set[str] = set()
            for n in range(2, min(6, len(toks)) + 1):
                for i in range(len(toks) - n + 1):
                    matched |= self._phrases.get(tuple(toks[i:i + n]), set())
            for gid in matched:
                if gid in ranked or self._in_scope(gid, municipality):
                    ranked[gid] = ranked.get(gid, 0.0) + self.phrase_boost
        if mode == "hybrid" and self.named_boost:
            # a topic the query names by a word of its own ("min su") beats one that
            # is only close in meaning
            named = self.named_topics(query)
            for gid in ranked:
                if self.guides[gid].topic in named:
                    ranked[gid] += self.named_boost
        if municipality and self.local_boost:
            for gid in ranked:
                if municipality in self.guides[gid].municipalities:
                    ranked[gid] += self.local_boost
        order = sorted(ranked, key=lambda g: -ranked[g])
        if municipality:
            order = self._prefer_local(order, municipality, dense, ranked)
        order = order[:k]
        return [Hit(self.guides[g], min(1.0, max(0.0, ranked[g])), dense.get(g, 0.0),
                    lexical.get(g, 0.0)) for g in order if g in self.guides]
