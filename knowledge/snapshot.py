"""The retriever's tables, derived once from the index and kept on disk.

Why: with every municipality's local guides in one index (thousands of guides), a
start that read every chunk's text, metadata and vector from Chroma, stemmed every
chunk and built BM25 took most of `ddh serve`'s time to ready and hundreds of MB of
memory that Python never gave back. A snapshot is what the retriever derives from the
index's content: the chunk ids in index order and their guides, each chunk's stemmed
tokens (ids into one vocabulary), the BM25 index, the vectors, the guides, and per
guide its keyword phrases and title/keyword terms.

It is keyed by the index's manifest (guide id → content hash, one small record per
guide: knowledge/index.py) and by the code that derives it (this module, the text
analysis, the guide's chunking, bm25s's version). A change is applied incrementally:
the chunks of changed guides are dropped, their new chunks read by id (with vectors)
and stemmed, and BM25 is rebuilt from the kept tokens. BM25's IDF depends on the whole
corpus, so a rebuild from tokens is what keeps every score identical to a full build,
and it is cheap: stemming was the cost. The manifest is read before the chunks, so a
sync landing in between shows up as a change at the next check, never as a stale table.

On disk: a pickle of the tables and a .npy of the vectors (memory-mapped) under
DATA_DIR/retrieval-cache/<collection>/, trusted like the Chroma files beside them and
replaced atomically. Anything wrong with them (missing, corrupt, another code version)
means a full build from the index, logged, never an error.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import hashlib
import importlib.metadata
import os
import pickle
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from ddh.logging import get_logger
from knowledge.guide import Guide
from knowledge.index import GuideEntry, GuideIndex
from knowledge.text import analyse

log = get_logger(__name__)
FORMAT = "1"  # bump when what a snapshot holds changes
TABLES = "tables.pkl"
# The code whose output a snapshot holds: how guides are chunked and text is stemmed.
_CODE = [Path(__file__), Path(__file__).with_name("text.py"), Path(__file__).with_name("guide.py")]
# More changed guides than this share of the index: one full read is cheaper.
INCREMENTAL_SHARE = 0.25


def code_key() -> str:
    h = hashlib.sha256(FORMAT.encode())
    h.update(importlib.metadata.version("bm25s").encode())
    for path in _CODE:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class GuideTerms:
    """A guide's curated keyword phrases (stemmed) and its title and keyword stems."""

    phrases: tuple[tuple[str, ...], ...]
    terms: frozenset[str]

    @classmethod
    def of(cls, g: Guide) -> GuideTerms:
        return cls(tuple(tuple(analyse(kw)) for kw in g.keywords),
                   frozenset(analyse(" ".join((g.title, *g.keywords)))))


@dataclass
class Snapshot:
    key: str  # code_key() and the collection's name
    token: str | None  # the index's content token these tables were read at
    manifest: dict[str, str]  # guide id → content hash
    ids: list[str]  # chunk ids, in index order
    chunk_guide: list[str]  # the guide of each chunk
    tokens: np.ndarray  # int32: every chunk's tokens, one after the other
    offsets: np.ndarray  # int64: chunk i's tokens are tokens[offsets[i]:offsets[i+1]]
    vocab: list[str]  # token id → stem
    guides: dict[str, Guide]
    terms: dict[str, GuideTerms]
    vectors: np.ndarray | None  # rows in chunk order; None: not kept in memory
    bm25: Any = None  # bm25s.BM25 over the chunks' tokens (None: no chunks)
    saved: bool = field(default=False, compare=False)  # as on disk

    def docs(self) -> list[list[str]]:
        words = np.array(self.vocab, dtype=object)
        return [words[self.tokens[a:b]].tolist()
                for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=True)]

    def frequency(self) -> dict[str, int]:
        """How often the chunks use each stem."""
        counts = np.bincount(self.tokens, minlength=len(self.vocab))
        return {w: int(n) for w, n in zip(self.vocab, counts, strict=True) if n}

    def masks(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Which chunks are national, and which are each municipality's."""
        n = len(self.ids)
        national = np.zeros(n, bool)
        local: dict[str, np.ndarray] = {}
        for i, gid in enumerate(self.chunk_guide):
            codes = self.guides[gid].municipalities
            national[i] = not codes
            for code in codes:
                local.setdefault(code, np.zeros(n, bool))[i] = True
        return national, local


def _tokenised(texts: list[str], vocab: list[str], index: dict[str, int],
               ) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and lengths of `texts` (an empty text is one "_" token, as BM25 needs
    every document to have one); `vocab` and `index` grow with new stems."""
    flat: list[int] = []
    lengths = np.zeros(len(texts), np.int64)
    for i, text in enumerate(texts):
        toks = analyse(text) or ["_"]
        lengths[i] = len(toks)
        for t in toks:
            tid = index.get(t)
            if tid is None:
                tid = index[t] = len(vocab)
                vocab.append(t)
            flat.append(tid)
    return np.asarray(flat, np.int32), lengths


def _finish(snap: Snapshot) -> Snapshot:
    """Drop stems no chunk uses any more and build BM25 from the tokens."""
    used = np.unique(snap.tokens)
    if len(used) < len(snap.vocab):
        remap = np.full(len(snap.vocab), -1, np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        snap.tokens = remap[snap.tokens]
        snap.vocab = [snap.vocab[i] for i in used]
    snap.bm25 = None
    if snap.ids:
        snap.bm25 = bm25s.BM25()
        snap.bm25.index(snap.docs(), show_progress=False)
    return snap


def build(index: GuideIndex, with_vectors: bool, token: str | None,
          entries: dict[str, GuideEntry]) -> Snapshot:
    """Everything from the index: one full read (`entries`: the manifest, read before
    the chunks)."""
    manifest = {g: e.hash for g, e in entries.items()}
    chunks, vectors = index.chunks(with_vectors=with_vectors)
    guides = index.guides()
    keep = [i for i, c in enumerate(chunks) if c.guide_id in guides]
    vocab: list[str] = []
    tokens, lengths = _tokenised([chunks[i].text for i in keep], vocab, {})
    if vectors is not None and len(keep) < len(chunks):
        vectors = vectors[keep]
    snap = Snapshot(
        key=f"{code_key()}:{index.collection.name}", token=token,
        manifest={g: h for g, h in manifest.items() if g in guides},
        ids=[chunks[i].id for i in keep], chunk_guide=[chunks[i].guide_id for i in keep],
        tokens=tokens, offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        vocab=vocab, guides=guides, terms={g: GuideTerms.of(x) for g, x in guides.items()},
        vectors=vectors)
    return _finish(snap)


def updated(prev: Snapshot, index: GuideIndex, with_vectors: bool, token: str | None,
            entries: dict[str, GuideEntry]) -> Snapshot:
    """`prev` brought in step with the index (`entries`: its manifest now): only
    changed guides are read."""
    manifest = {g: e.hash for g, e in entries.items()}
    if manifest == prev.manifest and (prev.vectors is not None or not with_vectors):
        if prev.token != token:
            prev = dataclasses.replace(prev, token=token, saved=False)
        return prev
    changed = [g for g, h in manifest.items() if prev.manifest.get(g) != h]
    gone = set(prev.manifest) - set(manifest)
    if (prev.vectors is None and with_vectors) or \
            len(changed) > max(50, INCREMENTAL_SHARE * len(manifest)):
        return build(index, with_vectors, token, entries)
    drop = gone | set(changed)
    keep = np.array([g not in drop for g in prev.chunk_guide], bool)
    got, vectors = index.chunks(with_vectors=with_vectors, ids=[
        cid for g in changed for cid in entries[g].chunk_ids(g)])
    guides = {g: x for g, x in prev.guides.items() if g not in drop}
    fresh = index.guides(changed)
    guides.update(fresh)
    sel = [i for i, c in enumerate(got) if c.guide_id in fresh]
    chunks = [got[i] for i in sel]
    vocab = list(prev.vocab)
    new_tokens, lengths = _tokenised([c.text for c in chunks], vocab,
                                     {w: i for i, w in enumerate(vocab)})
    old_lengths = np.diff(prev.offsets)
    kept = prev.tokens[np.repeat(keep, old_lengths)]
    all_lengths = np.concatenate([old_lengths[keep], lengths])
    out_vectors = None
    if with_vectors and prev.vectors is not None:
        rows = [np.asarray(prev.vectors[keep])]
        if vectors is not None and sel:
            rows.append(vectors[sel])
        rows = [r for r in rows if r.size]
        out_vectors = np.vstack(rows) if rows else np.zeros((0, 0), np.float32)
    ids = [cid for cid, k in zip(prev.ids, keep, strict=True) if k] + [c.id for c in chunks]
    snap = Snapshot(
        key=prev.key, token=token,
        manifest={g: h for g, h in manifest.items() if g in guides}, ids=ids,
        chunk_guide=[g for g, k in zip(prev.chunk_guide, keep, strict=True) if k] +
        [c.guide_id for c in chunks],
        tokens=np.concatenate([kept, new_tokens]).astype(np.int32),
        offsets=np.concatenate([[0], np.cumsum(all_lengths)]).astype(np.int64),
        vocab=vocab, guides=guides,
        terms={**{g: t for g, t in prev.terms.items() if g not in drop},
               **{g: GuideTerms.of(x) for g, x in fresh.items()}},
        vectors=out_vectors)
    log.info("retrieval.updated", changed=len(changed), removed=len(gone), chunks=len(ids))
    return _finish(snap)


def load(cache_dir: Path, key: str) -> Snapshot | None:
    """The snapshot saved in `cache_dir`, or None when there is none of this code and
    collection, or it cannot be read."""
    path = cache_dir / TABLES
    if not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            state = pickle.load(f)
        if state.get("key") != key:
            log.info("retrieval.cache_stale", path=str(path))
            return None
        vectors_file = state.pop("vectors_file")
        vectors = np.load(cache_dir / vectors_file, mmap_mode="r") if vectors_file else None
        snap = Snapshot(**state, vectors=vectors, saved=True)
        if len(snap.offsets) != len(snap.ids) + 1 or len(snap.chunk_guide) != len(snap.ids) \
                or (vectors is not None and len(snap.ids) and vectors.shape[0] != len(snap.ids)):
            raise ValueError("tables of different lengths")
        return snap
    except Exception as exc:  # a broken cache is rebuilt, never fatal
        log.warning("retrieval.cache_unreadable", path=str(path), error=repr(exc)[:200])
        return None


def save(snap: Snapshot, cache_dir: Path) -> None:
    """Write `snap` (tables, then vectors under a new name, then the tables that name
    them, each replaced atomically); a failure is logged and the cache left as was."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        vectors_file = None
        if snap.vectors is not None:
            vectors_file = f"vectors-{uuid.uuid4().hex[:12]}.npy"
            tmp = cache_dir / f".{vectors_file}.tmp"
            with tmp.open("wb") as f:
                np.save(f, np.ascontiguousarray(snap.vectors, np.float32))
            tmp.replace(cache_dir / vectors_file)
        state = {k: getattr(snap, k) for k in (
            "key", "token", "manifest", "ids", "chunk_guide", "tokens", "offsets", "vocab",
            "guides", "terms", "bm25")}
        state["vectors_file"] = vectors_file
        tmp = cache_dir / f".{TABLES}.{os.getpid()}.tmp"
        with tmp.open("wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache_dir / TABLES)
        for old in cache_dir.glob("vectors-*.npy"):
            if old.name != vectors_file:
                with contextlib.suppress(OSError):
                    old.unlink()  # a reader that has it mapped keeps its copy
        snap.saved = True
    except OSError as exc:
        log.warning("retrieval.cache_not_saved", path=str(cache_dir), error=str(exc)[:200])


def release_memory() -> None:
    """Hand freed heap memory back to the OS (glibc's `malloc_trim`). Reading thousands
    of records through Chroma and rebuilding the tables frees tens of MB that glibc
    otherwise keeps, so a serving process grew with every guide edit (40×: from 540 to
    700 MB after eight). A no-op where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def current(index: GuideIndex, prev: Snapshot | None, dense: bool,
            memory_limit: int) -> Snapshot:
    """The snapshot of the index as it is now: from `prev` (this process's last one)
    or the disk cache, brought in step; a full read only when neither is usable.
    Vectors are kept when `dense` and the index has at most `memory_limit` chunks. A
    result that differs from the cache is saved. When the index's content token is
    the one the tables were read at, nothing else is read from the index."""
    key = f"{code_key()}:{index.collection.name}"
    if prev is not None and prev.key != key:
        prev = None
    if prev is None and index.cache_dir is not None:
        prev = load(index.cache_dir, key)
    token = index.content_token()  # before the manifest: see `GuideIndex.content_token`
    if prev is not None and token is not None and prev.token == token and (
            prev.vectors is not None or not dense or len(prev.ids) > memory_limit):
        snap = prev
    else:
        entries = index.manifest()
        with_vectors = dense and sum(e.chunks for e in entries.values()) <= memory_limit
        snap = build(index, with_vectors, token, entries) if prev is None else \
            updated(prev, index, with_vectors, token, entries)
    if index.cache_dir is not None and not snap.saved:
        save(snap, index.cache_dir)
    if snap is not prev:
        release_memory()
    return snap
