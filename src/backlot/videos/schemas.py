"""API shapes of the videos app."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from backlot.core.schemas import RequestModel
from backlot.core.text import no_control_characters

VideoName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_control_characters),
]
SourceUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(no_control_characters),
]


class VideoRegister(RequestModel):
    """Seed 001's video: a name and the URL of a file that lives elsewhere."""

    name: VideoName
    file_path: SourceUrl = Field(
        description="http(s) URL of the video; loopback, private and link-local hosts are refused."
    )


class VideoUpdate(RequestModel):
    name: VideoName


class VideoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    corporation_id: int
    name: str
    source: Literal["upload", "url"]
    file_path: str | None = Field(description="The external URL of a registered video.")
    content_type: str | None
    size: int | None
    stream_path: str = Field(description="GET/HEAD it with a Bearer token or a stream token.")
    duration_seconds: float | None = Field(description="Length of an upload, read at upload.")
    poster_url: str | None = Field(
        description="A JPEG frame of an upload, with a token for you and this video (<img src>)."
    )
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class StreamUrl(BaseModel):
    url: str = Field(description="Path with a token for this video and user only; for <video src>.")
    expires_at: datetime


class ViewLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    video_id: int
    user_id: int
    points: int
    created_at: datetime
