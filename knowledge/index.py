"""The guide index in Chroma: chunks, their vectors and the metadata we filter on.

Embedded `PersistentClient` by default; a Chroma server when `DDH_CHROMA_URL` is
set (scale-out: every gateway process reads the same index). Re-indexing is
incremental by content hash: embedding costs ~80 ms a chunk on two cores, so an
unchanged guide is never embedded twice.

Chunk metadata carries what retrieval filters on: `scope` (national/local) and one
boolean `m_<kommunekode>` per municipality a local guide applies to (a waste
partner's guide covers several). The first chunk of each guide also carries the
whole guide as JSON, so any process can rebuild guides from the index alone.
"""

from __future__ import annotations

import json
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


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"added": len(self.added), "updated": len(self.updated),
                "unchanged": self.unchanged, "removed": len(self.removed),
                "chunks_embedded": self.chunks_embedded}


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


def chunk_metadata(guide: Guide, index: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "guide_id": guide.id,
        "chunk": index,
        "hash": guide.content_hash(),
        "topic": guide.topic,
        "scope": guide.scope,
        "municipality": ",".join(guide.municipalities) or "national",
        "source": guide.source,
        "title": guide.title,
    }
    for code in guide.municipalities:
        meta[f"m_{code}"] = True
    if index == 0:
        meta["guide_json"] = guide.model_dump_json()
    return meta


def scope_filter(municipality: str | None) -> dict[str, Any]:
    """National guides, plus the municipality's own when it is known."""
    if not municipality:
        return {"scope": "national"}
    return {"$or": [{"scope": "national"}, {f"m_{municipality}": True}]}


class GuideIndex:
    """One Chroma collection per embedder, so vectors of two models never mix."""

    def __init__(self, settings: Settings, embedder: Embedder,
                 client: ClientAPI | None = None) -> None:
        self.embedder = embedder
        self.client = client or make_client(settings)
        self.collection = self.client.get_or_create_collection(
            name=f"{settings.chroma_collection}-{embedder.name}",
            embedding_function=chroma_function(embedder),  # type: ignore[arg-type]
        )

    def count(self) -> int:
        return self.collection.count()

    def _existing(self) -> dict[str, tuple[str, str, list[str]]]:
        """guide id → (hash, source, chunk ids) for what is in the index now."""
        got = self.collection.get(include=["metadatas"])
        out: dict[str, tuple[str, str, list[str]]] = {}
        for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
            gid = str(meta["guide_id"])
            entry = out.setdefault(gid, (str(meta["hash"]), str(meta["source"]), []))
            entry[2].append(cid)
        return out

    def sync(self, guides: list[Guide], sources: set[str] | None = None) -> SyncReport:
        """Bring the index in line with `guides`.

        Guides whose hash is unchanged are skipped. Guides that are gone are removed,
        but only from the sources being synced (`sources`, default: those of `guides`),
        so ingesting one export never deletes another's guides.
        """
        report = SyncReport()
        existing = self._existing()
        sources = sources if sources is not None else {g.source for g in guides}
        wanted = {g.id for g in guides}
        pending: list[Chunk] = []
        stale: list[str] = []
        for g in guides:
            have = existing.get(g.id)
            if have and have[0] == g.content_hash():
                report.unchanged += 1
                continue
            (report.updated if have else report.added).append(g.id)
            if have:
                stale.extend(have[2])
            pending.extend(
                Chunk(f"{g.id}#{i}", g.id, text, chunk_metadata(g, i))
                for i, text in enumerate(g.passages())
            )
        for gid, (_, source, ids) in existing.items():
            if gid not in wanted and source in sources:
                report.removed.append(gid)
                stale.extend(ids)
        if stale:
            self.collection.delete(ids=stale)
        for i in range(0, len(pending), ADD_BATCH):
            batch = pending[i:i + ADD_BATCH]
            self.collection.add(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata for c in batch],
            )
            report.chunks_embedded += len(batch)
        log.info("index.sync", **report.as_dict(), collection=self.collection.name)
        return report

    def chunks(self, with_vectors: bool = False) -> tuple[list[Chunk], np.ndarray | None]:
        """All chunks, and their vectors (rows in the same order) when asked for."""
        include = ["documents", "metadatas", *(["embeddings"] if with_vectors else [])]
        got = self.collection.get(include=include)  # type: ignore[arg-type]
        chunks = [
            Chunk(cid, str(meta["guide_id"]), doc or "", dict(meta))
            for cid, doc, meta in zip(got["ids"], got["documents"] or [],
                                      got["metadatas"] or [], strict=False)
        ]
        vectors = None
        if with_vectors:
            emb = got.get("embeddings")
            vectors = (np.asarray(emb, dtype=np.float32) if emb is not None and len(emb)
                       else np.zeros((0, 0), np.float32))
        return chunks, vectors

    def guides(self) -> dict[str, Guide]:
        got = self.collection.get(where={"chunk": 0}, include=["metadatas"])
        return {
            str(meta["guide_id"]): Guide.model_validate(json.loads(str(meta["guide_json"])))
            for meta in got["metadatas"] or []
        }

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
