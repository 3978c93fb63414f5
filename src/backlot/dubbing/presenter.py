"""How the dubbing API shows its rows: scripts, lines (with a short-lived URL of their
reference audio) and jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.deps import url_token
from backlot.accounts.principal import Principal
from backlot.core.jobs import JobState
from backlot.core.state import AppState
from backlot.dubbing.audiences import AUDIO_AUDIENCE
from backlot.dubbing.models import Actor, Job, Line, Script
from backlot.dubbing.schemas import JobResult, LineRead, Scores, ScriptRead

# What the API shows of a row as it is stored.
_LINE_COLUMNS = (
    "id",
    "script_id",
    "actor_id",
    "order",
    "text",
    "start_time",
    "end_time",
    "audio_seconds",
)
_JOB_COLUMNS = (
    "token_id",
    "state",
    "stage",
    "progress",
    "tries",
    "error",
    "audio_seconds",
    "detailed_feedback",
    "created_at",
    "finished_at",
)


def _columns(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def script_read(script: Script) -> ScriptRead:
    return ScriptRead.model_validate(script, from_attributes=True)


async def line_read(
    session: AsyncSession, *, state: AppState, line: Line, user: Principal
) -> LineRead:
    actor = await session.get(Actor, line.actor_id) if line.actor_id else None
    url = expires = None
    if line.audio_key:
        ttl = timedelta(seconds=state.settings.dubbing_audio_token_ttl_seconds)
        token = url_token(state.signer, user, AUDIO_AUDIENCE, ttl, line=line.id)
        url, expires = f"/v1/tokens/{line.id}/audio?token={token}", state.clock.now() + ttl
    return LineRead(
        actor=actor.name if actor else None,
        audio_url=url,
        audio_url_expires_at=expires,
        **_columns(line, _LINE_COLUMNS),
    )


async def lines_read(
    session: AsyncSession, *, state: AppState, lines: list[Line], user: Principal
) -> list[LineRead]:
    return [await line_read(session, state=state, line=line, user=user) for line in lines]


def job_result(job: Job) -> JobResult:
    """The job and, once completed, its scores."""
    scores = None
    if job.state == JobState.completed.value:
        scores = Scores(
            pronunciation=job.pronunciation_score or 0,
            intonation=job.intonation_score or 0,
            emotion=job.emotion_score or 0,
            timing=job.timing_score,
            overall=job.overall_score or 0,
        )
    return JobResult(job_id=job.id, scores=scores, **_columns(job, _JOB_COLUMNS))
