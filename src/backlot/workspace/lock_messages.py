"""LOCK_ACQUIRE and HEARTBEAT: taking a block's lock, and keeping the socket's seat and
locks alive."""

from __future__ import annotations

from backlot.core.locks import DenialReason, Grant
from backlot.workspace.peer import Peer
from backlot.workspace.protocol import LockAcquire
from backlot.workspace.runtime import lock_update


async def acquire(peer: Peer, message: LockAcquire) -> None:
    settings = peer.settings
    result = await peer.runtime.locks.acquire(
        peer.room_id,
        message.blockId,
        peer.client_id,
        peer.lock_ttl,
        max_per_owner=settings.workspace_max_locks_per_client,
        info={"nickname": peer.nickname},
    )
    await peer.announce_cleared(result.expired, "expired")
    if isinstance(result, Grant):
        await peer.state.bus.publish(peer.channel, "LOCK_UPDATE", lock_update(result.lock))
    elif result.reason == DenialReason.held:
        holder = result.holder
        ttl_ms = int(holder.remaining(peer.state.clock.now()).total_seconds() * 1000)
        peer.sender.reply(
            "LOCK_DENIED",
            {
                "blockId": message.blockId,
                "owner": holder.owner,
                "nickname": holder.info.get("nickname"),
                "ttlMs": ttl_ms,
            },
        )
    else:
        peer.sender.error(
            "too_many_locks",
            f"You hold {settings.workspace_max_locks_per_client} locks already; commit one first.",
        )


async def heartbeat(peer: Peer) -> None:
    await peer.runtime.presence.touch(peer.room_id, peer.client_id, peer.info, peer.holder)
    renewal = await peer.runtime.locks.renew(peer.room_id, peer.client_id, peer.lock_ttl)
    await peer.announce_cleared(renewal.expired, "expired")
