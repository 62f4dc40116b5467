"""Our hybrid retrieval as a LangChain `BaseRetriever`, for the LLM path.

The LLM chain gets the same guides, in the same order and scope, as the grounded
path: one retrieval implementation, two consumers.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from knowledge.guide import Guide
from knowledge.retrieval import HybridRetriever


def guide_document(guide: Guide, score: float | None = None) -> Document:
    """A guide as one LangChain document: title, summary, steps and body."""
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(guide.steps, 1))
    text = "\n\n".join(p for p in (guide.title, guide.summary, steps, guide.body) if p)
    meta: dict[str, Any] = {
        "id": guide.id, "title": guide.title, "topic": guide.topic, "url": guide.url,
        "municipality": ",".join(guide.municipalities) or None,
    }
    if score is not None:
        meta["score"] = score
    return Document(page_content=text, metadata=meta, id=guide.id)


class GuideRetriever(BaseRetriever):
    """`GuideRetriever(retriever=..., municipality="0751", k=4).invoke("mistet pas")`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    municipality: str | None = None
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.retriever.search(query, municipality=self.municipality, k=self.k)
        return [guide_document(h.guide, h.score) for h in hits]
