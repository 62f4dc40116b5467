"""The FastAPI application: one frontdesk behind chat, voice, agent and admin channels.

`create_app` takes already-opened services so `ddh serve` can build the index before
the first request, and tests can start a real server on their own index and store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from bot.frontdesk import Frontdesk
from bot.voice.carrier import SmsSender, Telephony
from ddh import __version__
from ddh.logging import get_logger
from ddh.settings import Settings
from gateway import quality_views
from gateway.api.main import api_router
from gateway.api.routes import admin, drilldown, guides, health, sso, voice
from gateway.chat_log import ChatLogs
from gateway.drain import Drain
from gateway.floods import Floodgate
from gateway.live_link import make_link
from gateway.metrics import Metrics
from gateway.security import SchemeSessions, SecurityHeaders
from gateway.telephony import make_carrier
from knowledge.service import Knowledge

log = get_logger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
QUEUE_CHECK_S = 3.0  # how often the queue is checked against the store


async def _send_tickets(app: FastAPI) -> None:
    """The ticket outbox, sent in the background while the gateway runs."""
    from handoff.tickets import outbox_from_settings

    settings: Settings = app.state.settings
    outbox = outbox_from_settings(app.state.frontdesk.store, settings)
    while True:
        try:
            await asyncio.to_thread(outbox.deliver_due)
        except Exception as exc:  # the store may be briefly unavailable: try again later
            log.error("tickets.outbox_error", error=str(exc)[:200])
        await asyncio.sleep(settings.ticket_poll_s)


async def _roll_up(app: FastAPI) -> None:
    """Bring the dashboard's roll-up up to date at start-up, in the background: after an
    upgrade of a large store the first one covers every hour (store/rollup.py) and
    should not be paid for by the first manager who opens the dashboard."""
    from store import rollup

    try:
        hours = await asyncio.to_thread(rollup.refresh, app.state.frontdesk.store)
        log.info("rollup.refreshed", hours=hours)
    except Exception as exc:  # the dashboard refreshes on its next read anyway
        log.error("rollup.failed", error=str(exc)[:200])


async def _expire_idle(app: FastAPI) -> None:
    """End conversations nobody has written in for `DDH_CHAT_IDLE_S` (abandoned), and
    calls whose process died (dropped)."""
    settings: Settings = app.state.settings
    every = min(30.0, settings.chat_idle_s / 10)
    while True:
        await asyncio.sleep(every)
        try:
            ended = await asyncio.to_thread(app.state.frontdesk.expire_idle,
                                            settings.chat_idle_s)
            dropped = await asyncio.to_thread(app.state.frontdesk.expire_dropped)
            if ended or dropped:
                log.info("conversations.expired", ended=ended, calls_dropped=dropped)
        except Exception as exc:  # the store may be briefly unavailable: next round
            log.error("conversations.expire_failed", error=str(exc)[:200])


async def _retention(app: FastAPI, every_s: float = 3600.0) -> None:
    """Forget the text of conversations older than `DDH_RETENTION_DAYS`, hourly (any
    process may: forgetting twice forgets nothing more)."""
    from store import retention

    settings: Settings = app.state.settings
    store = app.state.frontdesk.store
    while True:
        try:
            now = app.state.clock() if app.state.clock else datetime.now(UTC)
            done = await asyncio.to_thread(retention.expire, store.sessions,
                                           now - timedelta(days=settings.retention_days))
            if done.conversations:
                log.info("retention.forgotten", conversations=done.conversations,
                         lines=done.lines, callback_numbers=done.callback_numbers)
        except Exception as exc:  # the store may be briefly unavailable: next round
            log.error("retention.failed", error=str(exc)[:200])
        await asyncio.sleep(every_s)


async def _keep_queue(app: FastAPI) -> None:
    """The agents' queue holds every handoff the store has as waiting: at start-up (a
    queue in this process's memory starts empty) and whenever Redis lost it (restarted
    empty), checked every few seconds. A dead Redis is logged once, not every round."""
    desk, store = app.state.frontdesk.handoffs, app.state.frontdesk.store
    clock = app.state.clock  # the routing clock (tests, `ddh serve --at`), else now
    down = False
    while True:
        try:
            handoffs = await asyncio.to_thread(store.open_handoffs,
                                               now=clock() if clock else None)
            restored = await asyncio.to_thread(desk.reconcile, handoffs)
            if restored or down:
                log.warning("queue.rebuilt", restored=restored)
            down = False
        except Exception as exc:
            if not down:
                log.error("queue.unavailable", error=str(exc)[:200])
            down = True
        await asyncio.sleep(QUEUE_CHECK_S)


async def _sync_guides(app: FastAPI) -> None:
    """Municipal guides published or retired by any process go live here too: a cheap
    check of the store every `DDH_GUIDES_POLL_S` (handoff/guide_sync.py)."""
    settings: Settings = app.state.settings
    failing = False
    while True:
        await asyncio.sleep(settings.guides_poll_s)
        try:
            await asyncio.to_thread(app.state.guide_sync.check)
            failing = False
        except Exception as exc:  # the store may be briefly unavailable: next round
            if not failing:
                log.error("guides.sync_failed", error=str(exc)[:200])
            failing = True


def _open_guide_sync(app: FastAPI) -> None:
    """The published municipal guides, in the index before the first citizen asks."""
    from handoff.guide_sync import GuideSync
    from store.guides import GuideStore

    app.state.guide_sync = GuideSync(GuideStore(app.state.frontdesk.store.sessions),
                                     app.state.knowledge)
    try:
        app.state.guide_sync.check()
    except Exception as exc:  # the poller tries again
        log.error("guides.sync_failed", error=str(exc)[:200])


def _open_email(app: FastAPI) -> list[asyncio.Task]:
    """The e-mail channel over the store (gateway/mail_channel.py), with its background
    tasks; none without a store."""
    from gateway import mail_transport
    from gateway.mail_channel import EmailChannel

    if app.state.frontdesk.store is None:
        return []
    app.state.email = EmailChannel(app.state.frontdesk, app.state.settings, app.state.clock)
    loop = asyncio.get_running_loop()

    def show(conversation: str, text: str) -> None:  # from a worker thread
        console = getattr(app.state, "console", None)
        if console is not None:
            loop.call_soon_threadsafe(console.to_agent_of, conversation, text)

    app.state.email.to_agent = show
    return [*mail_transport.start(app.state.email, app.state.settings, app.state.clock),
            asyncio.create_task(_guide_reminders(app))]


async def _guide_reminders(app: FastAPI, every_s: float = 3600.0) -> None:
    """Once a day per municipality, whichever process is first: the guides due for
    review, by mail (handoff/guide_reminders.py; the e-mail outbox sends them)."""
    from handoff import guide_reminders
    from handoff.guide_desk import GuideDesk
    from store.guides import GuideStore

    settings: Settings = app.state.settings
    registry = app.state.frontdesk.registry
    desk = GuideDesk(GuideStore(app.state.frontdesk.store.sessions), registry,
                     lambda guide_id: False)  # read only: no new ids are made here
    while True:
        try:
            now = app.state.clock() if app.state.clock else datetime.now(UTC)
            today = now.astimezone(ZoneInfo("Europe/Copenhagen")).date()
            found = await asyncio.to_thread(
                guide_reminders.reminders, desk, registry, today,
                settings.guides_review_days, settings.guides_reminder_addresses)
            sender = settings.email_from or settings.smtp_from
            if found and sender:
                await asyncio.to_thread(guide_reminders.queue, app.state.email.store, found,
                                        sender, today)
        except Exception as exc:  # the store may be briefly unavailable: next round
            log.error("guides.reminders_failed", error=str(exc)[:200])
        await asyncio.sleep(every_s)


async def _hand_over_calls(app: FastAPI) -> None:
    """The drain ran out with calls still live: each is handed over with a word."""
    voice = app.state.voice
    if voice is None or not voice.done() or voice.exception() is not None:
        return
    calls = list(voice.result().calls.values())
    await asyncio.gather(*(c.stage.hand_over() for c in calls), return_exceptions=True)


def _carrier(settings: Settings, adapters: tuple[Telephony | None, SmsSender | None] | None
             ) -> tuple[Telephony, SmsSender]:
    """The carrier adapters voice calls use: those given, else those the settings
    configure (Twilio, or the local outboxes). The gateway builds them and hands them
    to the voice pipeline, which knows only their interfaces (bot/voice/carrier.py)."""
    telephony, sms = adapters or (None, None)
    if telephony is None or sms is None:
        default_telephony, default_sms = make_carrier(settings)
        telephony, sms = telephony or default_telephony, sms or default_sms
    return telephony, sms


def create_app(settings: Settings, knowledge: Knowledge | None = None,
               frontdesk: Frontdesk | None = None,
               voice_adapters: tuple[Telephony | None, SmsSender | None] | None = None,
               clock: Callable[[], datetime] | None = None) -> FastAPI:
    """`voice_adapters`: (telephony, sms) instead of those the settings configure;
    `clock`: the time calls are routed at (tests; default: now). The routes reach
    everything kept on `app.state` through `gateway/api/deps.py`."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from bot.service import open_frontdesk

        if app.state.frontdesk is None:
            app.state.frontdesk = await run_in_threadpool(
                open_frontdesk, settings, app.state.knowledge)
        app.state.knowledge = app.state.frontdesk.knowledge
        if app.state.frontdesk.store is not None:  # chat logs in the store, for every process
            app.state.chat_logs.store = app.state.frontdesk.store.live
        app.state.frontdesk.observers.append(app.state.metrics.observe)
        if app.state.frontdesk.store is not None:
            await run_in_threadpool(_open_guide_sync, app)
        # Load BM25, the guides and the models now, not on the first citizen's question.
        await run_in_threadpool(app.state.frontdesk.warm_up)
        log.info("gateway.ready", chunks=app.state.knowledge.retriever.chunk_count)
        sender = asyncio.create_task(_send_tickets(app)) \
            if app.state.frontdesk.store is not None else None
        rollup = asyncio.create_task(_roll_up(app)) \
            if app.state.frontdesk.store is not None else None
        expiry = asyncio.create_task(_expire_idle(app)) \
            if app.state.frontdesk.store is not None else None
        queue = asyncio.create_task(_keep_queue(app)) if app.state.frontdesk.store is not \
            None and app.state.frontdesk.handoffs is not None else None
        kept = asyncio.create_task(_retention(app)) \
            if app.state.frontdesk.store is not None else None
        guides = asyncio.create_task(_sync_guides(app)) \
            if app.state.frontdesk.store is not None else None
        # the agent quality rule, monthly (gateway/quality_views.py)
        quality = asyncio.create_task(quality_views.watch(
            app.state.frontdesk.store, settings)) \
            if app.state.frontdesk.store is not None else None
        mail_tasks = _open_email(app)  # the e-mail channel: its outbox, IMAP polling
        yield
        for task in (sender, rollup, expiry, queue, kept, guides, quality, *mail_tasks):
            if task is not None:
                task.cancel()
        if getattr(app.state, "console", None) is not None:
            app.state.console.close()
        if getattr(app.state, "webrtc", None) is not None:  # browser calls still open
            for task in list(app.state.webrtc_calls):
                task.cancel()
            await app.state.webrtc.close()
        await app.state.chat_logs.link.close()
        if app.state.frontdesk.store is not None:
            await run_in_threadpool(app.state.frontdesk.store.flush)

    app = FastAPI(
        title="DDH frontdesk gateway",
        version=__version__,
        description="A 24/7 Danish frontdesk for municipal contact centres: chat, voice, "
        "warm handoff to Den Digitale Hotline, and quality data.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.knowledge = knowledge or (frontdesk.knowledge if frontdesk else None)
    app.state.frontdesk = frontdesk
    app.state.drain = Drain()  # set draining by `ddh serve`'s server on SIGTERM
    app.state.drain.overdue.append(lambda: _hand_over_calls(app))
    app.state.floods = Floodgate.from_settings(settings)
    # over the store once the frontdesk is open; live events between processes by Redis
    app.state.chat_logs = ChatLogs(link=make_link(settings.redis_url))
    app.state.email = None  # the e-mail channel, opened with the frontdesk
    app.state.voice = None  # loaded on the first call (gateway/api/deps.py: VoiceLoader)
    app.state.carrier = _carrier(settings, voice_adapters)
    app.state.clock = clock
    app.state.metrics = Metrics(app.state)
    if settings.oidc_issuer:  # the sign-in round trip keeps state and nonce in a cookie
        import secrets

        key = settings.secret_key.get_secret_value() if settings.secret_key else \
            secrets.token_urlsafe(32)
        app.add_middleware(SchemeSessions, secret_key=key, session_cookie="ddh_sso",
                           same_site="lax", max_age=600)
    app.add_middleware(SecurityHeaders, frame_sites=settings.allowed_origins)
    app.include_router(health.router)
    app.include_router(sso.router)
    app.include_router(admin.router)
    app.include_router(drilldown.router)  # /admin/drill, /admin/conversations/{id}
    app.include_router(guides.pages)
    app.include_router(voice.telephony_router)  # carrier paths are the contract's
    app.include_router(api_router, prefix="/api")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def citizen_page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus exposition (scraped per process)."""
        body = await run_in_threadpool(generate_latest, app.state.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/agent", response_class=HTMLResponse, include_in_schema=False)
    async def agent_console() -> HTMLResponse:
        return HTMLResponse((STATIC / "agent.html").read_text(encoding="utf-8"))

    return app
