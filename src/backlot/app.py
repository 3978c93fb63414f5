"""The composition root: settings in, a wired ASGI app out."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import socketio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from backlot import __version__
from backlot.accounts.deps import principal_cache
from backlot.accounts.router import auth_router, corporations_router, users_router
from backlot.accounts.service import downgrade_lapsed_plans
from backlot.accounts.sessions import forget_ended_sessions
from backlot.core.background import BackgroundLoops
from backlot.core.body_limit import BodyLimitMiddleware
from backlot.core.bus import build_bus
from backlot.core.cache import RowCache
from backlot.core.clock import Clock, SystemClock
from backlot.core.db import build_engine, build_sessionmaker
from backlot.core.errors import install_error_handlers
from backlot.core.headers import SecurityHeadersMiddleware
from backlot.core.kv import build_kv_cache
from backlot.core.locks import build_lock_store
from backlot.core.log_redaction import install_token_redaction
from backlot.core.mail import build_mailer
from backlot.core.metrics import HttpMetrics, MetricsMiddleware
from backlot.core.migrate import current_revisions, head_revisions
from backlot.core.oidc import IdTokenVerifier
from backlot.core.ratelimit import build_rate_limiter
from backlot.core.realtime import build_socketio
from backlot.core.scheduling import Scheduler
from backlot.core.secrets import ConfigurationError, resolve_secret_key
from backlot.core.security import TokenSigner
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.core.storage import build_object_store
from backlot.core.storage.local import LocalObjectStore
from backlot.dubbing.attempts import router as attempts_router
from backlot.dubbing.mypage import router as mypage_router
from backlot.dubbing.router import scripts_router, tokens_router
from backlot.dubbing.runtime import DubbingRuntime
from backlot.labeling.events import LabelingEvents
from backlot.labeling.journal import LockJournal
from backlot.labeling.models import LabelingProject
from backlot.labeling.realtime import LabelingSockets
from backlot.labeling.router import router as labeling_router
from backlot.labeling.tasks import AUDIT_PRUNE_INTERVAL_SECONDS, LabelingRuntime, prune_lock_audit
from backlot.ops import router as ops_router
from backlot.videos.deps import VideosRuntime
from backlot.videos.router import router as videos_router
from backlot.videos.router import view_logs_router
from backlot.videos.service import purge_deleted_videos
from backlot.web.pages import install_pages
from backlot.workspace.router import router as workspace_router
from backlot.workspace.router import socket_router as workspace_socket_router
from backlot.workspace.runtime import WorkspaceRuntime
from backlot.workspace.snapshots import thin_snapshots

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("backlot")

TAGS = [
    {"name": "auth", "description": "Sign in with a password or Google; rotate and revoke tokens."},
    {"name": "users", "description": "Users of a corporation, and yourself."},
    {"name": "corporations", "description": "Tenants and their plans."},
    {"name": "labeling", "description": "Projects of files and exclusive file locks."},
    {"name": "workspace", "description": "Rooms of the live block workspace and their history."},
    {"name": "dubbing", "description": "Scripts, lines and their reference audio; attempts."},
    {"name": "ops", "description": "Health, readiness and metrics."},
]


def _build_redis(settings: Settings) -> Redis | None:
    if settings.redis_url is None:
        return None
    try:
        from redis.asyncio import Redis
    except ImportError as exc:  # pragma: no cover - redis is a dependency
        raise ConfigurationError("BACKLOT_REDIS_URL is set but redis-py is missing") from exc
    return Redis.from_url(settings.redis_url)


async def build_state(settings: Settings, clock: Clock) -> AppState:
    secret = resolve_secret_key(settings)
    engine = build_engine(settings.database_url, pool_size=settings.db_pool_size)
    missing = head_revisions() - await current_revisions(engine)
    if missing:
        await engine.dispose()
        raise ConfigurationError(
            f"The database schema is not at the latest revision (missing {sorted(missing)}); "
            "run `backlot db upgrade` (`backlot serve` does it unless BACKLOT_AUTO_MIGRATE=false)."
        )
    id_tokens = None
    if settings.google_client_id:
        id_tokens = IdTokenVerifier(
            settings.google_jwks_url, settings.google_issuers, settings.google_client_id
        )
    redis = _build_redis(settings)
    return AppState(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=build_sessionmaker(engine),
        signer=TokenSigner(secret, settings.jwt_issuer, clock),
        id_tokens=id_tokens,
        redis=redis,
        locks=build_lock_store(redis, clock, prefix=settings.redis_prefix),
        bus=build_bus(redis, prefix=settings.redis_prefix, window=settings.event_window),
        kv=build_kv_cache(redis, clock, prefix=settings.redis_prefix),
        storage=build_object_store(settings),
        mailer=build_mailer(
            settings.smtp_url.get_secret_value() if settings.smtp_url else None,
            settings.mail_from,
            settings.var_dir,
        ),
        rate_limiter=build_rate_limiter(settings.redis_url, settings.redis_prefix),
    )


def closing(state: AppState) -> list[Coroutine[Any, Any, object]]:
    """The steps that release what `build_state` opened, in order."""
    return [
        state.mailer.close(),
        state.bus.close(),
        state.locks.close(),
        state.storage.close(),
        *([state.redis.aclose()] if state.redis is not None else []),
        state.engine.dispose(),
    ]


async def shut_down(*steps: Coroutine[Any, Any, object]) -> None:
    # Each step bounded: a stuck connection must not keep the process from exiting.
    for step in steps:
        try:
            await asyncio.wait_for(step, timeout=2)
        except Exception:  # keep shutting down whatever one step does
            log.warning("a shutdown step did not finish cleanly", exc_info=True)


# Multipart framing around an uploaded file: boundaries, part headers, small fields.
MULTIPART_OVERHEAD = 64 * 1024


def upload_limits(settings: Settings) -> list[tuple[re.Pattern[str], int]]:
    """Body limits of the upload routes: their file limit plus the multipart framing."""
    return [
        (
            re.compile(r"/v1/labeling/projects/\d+/files/upload"),
            settings.labeling_max_image_bytes + MULTIPART_OVERHEAD,
        ),
        (re.compile(r"/v1/videos"), settings.video_max_upload_bytes + MULTIPART_OVERHEAD),
        (
            re.compile(r"/v1/tokens/\d+/(audio|upload-audio)"),
            settings.dubbing_max_upload_bytes + MULTIPART_OVERHEAD,
        ),
    ]


async def start_temp_sweeper(state: AppState) -> BackgroundLoops:
    """Sweep partial uploads of a local object store now, then every interval."""
    loops = BackgroundLoops()
    storage, settings = state.storage, state.settings
    if isinstance(storage, LocalObjectStore):
        max_age = timedelta(seconds=settings.upload_temp_max_age_seconds)

        async def sweep() -> None:
            await storage.sweep_partial_uploads(max_age, state.clock.now())

        await sweep()
        loops.repeat(
            "storage.sweep_partial_uploads",
            sweep,
            lambda: settings.upload_temp_sweep_interval_seconds,
        )
    return loops


def create_asgi_app(settings: Settings | None = None, clock: Clock | None = None) -> ASGIApp:
    """What `backlot serve` runs: Socket.IO at /socket.io/, everything else to FastAPI."""
    app = create_app(settings, clock)
    asgi: ASGIApp = socketio.ASGIApp(app.state.sio, other_asgi_app=app, socketio_path="socket.io")
    # Socket.IO's own answers get the headers too (FastAPI's already have them).
    return SecurityHeadersMiddleware(asgi, hsts=app.state.hsts)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await build_state(settings, clock)
        app.state.backlot = state
        app.state.principals = principal_cache(settings.auth_cache_seconds)
        session_listener = asyncio.create_task(
            forget_ended_sessions(state.bus, app.state.principals), name="sessions.forget"
        )
        events = LabelingEvents(state.bus)
        events.attach(sio.emit)
        journal = LockJournal(state.sessionmaker, clock, events)
        presence = build_lock_store(state.redis, clock, prefix=f"{settings.redis_prefix}presence:")
        projects = RowCache[int](LabelingProject, settings.auth_cache_seconds)
        labeling = LabelingRuntime(journal, presence, projects)
        app.state.labeling = labeling
        sockets = LabelingSockets(sio, app, journal, presence)
        sockets.start()
        labeling.start(state)
        workspace = WorkspaceRuntime.build(state)
        app.state.workspace = workspace
        workspace.start(state)
        dubbing = DubbingRuntime(state)
        state.runtimes.add(dubbing)
        await dubbing.start()
        videos = VideosRuntime()
        app.state.videos = videos
        scheduler = Scheduler(state.sessionmaker, clock)
        scheduler.add(
            "plans.downgrade_lapsed",
            settings.plan_check_interval_seconds,
            downgrade_lapsed_plans,
        )
        for job in dubbing.scheduled_jobs():
            scheduler.add(job.name, job.every_seconds, job.run)
        scheduler.add(
            "workspace.thin_snapshots",
            settings.workspace_retention_interval_seconds,
            partial(thin_snapshots, settings=settings),
        )
        scheduler.add(
            "videos.purge_deleted",
            settings.video_purge_interval_seconds,
            partial(
                purge_deleted_videos,
                store=state.storage,
                retention_days=settings.video_deleted_retention_days,
            ),
        )
        scheduler.add(
            "labeling.prune_lock_audit",
            AUDIT_PRUNE_INTERVAL_SECONDS,
            partial(
                prune_lock_audit,
                retention=timedelta(days=settings.labeling_audit_retention_days),
            ),
        )
        scheduler.start()
        sweeper = await start_temp_sweeper(state)
        log.info("backlot %s up in the %s shape", __version__, settings.shape.value)
        try:
            yield
        finally:
            session_listener.cancel()
            await shut_down(
                sweeper.stop(),
                scheduler.stop(),
                sockets.stop(),
                labeling.stop(),
                workspace.stop(),
                dubbing.stop(),
                videos.close(),
                presence.close(),
                *closing(state),
            )

    app = FastAPI(
        title="Backlot",
        version=__version__,
        description="Labeling locks, block workspace, video library and dubbing practice.",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    install_token_redaction()
    app.state.http_metrics = HttpMetrics()
    app.state.hsts = settings.public_url.lower().startswith("https://")
    sio = build_socketio(settings)
    app.state.sio = sio
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_request_bytes,
        overrides=upload_limits(settings),
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=app.state.hsts)
    app.add_middleware(MetricsMiddleware, metrics=app.state.http_metrics)
    # Routers are matched in this order, route by route: the hottest (labeling locks) first.
    for router in (
        labeling_router,
        workspace_socket_router,
        workspace_router,
        videos_router,
        view_logs_router,
        scripts_router,
        attempts_router,
        tokens_router,
        mypage_router,
        ops_router,
        auth_router,
        users_router,
        corporations_router,
    ):
        app.include_router(router)
    install_pages(app)
    return app
