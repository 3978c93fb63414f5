"""Applying a commit: number it, store its snapshot, announce it, in one order everywhere.

The database numbers commits (`next_version`), so no two get the same version even from
two processes. Announcing in that same order needs more: a commit must not reach the bus
before the one numbered just below it. So a room's commits take turns, first within the
process (an asyncio lock, fair and free) and then across processes (a lease in a lock
store of their own, shared through Redis in the scaled shape); a turn covers the
transaction and the publish.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from backlot.core.bus import Event
from backlot.core.db import unit_of_work
from backlot.core.locks import Grant, LockStore
from backlot.core.state import AppState
from backlot.workspace import service
from backlot.workspace.hub import room_channel
from backlot.workspace.snapshots import store_snapshot, xml_of

# Longer than any commit's transaction and publish; a lease outliving a crashed holder
# only delays the room's next commit this long.
LEASE_TTL = timedelta(seconds=10)
SNAPSHOT_CACHE_TTL = timedelta(hours=1)


def snapshot_key(room_id: str) -> str:
    return f"workspace:snapshot:{room_id}"


class CommitTurns:
    def __init__(self, leases: LockStore) -> None:
        self._leases = leases
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}  # room -> (lock, users)
        self._holder = uuid.uuid4().hex  # this process, as the lease owner

    @asynccontextmanager
    async def turn(self, room_id: str) -> AsyncIterator[None]:
        lock, users = self._local.get(room_id, (asyncio.Lock(), 0))
        self._local[room_id] = (lock, users + 1)
        try:
            async with lock:
                await self._lease(room_id)
                try:
                    yield
                finally:
                    await self._leases.release(room_id, "commit", self._holder)
        finally:
            lock, users = self._local[room_id]
            if users == 1:
                del self._local[room_id]
            else:
                self._local[room_id] = (lock, users - 1)

    async def _lease(self, room_id: str) -> None:
        delay = 0.001
        while not isinstance(
            await self._leases.acquire(room_id, "commit", self._holder, LEASE_TTL), Grant
        ):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)


@dataclass(frozen=True)
class Author:
    client_id: str | None  # None: a REST restore, not a socket
    nickname: str
    user_id: int | None


async def apply_commit(
    state: AppState,
    turns: CommitTurns,
    *,
    room_id: str,
    room_pk: int,
    author: Author,
    block_id: str | None,
    events: list[Any],
    xml: str | None,
    restored_from: int | None = None,
) -> Event:
    """Commit durably, then announce COMMIT_APPLY; returns the announced event. Over the
    room's snapshot quota it raises `quota_exceeded` and nothing is stored or announced."""
    async with turns.turn(room_id):
        stored = False
        async with unit_of_work(state.sessionmaker) as session:
            version = await service.next_version(session, room_pk)
            if xml is not None:
                stored = await store_snapshot(
                    session,
                    room_pk,
                    version,
                    xml,
                    author.nickname,
                    author.user_id,
                    quota=state.settings.workspace_room_snapshot_quota_bytes,
                    restored_from=restored_from,
                )
        if stored:
            cached = json.dumps({"version": version, "xml": xml})
            await state.kv.set(snapshot_key(room_id), cached, SNAPSHOT_CACHE_TTL)
        payload: dict[str, Any] = {
            "blockId": block_id,
            "events": events,
            "by": author.client_id,
            "nickname": author.nickname,
            "version": version,
        }
        if restored_from is not None:
            # A restore replaces the whole workspace: clients load it rather than replay.
            payload |= {"workspaceXml": xml, "restoredFrom": restored_from}
        return await state.bus.publish(room_channel(room_id), "COMMIT_APPLY", payload)


async def latest_snapshot(state: AppState, room_id: str, room_pk: int) -> tuple[int, str] | None:
    """(version, xml) of the room's latest snapshot: the cache, else the database."""
    key = snapshot_key(room_id)
    cached = await state.kv.get(key)
    if cached is not None:
        data = json.loads(cached)
        return int(data["version"]), str(data["xml"])
    async with unit_of_work(state.sessionmaker) as session:
        snapshot = await service.latest_snapshot(session, room_pk)
    if snapshot is None:
        return None
    # `add`, not `set`: a commit that wrote a newer snapshot meanwhile keeps its entry.
    xml = xml_of(snapshot)
    value = json.dumps({"version": snapshot.version, "xml": xml})
    await state.kv.add(key, value, SNAPSHOT_CACHE_TTL)
    return snapshot.version, xml
