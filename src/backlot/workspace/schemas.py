"""REST shapes of the workspace app (the socket's frames are in protocol.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
)

from backlot.core.schemas import FromJsonText, RequestModel
from backlot.core.text import no_control_characters
from backlot.workspace.models import Visibility

RoomId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_control_characters),
]


class RoomCreate(RequestModel):
    room_id: RoomId | None = Field(None, description="Leave out for a generated one.")
    title: Title
    max_users: int = Field(20, ge=1, le=1000)
    visibility: Annotated[Visibility, FromJsonText] = Field(
        Visibility.public,
        description="public: anyone with a nickname; members: your corporation, with a token.",
    )
    anonymous_edit: bool = Field(
        False,
        description="public rooms: visitors without an account may lock and commit too "
        "(otherwise they only watch).",
    )


class RoomUpdate(RequestModel):
    title: Title | None = None
    max_users: int | None = Field(
        None, ge=1, le=1000, description="Seats already taken stay; new joiners see the limit."
    )


class TicketRead(BaseModel):
    ticket: str = Field(description="Connect with ?ticket=<this>: good once, for you only.")
    expires_in: float = Field(description="Seconds the ticket stays usable.")
    socket_path: str


class OnlineUser(BaseModel):
    clientId: str  # noqa: N815 - the socket protocol's names
    nickname: str
    color: str
    lastSeen: int  # noqa: N815 - epoch milliseconds


class RoomRead(BaseModel):
    room_id: str
    title: str
    max_users: int
    visibility: Visibility
    corporation_id: int | None
    created_by_id: int | None
    anonymous_edit: bool = Field(description="Visitors without an account may edit.")
    version: int = Field(description="Number of the room's last commit.")
    created_at: datetime
    socket_path: str = Field(description="Where to connect: add ?nickname=...")


class RoomListed(RoomRead):
    online: int = Field(description="People in the room now (its seats taken).")
    can_manage: bool = Field(
        description="You may rename, resize and delete it (PATCH, DELETE): its creator, an "
        "admin of its corporation or a superuser."
    )


class RoomDetail(RoomRead):
    users: list[OnlineUser]


class SnapshotRead(BaseModel):
    version: int
    author: str
    author_user_id: int | None
    restored_from: int | None
    size: int = Field(description="Characters of XML.")
    created_at: datetime


class SnapshotDetail(SnapshotRead):
    xml: str


class Restored(BaseModel):
    version: int = Field(description="The new commit carrying the old workspace.")
    restored_from: int
