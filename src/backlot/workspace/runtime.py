"""What the workspace app keeps running in each process: its lock stores (block locks,
presence, commit turns; each its own keyspace of the one lock store engine), the room
hub, the sweeper that announces lapsed locks and vanished users exactly once, and the
listener that closes the sockets of users whose sessions ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from backlot.accounts.principal import Principal
from backlot.accounts.runtime import AccountsRuntime
from backlot.core.apps import AppHost, ScheduledJob
from backlot.core.background import BackgroundLoops, shut_down
from backlot.core.cache import RowCache
from backlot.core.locks import Lock, LockStore, build_lock_store
from backlot.core.presence import Presence
from backlot.workspace.closing import RoomSockets
from backlot.workspace.commits import CommitTurns
from backlot.workspace.hub import room_channel, room_hub
from backlot.workspace.presence import RoomPresence
from backlot.workspace.signed_in import SignedInSockets
from backlot.workspace.snapshots import thin_snapshots


def epoch_ms(lock: Lock) -> int:
    return int(lock.expires_at.timestamp() * 1000)


def lock_update(lock: Lock) -> dict[str, Any]:
    return {
        "blockId": lock.resource,
        "owner": lock.owner,
        "nickname": lock.info.get("nickname"),
        "token": lock.token,
        "expiresAt": epoch_ms(lock),
    }


def lock_cleared(lock: Lock, reason: str) -> dict[str, Any]:
    # The released token lets clients ignore this when a newer grant reached them first.
    return {"blockId": lock.resource, "owner": None, "token": lock.token, "reason": reason}


class WorkspaceRuntime:
    def __init__(self, host: AppHost) -> None:
        state = self.state = host.state
        settings, prefix = state.settings, state.settings.redis_prefix
        idle = settings.workspace_idle_timeout_seconds
        # A live socket renews its seat well within this; only a dead process's lapse.
        seat_ttl = timedelta(seconds=idle + max(5.0, idle / 2))

        def store(keyspace: str) -> LockStore:
            return build_lock_store(state.redis, state.clock, prefix=f"{prefix}{keyspace}:")

        self.locks = store("workspace")
        self.presence = RoomPresence(
            seats=Presence(store("workspace-seat"), seat_ttl),
            holders=Presence(store("workspace-holder"), seat_ttl),
        )
        self.leases = store("workspace-turn")
        self.turns = CommitTurns(self.leases)
        self.hub = room_hub(state.bus)
        self.signed_in = SignedInSockets()
        self.rooms = RoomSockets()
        self.loops = BackgroundLoops()

    @property
    def principals(self) -> RowCache[Principal]:
        return self.state.runtimes.get(AccountsRuntime).principals

    def scheduled_jobs(self) -> Sequence[ScheduledJob]:
        settings = self.state.settings
        return [
            ScheduledJob(
                "workspace.thin_snapshots",
                settings.workspace_retention_interval_seconds,
                partial(thin_snapshots, settings=settings),
            )
        ]

    async def announce_cleared(self, room_id: str, locks: list[Lock], reason: str) -> None:
        for lock in locks:
            await self.state.bus.publish(
                room_channel(room_id), "LOCK_UPDATE", lock_cleared(lock, reason)
            )

    async def depart(self, room_id: str, client_id: str, nickname: str, reason: str) -> None:
        """A client is gone: free its locks, then say so (each announced once)."""
        released = await self.locks.release_owner(room_id, client_id)
        await self.announce_cleared(room_id, released.expired, "expired")
        await self.announce_cleared(room_id, released.released, reason)
        await self.state.bus.publish(
            room_channel(room_id),
            "USER_LEFT",
            {"clientId": client_id, "nickname": nickname, "reason": reason},
        )

    async def sweep_once(self) -> None:
        for lock in await self.locks.sweep():
            await self.announce_cleared(lock.scope, [lock], "expired")
        for seat in await self.presence.sweep():
            nickname = str(seat.info.get("nickname", ""))
            await self.depart(seat.scope, seat.resource, nickname, "timeout")
        await self.leases.sweep()

    async def start(self) -> None:
        self.loops.repeat(
            "workspace sweep",
            self.sweep_once,
            lambda: self.state.settings.lock_sweep_interval_seconds,
        )
        # Runs until stopped; restarted a second later if the bus fails under it.
        self.loops.repeat(
            "workspace session ends",
            partial(self.signed_in.listen, self.state.bus),
            lambda: 1.0,
        )
        self.loops.repeat(
            "workspace room deletions", partial(self.rooms.listen, self.state.bus), lambda: 1.0
        )

    async def stop(self) -> None:
        await shut_down(
            self.turns.close(),
            self.loops.stop(),
            self.hub.close(),
            self.presence.close(),
            self.locks.close(),
            self.leases.close(),
        )
