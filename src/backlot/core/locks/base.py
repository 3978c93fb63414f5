"""The lock store port: exclusive, expiring locks on resources within a scope.

One engine under labeling (scope = project, resource = file name) and workspace
(scope = room, resource = block id). Every operation is atomic. Time comes from the
caller's injectable clock, so expiry is testable without sleeping.

Expiry produces release events exactly once: whoever removes a lapsed lock (the sweeper,
or an operation that finds it lapsed on its way) reports it in `expired`, and nobody else
can report it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from backlot.core.hashtag import check_tag


def check_scope(scope: str) -> str:
    return check_tag(scope, "lock scope")


@dataclass(frozen=True)
class Lock:
    scope: str
    resource: str
    owner: str
    # fencing token: strictly increases per scope (one counter for all its resources),
    # across owners, releases and expiries
    token: int
    expires_at: datetime
    info: dict[str, Any] = field(default_factory=dict)

    def remaining(self, now: datetime) -> timedelta:
        return max(self.expires_at - now, timedelta(0))


class DenialReason(StrEnum):
    held = "held"  # another owner holds this resource
    owner_limit = "owner_limit"  # the owner already holds as many locks as allowed


@dataclass(frozen=True)
class Grant:
    lock: Lock
    renewed: bool = False  # the owner already held it: same token, later expiry
    expired: list[Lock] = field(default_factory=list)  # lapsed locks this call removed
    switched: list[Lock] = field(default_factory=list)  # released to make room (switch)


@dataclass(frozen=True)
class Denial:
    reason: DenialReason
    holder: Lock  # who holds the resource (held), or the lock held already (owner_limit)
    expired: list[Lock] = field(default_factory=list)


class ReleaseOutcome(StrEnum):
    released = "released"
    not_locked = "not_locked"
    not_owner = "not_owner"
    stale_token = "stale_token"  # noqa: S105 - an outcome, not a secret
    expired = "expired"  # it had lapsed: removed now, reported as expired


@dataclass(frozen=True)
class Release:
    outcome: ReleaseOutcome
    lock: Lock | None = None  # the lock removed, or the one still standing


@dataclass(frozen=True)
class Renewal:
    renewed: list[Lock]
    expired: list[Lock]


@dataclass(frozen=True)
class OwnerRelease:
    released: list[Lock]
    expired: list[Lock]


class LockStore(Protocol):
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
        """Take the lock, or renew it when `owner` holds it already (keeping its token).

        With `max_per_owner`, an owner holding that many locks in the scope is denied
        (`owner_limit`) unless `switch`, which releases them in the same atomic step.
        """
        ...

    async def renew(self, scope: str, owner: str, ttl: timedelta) -> Renewal:
        """Extend every lock `owner` holds in `scope` to now + ttl."""
        ...

    async def release(
        self, scope: str, resource: str, owner: str, token: int | None = None
    ) -> Release:
        """Release if `owner` holds it (and `token`, when given, is the current one)."""
        ...

    async def force_release(self, scope: str, resource: str) -> Release:
        """Release whoever holds it, and bump the fencing token past the old holder's."""
        ...

    async def release_owner(self, scope: str, owner: str) -> OwnerRelease:
        """Release every lock `owner` holds in `scope`."""
        ...

    async def holders(self, scope: str) -> list[Lock]:
        """Every live lock of the scope, by resource."""
        ...

    async def get(self, scope: str, resource: str) -> Lock | None:
        """The live lock on one resource, if any."""
        ...

    async def sweep(self, limit: int = 1000) -> list[Lock]:
        """Remove lapsed locks of every scope; each one is returned by exactly one call."""
        ...

    async def close(self) -> None: ...
