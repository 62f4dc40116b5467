"""The knowledge service: registry + corpus + index + retrieval, wired from settings.

The CLI and the gateway both open knowledge through here, so `ddh knowledge search`
and the frontdesk always see the same index built the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ddh.logging import get_logger
from ddh.settings import Settings
from knowledge.corpus import load_corpus, source_names, sources_digest
from knowledge.embeddings import Embedder, make_embedder
from knowledge.guide import Guide
from knowledge.importers.common import ImportReport
from knowledge.importers.load import load_path
from knowledge.index import GuideIndex, SyncReport
from knowledge.precedents import Precedents
from knowledge.registry import Registry, load_registry
from knowledge.retrieval import HybridRetriever

log = get_logger(__name__)
CORPUS_MARKER = "corpus_state"  # index marker: see `Knowledge.refresh_index`


@dataclass
class Knowledge:
    settings: Settings
    registry: Registry
    embedder: Embedder
    index: GuideIndex
    _retriever: HybridRetriever | None = None

    @classmethod
    def open(cls, settings: Settings, registry: Registry | None = None,
             embedder: Embedder | None = None) -> Knowledge:
        registry = registry or load_registry(settings.registry_dir)
        embedder = embedder or make_embedder(
            settings.embeddings, settings.embedding_variant, settings.embedding_model_path,
            settings.embedding_threads, settings.model_cache,
        )
        return cls(settings, registry, embedder, GuideIndex(settings, embedder))

    @property
    def retriever(self) -> HybridRetriever:
        if self._retriever is None:
            self._retriever = self._new_retriever()
        return self._retriever

    @cached_property
    def precedents(self) -> Precedents | None:
        """The labelled turns the frontdesk consults (None when switched off or without
        an embedder that compares meaning); embedded once, then read from the cache."""
        s = self.settings
        return Precedents.open(self.embedder, s.precedents_path, s.model_cache) \
            if s.precedents else None

    def _new_retriever(self) -> HybridRetriever:
        """A retriever on the index as it is now. Its tables start from the current
        retriever's (or the disk cache): only guides that changed are read from the
        index and stemmed (knowledge/snapshot.py)."""
        s = self.settings
        return HybridRetriever(
            self.index, s.dense_weight, s.local_boost, s.local_margin, s.dense_memory_limit,
            s.phrase_boost,
            previous=self._retriever.snapshot if self._retriever is not None else None,
            local_min_share=s.local_min_share,
        )

    def apply(self, guides: list[Guide], source: str) -> SyncReport:
        """Make one source's guides in the index exactly `guides`, live: only guides
        whose content changed are embedded, those gone are removed, and a new retriever
        (BM25, vectors, topic words) replaces the old one in one assignment, so a search
        running meanwhile finishes on the old one and the next sees the change. Used for
        the guides municipalities edit in the admin (handoff/guide_sync.py)."""
        sync = self.index.sync(guides, {source})
        # Another process sharing a Chroma server may have embedded the change first
        # (then this sync finds it unchanged): the retriever compares its own tables
        # with the index's manifest, so it is brought in step either way.
        current = self._retriever
        if current is None or sync.added or sync.updated or sync.removed or \
                current.snapshot is None or \
                current.snapshot.token != self.index.content_token():
            self._retriever = self._new_retriever()
        return sync

    def ingest(self, path: Path | None = None) -> tuple[ImportReport, SyncReport]:
        """Ingest the corpus (and configured sources), or one export at `path`."""
        # the files' digest before reading them: an edit made meanwhile counts next time
        digest = sources_digest(self.settings) if path is None else ""
        if path is None:
            report = load_corpus(self.settings, self.registry)
            # Sources that loaded nothing are still synced: their removed guides go too.
            sources = source_names(self.settings)
        else:
            report = load_path(path, self.registry)
            sources = {path.name}
        for problem in report.problems:
            log.warning("ingest.skipped", file=problem.file, reason=problem.message)
        sync = self.index.sync(report.guides, sources)
        if path is None:
            self.index.set_marker(CORPUS_MARKER, self._corpus_state(digest))
        if self._retriever is not None:
            self._retriever.reload()
        return report, sync

    def refresh_index(self) -> SyncReport:
        """Build the index when it is empty, else bring it in step with the corpus.

        Unchanged guides cost a hash comparison, so this is cheap on every start. With
        thousands of local guides even reading them is not (seconds, and memory a
        serving process keeps): when every source file is as at the last refresh and
        the index still holds exactly what that refresh left, nothing is read.
        """
        if self.index.marker(CORPUS_MARKER) == self._corpus_state(sources_digest(self.settings)):
            return SyncReport()  # nothing read, nothing to do
        return self.ingest()[1]

    def _corpus_state(self, digest: str) -> str:
        """The source files' digest with the token of the last change of each of
        their sources in the index: equal states, nothing to read."""
        tokens = self.index.source_tokens(source_names(self.settings))
        h = hashlib.sha256(digest.encode())
        h.update(repr(tokens).encode())
        return h.hexdigest()[:32]
