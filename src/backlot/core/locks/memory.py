"""In-process lock store for the embedded shape.

Correct and atomic for one process: every operation runs without awaiting in between,
so on one event loop nothing interleaves with it. Not shared between processes (the
scaled shape uses the Redis store).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backlot.core.clock import Clock
from backlot.core.locks.base import (
    Denial,
    DenialReason,
    Grant,
    Lock,
    OwnerRelease,
    Release,
    ReleaseOutcome,
    Renewal,
    check_scope,
)


class MemoryLockStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._locks: dict[str, dict[str, Lock]] = {}  # scope -> resource -> lock
        # One counter per scope, not one per resource: the store keeps nothing for a
        # resource once its lock is gone, however many names were ever locked.
        self._fences: dict[str, int] = {}

    def _scope(self, scope: str) -> dict[str, Lock]:
        return self._locks.setdefault(check_scope(scope), {})

    def _claim_if_lapsed(self, scope: str, resource: str) -> Lock | None:
        """Remove the lock if it has lapsed, returning it (to be reported as expired)."""
        lock = self._locks.get(scope, {}).get(resource)
        if lock is not None and lock.expires_at <= self._clock.now():
            del self._locks[scope][resource]
            return lock
        return None

    def _next_token(self, scope: str) -> int:
        token = self._fences.get(scope, 0) + 1
        self._fences[scope] = token
        return token

    async def acquire(
        self,
        scope: str,
        resource: str,
        owner: str,
        ttl: timedelta,
        *,
        max_per_owner: int | None = None,
        switch: bool = False,
        info: dict[str, Any] | None = None,
    ) -> Grant | Denial:
        locks = self._scope(scope)
        now = self._clock.now()
        expired = [lock for lock in [self._claim_if_lapsed(scope, resource)] if lock]
        current = locks.get(resource)
        if current is not None:
            if current.owner != owner:
                return Denial(DenialReason.held, current, expired)
            renewed = Lock(scope, resource, owner, current.token, now + ttl, info or {})
            locks[resource] = renewed
            return Grant(renewed, renewed=True, expired=expired)
        switched: list[Lock] = []
        if max_per_owner is not None:
            held = []
            for other in sorted(r for r, lock in locks.items() if lock.owner == owner):
                lapsed = self._claim_if_lapsed(scope, other)
                if lapsed:
                    expired.append(lapsed)
                else:
                    held.append(locks[other])
            if len(held) >= max_per_owner:
                if not switch:
                    return Denial(DenialReason.owner_limit, held[0], expired)
                for lock in held[: len(held) - max_per_owner + 1]:
                    del locks[lock.resource]
                    switched.append(lock)
        lock = Lock(scope, resource, owner, self._next_token(scope), now + ttl, info or {})
        locks[resource] = lock
        return Grant(lock, expired=expired, switched=switched)

    async def renew(self, scope: str, owner: str, ttl: timedelta) -> Renewal:
        locks = self._scope(scope)
        now = self._clock.now()
        renewed, expired = [], []
        for resource in sorted(r for r, lock in locks.items() if lock.owner == owner):
            lapsed = self._claim_if_lapsed(scope, resource)
            if lapsed:
                expired.append(lapsed)
                continue
            lock = locks[resource]
            locks[resource] = Lock(scope, resource, owner, lock.token, now + ttl, lock.info)
            renewed.append(locks[resource])
        return Renewal(renewed, expired)

    async def release(
        self, scope: str, resource: str, owner: str, token: int | None = None
    ) -> Release:
        locks = self._scope(scope)
        lapsed = self._claim_if_lapsed(scope, resource)
        if lapsed:
            return Release(ReleaseOutcome.expired, lapsed)
        lock = locks.get(resource)
        if lock is None:
            return Release(ReleaseOutcome.not_locked)
        if lock.owner != owner:
            return Release(ReleaseOutcome.not_owner, lock)
        if token is not None and token != lock.token:
            return Release(ReleaseOutcome.stale_token, lock)
        del locks[resource]
        return Release(ReleaseOutcome.released, lock)

    async def force_release(self, scope: str, resource: str) -> Release:
        locks = self._scope(scope)
        lapsed = self._claim_if_lapsed(scope, resource)
        if lapsed:
            return Release(ReleaseOutcome.expired, lapsed)
        lock = locks.pop(resource, None)
        if lock is None:
            return Release(ReleaseOutcome.not_locked)
        self._next_token(scope)
        return Release(ReleaseOutcome.released, lock)

    async def release_owner(self, scope: str, owner: str) -> OwnerRelease:
        locks = self._scope(scope)
        released, expired = [], []
        for resource in sorted(r for r, lock in locks.items() if lock.owner == owner):
            lapsed = self._claim_if_lapsed(scope, resource)
            if lapsed:
                expired.append(lapsed)
            else:
                released.append(locks.pop(resource))
        return OwnerRelease(released, expired)

    async def holders(self, scope: str) -> list[Lock]:
        now = self._clock.now()
        locks = self._scope(scope)
        return [locks[r] for r in sorted(locks) if locks[r].expires_at > now]

    async def get(self, scope: str, resource: str) -> Lock | None:
        lock = self._scope(scope).get(resource)
        return lock if lock is not None and lock.expires_at > self._clock.now() else None

    async def sweep(self, limit: int = 1000) -> list[Lock]:
        expired: list[Lock] = []
        for scope in list(self._locks):
            for resource in sorted(self._locks[scope]):
                if len(expired) >= limit:
                    return expired
                lapsed = self._claim_if_lapsed(scope, resource)
                if lapsed:
                    expired.append(lapsed)
            if not self._locks[scope]:
                del self._locks[scope]
        return expired

    async def close(self) -> None:
        return None
