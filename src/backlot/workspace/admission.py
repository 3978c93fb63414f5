"""Letting a socket in: its nickname, resume point and token checked, its room found (or
created where the deployment allows), and who it is for the room's rules and seat limits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket

from backlot.accounts.deps import cached_principal, live_principal
from backlot.accounts.principal import Principal
from backlot.core.db import unit_of_work
from backlot.core.errors import ProblemError
from backlot.core.state import AppState
from backlot.workspace import service
from backlot.workspace.models import WorkspaceRoom
from backlot.workspace.refusals import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHORIZED,
    Refused,
    check_nickname,
    check_since,
)
from backlot.workspace.runtime import WorkspaceRuntime
from backlot.workspace.tickets import redeem


@dataclass
class Admission:
    """Who a socket is and where it may go; its token's user and expiry change when an
    AUTH renews it."""

    room_id: str
    room: WorkspaceRoom
    client_id: str  # this socket's name in the room, new on every connect
    nickname: str
    since: int | None
    requester: Principal | None
    token_expires_at: datetime | None
    holder: str  # whose seat this is: the user, or the client address


async def authenticate(runtime: WorkspaceRuntime, token: str) -> tuple[Principal, datetime]:
    """The token's user and when the token expires; a refusal (4401) otherwise."""
    try:
        principal, claims = await live_principal(runtime.principals, runtime.state, token)
    except ProblemError as exc:
        raise Refused(CLOSE_UNAUTHORIZED, exc.code, exc.detail) from None
    return principal, claims.expires_at


async def admit(websocket: WebSocket, runtime: WorkspaceRuntime, room_id: str) -> Admission:
    state, params = runtime.state, websocket.query_params
    try:
        service.check_room_id(room_id)
    except ProblemError as exc:
        raise Refused(CLOSE_BAD_REQUEST, exc.code, exc.detail) from None
    nickname = check_nickname(params.get("nickname"))
    since = check_since(params.get("since"))
    token, ticket = params.get("token"), params.get("ticket")
    requester: Principal | None = None
    expires_at: datetime | None = None
    async with unit_of_work(state.sessionmaker) as session:
        if ticket is not None:
            requester = await _redeem(runtime, ticket, room_id)
        elif token is not None:
            requester, expires_at = await authenticate(runtime, token)
        room = await service.find_room(session, room_id)
        if room is None:
            room = await _create(session, state, room_id, requester)
    if requester is not None:
        holder = f"user:{requester.id}"
    else:
        holder = f"address:{websocket.client.host if websocket.client else 'unknown'}"
    if not service.may_enter(room, requester):
        if requester is None:
            raise Refused(
                CLOSE_UNAUTHORIZED,
                "not_authenticated",
                "This room is for members: connect with token=<access token>.",
            )
        raise Refused(CLOSE_NOT_FOUND, "room_not_found", "Room not found.")
    client_id = "c" + secrets.token_hex(8)
    return Admission(room_id, room, client_id, nickname, since, requester, expires_at, holder)


async def _redeem(runtime: WorkspaceRuntime, ticket: str, room_id: str) -> Principal:
    """A ticket's user, once, for the room it was issued for (4401 otherwise). A ticket
    socket has no token to expire; it still closes when the user's session ends."""
    grant = await redeem(runtime.state.kv, ticket)
    if grant is None or grant.room_id != room_id:
        raise Refused(
            CLOSE_UNAUTHORIZED,
            "invalid_ticket",
            "This join ticket is unknown, expired, used or for another room; ask for a new one.",
        )
    try:
        return await cached_principal(
            runtime.principals, runtime.state, grant.user_id, grant.generation
        )
    except ProblemError as exc:
        raise Refused(CLOSE_UNAUTHORIZED, exc.code, exc.detail) from None


async def _create(
    session: AsyncSession, state: AppState, room_id: str, requester: Principal | None
) -> WorkspaceRoom:
    """An unknown room: created by this connect only where the deployment says so."""
    settings = state.settings
    mode = settings.workspace_rooms_on_connect
    if mode == "off" or (mode == "signed_in" and requester is None):
        raise Refused(
            CLOSE_NOT_FOUND,
            "room_not_found",
            "No such room; a signed-in user creates it (POST /v1/workspace/rooms).",
        )
    try:
        return await service.get_or_create_room(
            session,
            room_id=room_id,
            max_users=settings.workspace_default_max_users,
            creator=requester,
            # Seed 002's open rooms stay editable by all; otherwise the creator decides.
            anonymous_edit=mode == "anyone",
            max_rooms=settings.workspace_max_rooms_per_user,
        )
    except ProblemError as exc:
        raise Refused(CLOSE_FORBIDDEN, exc.code, exc.detail) from None
