"""Published municipal guides, live in this process's index and retriever.

Every gateway process runs `GuideSync.check` every `DDH_GUIDES_POLL_S` (default 1 s):
one aggregate query on the store (`GuideStore.fingerprint`). Only when it changed are
the published guides read and handed to `Knowledge.apply`, which embeds just the guides
whose content changed, removes retired ones, and swaps in a new retriever. The process
that took the publication checks at once, without waiting for its next poll. Polling
the store works the same with one process or many, on SQLite or PostgreSQL, with an
embedded index per host or one Chroma server (then the first process embeds, and the
others find the hash unchanged and only rebuild their retriever).
"""

from __future__ import annotations

import threading

from ddh.logging import get_logger
from handoff.guide_desk import SOURCE, as_guide
from knowledge.guide import Guide, GuideError
from knowledge.index import SyncReport
from knowledge.service import Knowledge
from store.guides import GuideStore

log = get_logger(__name__)


class GuideSync:
    def __init__(self, store: GuideStore, knowledge: Knowledge) -> None:
        self.store = store
        self.knowledge = knowledge
        self._seen: tuple[int, int, int] | None = None
        self._lock = threading.Lock()  # the poller and a route may check at once

    def published(self) -> list[Guide]:
        """The published versions as guides; one the registry no longer accepts (a
        topic removed since) is left out and logged, never breaking the others."""
        guides = []
        for record in self.store.published():
            if record.published is None:
                continue
            try:
                guides.append(as_guide(record, record.published))
            except GuideError as exc:
                log.warning("guides.unusable", guide=record.id, error=str(exc)[:200])
        return guides

    def check(self, force: bool = False) -> SyncReport | None:
        """Apply the published set when it changed since the last check (None: it had
        not)."""
        with self._lock:
            seen = self.store.fingerprint()
            if seen == self._seen and not force:
                return None
            report = self.knowledge.apply(self.published(), SOURCE)
            self._seen = seen
        if report.added or report.updated or report.removed:
            log.info("guides.live", **report.as_dict())
        return report
