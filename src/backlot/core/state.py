"""What the lifespan builds once and every request reads: the app's typed state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from backlot.core.bus import EventBus
from backlot.core.clock import Clock
from backlot.core.kv import KeyValueCache
from backlot.core.mail import Mailer
from backlot.core.oidc import IdTokenVerifier
from backlot.core.ratelimit import RateLimiter
from backlot.core.security import TokenSigner
from backlot.core.settings import Settings
from backlot.core.storage import ObjectStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

R = TypeVar("R")


class Runtimes:
    """The apps' runtimes of this process, looked up by their type."""

    def __init__(self) -> None:
        self._by_type: dict[type, object] = {}

    def add(self, runtime: object) -> None:
        self._by_type[type(runtime)] = runtime

    def get(self, kind: type[R]) -> R:
        runtime = self._by_type.get(kind)
        if not isinstance(runtime, kind):
            raise LookupError(f"{kind.__name__} is not running in this process")
        return runtime

    def all(self) -> list[object]:
        return list(self._by_type.values())


@dataclass
class AppState:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    signer: TokenSigner
    id_tokens: IdTokenVerifier | None
    redis: Redis | None
    bus: EventBus
    kv: KeyValueCache
    storage: ObjectStore
    mailer: Mailer
    rate_limiter: RateLimiter
    runtimes: Runtimes = field(default_factory=Runtimes)


def app_state(connection: HTTPConnection) -> AppState:
    state: AppState = connection.app.state.backlot
    return state


def runtime_of(connection: HTTPConnection, kind: type[R]) -> R:
    """The running `kind` app runtime of this connection's process."""
    return app_state(connection).runtimes.get(kind)
