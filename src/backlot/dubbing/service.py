"""The catalogue's rules: superusers' scripts are shared with everyone signed in; a
corporation's scripts are its own (others get 404). Superusers edit everything,
corporation admins the scripts of their corporation. Services never commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, desc, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import User
from backlot.accounts.principal import Requester
from backlot.core.db import after_commit, insert_ignore, on_rollback
from backlot.core.errors import ProblemError, forbidden, not_found
from backlot.core.jobs import JobState
from backlot.core.paging import fetch_page
from backlot.core.storage import ObjectInfo, ObjectStore
from backlot.dubbing.models import Actor, Bookmark, Job, Line, Script, WebhookDelivery
from backlot.dubbing.schemas import (
    DayProgress,
    DimensionSummary,
    DubbedLine,
    LatestAttempt,
    Overview,
)

JOB_RETRY_AFTER_SECONDS = 10  # an attempt at one line is scored in seconds


def may_edit(requester: Requester, script: Script) -> bool:
    if requester.is_superuser:
        return True
    return requester.is_corporation_admin and script.corporation_id == requester.corporation_id


def require_editor(requester: Requester) -> None:
    if not (requester.is_superuser or requester.is_corporation_admin):
        raise forbidden("Only superusers and corporation admins edit the catalogue.")


def may_see(requester: Requester, script: Script) -> bool:
    """Superusers' scripts (no corporation) are everyone's; a corporation's are its own."""
    return (
        requester.is_superuser
        or script.corporation_id is None
        or script.corporation_id == requester.corporation_id
    )


def audience(corporation_id: int | None) -> ColumnElement[bool]:
    """The scripts a member of `corporation_id` sees (None: no corporation, shared only)."""
    shared = Script.corporation_id.is_(None)
    return shared if corporation_id is None else shared | (Script.corporation_id == corporation_id)


def visible_to(requester: Requester) -> ColumnElement[bool]:
    return true() if requester.is_superuser else audience(requester.corporation_id)


async def get_script(session: AsyncSession, *, script_id: int, requester: Requester) -> Script:
    script = await session.get(Script, script_id)
    if script is None or not may_see(requester, script):
        raise not_found("Script", code="script_not_found")  # another's is no one's
    return script


async def editable_script(session: AsyncSession, *, requester: Requester, script_id: int) -> Script:
    script = await get_script(session, script_id=script_id, requester=requester)
    if not may_edit(requester, script):
        raise forbidden("Only superusers edit the shared catalogue.")
    return script


def _search(where: ColumnElement[bool], query: str | None, kind: str | None) -> Select[Script]:
    stmt = select(Script).where(where)
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Script.title).like(pattern), func.lower(Script.description).like(pattern)
            )
        )
    if kind:
        stmt = stmt.where(Script.kind == kind)
    return stmt


async def list_scripts(
    session: AsyncSession,
    *,
    where: ColumnElement[bool],
    query: str | None,
    kind: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[Script], int]:
    """Scripts matching `where` (visible_to(requester), or one audience's own for a cache)."""
    order: tuple[Any, ...] = {
        "recent": (desc(Script.created_at), Script.id.desc()),
        "popular": (Script.attempts.desc(), Script.id.desc()),
        "title": (Script.title.asc(), Script.id.asc()),
    }[sort]
    return await fetch_page(session, _search(where, query, kind).order_by(*order), limit, offset)


async def create_script(
    session: AsyncSession, *, requester: Requester, title: str, kind: str, description: str
) -> Script:
    require_editor(requester)
    script = Script(
        title=title,
        kind=kind,
        description=description,
        corporation_id=None if requester.is_superuser else requester.corporation_id,
    )
    session.add(script)
    await session.flush()
    return script


async def script_actors(session: AsyncSession, *, script_id: int) -> list[Actor]:
    rows = await session.scalars(
        select(Actor).where(Actor.script_id == script_id).order_by(Actor.name, Actor.id)
    )
    return list(rows)


async def add_actor(session: AsyncSession, *, script: Script, name: str) -> Actor:
    actor = Actor(script_id=script.id, name=name)
    session.add(actor)
    await session.flush()
    return actor


async def _check_actor(session: AsyncSession, script: Script, actor_id: int | None) -> None:
    if actor_id is None:
        return
    actor = await session.get(Actor, actor_id)
    if actor is None or actor.script_id != script.id:
        raise ProblemError(422, "actor_not_in_script", "That actor is not in this script.")


def _check_times(start: float | None, end: float | None) -> None:
    if start is not None and end is not None and end <= start:
        raise ProblemError(422, "invalid_times", "end_time must be after start_time.")


async def add_line(
    session: AsyncSession,
    *,
    script: Script,
    text: str,
    actor_id: int | None,
    order: int,
    start_time: float | None,
    end_time: float | None,
) -> Line:
    await _check_actor(session, script, actor_id)
    _check_times(start_time, end_time)
    line = Line(
        script_id=script.id,
        actor_id=actor_id,
        order=order,
        text=text,
        start_time=start_time,
        end_time=end_time,
    )
    session.add(line)
    await session.flush()
    return line


async def update_line(
    session: AsyncSession, *, script: Script, line: Line, changes: dict[str, Any]
) -> Line:
    if "actor_id" in changes:
        await _check_actor(session, script, changes["actor_id"])
    _check_times(changes.get("start_time", line.start_time), changes.get("end_time", line.end_time))
    for name, value in changes.items():
        setattr(line, name, value)
    await session.flush()
    return line


async def reorder_lines(session: AsyncSession, *, script: Script, line_ids: list[int]) -> None:
    """Orders the script's lines as listed (0, 1, 2 ...): the list must name each of its
    lines once, so a line added meanwhile is not left without a place."""
    lines = (await session.scalars(select(Line).where(Line.script_id == script.id))).all()
    if sorted(line_ids) != sorted(line.id for line in lines):
        raise ProblemError(
            422, "order_mismatch", "List every line of this script once, in the new order."
        )
    place = {line_id: index for index, line_id in enumerate(line_ids)}
    for line in lines:
        line.order = place[line.id]
    await session.flush()


async def get_line(session: AsyncSession, *, line_id: int, requester: Requester) -> Line:
    line = await session.get(Line, line_id)
    script = None if line is None else await session.get(Script, line.script_id)
    if line is None or script is None or not may_see(requester, script):
        raise not_found("Line", code="token_not_found")
    return line


async def script_lines(
    session: AsyncSession, *, script_id: int, limit: int, offset: int
) -> tuple[list[Line], int]:
    stmt = select(Line).where(Line.script_id == script_id).order_by(Line.order, Line.id)
    return await fetch_page(session, stmt, limit, offset)


async def require_job_room(
    session: AsyncSession, *, user_id: int, limit: int, lock: bool = False
) -> None:
    """429 too_many_jobs when the user already has `limit` jobs queued or running. With
    `lock`, the user's row is locked first (PostgreSQL) so that concurrent uploads of one
    user are counted one after another."""
    if lock:
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    active = await session.scalar(
        select(func.count())
        .select_from(Job)
        .where(
            Job.user_id == user_id,
            Job.state.in_([JobState.queued.value, JobState.running.value]),
        )
    )
    if (active or 0) >= limit:
        raise ProblemError(
            429,
            "too_many_jobs",
            f"You have {active} attempts waiting or being scored, the most one may have; "
            f"try again in {JOB_RETRY_AFTER_SECONDS} s.",
            headers={"Retry-After": str(JOB_RETRY_AFTER_SECONDS)},
            retry_after=JOB_RETRY_AFTER_SECONDS,
            limit=limit,
        )


async def owned_job(session: AsyncSession, *, user_id: int, job_id: str) -> Job:
    job = await session.get(Job, job_id)
    if job is None or job.user_id != user_id:
        raise not_found("Job", code="job_not_found")  # another's job is no one's
    return job


async def record_delivery(session: AsyncSession, *, delivery_id: str, job_id: str) -> bool:
    """Record a webhook delivery for a running job: True the first time, False for a
    repeat (applied already); unknown jobs are 404, finished ones 409."""
    first = await session.execute(
        insert_ignore(session, WebhookDelivery)
        .values(id=delivery_id, job_id=job_id)
        .returning(WebhookDelivery.id)
    )
    if first.first() is None:
        return False
    job = await session.get(Job, job_id)
    if job is None:
        raise not_found("Job", code="job_not_found")
    if job.state != JobState.running.value:
        raise ProblemError(409, "job_finished", f"The job is {job.state}, not running.")
    return True


def new_audio_key(kind: str) -> str:
    # Never a name users give: keys are ours, and never reused.
    return f"dubbing/{kind}/{uuid.uuid4().hex}"


def set_reference_audio(
    session: AsyncSession, *, store: ObjectStore, line: Line, content: ObjectInfo, seconds: float
) -> None:
    """Point the line at newly stored audio; the old object goes once this commits, the
    new one if it does not."""
    old = line.audio_key
    line.audio_key, line.audio_type = content.key, content.content_type
    line.audio_size, line.audio_seconds = content.size, round(seconds, 3)
    on_rollback(session, lambda: store.delete(content.key))
    if old:
        after_commit(session, lambda: store.delete(old))


async def delete_line(session: AsyncSession, *, store: ObjectStore, line: Line) -> None:
    key = line.audio_key
    await session.delete(line)
    await session.flush()
    if key:
        after_commit(session, lambda: store.delete(key))


async def add_bookmark(session: AsyncSession, *, user_id: int, line: Line) -> bool:
    """True when added now; False when it was there already (adding is idempotent)."""
    added = await session.execute(
        insert_ignore(session, Bookmark)
        .values(user_id=user_id, token_id=line.id)
        .returning(Bookmark.token_id)
    )
    return added.first() is not None


async def remove_bookmark(session: AsyncSession, *, user_id: int, line_id: int) -> None:
    await session.execute(
        delete(Bookmark).where(Bookmark.user_id == user_id, Bookmark.token_id == line_id)
    )


async def bookmarks(
    session: AsyncSession, *, user_id: int, limit: int, offset: int
) -> tuple[list[tuple[Bookmark, Line]], int]:
    stmt = (
        select(Bookmark, Line)
        .join(Line, Line.id == Bookmark.token_id)
        .where(Bookmark.user_id == user_id)
        .order_by(Bookmark.created_at.desc(), Line.id.desc())
    )
    total = await session.scalar(
        select(func.count()).select_from(Bookmark).where(Bookmark.user_id == user_id)
    )
    rows = await session.execute(stmt.limit(limit).offset(offset))
    return [(b, line) for b, line in rows.all()], int(total or 0)


async def dubbed_lines(
    session: AsyncSession, *, user_id: int, limit: int, offset: int
) -> tuple[list[DubbedLine], int]:
    """Lines the user attempted: attempts, best and latest completed overall score."""
    mine = Job.user_id == user_id
    summary = (
        select(
            Job.token_id,
            func.count().label("attempts"),
            func.max(Job.overall_score).label("best"),
            func.max(Job.created_at).label("latest_at"),
        )
        .where(mine)
        .group_by(Job.token_id)
        .subquery()
    )
    total = await session.scalar(select(func.count()).select_from(summary))
    rows = await session.execute(
        select(summary, Line.text, Line.script_id, Script.title)
        .join(Line, Line.id == summary.c.token_id)
        .join(Script, Script.id == Line.script_id)
        .order_by(summary.c.latest_at.desc(), summary.c.token_id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = []
    for row in rows.mappings():
        latest = await session.scalar(
            select(Job)
            .where(mine, Job.token_id == row["token_id"])
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(1)
        )
        assert latest is not None  # the line is in the summary for having a job
        items.append(
            DubbedLine(
                token_id=row["token_id"],
                text=row["text"],
                script_id=row["script_id"],
                script_title=row["title"],
                attempts=row["attempts"],
                best_overall=row["best"],
                latest=LatestAttempt(
                    job_id=latest.id,
                    state=latest.state,
                    overall=latest.overall_score,
                    created_at=latest.created_at,
                ),
            )
        )
    return items, int(total or 0)


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


async def line_attempts(
    session: AsyncSession, *, user_id: int, line_id: int, limit: int, offset: int
) -> tuple[list[Job], int]:
    """The user's own attempts at one line, newest first."""
    stmt = (
        select(Job)
        .where(Job.user_id == user_id, Job.token_id == line_id)
        .order_by(Job.created_at.desc(), Job.id.desc())
    )
    return await fetch_page(session, stmt, limit, offset)


async def overview(session: AsyncSession, *, user_id: int) -> Overview:
    mine = Job.user_id == user_id
    grouped = await session.execute(select(Job.state, func.count()).where(mine).group_by(Job.state))
    counts: dict[str, int] = {state: count for state, count in grouped.all()}
    done = (mine, Job.state == JobState.completed.value)
    dimensions = {
        "pronunciation": Job.pronunciation_score,
        "intonation": Job.intonation_score,
        "emotion": Job.emotion_score,
        "timing": Job.timing_score,
        "overall": Job.overall_score,
    }
    scores: dict[str, DimensionSummary] = {}
    for name, column in dimensions.items():
        avg, best = (
            await session.execute(select(func.avg(column), func.max(column)).where(*done))
        ).one()
        scores[name] = DimensionSummary(average=_rounded(avg), best=_rounded(best))
    day = func.date(Job.created_at)
    days = await session.execute(
        select(day, func.count(), func.avg(Job.overall_score))
        .where(*done)
        .group_by(day)
        .order_by(day)
    )
    return Overview(
        attempts=sum(counts.values()),
        completed=counts.get(JobState.completed.value, 0),
        failed=counts.get(JobState.failed.value, 0),
        scores=scores,
        by_day=[
            DayProgress(date=str(d), attempts=n, average_overall=round(float(a), 1))
            for d, n, a in days.all()
        ],
    )
