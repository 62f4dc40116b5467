"""All API routers under /api."""

from fastapi import APIRouter

from gateway.api.routes import (
    agent,
    canned,
    chat,
    console,
    email,
    guides,
    knowledge,
    notices,
    quality,
    voice,
)

api_router = APIRouter()
api_router.include_router(knowledge.router)
api_router.include_router(chat.router)
api_router.include_router(voice.router)
api_router.include_router(agent.router)
api_router.include_router(console.router)
api_router.include_router(canned.router)  # /api/canned: the console's standardsvar
api_router.include_router(notices.router)
api_router.include_router(guides.router)
api_router.include_router(quality.router)  # /api/admin/agents, costs, wrong-calls
api_router.include_router(email.router)  # /api/email/inbound (CONTRACT.md §5)
