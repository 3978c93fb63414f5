"""Who is in a room, shared by every process: one entry per socket in a lock store.

Each entry is a lock on the socket's client id held by the room's `online` owner, so the
store's per-owner limit is the room's `max_users`, checked and taken in one atomic step:
two people racing for the last seat cannot both get it. Entries of a process that died
lapse after `ttl` and the sweeper announces those users as gone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backlot.core.locks import Denial, Lock, LockStore, ReleaseOutcome

ONLINE = "online"

# Distinct on light and dark backgrounds; a joiner gets the one least used in the room.
COLORS = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#46a4a6",
    "#f032e6",
    "#9a6324",
    "#808000",
    "#000075",
)


class Presence:
    def __init__(self, store: LockStore, ttl: timedelta) -> None:
        self.store, self.ttl = store, ttl

    async def enter(
        self, room_id: str, client_id: str, info: dict[str, Any], max_users: int
    ) -> bool:
        """Take a seat; False when the room is full."""
        result = await self.store.acquire(
            room_id, client_id, ONLINE, self.ttl, max_per_owner=max_users, info=info
        )
        return not isinstance(result, Denial)

    async def touch(self, room_id: str, client_id: str, info: dict[str, Any]) -> None:
        # The seat is ours already, so this renews it whatever the limit.
        await self.store.acquire(room_id, client_id, ONLINE, self.ttl, info=info)

    async def leave(self, room_id: str, client_id: str) -> bool:
        """Give the seat up; False when the sweeper took it (and announced it) first."""
        left = await self.store.release(room_id, client_id, ONLINE)
        return left.outcome in (ReleaseOutcome.released, ReleaseOutcome.expired)

    def user(self, entry: Lock) -> dict[str, Any]:
        return {
            "clientId": entry.resource,
            "nickname": entry.info.get("nickname", ""),
            "color": entry.info.get("color", COLORS[0]),
            "lastSeen": int((entry.expires_at - self.ttl).timestamp() * 1000),
        }

    async def users(self, room_id: str) -> list[dict[str, Any]]:
        return [self.user(entry) for entry in await self.store.holders(room_id)]

    @staticmethod
    def color_for(users: list[dict[str, Any]]) -> str:
        used = [user["color"] for user in users]
        return min(COLORS, key=lambda color: (used.count(color), COLORS.index(color)))

    async def sweep(self) -> list[Lock]:
        return await self.store.sweep()
