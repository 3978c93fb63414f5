"""The composition root: settings in, a wired ASGI app out."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import socketio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from backlot import __version__
from backlot.accounts.module import accounts
from backlot.core.apps import AppHost, AppModule, upload_limits
from backlot.core.background import BackgroundLoops, shut_down
from backlot.core.body_limit import BodyLimitMiddleware
from backlot.core.bus import build_bus
from backlot.core.clock import Clock, SystemClock
from backlot.core.db import build_engine, build_sessionmaker
from backlot.core.errors import install_error_handlers
from backlot.core.headers import SecurityHeadersMiddleware
from backlot.core.kv import build_kv_cache
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
from backlot.core.settings import Settings, secret_value
from backlot.core.state import AppState
from backlot.core.storage import build_object_store
from backlot.core.storage.local import LocalObjectStore
from backlot.dubbing.module import dubbing
from backlot.labeling.module import labeling
from backlot.ops import router as ops_router
from backlot.videos.module import videos
from backlot.web.api_docs import install_api_docs
from backlot.web.pages import install_pages
from backlot.workspace.module import workspace

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("backlot")

# The apps, in the order their routes are matched: the hottest (labeling locks) first.
# Runtimes are built, and started, in this order, and stopped in the reverse one.
APPS: tuple[AppModule, ...] = (labeling, workspace, videos, dubbing, accounts)

RUNTIME_STOP_SECONDS = 10.0

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
        bus=build_bus(redis, prefix=settings.redis_prefix, window=settings.event_window),
        kv=build_kv_cache(redis, clock, prefix=settings.redis_prefix),
        storage=build_object_store(
            settings.storage_url or str(settings.var_dir / "objects"),
            s3_endpoint=settings.s3_endpoint_url,
            s3_region=settings.s3_region,
            s3_access_key_id=settings.s3_access_key_id,
            s3_secret_access_key=secret_value(settings.s3_secret_access_key),
        ),
        mailer=build_mailer(
            secret_value(settings.smtp_url),
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
        state.storage.close(),
        *([state.redis.aclose()] if state.redis is not None else []),
        state.engine.dispose(),
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
    app = create_app(settings, clock, freeze_heap=True)
    asgi: ASGIApp = socketio.ASGIApp(app.state.sio, other_asgi_app=app, socketio_path="socket.io")
    # Socket.IO's own answers get the headers too (FastAPI's already have them).
    return SecurityHeadersMiddleware(asgi, hsts=app.state.hsts)


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, *, freeze_heap: bool = False
) -> FastAPI:
    """The FastAPI app. `freeze_heap` (the served process): once started, everything made
    so far (modules, routes, schemas, the apps' runtimes) is moved out of the garbage
    collector's sight (`gc.freeze`), so its full collections scan only what requests
    make, and stop pausing the process for tens of milliseconds under load."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await build_state(settings, clock)
        app.state.backlot = state
        host = AppHost(state, sio)
        runtimes = [module.build(host) for module in APPS]
        for runtime in runtimes:
            state.runtimes.add(runtime)
        scheduler = Scheduler(state.sessionmaker, clock)
        for runtime in runtimes:
            for job in runtime.scheduled_jobs():
                scheduler.add(job.name, job.every_seconds, job.run)
        for runtime in runtimes:
            await runtime.start()
        scheduler.start()
        sweeper = await start_temp_sweeper(state)
        log.info("backlot %s up in the %s shape", __version__, settings.shape.value)
        if freeze_heap:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await shut_down(sweeper.stop(), scheduler.stop())
            # Each runtime bounds its own steps (a final audit flush among them).
            await shut_down(
                *(runtime.stop() for runtime in reversed(runtimes)),
                step_seconds=RUNTIME_STOP_SECONDS,
            )
            await shut_down(*closing(state))

    app = FastAPI(
        title="Backlot",
        version=__version__,
        description="Labeling locks, block workspace, video library and dubbing practice.",
        openapi_tags=TAGS,
        lifespan=lifespan,
        # Our own /docs and /redoc (web/api_docs.py) serve Swagger UI and ReDoc offline.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    install_token_redaction()
    app.state.http_metrics = HttpMetrics()
    app.state.hsts = settings.public_url.lower().startswith("https://")
    sio = build_socketio(
        cors_origins=settings.cors_origins,
        ping_interval=settings.socket_ping_interval_seconds,
        ping_timeout=settings.socket_ping_timeout_seconds,
    )
    app.state.sio = sio
    install_error_handlers(app)
    for module in APPS:
        for router in module.routers:
            app.include_router(router)
    app.include_router(ops_router)
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
        overrides=upload_limits(
            (route for module in APPS for router in module.routers for route in router.routes),
            settings,
        ),
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=app.state.hsts)
    app.add_middleware(MetricsMiddleware, metrics=app.state.http_metrics)
    install_pages(app)
    if settings.docs_enabled:
        install_api_docs(app)
    return app
