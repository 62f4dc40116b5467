"""Dependencies shared by the routes (FastAPI full-stack template style).

They take an `HTTPConnection`, so the same dependency serves HTTP routes and
WebSockets.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlparse

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from bot.frontdesk import Frontdesk
from ddh.settings import Settings
from gateway.chat_log import ChatLogs
from knowledge.service import Knowledge

if TYPE_CHECKING:
    from bot.voice.pipeline import VoiceServices


def get_settings(conn: HTTPConnection) -> Settings:
    return conn.app.state.settings


def get_knowledge(conn: HTTPConnection) -> Knowledge:
    knowledge = conn.app.state.knowledge
    if knowledge is None:
        raise HTTPException(status_code=503, detail="knowledge index is not loaded yet")
    return knowledge


def get_frontdesk(conn: HTTPConnection) -> Frontdesk:
    frontdesk = conn.app.state.frontdesk
    if frontdesk is None:
        raise HTTPException(status_code=503, detail="the frontdesk is not ready yet")
    return frontdesk


def get_chat_logs(conn: HTTPConnection) -> ChatLogs:
    return conn.app.state.chat_logs


def start_voice(conn: HTTPConnection) -> asyncio.Future[VoiceServices]:
    """Begin loading the voice services (Whisper, vocabulary, carrier) once per process.

    Called by the carrier's webhook, so the model is loading while the carrier opens
    the media stream; the stream then awaits the same future.
    """
    state = conn.app.state
    if getattr(state, "voice", None) is None:
        from bot.voice.pipeline import VoiceServices

        frontdesk = get_frontdesk(conn)

        def create() -> VoiceServices:
            services = VoiceServices.create(state.settings, frontdesk, *state.voice_adapters)
            services.clock = state.clock
            return services

        state.voice = asyncio.get_running_loop().run_in_executor(None, create)
    return state.voice


async def get_voice(conn: HTTPConnection) -> VoiceServices:
    try:
        return await start_voice(conn)
    except Exception as exc:
        conn.app.state.voice = None  # the next call tries again
        raise HTTPException(status_code=503, detail=f"voice is unavailable: {exc}") from exc


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Browsers send Origin: allow our own host and the configured embedding sites.

    Non-browser clients (no Origin header) are allowed; they cannot ride on a
    citizen's browser session, which is what the check protects against.
    """
    if not origin:
        return True
    if "*" in allowed or origin in allowed:
        return True
    return bool(host) and urlparse(origin).netloc == host


SettingsDep = Annotated[Settings, Depends(get_settings)]
KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
FrontdeskDep = Annotated[Frontdesk, Depends(get_frontdesk)]
ChatLogsDep = Annotated[ChatLogs, Depends(get_chat_logs)]
VoiceDep = Annotated["VoiceServices", Depends(get_voice)]
