"""Dependencies shared by the routes (FastAPI full-stack template style)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ddh.settings import Settings
from knowledge.service import Knowledge


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_knowledge(request: Request) -> Knowledge:
    knowledge = request.app.state.knowledge
    if knowledge is None:
        raise HTTPException(status_code=503, detail="knowledge index is not loaded yet")
    return knowledge


SettingsDep = Annotated[Settings, Depends(get_settings)]
KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
