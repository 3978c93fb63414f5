"""Routes of the workspace app: the socket at /ws/workspace/{room_id}/ and REST under
/v1/workspace/rooms (rooms, snapshot history, restore)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, WebSocket

from backlot.accounts.deps import CurrentPrincipal, bearer_user_id, principal_of
from backlot.accounts.principal import Principal
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import problem_responses
from backlot.core.paging import Page, page_of
from backlot.core.params import Limit, Offset
from backlot.core.state import app_state
from backlot.workspace import service, tickets
from backlot.workspace.closing import announce_deleted
from backlot.workspace.commits import Author, apply_commit, snapshot_key
from backlot.workspace.deps import RuntimeDep
from backlot.workspace.models import WorkspaceRoom, WorkspaceSnapshot
from backlot.workspace.runtime import WorkspaceRuntime
from backlot.workspace.schemas import (
    OnlineUser,
    Restored,
    RoomCreate,
    RoomDetail,
    RoomListed,
    RoomRead,
    RoomUpdate,
    SnapshotDetail,
    SnapshotRead,
    TicketRead,
)
from backlot.workspace.snapshots import xml_of
from backlot.workspace.socket import WorkspaceSocket

router = APIRouter(
    # 401 everywhere: reads need no sign-in, but a token sent must be valid and live.
    prefix="/v1/workspace/rooms",
    tags=["workspace"],
    responses=problem_responses(400, 401, 422),
)
socket_router = APIRouter()

RoomPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
VersionPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
_ITEM = problem_responses(404)


async def _maybe_requester(
    request: Request, state: StateDep, user_id: Annotated[int | None, Depends(bearer_user_id)]
) -> Principal | None:
    return None if user_id is None else await principal_of(request, state, user_id)


MaybeRequester = Annotated[Principal | None, Depends(_maybe_requester)]


def room_read(room: WorkspaceRoom) -> RoomRead:
    return RoomRead(
        room_id=room.room_id,
        title=room.title,
        max_users=room.max_users,
        visibility=room.visibility,
        corporation_id=room.corporation_id,
        created_by_id=room.created_by_id,
        anonymous_edit=room.anonymous_edit,
        version=room.version,
        created_at=room.created_at,
        socket_path=f"/ws/workspace/{room.room_id}/",
    )


def snapshot_read(snapshot: WorkspaceSnapshot) -> SnapshotRead:
    return SnapshotRead.model_validate(snapshot, from_attributes=True)


@router.post(
    "", status_code=201, response_model=RoomRead, responses=problem_responses(401, 403, 409)
)
async def create_room(
    session: SessionDep, state: StateDep, requester: CurrentPrincipal, body: RoomCreate
) -> Any:
    """Open a room. A `members` room belongs to your corporation: its sockets need
    `token=<access token>` of a member. In a `public` room, visitors without an account
    only watch unless `anonymous_edit` is true. 403 `too_many_rooms` past
    BACKLOT_WORKSPACE_MAX_ROOMS_PER_USER."""
    room = await service.create_room(
        session,
        requester,
        room_id=body.room_id,
        title=body.title,
        max_users=body.max_users,
        visibility=body.visibility,
        anonymous_edit=body.anonymous_edit,
        max_rooms=state.settings.workspace_max_rooms_per_user,
    )
    return room_read(room)


@router.get("", response_model=Page[RoomListed])
async def list_rooms(
    session: SessionDep,
    requester: MaybeRequester,
    runtime: RuntimeDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Public rooms, and your corporation's members rooms when signed in; newest first.
    Each with how many people are in it now (`online`) and whether you may manage it."""
    items, total = await service.list_rooms(
        session, requester=requester, limit=limit, offset=offset
    )
    seated = await asyncio.gather(*(runtime.presence.count(room.room_id) for room in items))
    online = dict(zip((room.room_id for room in items), seated, strict=True))

    def listed(room: WorkspaceRoom) -> RoomListed:
        manage = requester is not None and service.may_manage(room, requester)
        return RoomListed(**dict(room_read(room)), online=online[room.room_id], can_manage=manage)

    return page_of(items, total, read=listed, limit=limit, offset=offset)


@router.get("/{room_id}", response_model=RoomDetail, responses=_ITEM)
async def get_room(
    session: SessionDep, requester: MaybeRequester, runtime: RuntimeDep, room_id: RoomPath
) -> Any:
    """One room, with who is in it now."""
    room = await service.get_room(session, requester=requester, room_id=room_id)
    users = [OnlineUser(**user) for user in await runtime.presence.users(room.room_id)]
    return RoomDetail(**dict(room_read(room)), users=users)


_MANAGE = {**_ITEM, **problem_responses(401, 403)}


@router.patch("/{room_id}", response_model=RoomRead, responses=_MANAGE)
async def update_room(
    session: SessionDep, requester: CurrentPrincipal, room_id: RoomPath, body: RoomUpdate
) -> Any:
    """Rename a room (`title`) or change its `max_users`: its creator, an admin of its
    corporation or a superuser (403 `not_room_owner` for other members; 404 for those
    who may not enter it)."""
    room = await service.get_managed_room(session, requester=requester, room_id=room_id)
    await service.update_room(session, room, title=body.title, max_users=body.max_users)
    return room_read(room)


@router.delete("/{room_id}", status_code=204, responses=_MANAGE)
async def delete_room(
    state: StateDep,
    requester: CurrentPrincipal,
    room_id: RoomPath,
    reason: Annotated[str, Query(max_length=200)] = "",
) -> None:
    """Delete a room and its history, as PATCH decides who may. Everyone in it is
    disconnected (error `room_deleted`, close 4410, with the `reason` given)."""
    async with state.sessionmaker() as session, session.begin():
        room = await service.get_managed_room(session, requester=requester, room_id=room_id)
        await service.delete_room(session, room)
    await state.kv.delete(snapshot_key(room_id))
    await announce_deleted(
        state.bus, room_id, "".join(c for c in reason if c.isprintable()).strip()
    )


@router.post(
    "/{room_id}/ticket",
    status_code=201,
    response_model=TicketRead,
    responses={**_ITEM, **problem_responses(401)},
)
async def join_ticket(
    session: SessionDep, state: StateDep, requester: CurrentPrincipal, room_id: RoomPath
) -> Any:
    """A join ticket: connect with `?ticket=` instead of `?token=`, so no access token
    sits in a URL. Good once, for you and this room, for BACKLOT_WORKSPACE_TICKET_SECONDS
    (30 s); a socket refuses a used, expired or foreign one (4401 `invalid_ticket`)."""
    room = await service.get_room(session, requester=requester, room_id=room_id)
    ttl = state.settings.workspace_ticket_seconds
    grant = tickets.Ticket(requester.id, room.room_id, requester.session_generation)
    ticket = await tickets.issue(state.kv, grant, timedelta(seconds=ttl))
    return TicketRead(ticket=ticket, expires_in=ttl, socket_path=f"/ws/workspace/{room_id}/")


@router.get("/{room_id}/snapshots", response_model=Page[SnapshotRead], responses=_ITEM)
async def list_snapshots(
    session: SessionDep,
    requester: MaybeRequester,
    room_id: RoomPath,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The room's saved workspaces, newest first (without their XML)."""
    room = await service.get_room(session, requester=requester, room_id=room_id)
    items, total = await service.list_snapshots(session, room=room, limit=limit, offset=offset)
    return page_of(items, total, read=snapshot_read, limit=limit, offset=offset)


@router.get("/{room_id}/snapshots/{version}", response_model=SnapshotDetail, responses=_ITEM)
async def get_snapshot(
    session: SessionDep, requester: MaybeRequester, room_id: RoomPath, version: VersionPath
) -> Any:
    """One saved workspace, XML included."""
    room = await service.get_room(session, requester=requester, room_id=room_id)
    snapshot = await service.get_snapshot(session, room=room, version=version)
    return SnapshotDetail(**dict(snapshot_read(snapshot)), xml=xml_of(snapshot))


@router.post(
    "/{room_id}/snapshots/{version}/restore",
    status_code=201,
    response_model=Restored,
    responses={**_ITEM, **problem_responses(401, 413)},
)
async def restore_snapshot(
    state: StateDep,
    runtime: RuntimeDep,
    requester: CurrentPrincipal,
    room_id: RoomPath,
    version: VersionPath,
) -> Any:
    """Bring an old workspace back as a new commit: everyone in the room gets it as a
    COMMIT_APPLY carrying `workspaceXml` and `restoredFrom`. 413 `quota_exceeded` when
    the room's history is full."""
    async with state.sessionmaker() as session:
        room = await service.get_room(session, requester=requester, room_id=room_id)
        snapshot = await service.get_snapshot(session, room=room, version=version)
        room_pk, xml = room.id, xml_of(snapshot)
    author = Author(None, requester.display_name, requester.id)
    event = await apply_commit(
        state,
        runtime.turns,
        room_id=room_id,
        room_pk=room_pk,
        author=author,
        block_id=None,
        events=[],
        xml=xml,
        restored_from=version,
    )
    return Restored(version=event.data["version"], restored_from=version)


@socket_router.websocket("/ws/workspace/{room_id}/")
@socket_router.websocket("/ws/workspace/{room_id}")
async def workspace_socket(websocket: WebSocket, room_id: str) -> None:
    """Seed 002's protocol; see the README's message table."""
    state = app_state(websocket)
    await WorkspaceSocket(websocket, state, state.runtimes.get(WorkspaceRuntime), room_id).run()
