"""What the lifespan builds once and every request reads: the app's typed state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from backlot.core.bus import EventBus
from backlot.core.clock import Clock
from backlot.core.kv import KeyValueCache
from backlot.core.locks import LockStore
from backlot.core.mail import Mailer
from backlot.core.oidc import IdTokenVerifier
from backlot.core.ratelimit import RateLimiter
from backlot.core.security import TokenSigner
from backlot.core.storage import ObjectStore
from backlot.core.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass
class AppState:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    signer: TokenSigner
    id_tokens: IdTokenVerifier | None
    redis: Redis | None
    locks: LockStore
    bus: EventBus
    kv: KeyValueCache
    storage: ObjectStore
    mailer: Mailer
    rate_limiter: RateLimiter


def app_state(connection: HTTPConnection) -> AppState:
    state: AppState = connection.app.state.backlot
    return state
