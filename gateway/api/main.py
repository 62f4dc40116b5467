"""All API routers under /api."""

from fastapi import APIRouter

from gateway.api.routes import knowledge

api_router = APIRouter()
api_router.include_router(knowledge.router)
