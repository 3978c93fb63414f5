"""Attempts at a line: the recording upload (202 and a job id at once), the job's
progress as Server-Sent Events, and its result. Only the job's owner sees it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy import update

from backlot.accounts.deps import CurrentPrincipal, bearer_user_id, scoped_user_id, url_token
from backlot.core.db import after_commit, insert_ignore, on_rollback, unit_of_work
from backlot.core.deps import StateDep
from backlot.core.errors import ProblemError, not_found, problem_responses, unauthorized
from backlot.core.params import IdPath
from backlot.core.state import AppState
from backlot.core.streaming import object_response
from backlot.core.webhooks import WebhookError, verify
from backlot.dubbing import service
from backlot.dubbing.audio import receive_audio
from backlot.dubbing.external import ATTEMPT_AUDIENCE, WEBHOOK_PATH, webhook_secrets
from backlot.dubbing.jobs import TERMINAL, job_channel, new_job_id, snapshot
from backlot.dubbing.models import Job, Script, WebhookDelivery
from backlot.dubbing.queue import DubbingQueue
from backlot.dubbing.router import forget_popular
from backlot.dubbing.schemas import AnalysisComplete, JobAccepted, JobResult, Scores

PROGRESS_AUDIENCE = "dubbing-progress"
KEEPALIVE_SECONDS = 15.0

# Job ids are ours (uuid4 hex): anything else is refused before it reaches a query.
JobIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A job id.")]

router = APIRouter(prefix="/v1/tokens", tags=["dubbing"], responses=problem_responses(401, 422))


async def _queue(request: Request) -> DubbingQueue:
    queue: DubbingQueue = request.app.state.dubbing
    return queue


QueueDep = Annotated[DubbingQueue, Depends(_queue)]


async def owned_job(state: AppState, user_id: int, job_id: str) -> Job:
    async with unit_of_work(state.sessionmaker) as session:
        job = await session.get(Job, job_id)
    if job is None or job.user_id != user_id:
        raise not_found("Job", code="job_not_found")  # another's job is no one's
    return job


@router.post(
    "/{token_id:int}/upload-audio",
    status_code=202,
    response_model=JobAccepted,
    responses=problem_responses(404, 409, 413, 415, 429),
)
async def upload_attempt(
    state: StateDep, queue: QueueDep, user: CurrentPrincipal, token_id: IdPath, file: UploadFile
) -> Any:
    """Your recording of the line (wav, mp3, m4a/aac, ogg/opus, webm/opus, flac; judged by
        its bytes; size and duration limits; at most BACKLOT_DUBBING_MAX_ACTIVE_JOBS_PER_USER
    queued or running, then 429 with Retry-After). Answers 202 with the job id at once; the job
        row is committed before the job is queued."""
    limit = state.settings.dubbing_max_active_jobs_per_user
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, token_id, user)
        if line.audio_key is None:
            raise ProblemError(
                409, "no_reference", "This line has no reference audio to compare with yet."
            )
        await service.require_job_room(session, user.id, limit)  # before any byte is stored
    content, seconds = await receive_audio(
        state.storage, state.settings, file, service.new_audio_key("attempt")
    )
    job_id = new_job_id()
    async with unit_of_work(state.sessionmaker) as session:
        on_rollback(session, lambda: state.storage.delete(content.key))
        # Again, under the user's lock: concurrent uploads may all have passed the first.
        await service.require_job_room(session, user.id, limit, lock=True)
        line = await service.get_line(session, token_id, user)
        job = Job(
            id=job_id,
            user_id=user.id,
            token_id=line.id,
            audio_key=content.key,
            audio_type=content.content_type,
            audio_size=content.size,
            audio_seconds=round(seconds, 3),
        )
        session.add(job)
        await session.execute(
            update(Script).where(Script.id == line.script_id).values(attempts=Script.attempts + 1)
        )
        script = await session.get(Script, line.script_id)
        forget_popular(session, state, None if script is None else script.corporation_id)
        await session.flush()

        # If the queue is away, the reaper delivers the queued jobs it never got.
        after_commit(session, lambda: queue.runner.publish(job))
        after_commit(session, lambda: queue.enqueue(job_id))
    ttl = timedelta(seconds=state.settings.dubbing_audio_token_ttl_seconds)
    token = url_token(state.signer, user, PROGRESS_AUDIENCE, ttl, job=job_id)
    return JobAccepted(
        job_id=job_id,
        state="queued",
        progress_url=f"/v1/tokens/analysis-progress/{job_id}?token={token}",
        result_url=f"/v1/tokens/analysis-result/{job_id}",
    )


def event_id(header: str | None) -> int | None:
    """The Last-Event-ID a client resumes after, or None (start afresh) for anything but
    our ids: ASCII digits, short (str.isdigit() also takes "²", which int() refuses)."""
    if header and header.isascii() and header.isdigit() and len(header) <= 18:
        return int(header)
    return None


def _frame(seq: int, kind: str, data: dict[str, Any]) -> str:
    return f"id: {seq}\nevent: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


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
    await owned_job(state, user_id, job_id)
    since = event_id(last_event_id)
    return StreamingResponse(
        _events(state, job_id, since),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(state: AppState, job_id: str, since: int | None) -> AsyncIterator[str]:
    channel = job_channel(job_id)
    async with state.bus.subscribe(channel) as subscription:
        # Subscribed first, then the state read: nothing falls between the two.
        seq = await state.bus.last_seq(channel)
        missed = None if since is None else await state.bus.since(channel, since)
        async with unit_of_work(state.sessionmaker) as session:
            job = await session.get(Job, job_id)
        if job is None:
            return
        if missed is not None:
            for event in missed:
                yield _frame(event.seq, event.type, event.data)
                if event.data.get("state") in TERMINAL:
                    return
            seq = max([since or 0, *[e.seq for e in missed]])
            if job.state in TERMINAL:
                # Its terminal event was seen already, or is on its way: say it (again)
                # and end, rather than wait for news that will not come.
                yield _frame(seq, job.stage, snapshot(job))
                return
        else:
            yield _frame(seq, job.stage, snapshot(job))
            if job.state in TERMINAL:
                return
        events = subscription.__aiter__()
        # The next event is awaited in a task of its own, not cancelled by a keepalive
        # timeout (cancelling would end the subscription's iterator).
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(events))
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    yield ": keepalive\n\n"
                    continue
                event, pending = pending.result(), None
                if event.seq <= seq:
                    continue
                seq = event.seq
                yield _frame(event.seq, event.type, event.data)
                if event.data.get("state") in TERMINAL:
                    return
        finally:
            if pending is not None:
                pending.cancel()


@router.get("/analysis-result/{job_id}", response_model=JobResult, responses=problem_responses(404))
async def analysis_result(state: StateDep, user: CurrentPrincipal, job_id: JobIdPath) -> Any:
    """The job and, once completed, its scores and detailed feedback."""
    job = await owned_job(state, user.id, job_id)
    scores = None
    if job.state == "completed":
        scores = Scores(
            pronunciation=job.pronunciation_score or 0,
            intonation=job.intonation_score or 0,
            emotion=job.emotion_score or 0,
            timing=job.timing_score,
            overall=job.overall_score or 0,
        )
    return JobResult(
        job_id=job.id,
        token_id=job.token_id,
        state=job.state,
        stage=job.stage,
        progress=job.progress,
        tries=job.tries,
        error=job.error,
        audio_seconds=job.audio_seconds,
        scores=scores,
        detailed_feedback=job.detailed_feedback,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


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
    job = await owned_job(state, user_id, job_id)
    return await object_response(request, state.storage, job.audio_key, filename=f"{job_id}")


@router.post(
    WEBHOOK_PATH.removeprefix("/v1/tokens"),
    responses={
        200: {"description": "Applied, or a repeat of a delivery already applied."},
        **problem_responses(400, 401, 404, 409),
    },
)
async def analysis_complete(request: Request, state: StateDep, queue: QueueDep) -> Any:
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
        first = await session.execute(
            insert_ignore(session, WebhookDelivery)
            .values(id=delivery[:200], job_id=message.job_id)
            .returning(WebhookDelivery.id)
        )
        if first.first() is None:
            return {"status": "duplicate", "job_id": message.job_id}
        job = await session.get(Job, message.job_id)
        if job is None:
            raise not_found("Job", code="job_not_found")
        if job.state != "running":
            raise ProblemError(409, "job_finished", f"The job is {job.state}, not running.")
    # The delivery is recorded; the job's change goes through the runner's guarded update.
    if message.scores is not None:
        await queue.runner.complete(
            message.job_id,
            {"scores": message.scores.model_dump(), "feedback": message.detailed_feedback},
        )
    else:
        await queue.runner.fail(message.job_id, message.error or "the analysis server failed")
    return {"status": "applied", "job_id": message.job_id}
