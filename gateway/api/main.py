"""All API routers under /api."""

from fastapi import APIRouter

from gateway.api.routes import chat, knowledge, voice

api_router = APIRouter()
api_router.include_router(knowledge.router)
api_router.include_router(chat.router)
api_router.include_router(voice.router)
