"""Labeling rules: projects of a corporation, their files, and one lock per user.

Locks live in the lock store (scope = project id, resource = file name, owner = user id);
every change is announced on the project's channel and queued for the audit table
(`journal.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import ColumnElement, and_, func, literal_column, not_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backlot.accounts.principal import Requester, require_corporation_admin
from backlot.core.cache import RowCache
from backlot.core.clock import Clock
from backlot.core.db import after_commit, flush_unique, on_rollback
from backlot.core.errors import ProblemError, conflict, forbidden, not_found
from backlot.core.locks import Denial, DenialReason, Lock, LockStore, ReleaseOutcome
from backlot.core.paging import fetch_page
from backlot.core.storage import ObjectInfo, ObjectStore
from backlot.labeling.events import LockChange
from backlot.labeling.journal import LockJournal
from backlot.labeling.models import LabelingFile, LabelingProject, LockEvent
from backlot.labeling.schemas import FileState, LockRead, ReleaseReason

# --- projects and files ---------------------------------------------------------------


async def get_project(
    session: AsyncSession, *, requester: Requester, project_id: int
) -> LabelingProject:
    project = await session.get(LabelingProject, project_id)
    if project is None or project.corporation_id != requester.corporation_id:
        raise not_found("Project")
    return project


async def list_projects(
    session: AsyncSession, *, requester: Requester, limit: int, offset: int
) -> tuple[list[LabelingProject], int]:
    if requester.corporation_id is None:
        return [], 0
    stmt = (
        select(LabelingProject)
        .where(LabelingProject.corporation_id == requester.corporation_id)
        .order_by(LabelingProject.id)
    )
    return await fetch_page(session, stmt, limit, offset)


async def create_project(
    session: AsyncSession, *, requester: Requester, name: str
) -> LabelingProject:
    require_corporation_admin(requester)
    assert requester.corporation_id is not None
    project = LabelingProject(corporation_id=requester.corporation_id, name=name)
    session.add(project)
    await flush_unique(session, conflict("project_exists", f"A project named {name} exists."))
    return project


async def rename_project(
    session: AsyncSession, *, requester: Requester, project_id: int, name: str
) -> LabelingProject:
    project = await get_project(session, requester=requester, project_id=project_id)
    require_corporation_admin(requester)
    project.name = name
    await flush_unique(session, conflict("project_exists", f"A project named {name} exists."))
    return project


async def delete_project(
    session: AsyncSession,
    locks: LockStore,
    store: ObjectStore,
    *,
    requester: Requester,
    project_id: int,
) -> None:
    project = await get_project(session, requester=requester, project_id=project_id)
    require_corporation_admin(requester)
    keys = list(
        await session.scalars(
            select(LabelingFile.object_key).where(
                LabelingFile.project_id == project.id, LabelingFile.object_key.is_not(None)
            )
        )
    )
    await session.delete(project)
    await session.flush()
    scope = str(project_id)

    async def drop_locks_and_content() -> None:
        for lock in await locks.holders(scope):
            await locks.force_release(scope, lock.resource)
        for key in keys:
            if key is not None:
                await store.delete(key)

    after_commit(session, drop_locks_and_content)


def file_state(file: LabelingFile, *, locked: bool) -> str:
    if locked:
        return FileState.in_progress.value
    return FileState.labeled.value if file.annotation_version > 0 else FileState.new.value


def _state_filter(state: FileState, locked: set[str]) -> ColumnElement[bool]:
    if state is FileState.in_progress:
        return LabelingFile.name.in_(locked)
    labeled = LabelingFile.annotation_version > 0
    return and_(
        labeled if state is FileState.labeled else not_(labeled),
        LabelingFile.name.not_in(locked),
    )


async def list_files(
    session: AsyncSession,
    *,
    project: LabelingProject,
    limit: int,
    offset: int,
    state: FileState | None = None,
    locked: set[str] | None = None,
) -> tuple[list[LabelingFile], int]:
    """A page of the project's files by name; with `state`, only those in it (`locked`:
    the names the lock store holds now)."""
    stmt = select(LabelingFile).where(LabelingFile.project_id == project.id)
    if state is not None:
        stmt = stmt.where(_state_filter(state, locked or set()))
    return await fetch_page(session, stmt.order_by(LabelingFile.name), limit, offset)


async def count_states(
    session: AsyncSession, *, project: LabelingProject, locked: set[str]
) -> dict[str, int]:
    # A literal, not a bound parameter: PostgreSQL groups by the expression as written.
    labeled = LabelingFile.annotation_version > literal_column("0")
    base = select(labeled, func.count()).where(LabelingFile.project_id == project.id)
    every = dict((await session.execute(base.group_by(labeled))).all())
    locked_rows = base.where(LabelingFile.name.in_(locked)).group_by(labeled)
    held = dict((await session.execute(locked_rows)).all())
    return {
        FileState.new.value: every.get(False, 0) - held.get(False, 0),
        FileState.in_progress.value: sum(held.values()),
        FileState.labeled.value: every.get(True, 0) - held.get(True, 0),
    }


async def add_file(session: AsyncSession, *, project: LabelingProject, name: str) -> LabelingFile:
    file = LabelingFile(project_id=project.id, name=name)
    session.add(file)
    await flush_unique(session, conflict("file_exists", f"{name} is already registered."))
    return file


def new_object_key(project_id: int) -> str:
    # Never the file's name: names are user input, keys must be safe and never reused.
    return f"labeling/{project_id}/{uuid.uuid4().hex}"


async def file_name_free(
    sessionmaker: async_sessionmaker[AsyncSession], *, project_id: int, name: str
) -> None:
    """409 before an upload is stored when its name is taken (the insert checks again)."""
    async with sessionmaker() as session:
        taken = await session.scalar(
            select(LabelingFile.id).where(
                LabelingFile.project_id == project_id, LabelingFile.name == name
            )
        )
    if taken is not None:
        raise conflict("file_exists", f"{name} is already registered.")


async def add_uploaded_file(
    session: AsyncSession,
    store: ObjectStore,
    *,
    project_id: int,
    name: str,
    content: ObjectInfo,
    size: tuple[int, int] | None = None,
) -> LabelingFile:
    """The row of an image already in the store; the image goes if the row does not."""
    file = LabelingFile(
        project_id=project_id,
        name=name,
        object_key=content.key,
        content_type=content.content_type,
        size=content.size,
        width=None if size is None else size[0],
        height=None if size is None else size[1],
    )
    session.add(file)
    on_rollback(session, lambda: store.delete(content.key))
    await flush_unique(session, conflict("file_exists", f"{name} is already registered."))
    return file


async def get_file(
    session: AsyncSession, *, project: LabelingProject, file_id: int
) -> LabelingFile:
    file = await session.get(LabelingFile, file_id)
    if file is None or file.project_id != project.id:
        raise not_found("File")
    return file


async def delete_file(
    session: AsyncSession,
    store: ObjectStore,
    *,
    requester: Requester,
    project: LabelingProject,
    file_id: int,
) -> None:
    require_corporation_admin(requester)
    file = await get_file(session, project=project, file_id=file_id)
    key = file.object_key
    await session.delete(file)
    await session.flush()
    if key is not None:
        after_commit(session, lambda: store.delete(key))


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


def _expired(locks: list[Lock]) -> list[LockChange]:
    return [LockChange(lock, ReleaseReason.expired, None) for lock in locks]


async def _project_owners(
    sessionmaker: async_sessionmaker[AsyncSession], project_ids: list[int]
) -> dict[int, int]:
    """The corporation of each project that still exists, in one query (cache re-reads)."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(LabelingProject.id, LabelingProject.corporation_id).where(
                LabelingProject.id.in_(project_ids)
            )
        )
        return {project_id: corporation_id for project_id, corporation_id in rows.tuples()}


async def member_project(
    sessionmaker: async_sessionmaker[AsyncSession],
    projects: RowCache[int],
    *,
    requester: Requester,
    project_id: int,
) -> int:
    """`project_id` if it is a project of the requester's corporation, else 404.

    The owner of a project never changes, so it is cached (a deleted project is dropped
    from this process's cache at once and from others' within the cache's TTL).
    """
    corporation_id = projects.get(project_id)
    if corporation_id is None:
        async with sessionmaker() as session:
            corporation_id = await session.scalar(
                select(LabelingProject.corporation_id).where(LabelingProject.id == project_id)
            )
        if corporation_id is None:
            raise not_found("Project")
        projects.put(project_id, corporation_id)
    else:
        projects.refresh_soon(project_id, partial(_project_owners, sessionmaker))
    if corporation_id != requester.corporation_id:
        raise not_found("Project")
    return project_id


async def lock_file(
    locks: LockStore,
    journal: LockJournal,
    clock: Clock,
    *,
    requester: Requester,
    project_id: int,
    file_name: str,
    ttl: timedelta,
    switch: bool,
) -> Lock:
    result = await locks.acquire(
        str(project_id),
        file_name,
        str(requester.id),
        ttl,
        max_per_owner=1,
        switch=switch,
        info={"name": requester.display_name},
    )
    changes = _expired(result.expired)
    if isinstance(result, Denial):
        await journal.record_and_announce(changes)
        raise _denied(result, clock.now())
    changes += [LockChange(lock, ReleaseReason.switched, requester.id) for lock in result.switched]
    if not result.renewed:
        changes.append(LockChange(result.lock, None, requester.id))
    await journal.record_and_announce(changes)
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
    locks: LockStore,
    journal: LockJournal,
    *,
    requester: Requester,
    project_id: int,
    file_name: str,
    force: bool,
    note: str | None = None,
) -> None:
    """Release the requester's lock, or with `force` (admins) anyone's; `note` (why it
    was forced) goes to the audit trail."""
    scope = str(project_id)
    if force:
        require_corporation_admin(requester)
        release = await locks.force_release(scope, file_name)
        reason = ReleaseReason.forced
    else:
        release = await locks.release(scope, file_name, str(requester.id))
        reason = ReleaseReason.unlocked
    if release.outcome is ReleaseOutcome.expired and release.lock is not None:
        await journal.record_and_announce(_expired([release.lock]))
        raise not_found("Lock", code="not_locked")
    if release.outcome is ReleaseOutcome.not_locked:
        raise not_found("Lock", code="not_locked")
    assert release.lock is not None
    if release.outcome is ReleaseOutcome.not_owner:
        name = str(release.lock.info.get("name", release.lock.owner))
        raise forbidden(f"{file_name} is locked by {name}, not you.", code="not_lock_owner")
    await journal.record_and_announce([LockChange(release.lock, reason, requester.id, note)])


async def heartbeat(
    locks: LockStore, journal: LockJournal, *, requester: Requester, project_id: int, ttl: timedelta
) -> list[Lock]:
    renewal = await locks.renew(str(project_id), str(requester.id), ttl)
    await journal.record_and_announce(_expired(renewal.expired))
    return renewal.renewed


async def list_lock_events(
    session: AsyncSession,
    *,
    requester: Requester,
    project: LabelingProject,
    limit: int,
    offset: int,
) -> tuple[list[LockEvent], int]:
    """The audit trail as written; call `LockJournal.flush()` first to include this
    process's latest changes."""
    require_corporation_admin(requester)
    stmt = select(LockEvent).where(LockEvent.project_id == project.id).order_by(LockEvent.id.desc())
    return await fetch_page(session, stmt, limit, offset)
