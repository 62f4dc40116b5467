"""Guide search over HTTP: what agents' assist and external tools call."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import KnowledgeDep

router = APIRouter(prefix="/knowledge", tags=["knowledge"])


class GuideHit(BaseModel):
    id: str
    title: str
    topic: str
    url: str
    municipality: str | list[str] | None
    score: float
    dense: float
    lexical: float


@router.get("/search", response_model=list[GuideHit])
async def search(
    knowledge: KnowledgeDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="The question")],
    municipality: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid",
) -> list[dict[str, object]]:
    """Top guides for a question, national plus the municipality's own."""
    if municipality and municipality not in knowledge.registry.municipalities:
        raise HTTPException(status_code=422, detail=f"unknown kommunekode {municipality}")
    hits = await run_in_threadpool(knowledge.retriever.search, q, municipality, k, mode)
    return [h.as_dict() for h in hits]
