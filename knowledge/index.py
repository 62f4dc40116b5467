"""The guide index in Chroma: chunks, their vectors and the metadata we filter on.

Embedded `PersistentClient` by default; a Chroma server when `DDH_CHROMA_URL` is
set (scale-out: every gateway process reads the same index). Re-indexing is
incremental by content hash: embedding costs ~80 ms a chunk on two cores, so an
unchanged guide is never embedded twice.

Chunk metadata carries what retrieval filters on: `scope` (national/local) and one
boolean `m_<kommunekode>` per municipality a local guide applies to (a waste
partner's guide covers several), and the hash of its text (`text_hash`), so a text
that is already in the index is never embedded again.

Each guide is stored once, as JSON, in a second collection (`<collection>-guides`, one
record per guide with its content hash, source and number of chunks): any process can
rebuild the guides from the index alone (a Chroma server included), and a process
learns what the index holds by reading one small record per guide, never every
chunk's metadata. The guide record is written after its chunks, so a sync that died
half-way is redone on the next one. An index of the older layout (the guide's JSON in
its first chunk's metadata) is converted on open, without embedding anything.

The records collection's metadata holds markers: the layout, and a content token that
every sync that changes anything replaces (overall and per source). A process compares
tokens instead of reading thousands of records: Chroma keeps tens of MB of memory after
such a read, and a serving process should not pay that at every start or check.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from ddh.logging import get_logger
from ddh.settings import Settings
from knowledge.embeddings import Embedder, chroma_function
from knowledge.guide import Guide

log = get_logger(__name__)
ADD_BATCH = 64
EMBED_BATCH = 256  # texts embedded per call on the batch path (many guides at once)
GET_BATCH = 500  # ids or hashes per Chroma read (SQLite's variable limit)
RECORDS = "-guides"  # suffix of the collection that holds each guide once
# Markers kept in the records collection's metadata.
LAYOUT_MARKER, LAYOUT = "layout", "2"  # 2: guides in their own records
CONTENT_MARKER = "content"  # a new token after every sync that changed anything


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0  # chunks written (of added and updated guides)
    vectors_reused: int = 0  # of those, chunks whose text the index held: not embedded

    def as_dict(self) -> dict[str, Any]:
        return {"added": len(self.added), "updated": len(self.updated),
                "unchanged": self.unchanged, "removed": len(self.removed),
                "chunks_embedded": self.chunks_embedded,
                "vectors_reused": self.vectors_reused}


@dataclass(frozen=True, slots=True)
class GuideEntry:
    """What the index holds of one guide: enough to sync and to find its chunks."""

    hash: str
    source: str
    chunks: int

    def chunk_ids(self, gid: str) -> list[str]:
        return [f"{gid}#{i}" for i in range(self.chunks)]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Chunk:
    id: str
    guide_id: str
    text: str
    metadata: dict[str, Any]


def make_client(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise ValueError(f"DDH_CHROMA_URL {settings.chroma_url!r} has no host")
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=chroma_settings,
        )
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def chunk_metadata(guide: Guide, index: int, text: str | None = None) -> dict[str, Any]:
    """A chunk's metadata (`text`: the chunk's passage, found again when not given)."""
    meta: dict[str, Any] = {
        "guide_id": guide.id,
        "chunk": index,
        "hash": guide.content_hash(),
        "topic": guide.topic,
        "scope": guide.scope,
        "municipality": ",".join(guide.municipalities) or "national",
        "source": guide.source,
        "title": guide.title,
        "text_hash": text_hash(guide.passages()[index] if text is None else text),
    }
    for code in guide.municipalities:
        meta[f"m_{code}"] = True
    return meta


def scope_filter(municipality: str | None) -> dict[str, Any]:
    """National guides, plus the municipality's own when it is known."""
    if not municipality:
        return {"scope": "national"}
    return {"$or": [{"scope": "national"}, {f"m_{municipality}": True}]}


class GuideIndex:
    """One Chroma collection per embedder, so vectors of two models never mix; beside
    it one record per guide (see the module docstring)."""

    def __init__(self, settings: Settings, embedder: Embedder,
                 client: ClientAPI | None = None) -> None:
        self.embedder = embedder
        self.client = client or make_client(settings)
        self.collection = self.client.get_or_create_collection(
            name=f"{settings.chroma_collection}-{embedder.name}",
            embedding_function=chroma_function(embedder),  # type: ignore[arg-type]
        )
        # Records carry no meaning as vectors: a constant one-number vector each.
        self.records = self.client.get_or_create_collection(
            name=self.collection.name + RECORDS, embedding_function=None)
        # Where the retriever keeps its tables between starts (knowledge/snapshot.py).
        self.cache_dir = (settings.data_dir / "retrieval-cache" / self.collection.name
                          if settings.retrieval_cache else None)
        if self.marker(LAYOUT_MARKER) != LAYOUT:  # checked once per index, not per open
            if self.records.count() == 0 and self.collection.count() > 0:
                self._convert_old_layout()
            self.set_marker(LAYOUT_MARKER, LAYOUT,
                            **({} if self.content_token() else
                               {CONTENT_MARKER: uuid.uuid4().hex}))

    def count(self) -> int:
        """Chunks in the index. Costs Chroma tens of MB of memory it keeps on first use
        (it opens the chunks' segments): a serving process that searches in memory
        asks `empty` and its retriever instead."""
        return self.collection.count()

    def empty(self) -> bool:
        return self.records.count() == 0

    def content_token(self) -> str | None:
        """Changes whenever a sync changes anything (any process): a reader whose
        tables carry the same token needs to read nothing else (knowledge/snapshot.py).
        Read before the manifest, so a change landing in between shows up later."""
        return self.marker(CONTENT_MARKER)

    def source_tokens(self, sources: Iterable[str]) -> list[tuple[str, str | None]]:
        """Per source, the token of the last sync that changed its guides."""
        meta = self._markers()
        return [(s, meta.get(f"{CONTENT_MARKER}:{s}")) for s in sorted(sources)]

    def manifest(self, sources: Iterable[str] | None = None,
                 ids: Sequence[str] = ()) -> dict[str, GuideEntry]:
        """guide id → (hash, source, chunk count) of every guide in the index (or only
        of those from `sources`, plus those with `ids`): one small record per guide.
        Chroma keeps tens of MB after reading thousands of records, so a serving
        process reads it only when the content token says something changed."""
        if sources is None:
            parts = [self.records.get(include=["metadatas"])]
        else:
            wanted = sorted(sources)
            where: Any = {"source": {"$in": wanted}}
            parts = [self.records.get(where=where, include=["metadatas"])] if wanted else []
            parts += [self.records.get(ids=list(ids[i:i + GET_BATCH]), include=["metadatas"])
                      for i in range(0, len(ids), GET_BATCH)]
        return {gid: GuideEntry(str(m["hash"]), str(m["source"]), int(m["chunks"]))  # type: ignore[arg-type]
                for got in parts
                for gid, m in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def _markers(self) -> dict[str, Any]:
        """The records collection's metadata as stored now (another process may have
        changed it since this one opened the collection): a cheap read."""
        got = self.client.get_collection(self.records.name, embedding_function=None)
        return dict(got.metadata or {})

    def marker(self, name: str) -> str | None:
        """A value kept with the index (on the guide records' collection)."""
        value = self._markers().get(name)
        return None if value is None else str(value)

    def set_marker(self, name: str, value: str, **more: str) -> None:
        self.records.modify(metadata={**self._markers(), name: value, **more})

    def _convert_old_layout(self) -> None:
        """Write the guide records of an index built before they existed, from the
        guide JSON its first chunks carry, and bring the chunks' metadata to today's
        (`text_hash` added, the JSON dropped). Read once; nothing is embedded."""
        got = self.collection.get(include=["metadatas", "documents"])
        counts: dict[str, int] = {}
        heads: dict[str, dict[str, Any]] = {}
        updates: list[tuple[str, dict[str, Any]]] = []
        for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [],
                                  strict=False):
            gid = str(meta["guide_id"])
            counts[gid] = counts.get(gid, 0) + 1
            change: dict[str, Any] = {"text_hash": text_hash(doc or "")}
            if meta.get("chunk") == 0 and "guide_json" in meta:
                heads[gid] = dict(meta)
                change["guide_json"] = None  # Chroma drops a key updated to None
            updates.append((cid, change))
        for i in range(0, len(updates), GET_BATCH):
            batch = updates[i:i + GET_BATCH]
            self.collection.update(ids=[c for c, _ in batch],
                                   metadatas=[m for _, m in batch])  # type: ignore[arg-type]
        guides = [(Guide.model_validate_json(str(m["guide_json"])), str(m["hash"]), counts[g])
                  for g, m in heads.items()]
        self._write_records(guides)
        self.set_marker(CONTENT_MARKER, uuid.uuid4().hex)
        log.info("index.converted", guides=len(guides), collection=self.collection.name)

    def _write_records(self, guides: Sequence[tuple[Guide, str, int]]) -> None:
        for i in range(0, len(guides), ADD_BATCH):
            batch = guides[i:i + ADD_BATCH]
            self.records.upsert(
                ids=[g.id for g, _, _ in batch],
                documents=[g.model_dump_json() for g, _, _ in batch],
                metadatas=[{"hash": h, "source": g.source, "chunks": n} for g, h, n in batch],
                embeddings=[[1.0]] * len(batch),  # type: ignore[arg-type]
            )

    def sync(self, guides: list[Guide], sources: set[str] | None = None) -> SyncReport:
        """Bring the index in line with `guides`.

        Guides whose hash is unchanged are skipped. Guides that are gone are removed,
        but only from the sources being synced (`sources`, default: those of `guides`),
        so ingesting one export never deletes another's guides. Changed guides are
        embedded together on the batch path (`_vectors`), and a chunk whose text the
        index already holds takes its stored vector.
        """
        report = SyncReport()
        sources = sources if sources is not None else {g.source for g in guides}
        existing = self.manifest(sources, [g.id for g in guides])
        wanted = {g.id for g in guides}
        pending: list[Chunk] = []
        stale: list[str] = []
        changed: list[tuple[Guide, str, int]] = []
        for g in guides:
            have = existing.get(g.id)
            digest = g.content_hash()
            if have and have.hash == digest:
                report.unchanged += 1
                continue
            (report.updated if have else report.added).append(g.id)
            if have:
                stale.extend(have.chunk_ids(g.id))
            texts = g.passages()
            pending.extend(Chunk(f"{g.id}#{i}", g.id, text, chunk_metadata(g, i, text))
                           for i, text in enumerate(texts))
            changed.append((g, digest, len(texts)))
        for gid, entry in existing.items():
            if gid not in wanted and entry.source in sources:
                report.removed.append(gid)
                stale.extend(entry.chunk_ids(gid))
        # A sync that died between writing chunks and their guide's record left chunks
        # the manifest does not know: whatever has a pending id goes first.
        added = set(report.added)
        stale.extend(c.id for c in pending if c.guide_id in added)
        vectors = self._vectors(pending)
        report.chunks_embedded = len(pending)
        report.vectors_reused = sum(1 for c in pending if c.metadata["text_hash"] not in
                                    vectors.embedded)
        for i in range(0, len(stale), GET_BATCH):
            self.collection.delete(ids=stale[i:i + GET_BATCH])
        for i in range(0, len(pending), ADD_BATCH):
            batch = pending[i:i + ADD_BATCH]
            self.collection.add(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata for c in batch],
                embeddings=[vectors.found[c.metadata["text_hash"]] for c in batch],  # type: ignore[arg-type]
            )
        self._write_records(changed)
        if report.removed:
            self.records.delete(ids=report.removed)
        touched = {g.source for g, _, _ in changed} | \
            {existing[g].source for g in report.removed}
        if touched:
            token = uuid.uuid4().hex
            self.set_marker(CONTENT_MARKER, token,
                            **{f"{CONTENT_MARKER}:{src}": token for src in touched})
        log.info("index.sync", **report.as_dict(), collection=self.collection.name)
        return report

    def _vectors(self, pending: list[Chunk]) -> _Vectors:
        """A vector per distinct text of `pending`: those the index holds already
        (any guide's chunk with the same text), the rest embedded in large batches."""
        out = _Vectors()
        want = list(dict.fromkeys(str(c.metadata["text_hash"]) for c in pending))
        for i in range(0, len(want), GET_BATCH):
            where: Any = {"text_hash": {"$in": want[i:i + GET_BATCH]}}
            got = self.collection.get(where=where, include=["metadatas", "embeddings"])
            emb = got.get("embeddings")
            for meta, vec in zip(got["metadatas"] or [], [] if emb is None else emb,
                                 strict=False):
                out.found[str(meta["text_hash"])] = np.asarray(vec, np.float32)
        todo = {str(c.metadata["text_hash"]): c.text for c in pending
                if c.metadata["text_hash"] not in out.found}
        items = list(todo.items())
        for i in range(0, len(items), EMBED_BATCH):
            batch = items[i:i + EMBED_BATCH]
            for (h, _), vec in zip(batch, self.embedder.passages([t for _, t in batch]),
                                   strict=True):
                out.found[h] = np.asarray(vec, np.float32)
                out.embedded.add(h)
        return out

    def chunks(self, with_vectors: bool = False, ids: Sequence[str] | None = None,
               ) -> tuple[list[Chunk], np.ndarray | None]:
        """All chunks (or those with `ids`, in the index's order), and their vectors
        (rows in the same order) when asked for."""
        include = ["documents", "metadatas", *(["embeddings"] if with_vectors else [])]
        parts = [self.collection.get(include=include)] if ids is None else [  # type: ignore[arg-type]
            self.collection.get(ids=list(ids[i:i + GET_BATCH]), include=include)  # type: ignore[arg-type]
            for i in range(0, len(ids), GET_BATCH)]
        chunks: list[Chunk] = []
        rows: list[Any] = []
        for got in parts:
            chunks.extend(
                Chunk(cid, str(meta["guide_id"]), doc or "", dict(meta))
                for cid, doc, meta in zip(got["ids"], got["documents"] or [],
                                          got["metadatas"] or [], strict=False))
            emb = got.get("embeddings")
            if with_vectors and emb is not None and len(emb):
                rows.append(np.asarray(emb, dtype=np.float32))
        vectors = None
        if with_vectors:
            vectors = np.vstack(rows) if rows else np.zeros((0, 0), np.float32)
        return chunks, vectors

    def guides(self, ids: Iterable[str] | None = None) -> dict[str, Guide]:
        """The guides in the index (or those with `ids`), read from their records."""
        wanted = None if ids is None else list(ids)
        parts = [self.records.get(include=["documents"])] if wanted is None else [
            self.records.get(ids=wanted[i:i + GET_BATCH], include=["documents"])
            for i in range(0, len(wanted), GET_BATCH)]
        return {gid: Guide.model_validate_json(doc or "{}") for got in parts
                for gid, doc in zip(got["ids"], got["documents"] or [], strict=False)}

    def dense(self, query_vector: list[float], municipality: str | None,
              n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest chunks in scope."""
        n = max(1, min(n, self.count()))
        res = self.collection.query(
            query_embeddings=[query_vector], n_results=n, where=scope_filter(municipality),
            include=["distances"],
        )
        return [(cid, 1.0 - float(d)) for cid, d in
                zip(res["ids"][0], (res["distances"] or [[]])[0], strict=False)]


@dataclass
class _Vectors:
    found: dict[str, np.ndarray] = field(default_factory=dict)  # text hash → vector
    embedded: set[str] = field(default_factory=set)  # text hashes embedded just now
