"""Who is in a room, shared by every process: one entry per socket in a lock store.

Each entry is a lock on the socket's client id held by the room's `online` owner, so the
store's per-owner limit is the room's `max_users`, checked and taken in one atomic step:
two people racing for the last seat cannot both get it. Entries of a process that died
lapse after `ttl` and the sweeper announces those users as gone.

A second store holds the same seats by who took them (a client address for anonymous
visitors, the user when signed in), so one client cannot take every seat of a room.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
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


class Seating(StrEnum):
    seated = "seated"
    room_full = "room_full"
    too_many_seats = "too_many_seats"  # this client holds its share of the room already


class Presence:
    def __init__(self, store: LockStore, holders: LockStore, ttl: timedelta) -> None:
        self.store, self.holders, self.ttl = store, holders, ttl

    async def enter(
        self,
        room_id: str,
        client_id: str,
        info: dict[str, Any],
        max_users: int,
        holder: str,
        max_per_holder: int,
    ) -> Seating:
        """Take a seat for `holder` (who connects), within both limits."""
        mine = await self.holders.acquire(
            room_id, client_id, holder, self.ttl, max_per_owner=max_per_holder
        )
        if isinstance(mine, Denial):
            return Seating.too_many_seats
        result = await self.store.acquire(
            room_id, client_id, ONLINE, self.ttl, max_per_owner=max_users, info=info
        )
        if isinstance(result, Denial):
            await self.holders.release(room_id, client_id, holder)
            return Seating.room_full
        return Seating.seated

    async def touch(self, room_id: str, client_id: str, info: dict[str, Any], holder: str) -> None:
        # The seat is ours already, so this renews it whatever the limit.
        await self.store.acquire(room_id, client_id, ONLINE, self.ttl, info=info)
        await self.holders.acquire(room_id, client_id, holder, self.ttl)

    async def leave(self, room_id: str, client_id: str, holder: str) -> bool:
        """Give the seat up; False when the sweeper took it (and announced it) first."""
        await self.holders.release(room_id, client_id, holder)
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
        await self.holders.sweep()  # lapsed with their seats; nothing to announce
        return await self.store.sweep()
