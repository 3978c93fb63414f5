"""INIT_STATE: what a socket is told once it has its seat, and when room events start to
follow it."""

from __future__ import annotations

from typing import Any

from backlot.core.db import unit_of_work
from backlot.workspace import service
from backlot.workspace.commits import latest_snapshot
from backlot.workspace.models import WorkspaceRoom
from backlot.workspace.peer import Peer
from backlot.workspace.protocol import encode
from backlot.workspace.runtime import lock_update


async def welcome(peer: Peer) -> None:
    """INIT_STATE (after the missed events, when resuming). The seq is read before
    the state, so the state holds at least every event up to it; newer events follow
    and clients apply them idempotently (commits by version, locks by token)."""
    state, room = peer.state, peer.room
    seq = await state.bus.last_seq(peer.channel)
    missed = None
    if peer.since is not None:
        missed = await state.bus.since(peer.channel, peer.since)
    users = await peer.runtime.presence.users(peer.room_id)
    locks = {
        lock.resource: {k: v for k, v in lock_update(lock).items() if k != "blockId"}
        for lock in await peer.runtime.locks.holders(peer.room_id)
    }
    async with unit_of_work(state.sessionmaker) as session:
        fresh = await session.get(WorkspaceRoom, room.id)
        version = fresh.version if fresh is not None else room.version
    payload: dict[str, Any] = {
        "clientId": peer.client_id,
        "nickname": peer.nickname,
        "color": peer.info["color"],
        "room": {
            "roomId": room.room_id,
            "title": room.title,
            "maxUsers": room.max_users,
            "visibility": room.visibility,
        },
        "readOnly": not service.may_edit(room, peer.requester),
        "users": users,
        "locks": locks,
        "version": version,
        "seq": seq,
    }
    first = []
    if missed is not None:
        first = [
            encode(event.type, {**event.data, "seq": event.seq})
            for event in missed
            if event.seq <= seq
        ]
        payload["resumed"] = True
    else:
        snapshot = await latest_snapshot(state, peer.room_id, room.id)
        payload["workspaceXml"] = snapshot[1] if snapshot else None
        payload["snapshotVersion"] = snapshot[0] if snapshot else None
        payload["resumed"] = False
    peer.sender.outbox.open(seq, [*first, encode("INIT_STATE", payload)])
