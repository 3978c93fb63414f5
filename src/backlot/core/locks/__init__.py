"""Lock store port and its backends; `build_lock_store` picks one from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backlot.core.clock import Clock
from backlot.core.locks.base import (
    Denial,
    DenialReason,
    Grant,
    Lock,
    LockStore,
    OwnerRelease,
    Release,
    ReleaseOutcome,
    Renewal,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "Denial",
    "DenialReason",
    "Grant",
    "Lock",
    "LockStore",
    "OwnerRelease",
    "Release",
    "ReleaseOutcome",
    "Renewal",
    "build_lock_store",
]


def build_lock_store(redis: Redis | None, clock: Clock, prefix: str = "") -> LockStore:
    """The Redis store when the service has Redis (scaled shape), else the in-process one."""
    match redis:
        case None:
            from backlot.core.locks.memory import MemoryLockStore

            return MemoryLockStore(clock)
        case _:
            from backlot.core.locks.redis import RedisLockStore

            return RedisLockStore(redis, clock, prefix)
