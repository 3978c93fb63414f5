"""API shapes of the dubbing app."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from backlot.core.params import IdField
from backlot.core.schemas import FromJsonText, RequestModel
from backlot.core.text import no_control_characters, storable
from backlot.dubbing.models import ScriptKind

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_control_characters),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_control_characters),
]
Seconds = Annotated[float, Field(ge=0, le=86400)]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(storable)]
LineText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(storable),
]


class ScriptCreate(RequestModel):
    title: Title
    kind: Annotated[ScriptKind, FromJsonText]
    description: Description = ""


class ScriptUpdate(RequestModel):
    title: Title | None = None
    kind: Annotated[ScriptKind, FromJsonText] | None = None
    description: Description | None = None


class ScriptRead(BaseModel):
    id: int
    title: str
    kind: ScriptKind
    description: str
    corporation_id: int | None
    attempts: int = Field(description="Attempts at its lines, all users.")
    created_at: datetime
    updated_at: datetime


class ActorCreate(RequestModel):
    name: Name


class ActorRead(BaseModel):
    id: int
    script_id: int
    name: str


class LineCreate(RequestModel):
    text: LineText
    actor_id: IdField | None = None
    order: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    start_time: Seconds | None = None
    end_time: Seconds | None = None


class LineUpdate(RequestModel):
    text: LineText | None = None
    actor_id: IdField | None = None
    order: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    start_time: Seconds | None = None
    end_time: Seconds | None = None


class LineOrder(RequestModel):
    """Every line of the script, each once, in the new order."""

    token_ids: Annotated[list[IdField], Field(min_length=1, max_length=10_000)]


class LineRead(BaseModel):
    id: int
    script_id: int
    actor_id: int | None
    actor: str | None
    order: int
    text: str
    start_time: float | None
    end_time: float | None
    audio_seconds: float | None
    audio_url: str | None = Field(
        description="The reference audio (Range-capable), with a short-lived token for "
        "<audio src>; null until an editor uploads it."
    )
    audio_url_expires_at: datetime | None


class ScriptDetail(ScriptRead):
    actors: list[ActorRead]


class JobAccepted(BaseModel):
    job_id: str
    state: str
    progress_url: str = Field(
        description="Server-Sent Events of the job, with a short-lived token for EventSource."
    )
    result_url: str


Score = Annotated[float, Field(ge=0, le=100)]


class Scores(BaseModel):
    pronunciation: Score
    intonation: Score
    emotion: Score
    timing: Score | None = None  # the built-in analyzer's; external ones may not give it
    overall: Score


class AnalysisComplete(BaseModel):
    """The external analysis server's webhook body: scores, or an error."""

    job_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    scores: Scores | None = None
    detailed_feedback: dict[str, object] | None = None
    error: Annotated[str, StringConstraints(max_length=2000), AfterValidator(storable)] | None = (
        None
    )

    @model_validator(mode="after")
    def _storable(self) -> AnalysisComplete:
        try:
            json.dumps(self.detailed_feedback, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("detailed_feedback holds lone surrogates") from exc
        return self


class JobResult(BaseModel):
    job_id: str
    token_id: int
    state: str = Field(description="queued, running, completed or failed")
    stage: str
    progress: int
    tries: int
    error: str | None
    audio_seconds: float
    scores: Scores | None
    detailed_feedback: dict[str, object] | None
    created_at: datetime
    finished_at: datetime | None


class BookmarkAdd(RequestModel):
    token_id: IdField


class BookmarkRead(BaseModel):
    token: LineRead
    created_at: datetime


class LatestAttempt(BaseModel):
    job_id: str
    state: str
    overall: float | None
    created_at: datetime


class AttemptRead(BaseModel):
    """One of your attempts at a line (my page's history)."""

    job_id: str
    state: str = Field(description="queued, running, completed or failed")
    error: str | None
    scores: Scores | None
    created_at: datetime


class DubbedLine(BaseModel):
    token_id: int
    text: str
    script_id: int
    script_title: str
    attempts: int
    best_overall: float | None
    latest: LatestAttempt


class DimensionSummary(BaseModel):
    average: float | None
    best: float | None


class DayProgress(BaseModel):
    date: str
    attempts: int
    average_overall: float


class Overview(BaseModel):
    attempts: int
    completed: int
    failed: int
    scores: dict[str, DimensionSummary]
    by_day: list[DayProgress]
