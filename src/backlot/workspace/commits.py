"""Applying commits: number them, store their snapshots, announce them, in one order
everywhere, written together (group commit).

The database numbers commits (the room's `version` column), so no two get the same
version even from two processes. Announcing in that same order needs more: a commit must
not reach the bus before the one numbered just below it. So a room's commits are written
by one writer per process (a task that lives while the room has commits waiting), and
writers of different processes take turns through a lease in a lock store of their own
(shared through Redis in the scaled shape); a turn covers the transaction and the
publishes.

Group commit: the commits that arrive while a room's transaction runs wait for the next
one and are written together, each with its own version and its own snapshot row, in
the order they arrived. Each is announced only after that transaction committed, so
every announced commit is durable, and in version order.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from backlot.core.bus import Event
from backlot.core.db import unit_of_work
from backlot.core.locks import Grant, LockStore
from backlot.core.state import AppState
from backlot.workspace import service
from backlot.workspace.hub import room_channel
from backlot.workspace.snapshots import Packed, StoredBatch, pack, store_batch, xml_of

log = logging.getLogger("backlot.workspace")

# Longer than any batch's transaction and publishes; a lease outliving a crashed holder
# only delays the room's next commit this long.
LEASE_TTL = timedelta(seconds=10)
SNAPSHOT_CACHE_TTL = timedelta(hours=1)
# Commits written in one transaction at most; the rest wait for the next.
MAX_BATCH = 100


def snapshot_key(room_id: str) -> str:
    return f"workspace:snapshot:{room_id}"


@dataclass(frozen=True)
class Author:
    client_id: str | None  # None: a REST restore, not a socket
    nickname: str
    user_id: int | None


@dataclass(eq=False)
class PendingCommit:
    """One commit waiting for its room's writer; `done` gets its announced event, or the
    reason it was not stored (`quota_exceeded`, a database error)."""

    room_pk: int
    author: Author
    block_id: str | None
    events: list[Any]
    xml: str | None
    restored_from: int | None
    packed: Packed | None  # the snapshot, compressed and hashed before the turn
    done: asyncio.Future[Event] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass(eq=False)
class _Room:
    pending: list[PendingCommit] = field(default_factory=list)
    writer: asyncio.Task[None] | None = None


class CommitTurns:
    """This process's commit writers, one per room with commits waiting."""

    def __init__(self, leases: LockStore, max_batch: int = MAX_BATCH) -> None:
        self._leases = leases
        self._max_batch = max_batch
        self._rooms: dict[str, _Room] = {}
        self._holder = uuid.uuid4().hex  # this process, as the lease owner

    async def submit(self, state: AppState, room_id: str, commit: PendingCommit) -> Event:
        """Queue `commit` for the room's next transaction; its event once announced."""
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = _Room()
        room.pending.append(commit)
        if room.writer is None:
            room.writer = asyncio.create_task(
                self._write(state, room_id, room), name=f"workspace-commits-{room_id}"
            )
        # Shielded: a socket that goes away does not take its commit back mid-write.
        return await asyncio.shield(commit.done)

    def _next_batch(self, room: _Room) -> list[PendingCommit]:
        """The oldest commits, up to the limit, all of one room row (a room deleted and
        made again under the same id is another row)."""
        first = room.pending[0].room_pk
        size = 0
        for commit in room.pending[: self._max_batch]:
            if commit.room_pk != first:
                break
            size += 1
        batch, room.pending = room.pending[:size], room.pending[size:]
        return batch

    async def _write(self, state: AppState, room_id: str, room: _Room) -> None:
        batch: list[PendingCommit] = []
        try:
            while room.pending:
                batch = self._next_batch(room)
                try:
                    await self._lease(room_id)
                    try:
                        await write_batch(state, room_id, batch)
                    finally:
                        await self._leases.release(room_id, "commit", self._holder)
                except Exception as exc:
                    _fail(batch, exc)
                batch = []
        finally:
            # Nothing awaits between the last look at `pending` and here.
            _fail(batch + room.pending, asyncio.CancelledError())
            room.pending = []
            if self._rooms.get(room_id) is room:
                del self._rooms[room_id]

    async def _lease(self, room_id: str) -> None:
        delay = 0.001
        while not isinstance(
            await self._leases.acquire(room_id, "commit", self._holder, LEASE_TTL), Grant
        ):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.002)

    async def close(self) -> None:
        """Let the writers finish what they hold (the caller bounds the wait)."""
        writers = [room.writer for room in self._rooms.values() if room.writer is not None]
        if writers:
            await asyncio.gather(*writers, return_exceptions=True)


def _fail(commits: list[PendingCommit], exc: BaseException) -> None:
    for commit in commits:
        if not commit.done.done():
            if isinstance(exc, asyncio.CancelledError):
                commit.done.cancel()
            else:
                commit.done.set_exception(exc)


def _payload(commit: PendingCommit, version: int) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "blockId": commit.block_id,
        "events": commit.events,
        "by": commit.author.client_id,
        "nickname": commit.author.nickname,
        "version": version,
    }
    if commit.restored_from is not None:
        # A restore replaces the whole workspace: clients load it rather than replay.
        payload |= {"workspaceXml": commit.xml, "restoredFrom": commit.restored_from}
    return payload


async def write_batch(state: AppState, room_id: str, batch: list[PendingCommit]) -> None:
    """One transaction for the batch, then each stored commit announced in version order.
    Called within the room's turn."""
    quota = state.settings.workspace_room_snapshot_quota_bytes
    async with unit_of_work(state.sessionmaker) as session:
        stored = await store_batch(
            session,
            batch[0].room_pk,
            [(c.packed, c.author.nickname, c.author.user_id, c.restored_from) for c in batch],
            quota=quota,
        )
    cached = _latest_stored(batch, stored)
    if cached is not None:
        await state.kv.set(snapshot_key(room_id), cached, SNAPSHOT_CACHE_TTL)
    channel = room_channel(room_id)
    for commit, outcome in zip(batch, stored.outcomes, strict=True):
        if isinstance(outcome, Exception):
            _fail([commit], outcome)
            continue
        event = await state.bus.publish(channel, "COMMIT_APPLY", _payload(commit, outcome))
        if not commit.done.done():
            commit.done.set_result(event)


def _latest_stored(batch: list[PendingCommit], stored: StoredBatch) -> str | None:
    """The cache entry for the batch's newest stored snapshot, if it stored any."""
    if stored.latest is None:
        return None
    index, version = stored.latest
    xml = batch[index].xml
    return orjson.dumps({"version": version, "xml": xml}).decode()


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
    commit = PendingCommit(
        room_pk=room_pk,
        author=author,
        block_id=block_id,
        events=events,
        xml=xml,
        restored_from=restored_from,
        packed=pack(xml) if xml is not None else None,
    )
    return await turns.submit(state, room_id, commit)


async def latest_snapshot(state: AppState, room_id: str, room_pk: int) -> tuple[int, str] | None:
    """(version, xml) of the room's latest snapshot: the cache, else the database."""
    key = snapshot_key(room_id)
    cached = await state.kv.get(key)
    if cached is not None:
        data = orjson.loads(cached)
        return int(data["version"]), str(data["xml"])
    async with unit_of_work(state.sessionmaker) as session:
        snapshot = await service.latest_snapshot(session, room_pk)
    if snapshot is None:
        return None
    # `add`, not `set`: a commit that wrote a newer snapshot meanwhile keeps its entry.
    xml = xml_of(snapshot)
    value = orjson.dumps({"version": snapshot.version, "xml": xml}).decode()
    await state.kv.add(key, value, SNAPSHOT_CACHE_TTL)
    return snapshot.version, xml
