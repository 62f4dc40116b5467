"""The knowledge service: registry + corpus + index + retrieval, wired from settings.

The CLI and the gateway both open knowledge through here, so `ddh knowledge search`
and the frontdesk always see the same index built the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ddh.logging import get_logger
from ddh.settings import Settings
from knowledge.corpus import corpus_sources, load_corpus
from knowledge.embeddings import Embedder, make_embedder
from knowledge.guide import Guide
from knowledge.importers.common import ImportReport
from knowledge.importers.load import load_path
from knowledge.index import GuideIndex, SyncReport
from knowledge.registry import Registry, load_registry
from knowledge.retrieval import HybridRetriever

log = get_logger(__name__)


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

    def _new_retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            self.index, s.dense_weight, s.local_boost, s.local_margin, s.dense_memory_limit,
            s.phrase_boost,
        )

    def apply(self, guides: list[Guide], source: str) -> SyncReport:
        """Make one source's guides in the index exactly `guides`, live: only guides
        whose content changed are embedded, those gone are removed, and a new retriever
        (BM25, vectors, topic words) replaces the old one in one assignment, so a search
        running meanwhile finishes on the old one and the next sees the change. Used for
        the guides municipalities edit in the admin (handoff/guide_sync.py)."""
        sync = self.index.sync(guides, {source})
        if sync.added or sync.updated or sync.removed or self._retriever is None:
            self._retriever = self._new_retriever()
        return sync

    def ingest(self, path: Path | None = None) -> tuple[ImportReport, SyncReport]:
        """Ingest the corpus (and configured sources), or one export at `path`."""
        if path is None:
            report = load_corpus(self.settings, self.registry)
            # Sources that loaded nothing are still synced: their removed guides go too.
            sources = {"corpus"} | {p.name for p in corpus_sources(self.settings)[1:]}
        else:
            report = load_path(path, self.registry)
            sources = {path.name}
        for problem in report.problems:
            log.warning("ingest.skipped", file=problem.file, reason=problem.message)
        sync = self.index.sync(report.guides, sources)
        if self._retriever is not None:
            self._retriever.reload()
        return report, sync

    def refresh_index(self) -> SyncReport:
        """Build the index when it is empty, else bring it in step with the corpus.

        Unchanged guides cost a hash comparison, so this is cheap on every start.
        """
        return self.ingest()[1]
