"""COMMIT: the block's lock handed back with the edit, which is stored and announced."""

from __future__ import annotations

import logging

from backlot.core.errors import ProblemError
from backlot.core.locks import ReleaseOutcome
from backlot.workspace.commits import Author, apply_commit
from backlot.workspace.peer import Peer
from backlot.workspace.protocol import Commit

log = logging.getLogger("backlot.workspace")


async def commit(peer: Peer, message: Commit) -> None:
    release = await peer.runtime.locks.release(
        peer.room_id, message.blockId, peer.client_id, message.token
    )
    if release.outcome == ReleaseOutcome.not_owner:
        assert release.lock is not None
        peer.sender.error(
            "not_lock_owner",
            f"Block {message.blockId} is locked by {release.lock.info.get('nickname')}.",
            blockId=message.blockId,
            owner=release.lock.owner,
        )
        return
    if release.outcome == ReleaseOutcome.stale_token:
        peer.sender.error(
            "stale_lock",
            "That lock token is no longer current; lock the block again.",
            blockId=message.blockId,
        )
        return
    author = Author(peer.client_id, peer.nickname, peer.requester.id if peer.requester else None)
    try:
        await apply_commit(
            peer.state,
            peer.runtime.turns,
            room_id=peer.room_id,
            room_pk=peer.room.id,
            author=author,
            block_id=message.blockId,
            events=message.events,
            xml=message.workspaceXml,
        )
    except ProblemError as exc:  # quota_exceeded: nothing was stored
        peer.sender.error(exc.code, exc.detail, blockId=message.blockId)
    except Exception:
        log.exception("commit to room %s failed", peer.room_id)
        peer.sender.error("commit_failed", "The commit could not be stored; send it again.")
    finally:
        if release.lock is not None:
            reason = "expired" if release.outcome == ReleaseOutcome.expired else "committed"
            await peer.announce_cleared([release.lock], reason)
