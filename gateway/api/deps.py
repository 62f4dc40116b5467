"""Everything the routes share, as dependencies (FastAPI full-stack template style).

The app keeps its services on `app.state` (`gateway/app.py`); this module is the one
place that reads them, so a route names what it needs (`StoreDep`, `FrontdeskDep`,
`SignedInDep`...) and tests or another host can override a dependency instead of
patching state. Most take an `HTTPConnection`, so the same dependency serves HTTP
routes and WebSockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlparse

from fastapi import Depends, HTTPException, Request, WebSocket, WebSocketException
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse

from bot.frontdesk import Frontdesk
from bot.notices import NoticeBoard
from bot.voice.carrier import SmsSender, Telephony
from ddh.settings import Settings
from gateway.chat_log import ChatLogs
from gateway.console import ConsoleHub
from gateway.drain import Drain
from gateway.floods import Floodgate
from gateway.mail_channel import EmailChannel
from handoff.accounts import Account, Accounts, SignedIn
from handoff.guide_desk import SOURCE as EDITED_GUIDES
from handoff.guide_desk import GuideDesk
from handoff.guide_sync import GuideSync
from knowledge.registry import Registry
from knowledge.service import Knowledge
from store.guides import GuideStore
from store.outcomes import OutcomeStore

if TYPE_CHECKING:
    from bot.voice.pipeline import VoiceServices

COOKIE = "ddh_session"  # the console's session cookie (HttpOnly, SameSite=Strict)
Clock = Callable[[], datetime]


# --- the app's services ------------------------------------------------------------


def get_settings(conn: HTTPConnection) -> Settings:
    return conn.app.state.settings


def loaded_knowledge(conn: HTTPConnection) -> Knowledge | None:
    """The knowledge, or None while it loads (readiness reports that, not an error)."""
    return conn.app.state.knowledge


def get_knowledge(conn: HTTPConnection) -> Knowledge:
    knowledge = loaded_knowledge(conn)
    if knowledge is None:
        raise HTTPException(status_code=503, detail="knowledge index is not loaded yet")
    return knowledge


def loaded_frontdesk(conn: HTTPConnection) -> Frontdesk | None:
    """The frontdesk, or None before the app's start-up has opened it."""
    return conn.app.state.frontdesk


def get_frontdesk(conn: HTTPConnection) -> Frontdesk:
    frontdesk = loaded_frontdesk(conn)
    if frontdesk is None:
        raise HTTPException(status_code=503, detail="the frontdesk is not ready yet")
    return frontdesk


def get_registry(conn: HTTPConnection) -> Registry:
    """Municipalities and topics, as the frontdesk routes by them."""
    return get_frontdesk(conn).registry


def get_store(conn: HTTPConnection) -> OutcomeStore:
    store = get_frontdesk(conn).store
    if store is None:
        raise HTTPException(status_code=503, detail="no outcome store")
    return store


def get_notices(conn: HTTPConnection) -> NoticeBoard:
    """The crisis notice board; it lives in the outcome store."""
    notices = get_frontdesk(conn).notices
    if notices is None:
        raise HTTPException(status_code=503, detail="no outcome store")
    return notices


def get_accounts(conn: HTTPConnection) -> Accounts:
    """Console accounts and sessions, made once per app on first use."""
    state = conn.app.state
    store = state.frontdesk.store if state.frontdesk else None
    if store is None:
        raise HTTPException(status_code=503, detail="no outcome store")
    if getattr(state, "accounts", None) is None:
        state.accounts = Accounts(store)
    return state.accounts


def get_guide_desk(conn: HTTPConnection) -> GuideDesk:
    """The municipalities' guide editing (handoff/guide_desk.py), made once per app; a
    new guide may not take the id of a guide from another source (the corpus)."""
    state = conn.app.state
    if getattr(state, "guide_desk", None) is None:
        store, knowledge = get_store(conn), get_knowledge(conn)

        def taken(guide_id: str) -> bool:
            guide = knowledge.retriever.guides.get(guide_id)
            return guide is not None and guide.source != EDITED_GUIDES

        state.guide_desk = GuideDesk(GuideStore(store.sessions), knowledge.registry, taken)
    return state.guide_desk


def get_guide_sync(conn: HTTPConnection) -> GuideSync | None:
    """This process's live copy of the published municipal guides (None: no store)."""
    return getattr(conn.app.state, "guide_sync", None)


def get_chat_logs(conn: HTTPConnection) -> ChatLogs:
    return conn.app.state.chat_logs


def get_drain(conn: HTTPConnection) -> Drain:
    return conn.app.state.drain


def get_floodgate(conn: HTTPConnection) -> Floodgate:
    return conn.app.state.floods


def get_clock(conn: HTTPConnection) -> Clock | None:
    """The time conversations are routed at: None is now (tests pin a weekday)."""
    return conn.app.state.clock


def get_carrier(conn: HTTPConnection) -> tuple[Telephony, SmsSender]:
    """The carrier adapters `create_app` built; handed to the voice pipeline, which
    knows only their interfaces (`bot/voice/carrier.py`)."""
    return conn.app.state.carrier


# --- the agent console -------------------------------------------------------------


async def get_console(conn: HTTPConnection) -> ConsoleHub | None:
    """The agents' hub, made on the first console that connects; None without queues.

    Made lazily because it runs a ticker and listens to the queues: a gateway whose
    agents never sign in has no use for it. Async, so it runs on the event loop (the
    hub schedules its work there), not in the thread pool sync dependencies use."""
    state = conn.app.state
    if getattr(state, "console", None) is None:
        desk = state.frontdesk.handoffs if state.frontdesk else None
        if desk is None:
            return None
        voice = VoiceLoader(conn)

        def live_calls() -> dict[str, Any]:
            services = voice.loaded()
            return services.calls if services is not None else {}

        state.console = ConsoleHub(desk, state.frontdesk, state.chat_logs, get_accounts(conn),
                                   live_calls=live_calls)
    return state.console


def console_lookup(conn: HTTPConnection) -> Callable[[], ConsoleHub | None]:
    """Finds the hub when it is needed, without making one: a citizen's chat socket
    opens long before an agent may take the conversation over."""
    state = conn.app.state
    return lambda: getattr(state, "console", None)


# --- who is asking -----------------------------------------------------------------


async def signed_in(request: Request, accounts: AccountsDep) -> SignedIn:
    """The console session of the request; changes also need its CSRF token."""
    who = await run_in_threadpool(accounts.session, request.cookies.get(COOKIE))
    if who is None:
        raise HTTPException(status_code=401, detail="not signed in")
    if request.method not in ("GET", "HEAD", "OPTIONS") and \
            request.headers.get("x-csrf-token") != who.csrf:
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
    return who


def same_host(ws: WebSocket) -> None:
    """The agent socket is for our own console page only: a browser on another site
    (Origin not this host) is refused before anything else."""
    origin = ws.headers.get("origin")
    if origin and urlparse(origin).netloc != ws.headers.get("host"):
        raise WebSocketException(code=1008, reason="origin not allowed")


async def socket_signed_in(ws: WebSocket, accounts: AccountsDep) -> SignedIn:
    """The console session of a WebSocket (its cookie); refused with 4401 without one."""
    who = await run_in_threadpool(accounts.session, ws.cookies.get(COOKIE))
    if who is None:
        raise WebSocketException(code=4401, reason="not signed in")
    return who


async def manager_or_admin(request: Request, accounts: AccountsDep) -> Account:
    """Who may read quality data: a municipality's manager or a DDH administrator."""
    who = await run_in_threadpool(accounts.session, request.cookies.get(COOKIE))
    if who is None:
        raise HTTPException(status_code=401, detail="not signed in")
    if who.account.role not in ("admin", "manager"):
        raise HTTPException(status_code=403, detail="for managers and administrators")
    return who.account


async def page_viewer(request: Request, accounts: AccountsDep) -> Account | RedirectResponse:
    """A manager's or administrator's page: who reads it, or (not signed in) the way to
    the console's sign-in."""
    try:
        return await manager_or_admin(request, accounts)
    except HTTPException as exc:
        if exc.status_code == 401:
            return RedirectResponse("/agent", status_code=303)
        raise


def oidc_client(conn: HTTPConnection) -> Any:
    """The identity provider's client (Authlib), registered once per app; 404 when
    single sign-on is not configured."""
    state = conn.app.state
    settings: Settings = state.settings
    if not (settings.oidc_issuer and settings.oidc_client_id):
        raise HTTPException(status_code=404, detail="single sign-on is not configured")
    if getattr(state, "oauth", None) is None:
        from authlib.integrations.starlette_client import OAuth

        oauth = OAuth()
        oauth.register(
            "municipal",
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value()
            if settings.oidc_client_secret else None,
            client_kwargs={"scope": "openid profile email"})
        state.oauth = oauth
    return state.oauth.municipal


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


# --- voice -------------------------------------------------------------------------


class VoiceLoader:
    """The voice services of this process (Whisper, vocabulary, carrier adapters),
    loaded once, on the first call: a chat-only gateway never pays for them.

    The carrier's webhook calls `start`, so the model is loading while the carrier
    opens the media stream; the stream then awaits the same future. A failed load is
    forgotten, so the next call tries again.
    """

    def __init__(self, conn: HTTPConnection) -> None:
        self._conn = conn
        self._state = conn.app.state

    def start(self) -> asyncio.Future[VoiceServices]:
        if self._state.voice is None:
            from bot.voice.pipeline import VoiceServices

            settings, frontdesk = self._state.settings, get_frontdesk(self._conn)
            telephony, sms = get_carrier(self._conn)
            clock = self._state.clock

            def create() -> VoiceServices:
                services = VoiceServices.create(settings, frontdesk, telephony, sms)
                services.clock = clock
                return services

            self._state.voice = asyncio.get_running_loop().run_in_executor(None, create)
        return self._state.voice

    async def get(self) -> VoiceServices:
        """The loaded services; 503 when they cannot be loaded."""
        try:
            return await self.start()
        except Exception as exc:
            self.forget()
            raise HTTPException(status_code=503, detail=f"voice is unavailable: {exc}") from exc

    def forget(self) -> None:
        self._state.voice = None

    def loaded(self) -> VoiceServices | None:
        """The services if they are loaded already (never starts loading them)."""
        loading = self._state.voice
        if loading is None or not loading.done() or loading.exception() is not None:
            return None
        return loading.result()


def get_voice_loader(conn: HTTPConnection) -> VoiceLoader:
    return VoiceLoader(conn)


async def get_voice(conn: HTTPConnection) -> VoiceServices:
    return await VoiceLoader(conn).get()


@dataclass(frozen=True)
class WebRTC:
    """Browser calls: pipecat's connection handler and the calls running on it (the
    app's shutdown closes both)."""

    handler: Any  # pipecat's SmallWebRTCRequestHandler, imported on first use
    calls: set[asyncio.Task]


async def get_webrtc(conn: HTTPConnection) -> WebRTC:
    """Made on the event loop (pipecat's handler belongs to it), on the first browser
    call."""
    state = conn.app.state
    if getattr(state, "webrtc", None) is None:
        from pipecat.transports.smallwebrtc.request_handler import SmallWebRTCRequestHandler

        state.webrtc = SmallWebRTCRequestHandler()
        state.webrtc_calls = set()
    return WebRTC(state.webrtc, state.webrtc_calls)


def get_email_channel(conn: HTTPConnection) -> EmailChannel:
    """The e-mail channel (gateway/mail_channel.py), opened with the frontdesk when
    there is an outcome store (its dedup and outbox live there)."""
    channel = getattr(conn.app.state, "email", None)
    if channel is None:
        get_frontdesk(conn)  # 503 while the frontdesk opens
        raise HTTPException(status_code=503, detail="the e-mail channel needs the store")
    return channel


SettingsDep = Annotated[Settings, Depends(get_settings)]
KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
LoadedKnowledgeDep = Annotated[Knowledge | None, Depends(loaded_knowledge)]
FrontdeskDep = Annotated[Frontdesk, Depends(get_frontdesk)]
LoadedFrontdeskDep = Annotated[Frontdesk | None, Depends(loaded_frontdesk)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
StoreDep = Annotated[OutcomeStore, Depends(get_store)]
NoticesDep = Annotated[NoticeBoard, Depends(get_notices)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
ChatLogsDep = Annotated[ChatLogs, Depends(get_chat_logs)]
GuideDeskDep = Annotated[GuideDesk, Depends(get_guide_desk)]
GuideSyncDep = Annotated[GuideSync | None, Depends(get_guide_sync)]
ClockDep = Annotated[Clock | None, Depends(get_clock)]
DrainDep = Annotated[Drain, Depends(get_drain)]
FloodgateDep = Annotated[Floodgate, Depends(get_floodgate)]
EmailChannelDep = Annotated[EmailChannel, Depends(get_email_channel)]
ConsoleDep = Annotated[ConsoleHub | None, Depends(get_console)]
ConsoleLookupDep = Annotated[Callable[[], ConsoleHub | None], Depends(console_lookup)]
SignedInDep = Annotated[SignedIn, Depends(signed_in)]
SocketSignedInDep = Annotated[SignedIn, Depends(socket_signed_in)]
ViewerDep = Annotated[Account, Depends(manager_or_admin)]
OidcDep = Annotated[Any, Depends(oidc_client)]
VoiceLoaderDep = Annotated[VoiceLoader, Depends(get_voice_loader)]
VoiceDep = Annotated["VoiceServices", Depends(get_voice)]
WebRTCDep = Annotated[WebRTC, Depends(get_webrtc)]
