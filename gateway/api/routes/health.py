"""Liveness and readiness for orchestrators and the contract's outside checks."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import DrainDep, LoadedFrontdeskDep, LoadedKnowledgeDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 whenever the process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(knowledge: LoadedKnowledgeDep, frontdesk: LoadedFrontdeskDep,
                 drain: DrainDep) -> JSONResponse:
    """200 when the knowledge index is usable, 503 with the reason otherwise (also
    while the process drains before stopping: send citizens elsewhere)."""
    if drain.draining:
        return JSONResponse({"status": "unavailable", "reason": "draining: shutting down",
                             "in_flight": drain.in_flight}, 503)
    if knowledge is None:
        return JSONResponse({"status": "unavailable", "reason": "knowledge not loaded"}, 503)
    try:
        chunks = await run_in_threadpool(knowledge.index.count)
    except Exception as exc:  # a Chroma server that went away, a broken file
        return JSONResponse({"status": "unavailable", "reason": f"index: {exc}"}, 503)
    if chunks == 0:
        return JSONResponse({"status": "unavailable", "reason": "knowledge index is empty"}, 503)
    if frontdesk is None:
        return JSONResponse({"status": "unavailable", "reason": "frontdesk not loaded"}, 503)
    pending = 0
    if frontdesk.store is not None:
        try:
            await run_in_threadpool(frontdesk.store.ping)
        except Exception as exc:  # the database is down or unreachable
            return JSONResponse({"status": "unavailable", "reason": f"store: {exc}"}, 503)
        pending = frontdesk.store.pending
    if frontdesk.handoffs is not None:
        try:
            await run_in_threadpool(frontdesk.handoffs.backend.ping)
        except Exception as exc:  # Redis down: citizens get tickets, not a queue
            return JSONResponse({"status": "unavailable", "reason": f"queue (redis): {exc}"},
                                503)
    return JSONResponse({"status": "ready", "chunks": chunks, "pending_writes": pending,
                         "guides": len(knowledge.retriever.guides),
                         "retrieval": "hybrid" if knowledge.retriever.has_dense else "bm25"})
