"""Receiving recordings: a line's reference audio (editors) and an attempt at a line
(which queues its analysis). The bytes are stored between two short transactions, so no
connection is held while they arrive and are checked; a refused or rolled back upload
leaves no object behind."""

from __future__ import annotations

from sqlalchemy import update
from starlette.datastructures import UploadFile

from backlot.accounts.principal import Principal
from backlot.core.db import after_commit, on_rollback, unit_of_work
from backlot.core.errors import ProblemError
from backlot.core.state import AppState
from backlot.dubbing import service
from backlot.dubbing.audio import receive_audio
from backlot.dubbing.models import Job, Script
from backlot.dubbing.popular import forget_popular
from backlot.dubbing.presenter import line_read
from backlot.dubbing.runtime import DubbingRuntime
from backlot.dubbing.schemas import LineRead
from backlot.dubbing.tasks import new_job_id


async def replace_reference(
    state: AppState, *, user: Principal, line_id: int, upload: UploadFile
) -> LineRead:
    """Store `upload` as the line's reference audio (the old one goes once this commits)."""
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, line_id=line_id, requester=user)
        await service.editable_script(session, requester=user, script_id=line.script_id)
    audio = await receive_audio(
        state.storage,
        settings=state.settings,
        upload=upload,
        key=service.new_audio_key("reference"),
    )
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, line_id=line_id, requester=user)
        service.set_reference_audio(
            session, store=state.storage, line=line, content=audio.content, seconds=audio.seconds
        )
        await session.flush()
        return await line_read(session, state=state, line=line, user=user)


async def submit_attempt(
    state: AppState,
    *,
    dubbing: DubbingRuntime,
    user: Principal,
    line_id: int,
    upload: UploadFile,
) -> str:
    """Store the attempt and queue its analysis; the job's id. The job row is committed
    before the job is queued."""
    limit = state.settings.dubbing_max_active_jobs_per_user
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, line_id=line_id, requester=user)
        if line.audio_key is None:
            raise ProblemError(
                409, "no_reference", "This line has no reference audio to compare with yet."
            )
        # Before any byte is stored.
        await service.require_job_room(session, user_id=user.id, limit=limit)
    audio = await receive_audio(
        state.storage, settings=state.settings, upload=upload, key=service.new_audio_key("attempt")
    )
    content, job_id = audio.content, new_job_id()
    async with unit_of_work(state.sessionmaker) as session:
        on_rollback(session, lambda: state.storage.delete(content.key))
        # Again, under the user's lock: concurrent uploads may all have passed the first.
        await service.require_job_room(session, user_id=user.id, limit=limit, lock=True)
        line = await service.get_line(session, line_id=line_id, requester=user)
        job = Job(
            id=job_id,
            user_id=user.id,
            token_id=line.id,
            audio_key=content.key,
            audio_type=content.content_type,
            audio_size=content.size,
            audio_seconds=round(audio.seconds, 3),
        )
        session.add(job)
        await session.execute(
            update(Script).where(Script.id == line.script_id).values(attempts=Script.attempts + 1)
        )
        script = await session.get(Script, line.script_id)
        corporation_id = None if script is None else script.corporation_id
        forget_popular(session, state=state, corporation_id=corporation_id)
        await session.flush()

        # If the queue is away, the reaper delivers the queued jobs it never got.
        after_commit(session, lambda: dubbing.jobs.publish(job))
        after_commit(session, lambda: dubbing.queue.enqueue(job_id))
    return job_id
