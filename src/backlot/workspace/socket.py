"""One workspace WebSocket, from handshake to goodbye (seed 002's protocol).

Connect `/ws/workspace/{room_id}/?nickname=...[&token=...][&since=...]`; then JSON text
frames `{t, payload}` both ways (see protocol.py and the README's message table). The
socket is admitted (admission.py), seated (presence.py), welcomed (welcome.py), then reads
messages until it goes and hands each to its handler (lock_messages.py,
commit_messages.py); every frame to the client goes through its sender (sender.py).

A signed-in socket stays authorised only while its user's session does: it closes (4401)
when the session ends on any process, or when its access token expires unless an `AUTH`
message brought a fresh token of the same user first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket

from backlot.core.ratelimit import ConnectionLimiter
from backlot.core.state import AppState
from backlot.workspace import commit_messages, lock_messages
from backlot.workspace.admission import Admission, admit, authenticate
from backlot.workspace.peer import Peer
from backlot.workspace.presence import Seating
from backlot.workspace.protocol import (
    Auth,
    Commit,
    Heartbeat,
    Inbound,
    LockAcquire,
    ProtocolError,
    parse,
)
from backlot.workspace.refusals import (
    CLOSE_ERROR,
    CLOSE_FULL,
    CLOSE_GONE,
    CLOSE_IDLE,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_TOO_MANY,
    CLOSE_UNAUTHORIZED,
    Refused,
)
from backlot.workspace.runtime import WorkspaceRuntime
from backlot.workspace.sender import FrameSender
from backlot.workspace.welcome import welcome

log = logging.getLogger("backlot.workspace")


class WorkspaceSocket:
    def __init__(
        self, websocket: WebSocket, state: AppState, runtime: WorkspaceRuntime, room_id: str
    ) -> None:
        self.ws, self.state, self.runtime, self.room_id = websocket, state, runtime, room_id
        self.settings = state.settings
        self.sender = FrameSender(websocket, self.settings.event_window)

    async def run(self) -> None:
        await self.ws.accept()
        try:
            admission = await admit(self.ws, self.runtime, self.room_id)
        except Refused as refused:
            await self.sender.refuse(refused)
            return
        requester = admission.requester
        if requester is not None:
            self.runtime.signed_in.add(requester.id, self.end_session)
        self.runtime.rooms.add(self.room_id, self.room_deleted)
        peer: Peer | None = None
        watch: asyncio.Task[None] | None = None
        try:
            peer = await self._seat(admission)
            if peer is None:
                return
            await self.runtime.hub.join(peer.channel, self.sender.outbox)
            try:
                self.sender.start()
                if peer.token_expires_at is not None:
                    watch = asyncio.create_task(self._watch_token(peer), name="workspace-token")
                await welcome(peer)
                await self.state.bus.publish(
                    peer.channel, "USER_JOINED", {"clientId": peer.client_id, **peer.info}
                )
                await self._read(peer)
            finally:
                await self.runtime.hub.leave(peer.channel, self.sender.outbox)
        except Exception:
            log.exception("workspace socket %s failed", admission.client_id)
            await self.sender.close(CLOSE_ERROR, "internal error")
        finally:
            self.runtime.rooms.discard(self.room_id, self.room_deleted)
            if requester is not None:
                self.runtime.signed_in.discard(requester.id, self.end_session)
            if watch is not None:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
            await self.sender.stop()
            if peer is not None:
                await self._depart(peer)

    async def _seat(self, admission: Admission) -> Peer | None:
        """Take a seat in the room (refused when it is full, or this client holds its
        share of it); None when refused."""
        room, presence = admission.room, self.runtime.presence
        users = await presence.users(self.room_id)
        info = {"nickname": admission.nickname, "color": presence.color_for(users)}
        share = self.settings.workspace_max_seats_per_client
        seating = await presence.enter(
            self.room_id,
            admission.client_id,
            info=info,
            max_users=room.max_users,
            holder=admission.holder,
            max_per_holder=share,
        )
        if seating == Seating.room_full:
            message = f"The room is full ({room.max_users} users)."
            await self.sender.refuse(Refused(CLOSE_FULL, "room_full", message))
            return None
        if seating == Seating.too_many_seats:
            message = f"You hold {share} seats of this room already; leave one first."
            await self.sender.refuse(Refused(CLOSE_TOO_MANY, "too_many_seats", message))
            return None
        return Peer(
            **vars(admission),
            runtime=self.runtime,
            sender=self.sender,
            info=info,
        )

    async def end_session(self, reason: str) -> None:
        """The user's session ended (on any process): stop listening and editing now."""
        self.sender.error("session_ended", f"Your session ended ({reason}); sign in again.")
        await self.sender.close(CLOSE_UNAUTHORIZED, "session_ended")

    async def room_deleted(self, reason: str) -> None:
        """The room was deleted (on any process): nothing is left to edit here."""
        message = "This room was deleted" + (f" ({reason})." if reason else ".")
        self.sender.error("room_deleted", message)
        await self.sender.close(CLOSE_GONE, "room_deleted")

    async def _watch_token(self, peer: Peer) -> None:
        """Close when the access token expires; an AUTH meanwhile moves the deadline."""
        while peer.token_expires_at is not None and not self.sender.closing:
            left = (peer.token_expires_at - self.state.clock.now()).total_seconds()
            if left <= 0:
                self.sender.error("token_expired", "Your access token expired; send AUTH in time.")
                await self.sender.close(CLOSE_UNAUTHORIZED, "token_expired")
                return
            await asyncio.sleep(left)

    async def _read(self, peer: Peer) -> None:
        idle = self.settings.workspace_idle_timeout_seconds
        limit = self.settings.workspace_max_message_bytes
        bucket = ConnectionLimiter(
            self.settings.workspace_messages_per_second, self.settings.workspace_message_burst
        )
        loop = asyncio.get_running_loop()
        seat_renewed = loop.time()
        seat_every = self.runtime.presence.ttl.total_seconds() / 3
        while not self.sender.closing:
            try:
                # A timeout scope, not wait_for: no task made per message (Python 3.11).
                async with asyncio.timeout(idle):
                    message = await self.ws.receive()
            except TimeoutError:
                await self.sender.close(
                    CLOSE_IDLE, f"nothing received for {idle:g} s (send HEARTBEAT)"
                )
                return
            if message["type"] == "websocket.disconnect":
                return
            frame: str | bytes = message.get("text") or message.get("bytes") or b""
            if len(frame) > limit or (
                isinstance(frame, str) and len(frame) * 4 > limit and len(frame.encode()) > limit
            ):
                await self.sender.close(CLOSE_TOO_BIG, f"message over {limit} bytes")
                return
            if not await bucket.take(peer.client_id):
                await self.sender.close(CLOSE_POLICY, "too many messages: slow down")
                return
            if loop.time() - seat_renewed > seat_every:
                await self.runtime.presence.touch(
                    self.room_id, peer.client_id, peer.info, peer.holder
                )
                seat_renewed = loop.time()
            try:
                await self._handle(peer, parse(frame))
            except ProtocolError as exc:
                self.sender.error(exc.code, exc.message)

    async def _handle(self, peer: Peer, message: Inbound) -> None:
        match message:
            case LockAcquire() | Commit() if not peer.may_edit():
                self.sender.error(
                    "read_only",
                    "Visitors without an account only watch this room; sign in to edit.",
                )
            case LockAcquire():
                await lock_messages.acquire(peer, message)
            case Commit():
                await commit_messages.commit(peer, message)
            case Heartbeat():
                await lock_messages.heartbeat(peer)
            case Auth():
                await self._reauthenticate(peer, message)

    async def _reauthenticate(self, peer: Peer, message: Auth) -> None:
        """A fresh token of the same user extends the socket's life; anything else ends it."""
        if peer.requester is None:
            self.sender.error(
                "not_signed_in", "AUTH renews a signed-in socket; connect with token=."
            )
            return
        try:
            requester, expires_at = await authenticate(self.runtime, message.token)
        except Refused as refused:
            self.sender.error(refused.code, refused.message)
            await self.sender.close(CLOSE_UNAUTHORIZED, refused.code)
            return
        if requester.id != peer.requester.id:
            self.sender.error("token_user_mismatch", "AUTH must carry a token of the same user.")
            await self.sender.close(CLOSE_UNAUTHORIZED, "token_user_mismatch")
            return
        peer.requester, peer.token_expires_at = requester, expires_at
        self.sender.reply("AUTH", {"expiresAt": int(expires_at.timestamp() * 1000)})

    async def _depart(self, peer: Peer) -> None:
        runtime = self.runtime
        try:
            if await runtime.presence.leave(self.room_id, peer.client_id, peer.holder):
                await runtime.depart(self.room_id, peer.client_id, peer.nickname, "disconnected")
            else:  # the sweeper announced this seat already; its locks may remain
                released = await runtime.locks.release_owner(self.room_id, peer.client_id)
                await peer.announce_cleared(released.released + released.expired, "disconnected")
        except Exception:
            log.exception("cleaning up workspace socket %s failed", peer.client_id)
