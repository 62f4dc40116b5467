"""The FastAPI application: one frontdesk behind chat, voice, agent and admin channels.

`create_app` takes already-opened services so `ddh serve` can build the index before
the first request, and tests can start a real server on their own index.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ddh import __version__
from ddh.logging import get_logger
from ddh.settings import Settings
from gateway.api.main import api_router
from gateway.api.routes import health
from knowledge.service import Knowledge

log = get_logger(__name__)


def create_app(settings: Settings, knowledge: Knowledge | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        if app.state.knowledge is None:
            app.state.knowledge = await run_in_threadpool(Knowledge.open, settings)
        # Load BM25 and the guides now, not on the first citizen's question.
        await run_in_threadpool(lambda: app.state.knowledge.retriever)
        log.info("gateway.ready", chunks=app.state.knowledge.index.count())
        yield

    app = FastAPI(
        title="DDH frontdesk gateway",
        version=__version__,
        description="A 24/7 Danish frontdesk for municipal contact centres: chat, voice, "
        "warm handoff to Den Digitale Hotline, and quality data.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.knowledge = knowledge
    app.include_router(health.router)
    app.include_router(api_router, prefix="/api")
    return app
