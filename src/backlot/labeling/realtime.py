"""Seed 000's Socket.IO protocol: join_project, leave_project, heartbeat in; lock_acquired
and lock_released out (see events.py), with sequence numbers and resync on join.

Presence (which sockets of a user are in a project) lives in a lock store of its own,
shared between processes in the scaled shape: a user's locks in a project are released
`disconnect grace` seconds after their last socket there went away.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import socketio
from fastapi import FastAPI
from pydantic import ValidationError

from backlot.accounts.models import User
from backlot.core.db import unit_of_work
from backlot.core.errors import ProblemError
from backlot.core.locks import LockStore
from backlot.core.security import ACCESS_AUDIENCE
from backlot.core.state import AppState
from backlot.labeling import service
from backlot.labeling.events import LockChange, project_channel, project_room
from backlot.labeling.journal import LockJournal
from backlot.labeling.schemas import JoinProject, ProjectRef, ReleaseReason

log = logging.getLogger("backlot.labeling")

# A socket's presence outlives its last sign of life by this much; heartbeats renew it.
PRESENCE_TTL = timedelta(seconds=120)


class SocketError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class LabelingSockets:
    def __init__(
        self, sio: socketio.AsyncServer, app: FastAPI, journal: LockJournal, presence: LockStore
    ) -> None:
        self.sio, self.app, self.journal, self.presence = sio, app, journal, presence
        self._pending: set[asyncio.Task[None]] = set()
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("join_project", self.join_project)
        sio.on("leave_project", self.leave_project)
        sio.on("heartbeat", self.heartbeat)

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.backlot
        return state

    # --- connection ---------------------------------------------------------------

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "not_authenticated", "message": 'Connect with auth={"token": ...}.'}
            )
        try:
            claims = self.state.signer.verify(token, ACCESS_AUDIENCE)
        except ProblemError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": exc.code, "message": exc.detail}
            ) from exc
        async with unit_of_work(self.state.sessionmaker) as session:
            user = (
                await session.get(User, int(claims.subject)) if claims.subject.isdigit() else None
            )
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError(
                {"code": "invalid_token", "message": "The token's user no longer exists."}
            )
        await self.sio.save_session(
            sid, {"user_id": user.id, "name": user.display_name, "projects": set()}
        )

    async def disconnect(self, sid: str, *args: Any) -> None:
        session = await self.sio.get_session(sid)
        for project_id in list(session.get("projects", ())):
            await self._leave(sid, session, project_id)

    # --- events -------------------------------------------------------------------

    async def join_project(self, sid: str, data: Any = None) -> dict[str, Any]:
        return await self._answer(sid, self._join, data)

    async def leave_project(self, sid: str, data: Any = None) -> dict[str, Any]:
        return await self._answer(sid, self._leave_event, data)

    async def heartbeat(self, sid: str, data: Any = None) -> dict[str, Any]:
        return await self._answer(sid, self._heartbeat, data)

    async def _answer(self, sid: str, handler: Any, data: Any) -> dict[str, Any]:
        """Run a handler; errors go back as the ack and as an `error` event, and the
        connection stays open."""
        try:
            session = await self.sio.get_session(sid)
            result: dict[str, Any] = await handler(sid, session, data)
            return {"ok": True, **result}
        except SocketError as exc:
            error = {"code": exc.code, "message": exc.message}
        except ProblemError as exc:
            error = {"code": exc.code, "message": exc.detail}
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            error = {"code": "validation_failed", "message": fields or "bad payload"}
        await self.sio.emit("error", error, to=sid)
        return {"ok": False, **error}

    async def _join(self, sid: str, session: dict[str, Any], data: Any) -> dict[str, Any]:
        request = JoinProject.model_validate(data if data is not None else {})
        if request.user_id is not None and request.user_id != session["user_id"]:
            raise SocketError("user_mismatch", "user_id is not the signed-in user.")
        state = self.state
        async with unit_of_work(state.sessionmaker) as db:
            user = await db.get(User, session["user_id"])
            if user is None:
                raise SocketError("invalid_token", "The token's user no longer exists.")
            project = await service.get_project(db, user, request.project_id)
        scope = str(project.id)
        await self.presence.acquire(scope, f"{user.id}:{sid}", str(user.id), PRESENCE_TTL)
        session["projects"].add(project.id)
        await self.sio.enter_room(sid, project_room(project.id))
        channel = project_channel(project.id)
        seq = await state.bus.last_seq(channel)
        now = state.clock.now()
        locks = [
            service.lock_read(lock, now).model_dump(mode="json")
            for lock in await state.locks.holders(scope)
        ]
        answer: dict[str, Any] = {"project_id": project.id, "seq": seq, "locks": locks}
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
        await self.sio.leave_room(sid, project_room(project_id))
        user_id = session["user_id"]
        await self.presence.release(str(project_id), f"{user_id}:{sid}", str(user_id))
        task = asyncio.create_task(self._release_if_gone(project_id, user_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _release_if_gone(self, project_id: int, user_id: int) -> None:
        """After the grace period, release the user's locks unless they came back."""
        state = self.state
        try:
            await asyncio.sleep(state.settings.labeling_disconnect_grace_seconds)
            scope = str(project_id)
            if any(p.owner == str(user_id) for p in await self.presence.holders(scope)):
                return
            released = await state.locks.release_owner(scope, str(user_id))
            changes = [LockChange(lock, ReleaseReason.expired, None) for lock in released.expired]
            changes += [
                LockChange(lock, ReleaseReason.disconnected, None) for lock in released.released
            ]
            await self.journal.record(changes)
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
            await self.presence.renew(scope, user, PRESENCE_TTL)
            renewal = await state.locks.renew(scope, user, ttl)
            await self.journal.record(
                [LockChange(lock, ReleaseReason.expired, None) for lock in renewal.expired]
            )
            now = state.clock.now()
            renewed += [
                service.lock_read(lock, now).model_dump(mode="json") for lock in renewal.renewed
            ]
        return {"renewed": renewed}

    async def stop(self) -> None:
        for task in list(self._pending):
            task.cancel()
