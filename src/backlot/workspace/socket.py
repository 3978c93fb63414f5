"""One workspace WebSocket, from handshake to goodbye (seed 002's protocol).

Connect `/ws/workspace/{room_id}/?nickname=...[&token=...][&since=...]`; then JSON text
frames `{t, payload}` both ways (see protocol.py and the README's message table). Every
frame to the client goes through the socket's outbox and its one writer task, so replies
and room events never interleave mid-frame and a slow client delays nobody.

A signed-in socket stays authorised only while its user's session does: it closes (4401)
when the session ends on any process, or when its access token expires unless an `AUTH`
message brought a fresh token of the same user first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from backlot.accounts.deps import live_principal
from backlot.accounts.principal import Principal
from backlot.core.db import unit_of_work
from backlot.core.errors import ProblemError
from backlot.core.locks import DenialReason, Grant, ReleaseOutcome
from backlot.core.ratelimit import ConnectionLimiter
from backlot.core.state import AppState
from backlot.workspace import service
from backlot.workspace.commits import Author, apply_commit, latest_snapshot
from backlot.workspace.hub import Outbox, room_channel
from backlot.workspace.models import WorkspaceRoom
from backlot.workspace.presence import Seating
from backlot.workspace.protocol import (
    Auth,
    Commit,
    Heartbeat,
    Inbound,
    LockAcquire,
    ProtocolError,
    encode,
    parse,
)
from backlot.workspace.runtime import WorkspaceRuntime, lock_update

log = logging.getLogger("backlot.workspace")

# Close codes: RFC 6455's where one fits, else 4000 + the HTTP status it resembles.
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008  # flooding
CLOSE_TRY_LATER = 1013  # fell too far behind the room
CLOSE_ERROR = 1011
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_IDLE = 4408
CLOSE_FULL = 4409
CLOSE_TOO_MANY = 4429

SEQUENCE = re.compile(r"[0-9]{1,18}")


class Refused(Exception):  # noqa: N818 - a refusal, not an error of ours
    def __init__(self, close_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.close_code, self.code, self.message = close_code, code, message


def check_nickname(value: str | None) -> str:
    if value is None or not 1 <= len(value) <= 32 or not value.isprintable():
        raise Refused(
            CLOSE_BAD_REQUEST, "invalid_nickname", "nickname must be 1-32 printable characters."
        )
    return value


def check_since(value: str | None) -> int | None:
    if value is None:
        return None
    # ASCII digits only: str.isdigit() also passes '²', which int() then refuses.
    if not SEQUENCE.fullmatch(value):
        raise Refused(CLOSE_BAD_REQUEST, "invalid_since", "since must be a sequence number.")
    return int(value)


class WorkspaceSocket:
    def __init__(
        self, websocket: WebSocket, state: AppState, runtime: WorkspaceRuntime, room_id: str
    ) -> None:
        self.ws, self.state, self.runtime, self.room_id = websocket, state, runtime, room_id
        self.settings = state.settings
        self.channel = room_channel(room_id)
        self.client_id = "c" + secrets.token_hex(8)
        self.nickname = ""
        self.info: dict[str, Any] = {}
        self.actor: Principal | None = None
        self.token_expires_at: datetime | None = None
        self.holder = ""  # whose seat this is: the user, or the client address
        self.room: WorkspaceRoom | None = None
        self.outbox = Outbox(self.settings.event_window, self._fell_behind)
        self.writer: asyncio.Task[None] | None = None
        self.closing = False
        self.since: int | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.lock_ttl = timedelta(seconds=self.settings.workspace_lock_ttl_seconds)

    # --- lifecycle -----------------------------------------------------------------

    async def run(self) -> None:
        await self.ws.accept()
        try:
            room = await self._admit()
        except Refused as refused:
            await self._refuse(refused)
            return
        seated = False
        watch: asyncio.Task[None] | None = None
        if self.actor is not None:
            self.runtime.signed_in.add(self.actor.id, self.end_session)
        try:
            users = await self.runtime.presence.users(self.room_id)
            self.info = {"nickname": self.nickname, "color": self.runtime.presence.color_for(users)}
            seating = await self.runtime.presence.enter(
                self.room_id,
                self.client_id,
                self.info,
                room.max_users,
                self.holder,
                self.settings.workspace_max_seats_per_client,
            )
            if seating != Seating.seated:
                await self._refuse(self._unseated(seating, room))
                return
            seated = True
            await self.runtime.hub.join(self.room_id, self.outbox)
            try:
                self.writer = asyncio.create_task(self._write(), name="workspace-writer")
                if self.token_expires_at is not None:
                    watch = asyncio.create_task(self._watch_token(), name="workspace-token")
                await self._welcome(room)
                await self.state.bus.publish(
                    self.channel, "USER_JOINED", {"clientId": self.client_id, **self.info}
                )
                await self._read()
            finally:
                await self.runtime.hub.leave(self.room_id, self.outbox)
        except Exception:
            log.exception("workspace socket %s failed", self.client_id)
            await self._close(CLOSE_ERROR, "internal error")
        finally:
            if self.actor is not None:
                self.runtime.signed_in.discard(self.actor.id, self.end_session)
            if watch is not None:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
            await self._stop_writer()
            if seated:
                await self._depart()

    def _unseated(self, seating: Seating, room: WorkspaceRoom) -> Refused:
        if seating == Seating.room_full:
            return Refused(CLOSE_FULL, "room_full", f"The room is full ({room.max_users} users).")
        share = self.settings.workspace_max_seats_per_client
        return Refused(
            CLOSE_TOO_MANY,
            "too_many_seats",
            f"You hold {share} seats of this room already; leave one first.",
        )

    async def end_session(self, reason: str) -> None:
        """The user's session ended (on any process): stop listening and editing now."""
        self._error("session_ended", f"Your session ended ({reason}); sign in again.")
        await self._close(CLOSE_UNAUTHORIZED, "session_ended")

    async def _watch_token(self) -> None:
        """Close when the access token expires; an AUTH meanwhile moves the deadline."""
        while self.token_expires_at is not None and not self.closing:
            left = (self.token_expires_at - self.state.clock.now()).total_seconds()
            if left <= 0:
                self._error("token_expired", "Your access token expired; send AUTH in time.")
                await self._close(CLOSE_UNAUTHORIZED, "token_expired")
                return
            await asyncio.sleep(left)

    async def _admit(self) -> WorkspaceRoom:
        params = self.ws.query_params
        try:
            service.check_room_id(self.room_id)
        except ProblemError as exc:
            raise Refused(CLOSE_BAD_REQUEST, exc.code, exc.detail) from None
        self.nickname = check_nickname(params.get("nickname"))
        self.since = check_since(params.get("since"))
        token = params.get("token")
        async with unit_of_work(self.state.sessionmaker) as session:
            if token is not None:
                self.actor, self.token_expires_at = await self._authenticate(token)
            room = await service.find_room(session, self.room_id)
            if room is None:
                room = await self._create(session)
        if self.actor is not None:
            self.holder = f"user:{self.actor.id}"
        else:
            self.holder = f"address:{self.ws.client.host if self.ws.client else 'unknown'}"
        if not service.may_enter(room, self.actor):
            if self.actor is None:
                raise Refused(
                    CLOSE_UNAUTHORIZED,
                    "not_authenticated",
                    "This room is for members: connect with token=<access token>.",
                )
            raise Refused(CLOSE_NOT_FOUND, "room_not_found", "Room not found.")
        self.room = room
        return room

    async def _create(self, session: Any) -> WorkspaceRoom:
        """An unknown room: created by this connect only where the deployment says so."""
        mode = self.settings.workspace_rooms_on_connect
        if mode == "off" or (mode == "signed_in" and self.actor is None):
            raise Refused(
                CLOSE_NOT_FOUND,
                "room_not_found",
                "No such room; a signed-in user creates it (POST /v1/workspace/rooms).",
            )
        try:
            return await service.get_or_create_room(
                session,
                room_id=self.room_id,
                max_users=self.settings.workspace_default_max_users,
                creator=self.actor,
                # Seed 002's open rooms stay editable by all; otherwise the creator decides.
                anonymous_edit=mode == "anyone",
                max_rooms=self.settings.workspace_max_rooms_per_user,
            )
        except ProblemError as exc:
            raise Refused(CLOSE_FORBIDDEN, exc.code, exc.detail) from None

    async def _authenticate(self, token: str) -> tuple[Principal, datetime]:
        try:
            principal, claims = await live_principal(
                self.ws.app.state.principals, self.state, token
            )
        except ProblemError as exc:
            raise Refused(CLOSE_UNAUTHORIZED, exc.code, exc.detail) from None
        return principal, claims.expires_at

    async def _welcome(self, room: WorkspaceRoom) -> None:
        """INIT_STATE (after the missed events, when resuming). The seq is read before
        the state, so the state holds at least every event up to it; newer events follow
        and clients apply them idempotently (commits by version, locks by token)."""
        seq = await self.state.bus.last_seq(self.channel)
        missed = None
        if self.since is not None:
            missed = await self.state.bus.since(self.channel, self.since)
        users = await self.runtime.presence.users(self.room_id)
        locks = {
            lock.resource: {k: v for k, v in lock_update(lock).items() if k != "blockId"}
            for lock in await self.runtime.locks.holders(self.room_id)
        }
        async with unit_of_work(self.state.sessionmaker) as session:
            fresh = await session.get(WorkspaceRoom, room.id)
            version = fresh.version if fresh is not None else room.version
        payload: dict[str, Any] = {
            "clientId": self.client_id,
            "nickname": self.nickname,
            "color": self.info["color"],
            "room": {
                "roomId": room.room_id,
                "title": room.title,
                "maxUsers": room.max_users,
                "visibility": room.visibility,
            },
            "readOnly": not service.may_edit(room, self.actor),
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
            snapshot = await latest_snapshot(self.state, self.room_id, room.id)
            payload["workspaceXml"] = snapshot[1] if snapshot else None
            payload["snapshotVersion"] = snapshot[0] if snapshot else None
            payload["resumed"] = False
        self.outbox.open(seq, [*first, encode("INIT_STATE", payload)])

    async def _read(self) -> None:
        idle = self.settings.workspace_idle_timeout_seconds
        limit = self.settings.workspace_max_message_bytes
        bucket = ConnectionLimiter(
            self.settings.workspace_messages_per_second, self.settings.workspace_message_burst
        )
        loop = asyncio.get_running_loop()
        seat_renewed = loop.time()
        seat_every = self.runtime.presence.ttl.total_seconds() / 3
        while not self.closing:
            try:
                message = await asyncio.wait_for(self.ws.receive(), timeout=idle)
            except TimeoutError:
                await self._close(CLOSE_IDLE, f"nothing received for {idle:g} s (send HEARTBEAT)")
                return
            if message["type"] == "websocket.disconnect":
                return
            frame: str | bytes = message.get("text") or message.get("bytes") or b""
            if len(frame) > limit or (
                isinstance(frame, str) and len(frame) * 4 > limit and len(frame.encode()) > limit
            ):
                await self._close(CLOSE_TOO_BIG, f"message over {limit} bytes")
                return
            if not await bucket.take(self.client_id):
                await self._close(CLOSE_POLICY, "too many messages: slow down")
                return
            if loop.time() - seat_renewed > seat_every:
                await self.runtime.presence.touch(
                    self.room_id, self.client_id, self.info, self.holder
                )
                seat_renewed = loop.time()
            try:
                await self._handle(parse(frame))
            except ProtocolError as exc:
                self._error(exc.code, exc.message)

    # --- messages ------------------------------------------------------------------

    async def _handle(self, message: Inbound) -> None:
        match message:
            case LockAcquire() | Commit() if not self._may_edit():
                self._error(
                    "read_only",
                    "Visitors without an account only watch this room; sign in to edit.",
                )
            case LockAcquire():
                await self._lock(message)
            case Commit():
                await self._commit(message)
            case Heartbeat():
                await self._heartbeat()
            case Auth():
                await self._reauthenticate(message)

    def _may_edit(self) -> bool:
        assert self.room is not None
        return service.may_edit(self.room, self.actor)

    async def _reauthenticate(self, message: Auth) -> None:
        """A fresh token of the same user extends the socket's life; anything else ends it."""
        if self.actor is None:
            self._error("not_signed_in", "AUTH renews a signed-in socket; connect with token=.")
            return
        try:
            actor, expires_at = await self._authenticate(message.token)
        except Refused as refused:
            self._error(refused.code, refused.message)
            await self._close(CLOSE_UNAUTHORIZED, refused.code)
            return
        if actor.id != self.actor.id:
            self._error("token_user_mismatch", "AUTH must carry a token of the same user.")
            await self._close(CLOSE_UNAUTHORIZED, "token_user_mismatch")
            return
        self.actor, self.token_expires_at = actor, expires_at
        self._reply("AUTH", {"expiresAt": int(expires_at.timestamp() * 1000)})

    async def _lock(self, message: LockAcquire) -> None:
        result = await self.runtime.locks.acquire(
            self.room_id,
            message.blockId,
            self.client_id,
            self.lock_ttl,
            max_per_owner=self.settings.workspace_max_locks_per_client,
            info={"nickname": self.nickname},
        )
        await self.runtime.announce_cleared(self.state, self.room_id, result.expired, "expired")
        if isinstance(result, Grant):
            await self.state.bus.publish(self.channel, "LOCK_UPDATE", lock_update(result.lock))
        elif result.reason == DenialReason.held:
            holder = result.holder
            ttl_ms = int(holder.remaining(self.state.clock.now()).total_seconds() * 1000)
            self._reply(
                "LOCK_DENIED",
                {
                    "blockId": message.blockId,
                    "owner": holder.owner,
                    "nickname": holder.info.get("nickname"),
                    "ttlMs": ttl_ms,
                },
            )
        else:
            self._error(
                "too_many_locks",
                f"You hold {self.settings.workspace_max_locks_per_client} locks already; "
                "commit one first.",
            )

    async def _commit(self, message: Commit) -> None:
        assert self.room is not None
        release = await self.runtime.locks.release(
            self.room_id, message.blockId, self.client_id, message.token
        )
        if release.outcome == ReleaseOutcome.not_owner:
            assert release.lock is not None
            self._error(
                "not_lock_owner",
                f"Block {message.blockId} is locked by {release.lock.info.get('nickname')}.",
                blockId=message.blockId,
                owner=release.lock.owner,
            )
            return
        if release.outcome == ReleaseOutcome.stale_token:
            self._error(
                "stale_lock",
                "That lock token is no longer current; lock the block again.",
                blockId=message.blockId,
            )
            return
        author = Author(self.client_id, self.nickname, self.actor.id if self.actor else None)
        try:
            await apply_commit(
                self.state,
                self.runtime.turns,
                self.room_id,
                self.room.id,
                author,
                block_id=message.blockId,
                events=message.events,
                xml=message.workspaceXml,
            )
        except ProblemError as exc:  # quota_exceeded: nothing was stored
            self._error(exc.code, exc.detail, blockId=message.blockId)
        except Exception:
            log.exception("commit to room %s failed", self.room_id)
            self._error("commit_failed", "The commit could not be stored; send it again.")
        finally:
            if release.lock is not None:
                reason = "expired" if release.outcome == ReleaseOutcome.expired else "committed"
                await self.runtime.announce_cleared(
                    self.state, self.room_id, [release.lock], reason
                )

    async def _heartbeat(self) -> None:
        await self.runtime.presence.touch(self.room_id, self.client_id, self.info, self.holder)
        renewal = await self.runtime.locks.renew(self.room_id, self.client_id, self.lock_ttl)
        await self.runtime.announce_cleared(self.state, self.room_id, renewal.expired, "expired")

    # --- sending -------------------------------------------------------------------

    def _reply(self, kind: str, payload: dict[str, Any]) -> None:
        self.outbox.reply(encode(kind, payload))

    def _error(self, code: str, message: str, **extra: Any) -> None:
        self._reply("ERROR", {"code": code, "message": message, **extra})

    async def _write(self) -> None:
        queue = self.outbox.queue
        while True:
            frame = await queue.get()
            await self.ws.send_text(frame)
            queue.task_done()

    def _fell_behind(self) -> None:
        # Called from the room's forwarder, which must not wait for this socket.
        task = asyncio.create_task(self._close(CLOSE_TRY_LATER, "fell behind; resume with since"))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _stop_writer(self, flush: bool = False) -> None:
        if self.writer is None:
            return
        if flush:
            # What was queued before the close (an ERROR explaining it) still goes out.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.outbox.queue.join(), timeout=1)
        self.writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.writer
        self.writer = None

    async def _close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        await self._stop_writer(flush=code != CLOSE_TRY_LATER)
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason[:120])

    async def _refuse(self, refused: Refused) -> None:
        """Tell why (an ERROR frame, then the close code and reason), then hang up."""
        with contextlib.suppress(Exception):
            await self.ws.send_text(
                encode("ERROR", {"code": refused.code, "message": refused.message})
            )
            await self.ws.close(refused.close_code, f"{refused.code}: {refused.message}"[:120])

    async def _depart(self) -> None:
        try:
            if await self.runtime.presence.leave(self.room_id, self.client_id, self.holder):
                await self.runtime.depart(
                    self.state, self.room_id, self.client_id, self.nickname, "disconnected"
                )
            else:  # the sweeper announced this seat already; its locks may remain
                released = await self.runtime.locks.release_owner(self.room_id, self.client_id)
                await self.runtime.announce_cleared(
                    self.state, self.room_id, released.released + released.expired, "disconnected"
                )
        except Exception:
            log.exception("cleaning up workspace socket %s failed", self.client_id)
