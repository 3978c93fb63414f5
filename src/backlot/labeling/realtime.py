"""Seed 000's Socket.IO protocol: join_project, leave_project, heartbeat in; lock_acquired
and lock_released out (see events.py), with sequence numbers and resync on join.

Each project's events come from its bus channel: a process subscribes to the channels of
the projects its sockets joined (core/bus/hub.py) and emits each event to the project's
Socket.IO room here, so a lock change costs one publish however many processes serve it.

Presence (which sockets of a user are in a project) is a core presence of its own, shared
between processes in the scaled shape: a user's locks in a project are released
`disconnect grace` seconds after their last socket there went away.

A socket stays authorised only as long as its user's session: it is closed (an `error`
event, then a disconnect) when its access token expires unless the client sent a fresh
one first (`authenticate {token}`), when the user's sessions end (logout, password or
role change, deletion: announced on the bus by any process), and when it floods.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

import socketio
from pydantic import ValidationError

from backlot.accounts.deps import cached_principal, live_principal
from backlot.accounts.principal import Principal
from backlot.accounts.runtime import AccountsRuntime
from backlot.core.bus import Event
from backlot.core.bus.hub import ChannelHub
from backlot.core.cache import RowCache
from backlot.core.errors import ProblemError
from backlot.core.locks import LockStore
from backlot.core.presence import Presence
from backlot.core.ratelimit import ConnectionLimiter
from backlot.core.sessions import session_ends
from backlot.core.state import AppState
from backlot.labeling import service
from backlot.labeling.events import LockChange, project_channel
from backlot.labeling.journal import LockJournal
from backlot.labeling.schemas import JoinProject, ProjectRef, ReleaseReason, SocketAuthenticate

log = logging.getLogger("backlot.labeling")

# A socket's presence outlives its last sign of life by this much; heartbeats renew it.
PRESENCE_TTL = timedelta(seconds=120)


CLOSING = {"ok": False, "code": "closing", "message": "The connection is closing."}


class SocketError(Exception):
    """A refused event; `fatal` ones close the connection after the `error` event."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.fatal = code, message, fatal


class LabelingSockets:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        state: AppState,
        *,
        locks: LockStore,
        journal: LockJournal,
        presence: Presence,
        projects: RowCache[int],
    ) -> None:
        self.sio, self.state = sio, state
        self.locks, self.journal, self.presence, self.projects = locks, journal, presence, projects
        self._pending: set[asyncio.Task[None]] = set()
        settings = self.state.settings
        # Socket ids by the project channels they joined; each project's room is named
        # after its channel.
        self._projects = ChannelHub[str](self.state.bus, self._emit, self._lost)
        self._limiter = ConnectionLimiter(
            settings.labeling_socket_messages_per_second, settings.labeling_socket_message_burst
        )
        # This process's sockets: by user (to end sessions), their token expiry timers,
        # and those being closed (their queued events are dropped unread).
        self._sockets: dict[int, set[str]] = {}
        self._expiry: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[str] = set()
        self._session_ends: asyncio.Task[None] | None = None
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("join_project", self.join_project)
        sio.on("leave_project", self.leave_project)
        sio.on("heartbeat", self.heartbeat)
        sio.on("authenticate", self.authenticate)

    @property
    def principals(self) -> RowCache[Principal]:
        return self.state.runtimes.get(AccountsRuntime).principals

    # --- connection ---------------------------------------------------------------

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "not_authenticated", "message": 'Connect with auth={"token": ...}.'}
            )
        try:
            user, claims = await live_principal(self.principals, self.state, token)
        except ProblemError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": exc.code, "message": exc.detail}
            ) from exc
        await self.sio.save_session(
            sid, {"user_id": user.id, "name": user.display_name, "projects": set()}
        )
        self._sockets.setdefault(user.id, set()).add(sid)
        self._close_at(sid, claims.expires_at)

    async def disconnect(self, sid: str, *args: Any) -> None:
        timer = self._expiry.pop(sid, None)
        if timer is not None:
            timer.cancel()
        await self._limiter.forget(sid)
        session = await self.sio.get_session(sid)
        user_sockets = self._sockets.get(session.get("user_id", 0), set())
        user_sockets.discard(sid)
        if not user_sockets:
            self._sockets.pop(session.get("user_id", 0), None)
        for project_id in list(session.get("projects", ())):
            try:  # each project on its own: one failed leave must not strand the others
                await self._leave(sid, session, project_id)
            except Exception:
                log.exception("leaving project %s on disconnect failed", project_id)
        self._closing.discard(sid)

    def _open(self, sid: str) -> bool:
        return sid not in self._closing and self.sio.manager.is_connected(sid, "/")

    async def _principal(self, user_id: int) -> Principal:
        """The socket's user from the principal cache (a short read on a miss)."""
        return await cached_principal(self.principals, self.state, user_id)

    async def _close(self, sid: str, code: str, message: str, **extra: Any) -> None:
        """Tell the client why (`error`), then disconnect it; once per socket."""
        if sid in self._closing:
            return
        self._closing.add(sid)
        # ignore_queue: the socket is on this process, nobody else needs to hear it.
        error = {"code": code, "message": message, **extra}
        await self.sio.emit("error", error, to=sid, ignore_queue=True)
        await self.sio.disconnect(sid, ignore_queue=True)

    def _close_at(self, sid: str, expires_at: datetime) -> None:
        """Close the socket when its access token expires (a fresh token moves this)."""
        previous = self._expiry.pop(sid, None)
        if previous is not None:
            previous.cancel()
        delay = max((expires_at - self.state.clock.now()).total_seconds(), 0)
        self._expiry[sid] = asyncio.get_running_loop().call_later(delay, self._expire, sid)

    def _expire(self, sid: str) -> None:
        self._expiry.pop(sid, None)
        message = "The access token expired: reconnect, or send authenticate {token} before."
        self._spawn(self._close(sid, "token_expired", message))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _end_sessions(self) -> None:
        """Close this process's sockets of every user whose sessions end, wherever that
        was announced."""
        while True:
            try:
                async for end in session_ends(self.state.bus):
                    for sid in list(self._sockets.get(end.user_id, ())):
                        await self._close(
                            sid, "session_ended", "Your session has ended.", reason=end.reason
                        )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("listening for ended sessions failed; listening again")
                await asyncio.sleep(1)

    async def _emit(self, event: Event, sids: frozenset[str]) -> None:
        # ignore_queue: every process hears the bus itself and emits to its own sockets.
        data = {**event.data, "seq": event.seq}
        await self.sio.emit(event.type, data, room=event.channel, ignore_queue=True)

    def _lost(self, sids: frozenset[str]) -> None:
        message = "Live events of a project were interrupted: reconnect and join with since."
        for sid in sids:
            self._spawn(self._close(sid, "unavailable", message))

    # --- events -------------------------------------------------------------------

    async def join_project(self, sid: str, data: Any = None) -> dict[str, Any]:
        return await self._answer(sid, self._join, data)

    async def leave_project(self, sid: str, data: Any = None) -> dict[str, Any]:
        return await self._answer(sid, self._leave_event, data)

    async def heartbeat(self, sid: str, data: Any = None) -> dict[str, Any]:
        return await self._answer(sid, self._heartbeat, data)

    async def authenticate(self, sid: str, data: Any = None) -> dict[str, Any]:
        return await self._answer(sid, self._authenticate, data)

    async def _answer(self, sid: str, handler: Any, data: Any) -> dict[str, Any]:
        """Run a handler; errors go back as the ack and as an `error` event, and the
        connection stays open unless the error is fatal. Counted against the socket's
        rate before anything else, so a flood costs no database or Redis work."""
        if not self._open(sid):
            return {**CLOSING}  # events queued before a close are dropped unread
        if not await self._limiter.take(sid):
            error = {"code": "rate_limited", "message": "Too many events: slow down."}
            await self._close(sid, **error)
            return {"ok": False, **error}
        try:
            session = await self.sio.get_session(sid)
            result: dict[str, Any] = await handler(sid, session, data)
            return {"ok": True, **result}
        except SocketError as exc:
            error = {"code": exc.code, "message": exc.message}
            if exc.fatal:
                await self._close(sid, **error)
                return {"ok": False, **error}
        except ProblemError as exc:
            error = {"code": exc.code, "message": exc.detail}
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            error = {"code": "validation_failed", "message": fields or "bad payload"}
        except Exception:
            if not self._open(sid):  # disconnected mid-event: nothing left to answer
                return {**CLOSING}
            raise
        await self.sio.emit("error", error, to=sid, ignore_queue=True)
        return {"ok": False, **error}

    async def _authenticate(self, sid: str, session: dict[str, Any], data: Any) -> dict[str, Any]:
        """A fresh access token of the same user keeps the socket open past the old one."""
        request = SocketAuthenticate.model_validate(data if data is not None else {})
        try:  # any failure closes the socket, as the workspace's AUTH does
            user, claims = await live_principal(self.principals, self.state, request.token)
        except ProblemError as exc:
            raise SocketError(exc.code, exc.detail, fatal=True) from exc
        if user.id != session["user_id"]:
            raise SocketError("user_mismatch", "The token is another user's.", fatal=True)
        self._close_at(sid, claims.expires_at)
        return {"expires_at": claims.expires_at.isoformat()}

    async def _join(self, sid: str, session: dict[str, Any], data: Any) -> dict[str, Any]:
        request = JoinProject.model_validate(data if data is not None else {})
        if request.user_id is not None and request.user_id != session["user_id"]:
            raise SocketError("user_mismatch", "user_id is not the signed-in user.")
        state = self.state
        user = await self._principal(session["user_id"])
        # Cached: joining a project (or failing to) costs no query on a hit.
        project_id = await service.member_project(
            state.sessionmaker,
            self.projects,
            requester=user,
            project_id=request.project_id,
        )
        scope, channel = str(project_id), project_channel(project_id)
        # Listed first, so a disconnect while we wait leaves the project too.
        session["projects"].add(project_id)
        await self.presence.enter(scope, f"{user.id}:{sid}", str(user.id))
        await self._projects.join(channel, sid)
        if not self._open(sid) or project_id not in session["projects"]:
            # Closed, or left, while we waited: that disconnect or leave_project may have
            # run before these, so they are undone here.
            await self._projects.leave(channel, sid)
            await self.presence.leave(scope, f"{user.id}:{sid}", str(user.id))
            if not self._open(sid):
                return {**CLOSING}
            raise SocketError("not_joined", "You left the project while joining it.")
        await self.sio.enter_room(sid, channel)
        # Read after subscribing: every event newer than `seq` reaches the socket.
        seq = await state.bus.last_seq(channel)
        now = state.clock.now()
        locks = [
            service.lock_read(lock, now).model_dump(mode="json")
            for lock in await self.locks.holders(scope)
        ]
        answer: dict[str, Any] = {"project_id": project_id, "seq": seq, "locks": locks}
        if request.since is not None:
            missed = await state.bus.since(channel, request.since)
            answer["missed"] = (
                None
                if missed is None
                else [{"event": e.type, **e.data, "seq": e.seq} for e in missed]
            )
        return answer

    async def _leave_event(self, sid: str, session: dict[str, Any], data: Any) -> dict[str, Any]:
        request = ProjectRef.model_validate(data if data is not None else {})
        if request.project_id not in session["projects"]:
            raise SocketError("not_joined", "You have not joined this project.")
        await self._leave(sid, session, request.project_id)
        return {"project_id": request.project_id}

    async def _leave(self, sid: str, session: dict[str, Any], project_id: int) -> None:
        session["projects"].discard(project_id)
        channel = project_channel(project_id)
        user_id = session["user_id"]
        try:  # this process's bookkeeping first, whatever the shared presence does
            await self.sio.leave_room(sid, channel)
            await self._projects.leave(channel, sid)
        finally:
            # The grace timer runs even if the presence cannot be left now (the entry
            # then lapses by its TTL, and the user's locks by theirs).
            self._spawn(self._release_if_gone(project_id, user_id))
        await self.presence.leave(str(project_id), f"{user_id}:{sid}", str(user_id))

    async def _release_if_gone(self, project_id: int, user_id: int) -> None:
        """After the grace period, release the user's locks unless they came back."""
        state = self.state
        try:
            await asyncio.sleep(state.settings.labeling_disconnect_grace_seconds)
            scope = str(project_id)
            if await self.presence.is_present(scope, str(user_id)):
                return
            released = await self.locks.release_owner(scope, str(user_id))
            changes = [LockChange(lock, ReleaseReason.expired, None) for lock in released.expired]
            changes += [
                LockChange(lock, ReleaseReason.disconnected, None) for lock in released.released
            ]
            await self.journal.record_and_announce(changes)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("releasing locks of a departed user failed")

    async def _heartbeat(self, sid: str, session: dict[str, Any], data: Any) -> dict[str, Any]:
        state = self.state
        ttl = timedelta(seconds=state.settings.labeling_lock_ttl_seconds)
        renewed = []
        for project_id in sorted(session["projects"]):
            scope = str(project_id)
            user = str(session["user_id"])
            await self.presence.renew(scope, user)
            renewal = await self.locks.renew(scope, user, ttl)
            await self.journal.record_and_announce(
                [LockChange(lock, ReleaseReason.expired, None) for lock in renewal.expired]
            )
            now = state.clock.now()
            renewed += [
                service.lock_read(lock, now).model_dump(mode="json") for lock in renewal.renewed
            ]
        return {"renewed": renewed}

    def start(self) -> None:
        self._session_ends = asyncio.create_task(self._end_sessions(), name="labeling-session-ends")

    async def stop(self) -> None:
        if self._session_ends is not None:
            self._session_ends.cancel()
        for timer in self._expiry.values():
            timer.cancel()
        self._expiry.clear()
        for task in list(self._pending):
            task.cancel()
        await self._projects.close()
