"""Rate limits from the `limits` library: moving windows kept in this process (embedded)
or in Redis (scaled, shared by every process), and per-connection limits for sockets.

A limit is a `limits` string such as "5/minute" or "20/second;100/minute"; the first
window a hit would overflow decides how long the caller must wait (`Retry-After`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from backlot.core.errors import ProblemError


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until a hit would be allowed (0 when allowed)


class RateLimiter:
    """Moving-window limits on keys such as ("login", "ip", "127.0.0.1")."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, limits: str | list[RateLimitItem], *key: str) -> Verdict:
        """Count one hit against every window of `limits` for `key`; refused (and not
        counted in any window) when one of them is full."""
        items = parse_many(limits) if isinstance(limits, str) else limits
        verdict = await self.test(items, *key)
        if not verdict.allowed:
            return verdict
        for item in items:
            if not await self._limiter.hit(item, *key):  # lost a race since the test
                return Verdict(False, await self._retry_after(item, key))
        return Verdict(True, 0)

    async def test(self, limits: str | list[RateLimitItem], *key: str) -> Verdict:
        """Whether a hit would be allowed now, counting nothing (to count failures only)."""
        items = parse_many(limits) if isinstance(limits, str) else limits
        for item in items:
            if not await self._limiter.test(item, *key):
                return Verdict(False, await self._retry_after(item, key))
        return Verdict(True, 0)

    async def check(self, limits: str, *key: str, code: str = "rate_limited") -> None:
        """`hit`, raising the 429 problem (with `Retry-After`) when refused."""
        verdict = await self.hit(limits, *key)
        if not verdict.allowed:
            raise too_many_requests(verdict.retry_after, code)

    async def clear(self, limits: str, *key: str) -> None:
        for item in parse_many(limits):
            await self._limiter.clear(item, *key)

    async def _retry_after(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        stats = await self._limiter.get_window_stats(item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        """Forget every window (tests; an operator lifting a lock-out)."""
        await self._storage.reset()


def too_many_requests(retry_after: int, code: str = "rate_limited") -> ProblemError:
    return ProblemError(
        429,
        code,
        f"Too many requests; try again in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


def build_rate_limiter(redis_url: str | None, prefix: str = "") -> RateLimiter:
    """Memory storage in the embedded shape; Redis (through redis-py) when scaled."""
    if redis_url is None:
        return RateLimiter(MemoryStorage())
    uri = redis_url.replace("redis://", "async+redis://", 1).replace(
        "rediss://", "async+rediss://", 1
    )
    return RateLimiter(RedisStorage(uri, implementation="redispy", key_prefix=f"{prefix}limits"))


class ConnectionLimiter:
    """One socket's message limit: at most `burst` messages in any window of
    burst/rate seconds, so `rate` per second sustained. In process memory on purpose:
    a connection lives in exactly one process."""

    def __init__(self, rate: float, burst: int, storage: MemoryStorage | None = None) -> None:
        self._item = RateLimitItemPerSecond(burst, max(1, round(burst / rate)))
        self._storage = storage or MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def take(self, key: str) -> bool:
        """Count one message of connection `key`; False when it is flooding."""
        return await self._limiter.hit(self._item, key)

    async def forget(self, key: str) -> None:
        await self._limiter.clear(self._item, key)
