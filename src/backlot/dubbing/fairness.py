"""Which dubbing job runs next, asked by the dispatcher (core's jobs port) whenever an
analysis slot is free: round robin by user: the user with the fewest jobs running, then
the one served least recently, then that user's oldest queued job. One user's twelve
uploads cannot hold back another's one, in the API process (embedded) as in every
`backlot worker` (scaled): the rows decide, not the order of the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.core.jobs import JobState
from backlot.dubbing.models import Job


def _ready(now: datetime) -> Any:
    # heartbeat_at on a queued job is the earliest time it may run (a retry's backoff).
    return (Job.state == JobState.queued.value) & (
        Job.heartbeat_at.is_(None) | (Job.heartbeat_at <= now)
    )


async def next_job_id(session: AsyncSession, now: datetime) -> str | None:
    """The queued job that should run next, fairly across users; None when none waits."""
    waiting = (
        select(Job.user_id, func.min(Job.created_at).label("oldest"))
        .where(_ready(now))
        .group_by(Job.user_id)
        .subquery()
    )
    running = func.sum(case((Job.state == JobState.running.value, 1), else_=0))
    rows = (
        await session.execute(
            select(waiting.c.user_id, waiting.c.oldest, running, func.max(Job.started_at))
            .join(Job, Job.user_id == waiting.c.user_id)
            .group_by(waiting.c.user_id, waiting.c.oldest)
        )
    ).all()
    if not rows:
        return None

    def turn(row: Any) -> tuple[Any, ...]:
        user_id, oldest, busy, served = row
        # Never served comes first; equal keys compare the same types only.
        return (busy or 0, served is not None, served or oldest, oldest, user_id)

    user_id = min(rows, key=turn)[0]
    job_id: str | None = await session.scalar(
        select(Job.id)
        .where(_ready(now), Job.user_id == user_id)
        .order_by(Job.created_at, Job.id)
        .limit(1)
    )
    return job_id
