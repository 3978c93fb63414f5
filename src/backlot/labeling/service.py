"""Labeling rules: projects of a corporation, their files, and one lock per user.

Locks live in the lock store (scope = project id, resource = file name, owner = user id);
every change is written to the audit table in the request's transaction and announced
on the project's channel after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import User
from backlot.core.clock import Clock
from backlot.core.db import after_commit
from backlot.core.errors import ProblemError, conflict, forbidden, not_found
from backlot.core.locks import Denial, DenialReason, Lock, LockStore, ReleaseOutcome
from backlot.core.paging import fetch_page
from backlot.labeling.events import LabelingEvents, LockChange
from backlot.labeling.models import LabelingFile, LabelingProject, LockEvent
from backlot.labeling.schemas import LockRead, ReleaseReason

# --- projects and files ---------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.is_corporation_admin:
        raise forbidden("Only the corporation's admins may do this.")


async def get_project(session: AsyncSession, actor: User, project_id: int) -> LabelingProject:
    project = await session.get(LabelingProject, project_id)
    if project is None or project.corporation_id != actor.corporation_id:
        raise not_found("Project")
    return project


async def list_projects(
    session: AsyncSession, actor: User, limit: int, offset: int
) -> tuple[list[LabelingProject], int]:
    if actor.corporation_id is None:
        return [], 0
    stmt = (
        select(LabelingProject)
        .where(LabelingProject.corporation_id == actor.corporation_id)
        .order_by(LabelingProject.id)
    )
    return await fetch_page(session, stmt, limit, offset)


async def create_project(session: AsyncSession, actor: User, name: str) -> LabelingProject:
    _require_admin(actor)
    assert actor.corporation_id is not None
    project = LabelingProject(corporation_id=actor.corporation_id, name=name)
    session.add(project)
    await _flush_unique(session, "project_exists", f"A project named {name} exists.")
    return project


async def rename_project(
    session: AsyncSession, actor: User, project_id: int, name: str
) -> LabelingProject:
    project = await get_project(session, actor, project_id)
    _require_admin(actor)
    project.name = name
    await _flush_unique(session, "project_exists", f"A project named {name} exists.")
    return project


async def delete_project(
    session: AsyncSession, locks: LockStore, actor: User, project_id: int
) -> None:
    project = await get_project(session, actor, project_id)
    _require_admin(actor)
    await session.delete(project)
    await session.flush()
    scope = str(project_id)

    async def drop_locks() -> None:
        for lock in await locks.holders(scope):
            await locks.force_release(scope, lock.resource)

    after_commit(session, drop_locks)


async def _flush_unique(session: AsyncSession, code: str, detail: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise conflict(code, detail) from exc


async def list_files(
    session: AsyncSession, project: LabelingProject, limit: int, offset: int
) -> tuple[list[LabelingFile], int]:
    stmt = (
        select(LabelingFile)
        .where(LabelingFile.project_id == project.id)
        .order_by(LabelingFile.name)
    )
    return await fetch_page(session, stmt, limit, offset)


async def add_file(session: AsyncSession, project: LabelingProject, name: str) -> LabelingFile:
    file = LabelingFile(project_id=project.id, name=name)
    session.add(file)
    await _flush_unique(session, "file_exists", f"{name} is already registered.")
    return file


async def delete_file(
    session: AsyncSession, actor: User, project: LabelingProject, file_id: int
) -> None:
    _require_admin(actor)
    file = await session.get(LabelingFile, file_id)
    if file is None or file.project_id != project.id:
        raise not_found("File")
    await session.delete(file)
    await session.flush()


# --- locks ----------------------------------------------------------------------------


def lock_read(lock: Lock, now: datetime) -> LockRead:
    return LockRead(
        project_id=int(lock.scope),
        file=lock.resource,
        user_id=int(lock.owner),
        user=str(lock.info.get("name", lock.owner)),
        token=lock.token,
        expires_at=lock.expires_at,
        expires_in_ms=int(lock.remaining(now).total_seconds() * 1000),
    )


def record(
    session: AsyncSession, clock: Clock, events: LabelingEvents, changes: list[LockChange]
) -> None:
    """Audit rows in this transaction; the announcements once it commits."""
    if not changes:
        return
    now = clock.now()
    for change in changes:
        session.add(
            LockEvent(
                project_id=int(change.lock.scope),
                file_name=change.lock.resource,
                action="acquired" if change.reason is None else "released",
                reason=change.reason,
                holder_id=int(change.lock.owner),
                actor_id=change.actor_id,
                token=change.lock.token,
                at=now,
            )
        )
    after_commit(session, lambda: events.announce(changes))


def _expired(locks: list[Lock]) -> list[LockChange]:
    return [LockChange(lock, ReleaseReason.expired, None) for lock in locks]


async def lock_file(
    session: AsyncSession,
    locks: LockStore,
    events: LabelingEvents,
    clock: Clock,
    actor: User,
    project: LabelingProject,
    file_name: str,
    ttl: timedelta,
    switch: bool,
) -> Lock:
    result = await locks.acquire(
        str(project.id),
        file_name,
        str(actor.id),
        ttl,
        max_per_owner=1,
        switch=switch,
        info={"name": actor.display_name},
    )
    changes = _expired(result.expired)
    if isinstance(result, Denial):
        record(session, clock, events, changes)
        raise _denied(result, clock.now())
    changes += [LockChange(lock, ReleaseReason.switched, actor.id) for lock in result.switched]
    if not result.renewed:
        changes.append(LockChange(result.lock, None, actor.id))
    record(session, clock, events, changes)
    return result.lock


def _denied(denial: Denial, now: datetime) -> ProblemError:
    holder = denial.holder
    expires_in_ms = int(holder.remaining(now).total_seconds() * 1000)
    name = str(holder.info.get("name", holder.owner))
    if denial.reason is DenialReason.owner_limit:
        return conflict(
            "owner_limit",
            f"You already hold {holder.resource}; unlock it or send switch=true.",
            held_file=holder.resource,
            expires_in_ms=expires_in_ms,
        )
    return conflict(
        "lock_held",
        f"{holder.resource} is locked by {name}.",
        locked_by=name,
        locked_by_id=int(holder.owner),
        expires_in_ms=expires_in_ms,
    )


async def unlock_file(
    session: AsyncSession,
    locks: LockStore,
    events: LabelingEvents,
    clock: Clock,
    actor: User,
    project: LabelingProject,
    file_name: str,
    force: bool,
) -> None:
    scope = str(project.id)
    if force:
        _require_admin(actor)
        release = await locks.force_release(scope, file_name)
        reason = ReleaseReason.forced
    else:
        release = await locks.release(scope, file_name, str(actor.id))
        reason = ReleaseReason.unlocked
    if release.outcome is ReleaseOutcome.expired and release.lock is not None:
        record(session, clock, events, _expired([release.lock]))
        raise not_found("Lock", code="not_locked")
    if release.outcome is ReleaseOutcome.not_locked:
        raise not_found("Lock", code="not_locked")
    assert release.lock is not None
    if release.outcome is ReleaseOutcome.not_owner:
        name = str(release.lock.info.get("name", release.lock.owner))
        raise forbidden(f"{file_name} is locked by {name}, not you.", code="not_lock_owner")
    record(session, clock, events, [LockChange(release.lock, reason, actor.id)])


async def heartbeat(
    session: AsyncSession,
    locks: LockStore,
    events: LabelingEvents,
    clock: Clock,
    actor: User,
    project: LabelingProject,
    ttl: timedelta,
) -> list[Lock]:
    renewal = await locks.renew(str(project.id), str(actor.id), ttl)
    record(session, clock, events, _expired(renewal.expired))
    return renewal.renewed


async def list_lock_events(
    session: AsyncSession, actor: User, project: LabelingProject, limit: int, offset: int
) -> tuple[list[LockEvent], int]:
    _require_admin(actor)
    stmt = select(LockEvent).where(LockEvent.project_id == project.id).order_by(LockEvent.id.desc())
    return await fetch_page(session, stmt, limit, offset)


async def project_exists(session: AsyncSession, project_id: int) -> bool:
    count = await session.scalar(
        select(func.count()).select_from(LabelingProject).where(LabelingProject.id == project_id)
    )
    return bool(count)
