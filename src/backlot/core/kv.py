"""A small key-value cache port: in-process in the embedded shape, Redis when scaled.

For derived data only (latest workspace snapshot, popular lists): the database stays the
truth, so a flushed or restarted cache is refilled from it, never a loss.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from backlot.core.clock import Clock

if TYPE_CHECKING:
    from redis.asyncio import Redis


class KeyValueCache(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None: ...

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        """Set only if the key is absent (a refill must not overwrite a newer write)."""
        ...

    async def delete(self, key: str) -> None: ...

    async def pop(self, key: str) -> str | None:
        """Get and delete in one step: of two takers (even in two processes) one wins."""
        ...


class MemoryKeyValueCache:
    def __init__(self, clock: Clock, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[str, datetime | None]] = {}

    async def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at is not None and expires_at <= self._clock.now():
            del self._entries[key]
            return None
        return value

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        if key not in self._entries and len(self._entries) >= self._max_entries:
            # A cache, not a store: dropping the oldest entry only costs a refill.
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (value, None if ttl is None else self._clock.now() + ttl)

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        if await self.get(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def pop(self, key: str) -> str | None:
        value = await self.get(key)  # no await between the read and the delete below
        self._entries.pop(key, None)
        return value


def _ms(ttl: timedelta | None) -> int | None:
    return None if ttl is None else max(1, int(ttl.total_seconds() * 1000))


class RedisKeyValueCache:
    def __init__(self, redis: Redis, prefix: str = "") -> None:
        self._redis = redis
        self._prefix = f"{prefix}kv:"

    async def get(self, key: str) -> str | None:
        value: bytes | None = await self._redis.get(self._prefix + key)  # type: ignore[assignment]
        return None if value is None else value.decode()

    async def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        await self._redis.set(self._prefix + key, value, px=_ms(ttl))

    async def add(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        return bool(await self._redis.set(self._prefix + key, value, px=_ms(ttl), nx=True))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def pop(self, key: str) -> str | None:
        value: bytes | None = await self._redis.getdel(self._prefix + key)  # type: ignore[assignment]
        return None if value is None else value.decode()


def build_kv_cache(redis: Redis | None, clock: Clock, prefix: str = "") -> KeyValueCache:
    if redis is None:
        return MemoryKeyValueCache(clock)
    return RedisKeyValueCache(redis, prefix)
