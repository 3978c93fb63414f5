"""API shapes of the labeling app."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from backlot.core.paging import Page
from backlot.core.params import IdField
from backlot.core.schemas import RequestModel
from backlot.core.text import no_control_characters, storable


def _plain_file_name(value: str) -> str:
    # The name is a lock key and later an object key: no paths, no tricks.
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError("a file name cannot contain path separators or be . or ..")
    return value


FileName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(no_control_characters),
    AfterValidator(_plain_file_name),
]
# Why an admin forced a lock open, in a few words, for the audit trail.
UnlockReason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(storable),
]
ProjectName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_control_characters),
]


class ReleaseReason(StrEnum):
    unlocked = "unlocked"
    expired = "expired"
    disconnected = "disconnected"
    forced = "forced"
    switched = "switched"


class ProjectCreate(RequestModel):
    name: ProjectName


class ProjectUpdate(RequestModel):
    name: ProjectName


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    corporation_id: int
    name: str
    created_at: datetime


class FileCreate(RequestModel):
    name: FileName


class LockRead(BaseModel):
    project_id: int
    file: str
    user_id: int
    user: str = Field(description="Display name of the holder.")
    token: int = Field(description="Fencing token: increases with every new holder.")
    expires_at: datetime
    expires_in_ms: int


class FileRead(BaseModel):
    id: int
    name: str
    created_at: datetime
    content_type: str | None = Field(None, description="Uploaded images only.")
    size: int | None = Field(None, description="Bytes of the uploaded image.")
    content_url: str | None = Field(
        None, description="Where the uploaded image is served (GET/HEAD, Range)."
    )
    lock: LockRead | None
    width: int | None = Field(None, description="Pixel width of the uploaded image, if known.")
    height: int | None = Field(None, description="Pixel height of the uploaded image, if known.")
    state: str = Field(
        "new", description="new, in_progress (locked) or labeled (has an annotation)."
    )
    annotation_version: int = Field(0, description="Latest annotation version; 0: none.")


class LockRequest(RequestModel):
    project_id: IdField
    file_name: FileName
    switch: bool = Field(False, description="Release the lock you hold in the project first.")


class UnlockRequest(RequestModel):
    project_id: IdField
    file_name: FileName
    force: bool = Field(False, description="Admins: release someone else's lock.")
    reason: UnlockReason | None = Field(
        None,
        description="With `force`: why (1-200 characters), kept in the audit trail as the "
        "event's `note`.",
    )

    @model_validator(mode="after")
    def _reason_needs_force(self) -> UnlockRequest:
        if self.reason is not None and not self.force:
            raise ValueError("a reason is given only with force: true")
        return self


class HeartbeatRequest(RequestModel):
    project_id: IdField


class ProjectRef(RequestModel):
    project_id: IdField


class JoinProject(RequestModel):
    project_id: IdField
    user_id: IdField | None = Field(None, description="If sent, must be the signed-in user.")
    since: int | None = Field(None, ge=0, description="Last seq seen: replay what followed.")


class SocketAuthenticate(RequestModel):
    token: str = Field(
        min_length=1, max_length=4096, description="A fresh access token of the same user."
    )


class StatusRead(BaseModel):
    project_id: int
    seq: int = Field(description="Sequence number of the project's latest lock event.")
    locks: list[LockRead]


class HeartbeatRead(BaseModel):
    renewed: list[LockRead]


class LockEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    file_name: str
    action: str
    reason: str | None = Field(
        description="How a lock was released: unlocked, expired, disconnected, forced or "
        "switched; null when acquired."
    )
    note: str | None = Field(None, description="The admin's reason for a forced unlock.")
    holder_id: int | None
    actor_id: int | None
    token: int
    at: datetime


# --- label sets and annotations -------------------------------------------------------

LabelName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_control_characters),
]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
# Image pixels: finite, within what any image could measure.
Coordinate = Annotated[float, Field(ge=-1e6, le=1e6, allow_inf_nan=False)]
# [x, y]: a list, since strict models take no JSON array as a tuple
Point = Annotated[list[Coordinate], Field(min_length=2, max_length=2)]


class Label(RequestModel):
    name: LabelName
    color: Color


class LabelSet(RequestModel):
    labels: list[Label]


class LabelSetRead(BaseModel):
    project_id: int
    labels: list[dict[str, str]]


class RectShape(RequestModel):
    type: Literal["rect"]
    label: LabelName
    x: Coordinate
    y: Coordinate
    w: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
    h: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
    attributes: dict[str, Any] | None = None


class PolygonShape(RequestModel):
    type: Literal["polygon"]
    label: LabelName
    points: list[Point] = Field(min_length=3)
    attributes: dict[str, Any] | None = None


Shape = Annotated[RectShape | PolygonShape, Field(discriminator="type")]


class AnnotationSave(RequestModel):
    token: int = Field(ge=1, description="Fencing token of the lock you hold on the file.")
    shapes: list[Shape]


class AnnotationRestore(RequestModel):
    token: int = Field(ge=1, description="Fencing token of the lock you hold on the file.")


class Author(BaseModel):
    id: int | None
    name: str


class AnnotationRead(BaseModel):
    project_id: int
    file: str
    version: int
    shapes: list[dict[str, Any]]
    author: Author
    created_at: datetime
    restored_from: int | None = Field(None, description="The version a restore copied.")


class FileState(StrEnum):
    new = "new"
    in_progress = "in_progress"
    labeled = "labeled"


class FilePage(Page[FileRead]):
    counts: dict[str, int] = Field(
        description="The project's files per state: new, in_progress, labeled."
    )
