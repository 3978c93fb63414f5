"""Attempts at a line: the recording upload (202 and a job id at once), the job's
progress as Server-Sent Events, and its result. Only the job's owner sees it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from backlot.accounts.deps import CurrentPrincipal, bearer_user_id, scoped_user_id, url_token
from backlot.core.apps import upload_limit
from backlot.core.db import unit_of_work
from backlot.core.deps import StateDep
from backlot.core.errors import problem_responses, unauthorized
from backlot.core.state import AppState
from backlot.core.streaming import object_response
from backlot.core.webhooks import WebhookError, verify
from backlot.dubbing import service
from backlot.dubbing.audiences import ATTEMPT_AUDIENCE, PROGRESS_AUDIENCE
from backlot.dubbing.deps import DubbingDep, LineIdPath
from backlot.dubbing.events import event_id, job_events
from backlot.dubbing.external import WEBHOOK_PATH, webhook_secrets
from backlot.dubbing.models import Job
from backlot.dubbing.presenter import job_result
from backlot.dubbing.recordings import submit_attempt
from backlot.dubbing.schemas import AnalysisComplete, JobAccepted, JobResult
from backlot.dubbing.tasks import Scored

# Job ids are ours (uuid4 hex): anything else is refused before it reaches a query.
JobIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A job id.")]

router = APIRouter(prefix="/v1/tokens", tags=["dubbing"], responses=problem_responses(401, 422))


async def owned_job(state: AppState, *, user_id: int, job_id: str) -> Job:
    async with unit_of_work(state.sessionmaker) as session:
        return await service.owned_job(session, user_id=user_id, job_id=job_id)


@router.post(
    "/{token_id:int}/upload-audio",
    status_code=202,
    response_model=JobAccepted,
    responses=problem_responses(404, 409, 413, 415, 429),
)
@upload_limit(lambda s: s.dubbing_max_upload_bytes)
async def upload_attempt(
    state: StateDep,
    dubbing: DubbingDep,
    user: CurrentPrincipal,
    line_id: LineIdPath,
    file: UploadFile,
) -> Any:
    """Your recording of the line (wav, mp3, m4a/aac, ogg/opus, webm/opus, flac; judged by
        its bytes; size and duration limits; at most BACKLOT_DUBBING_MAX_ACTIVE_JOBS_PER_USER
    queued or running, then 429 with Retry-After). Answers 202 with the job id at once; the job
        row is committed before the job is queued."""
    job_id = await submit_attempt(state, dubbing=dubbing, user=user, line_id=line_id, upload=file)
    ttl = timedelta(seconds=state.settings.dubbing_audio_token_ttl_seconds)
    token = url_token(state.signer, user, PROGRESS_AUDIENCE, ttl, job=job_id)
    return JobAccepted(
        job_id=job_id,
        state="queued",
        progress_url=f"/v1/tokens/analysis-progress/{job_id}?token={token}",
        result_url=f"/v1/tokens/analysis-result/{job_id}",
    )


@router.get(
    "/analysis-progress/{job_id}",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The job's events."},
        **problem_responses(404),
    },
)
async def analysis_progress(
    request: Request,
    state: StateDep,
    job_id: JobIdPath,
    bearer: Annotated[int | None, Depends(bearer_user_id)],
    token: Annotated[str | None, Query(max_length=4096, description="progress_url's token")] = None,
    last_event_id: Annotated[
        str | None, Header(description="Resume after this event id; anything else is ignored.")
    ] = None,
) -> StreamingResponse:
    """Server-Sent Events: `queued`, `decoding`, `analysing` (with `progress` percent),
    `retrying`, then `completed` (scores) or `failed` (reason), each with an `id`; a
    comment every 15 s keeps proxies from closing it. Reconnect with `Last-Event-ID` to
    get exactly what was missed; a late client first gets the current state. The stream
    ends after the terminal event."""
    user_id = await scoped_user_id(request, state, bearer, token, PROGRESS_AUDIENCE, job=job_id)
    await owned_job(state, user_id=user_id, job_id=job_id)
    since = event_id(last_event_id)
    return StreamingResponse(
        job_events(state, job_id=job_id, since=since),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/analysis-result/{job_id}", response_model=JobResult, responses=problem_responses(404))
async def analysis_result(state: StateDep, user: CurrentPrincipal, job_id: JobIdPath) -> Any:
    """The job and, once completed, its scores and detailed feedback."""
    return job_result(await owned_job(state, user_id=user.id, job_id=job_id))


@router.get(
    "/analysis-audio/{job_id}",
    response_class=Response,
    responses={200: {"content": {"audio/*": {}}}, **problem_responses(404)},
)
async def attempt_audio(
    request: Request,
    state: StateDep,
    job_id: JobIdPath,
    bearer: Annotated[int | None, Depends(bearer_user_id)],
    token: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response:
    """The recording of a job: for its owner, and for the analysis server through the
    job-scoped URL it was sent."""
    user_id = await scoped_user_id(request, state, bearer, token, ATTEMPT_AUDIENCE, job=job_id)
    job = await owned_job(state, user_id=user_id, job_id=job_id)
    return await object_response(request, state.storage, job.audio_key, filename=f"{job_id}")


@router.post(
    WEBHOOK_PATH.removeprefix("/v1/tokens"),
    responses={
        200: {"description": "Applied, or a repeat of a delivery already applied."},
        **problem_responses(400, 401, 404, 409),
    },
)
async def analysis_complete(request: Request, state: StateDep, dubbing: DubbingDep) -> Any:
    """The external analysis server's answer (Standard Webhooks: `webhook-id`,
    `webhook-timestamp`, `webhook-signature` over the raw body). A repeated `webhook-id`
    is answered 200 and not applied again; unknown or finished jobs are refused."""
    body = await request.body()
    try:
        delivery = verify(webhook_secrets(state), request.headers, body, state.clock.now())
    except WebhookError as exc:
        raise unauthorized("invalid_signature", f"Webhook refused: {exc}.") from exc
    try:
        message = AnalysisComplete.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from exc
    async with unit_of_work(state.sessionmaker) as session:
        first = await service.record_delivery(
            session, delivery_id=delivery[:200], job_id=message.job_id
        )
    if not first:
        return {"status": "duplicate", "job_id": message.job_id}
    # The delivery is recorded; the job's change goes through the rows' guarded update.
    if message.scores is not None:
        feedback = (message.detailed_feedback or {}) | {"monotone": False}
        await dubbing.jobs.complete(message.job_id, Scored(message.scores.model_dump(), feedback))
    else:
        await dubbing.jobs.fail(message.job_id, message.error or "the analysis server failed")
    return {"status": "applied", "job_id": message.job_id}
