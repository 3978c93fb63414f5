"""Rooms and their history in the database. Services take the session and never commit.

Who may enter: a `public` room anyone with a nickname; a `members` room the signed-in
members of its corporation (and superusers). Everyone else gets 404, as if the room did
not exist, so room names of other tenants do not leak. Who may edit: the signed-in who
may enter; anonymous visitors only where the room's creator allowed it.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.principal import Requester
from backlot.core.db import insert_ignore
from backlot.core.errors import ProblemError, bad_request, conflict, forbidden, not_found
from backlot.core.paging import fetch_page
from backlot.workspace.models import Visibility, WorkspaceRoom, WorkspaceSnapshot

ROOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_room_id(room_id: str) -> str:
    if not ROOM_ID.fullmatch(room_id):
        raise bad_request("invalid_room_id", "A room id is 1-64 letters, digits, '_' or '-'.")
    return room_id


def may_enter(room: WorkspaceRoom, requester: Requester | None) -> bool:
    if room.visibility == Visibility.public:
        return True
    if requester is None:
        return False
    return requester.is_superuser or requester.corporation_id == room.corporation_id


def may_edit(room: WorkspaceRoom, requester: Requester | None) -> bool:
    return requester is not None or room.anonymous_edit


async def find_room(session: AsyncSession, room_id: str) -> WorkspaceRoom | None:
    return await session.scalar(select(WorkspaceRoom).where(WorkspaceRoom.room_id == room_id))


async def get_room(
    session: AsyncSession, *, requester: Requester | None, room_id: str
) -> WorkspaceRoom:
    room = await find_room(session, check_room_id(room_id))
    if room is None or not may_enter(room, requester):
        raise not_found("Room", code="room_not_found")
    return room


async def check_room_quota(session: AsyncSession, *, user_id: int, max_rooms: int) -> None:
    mine = select(func.count()).where(WorkspaceRoom.created_by_id == user_id)
    made = await session.scalar(mine)
    if (made or 0) >= max_rooms:
        raise ProblemError(
            403,
            "too_many_rooms",
            f"You have created {max_rooms} rooms, the most one user may; delete one first.",
            max_rooms=max_rooms,
        )


async def get_or_create_room(
    session: AsyncSession,
    *,
    room_id: str,
    max_users: int,
    creator: Requester | None,
    anonymous_edit: bool,
    max_rooms: int,
) -> WorkspaceRoom:
    """A connect to an unknown id makes it a public room (when the deployment allows it).
    Two first visitors at once both end up in the one row the insert race leaves."""
    if creator is not None:
        await check_room_quota(session, user_id=creator.id, max_rooms=max_rooms)
    await session.execute(
        insert_ignore(session, WorkspaceRoom).values(
            room_id=check_room_id(room_id),
            title=room_id,
            max_users=max_users,
            visibility=Visibility.public.value,
            created_by_id=creator.id if creator else None,
            anonymous_edit=anonymous_edit,
            snapshot_bytes=0,
            version=0,
        )
    )
    room = await find_room(session, room_id)
    assert room is not None  # inserted now or before
    return room


async def create_room(
    session: AsyncSession,
    requester: Requester,
    *,
    room_id: str | None,
    title: str,
    max_users: int,
    visibility: Visibility,
    anonymous_edit: bool,
    max_rooms: int,
) -> WorkspaceRoom:
    if visibility == Visibility.members and requester.corporation_id is None:
        raise bad_request(
            "no_corporation", "Only a member of a corporation can open a members room."
        )
    if anonymous_edit and visibility != Visibility.public:
        raise bad_request(
            "anonymous_edit_needs_public", "Only a public room can let anonymous visitors edit."
        )
    await check_room_quota(session, user_id=requester.id, max_rooms=max_rooms)
    room = WorkspaceRoom(
        room_id=check_room_id(room_id) if room_id else secrets.token_urlsafe(9),
        title=title,
        max_users=max_users,
        visibility=visibility.value,
        corporation_id=requester.corporation_id if visibility == Visibility.members else None,
        created_by_id=requester.id,
        anonymous_edit=anonymous_edit,
        snapshot_bytes=0,
        version=0,
    )
    session.add(room)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise conflict("room_exists", f"A room {room.room_id!r} exists already.") from exc
    return room


def _visible(requester: Requester | None) -> Select[WorkspaceRoom]:
    stmt = select(WorkspaceRoom)
    if requester is None:
        return stmt.where(WorkspaceRoom.visibility == Visibility.public.value)
    if requester.is_superuser:
        return stmt
    return stmt.where(
        or_(
            WorkspaceRoom.visibility == Visibility.public.value,
            WorkspaceRoom.corporation_id == requester.corporation_id,
        )
    )


async def list_rooms(
    session: AsyncSession, *, requester: Requester | None, limit: int, offset: int
) -> tuple[list[WorkspaceRoom], int]:
    stmt = _visible(requester).order_by(WorkspaceRoom.created_at.desc(), WorkspaceRoom.id.desc())
    return await fetch_page(session, stmt, limit, offset)


async def latest_snapshot(session: AsyncSession, room_pk: int) -> WorkspaceSnapshot | None:
    return await session.scalar(
        select(WorkspaceSnapshot)
        .where(WorkspaceSnapshot.room_id == room_pk)
        .order_by(WorkspaceSnapshot.version.desc())
        .limit(1)
    )


async def list_snapshots(
    session: AsyncSession, *, room: WorkspaceRoom, limit: int, offset: int
) -> tuple[list[WorkspaceSnapshot], int]:
    stmt = (
        select(WorkspaceSnapshot)
        .where(WorkspaceSnapshot.room_id == room.id)
        .order_by(WorkspaceSnapshot.version.desc())
    )
    return await fetch_page(session, stmt, limit, offset)


async def get_snapshot(
    session: AsyncSession, *, room: WorkspaceRoom, version: int
) -> WorkspaceSnapshot:
    snapshot = await session.scalar(
        select(WorkspaceSnapshot).where(
            WorkspaceSnapshot.room_id == room.id, WorkspaceSnapshot.version == version
        )
    )
    if snapshot is None:
        raise not_found("Snapshot", code="snapshot_not_found")
    return snapshot


def may_manage(room: WorkspaceRoom, requester: Requester) -> bool:
    """Rename, resize or delete: the room's creator, an admin of its corporation, or a
    superuser."""
    if requester.is_superuser or room.created_by_id == requester.id:
        return True
    return (
        room.corporation_id is not None
        and requester.is_corporation_admin
        and requester.corporation_id == room.corporation_id
    )


async def get_managed_room(
    session: AsyncSession, *, requester: Requester, room_id: str
) -> WorkspaceRoom:
    """404 for a room the requester may not enter, 403 `not_room_owner` for one they may
    enter but not manage."""
    room = await get_room(session, requester=requester, room_id=room_id)
    if not may_manage(room, requester):
        raise forbidden(
            "Only the room's creator or an admin of its company may change it.",
            code="not_room_owner",
        )
    return room


async def update_room(
    session: AsyncSession,
    room: WorkspaceRoom,
    *,
    title: str | None,
    max_users: int | None,
) -> WorkspaceRoom:
    if title is not None:
        room.title = title
    if max_users is not None:
        room.max_users = max_users
    await session.flush()
    return room


async def delete_room(session: AsyncSession, room: WorkspaceRoom) -> None:
    """The room and its snapshots (deleted explicitly: SQLite may run without foreign keys)."""
    await session.execute(delete(WorkspaceSnapshot).where(WorkspaceSnapshot.room_id == room.id))
    await session.delete(room)
    await session.flush()
