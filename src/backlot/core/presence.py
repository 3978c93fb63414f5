"""Who is connected where, shared by every process: one entry per connection.

An entry is a lock (in a keyspace of its own of the lock store) on the connection's id,
owned by the member it counts against: a user, a client address, or one owner for the
whole scope when the scope itself has a capacity. The store's per-owner limit is then the
member's limit, checked and taken in one atomic step, so two connections racing for the
last place cannot both get it. An entry lapses `ttl` after its last renewal: those of a
process that died are swept, each handed to exactly one sweeper.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backlot.core.locks import Denial, Lock, LockStore, ReleaseOutcome


class Presence:
    def __init__(self, store: LockStore, ttl: timedelta) -> None:
        self.store, self.ttl = store, ttl

    async def enter(
        self,
        scope: str,
        connection: str,
        member: str,
        *,
        info: dict[str, Any] | None = None,
        limit: int | None = None,
    ) -> bool:
        """Add the connection; False when `member` has `limit` connections here already."""
        result = await self.store.acquire(
            scope, connection, member, self.ttl, max_per_owner=limit, info=info
        )
        return not isinstance(result, Denial)

    async def touch(
        self, scope: str, connection: str, member: str, *, info: dict[str, Any] | None = None
    ) -> None:
        """Renew one connection's entry, whatever the limit: the place is its own already
        (or it lapsed unnoticed, and the connection is alive after all)."""
        await self.store.acquire(scope, connection, member, self.ttl, info=info)

    async def renew(self, scope: str, member: str) -> None:
        """Renew the entries of every connection of `member` in the scope."""
        await self.store.renew(scope, member, self.ttl)

    async def leave(self, scope: str, connection: str, member: str) -> bool:
        """Remove the entry; False when a sweeper took it (and reported it) first."""
        left = await self.store.release(scope, connection, member)
        return left.outcome in (ReleaseOutcome.released, ReleaseOutcome.expired)

    async def entries(self, scope: str) -> list[Lock]:
        """The live connections of the scope."""
        return await self.store.holders(scope)

    async def is_present(self, scope: str, member: str) -> bool:
        """Whether `member` has a live connection in the scope, on any process."""
        return any(entry.owner == member for entry in await self.entries(scope))

    async def sweep(self) -> list[Lock]:
        """Remove lapsed entries of every scope; each is returned by exactly one call."""
        return await self.store.sweep()

    async def close(self) -> None:
        await self.store.close()
