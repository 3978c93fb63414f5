"""HTTP routes of the labeling app under /v1/labeling (seed 000's lock, unlock, status)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import ValidationError

from backlot.accounts.deps import CurrentPrincipal, CurrentUser
from backlot.core.apps import upload_limit
from backlot.core.deps import ClockDep, SessionDep, StateDep, StorageDep
from backlot.core.errors import invalid_request, not_found, problem_responses
from backlot.core.paging import Page, page_of
from backlot.core.params import IdPath, Limit, Offset
from backlot.core.settings import Settings
from backlot.core.sniff import IMAGE_TYPES
from backlot.core.streaming import object_response, range_responses
from backlot.core.uploads import store_upload
from backlot.labeling import service
from backlot.labeling.deps import RuntimeDep
from backlot.labeling.events import project_channel
from backlot.labeling.imagesize import HEAD_BYTES, image_size
from backlot.labeling.lean import LeanLockRoute, lock_answer
from backlot.labeling.models import LabelingFile
from backlot.labeling.schemas import (
    FileCreate,
    FilePage,
    FileRead,
    FileState,
    HeartbeatRead,
    HeartbeatRequest,
    LockEventRead,
    LockRead,
    LockRequest,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    StatusRead,
    UnlockRequest,
)

router = APIRouter(
    prefix="/v1/labeling", tags=["labeling"], responses=problem_responses(400, 401, 413, 422)
)
_ITEM = problem_responses(403, 404)


def _ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.labeling_lock_ttl_seconds)


# The lock routes are the hot path: no session unless a cache misses (see
# CurrentPrincipal and service.member_project), and few dependencies to solve; the lock
# route itself is answered by a lean handler (lean.py) that runs `lock_answer` too.
async def lock(
    state: StateDep, labeling: RuntimeDep, user: CurrentPrincipal, body: LockRequest
) -> Any:
    """Lock a file for yourself. 409 `lock_held` names the holder and the time left;
    409 `owner_limit` when you hold another file of the project (send `switch: true`)."""
    return await lock_answer(state, labeling, user, body)


router.add_api_route(
    "/lock",
    lock,
    methods=["POST"],
    response_model=LockRead,
    responses=problem_responses(404, 409),
    route_class_override=LeanLockRoute,
)


@router.post("/unlock", status_code=204, responses=problem_responses(403, 404))
async def unlock(
    state: StateDep, labeling: RuntimeDep, user: CurrentPrincipal, body: UnlockRequest
) -> Response:
    """Release your lock; admins may `force` someone else's, saying why in `reason`
    (both recorded in the audit trail)."""
    project_id = await service.member_project(
        state.sessionmaker, labeling.projects, requester=user, project_id=body.project_id
    )
    await service.unlock_file(
        labeling.locks,
        labeling.journal,
        requester=user,
        project_id=project_id,
        file_name=body.file_name,
        force=body.force,
        note=body.reason,
    )
    return Response(status_code=204)


@router.post("/heartbeat", response_model=HeartbeatRead, responses=problem_responses(404))
async def heartbeat(
    state: StateDep, labeling: RuntimeDep, user: CurrentPrincipal, body: HeartbeatRequest
) -> Any:
    """Extend the TTL of every lock you hold in the project (for clients without a socket)."""
    project_id = await service.member_project(
        state.sessionmaker, labeling.projects, requester=user, project_id=body.project_id
    )
    renewed = await service.heartbeat(
        labeling.locks,
        labeling.journal,
        requester=user,
        project_id=project_id,
        ttl=_ttl(state.settings),
    )
    now = state.clock.now()
    return HeartbeatRead(renewed=[service.lock_read(lock, now) for lock in renewed])


@router.get("/status/{project_id:int}", response_model=StatusRead, responses=_ITEM)
async def status(
    state: StateDep, labeling: RuntimeDep, user: CurrentPrincipal, project_id: IdPath
) -> Any:
    """Every lock of the project, with the sequence number of the latest lock event."""
    project_id = await service.member_project(
        state.sessionmaker, labeling.projects, requester=user, project_id=project_id
    )
    seq = await state.bus.last_seq(project_channel(project_id))
    now = state.clock.now()
    held = await labeling.locks.holders(str(project_id))
    return StatusRead(
        project_id=project_id, seq=seq, locks=[service.lock_read(lock, now) for lock in held]
    )


@router.get("/projects", response_model=Page[ProjectRead])
async def list_projects(
    session: SessionDep, user: CurrentUser, limit: Limit = 50, offset: Offset = 0
) -> Any:
    """Projects of your corporation."""
    items, total = await service.list_projects(session, requester=user, limit=limit, offset=offset)
    return page_of(items, total, read=ProjectRead.model_validate, limit=limit, offset=offset)


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectRead,
    responses=problem_responses(403, 409),
)
async def create_project(session: SessionDep, user: CurrentUser, body: ProjectCreate) -> Any:
    """Admins create a project in their corporation."""
    return await service.create_project(session, requester=user, name=body.name)


@router.get("/projects/{project_id:int}", response_model=ProjectRead, responses=_ITEM)
async def read_project(session: SessionDep, user: CurrentUser, project_id: IdPath) -> Any:
    return await service.get_project(session, requester=user, project_id=project_id)


@router.patch(
    "/projects/{project_id:int}",
    response_model=ProjectRead,
    responses=problem_responses(403, 404, 409),
)
async def rename_project(
    session: SessionDep, user: CurrentUser, project_id: IdPath, body: ProjectUpdate
) -> Any:
    return await service.rename_project(
        session, requester=user, project_id=project_id, name=body.name
    )


@router.delete("/projects/{project_id:int}", status_code=204, responses=_ITEM)
async def delete_project(
    session: SessionDep,
    labeling: RuntimeDep,
    storage: StorageDep,
    user: CurrentUser,
    project_id: IdPath,
) -> Response:
    """Admins delete a project, its files (and their images), its audit trail and its locks."""
    await service.delete_project(
        session, labeling.locks, storage, requester=user, project_id=project_id
    )
    return Response(status_code=204)


def _file_read(file: LabelingFile, lock: LockRead | None) -> FileRead:
    content_url = (
        f"/v1/labeling/projects/{file.project_id}/files/{file.id}/content"
        if file.object_key
        else None
    )
    return FileRead(
        id=file.id,
        name=file.name,
        created_at=file.created_at,
        content_type=file.content_type,
        size=file.size,
        content_url=content_url,
        lock=lock,
        width=file.width,
        height=file.height,
        state=service.file_state(file, locked=lock is not None),
        annotation_version=file.annotation_version,
    )


@router.get("/projects/{project_id:int}/files", response_model=FilePage, responses=_ITEM)
async def list_files(
    session: SessionDep,
    labeling: RuntimeDep,
    clock: ClockDep,
    user: CurrentUser,
    project_id: IdPath,
    limit: Limit = 50,
    offset: Offset = 0,
    state: Annotated[FileState | None, Query(description="Only files in this state.")] = None,
) -> Any:
    """The project's registered and uploaded files, each with its lock (or null) and its
    state (new, in_progress = locked, labeled = has an annotation); `counts` has the
    project's files per state."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    held = {lock.resource: lock for lock in await labeling.locks.holders(str(project.id))}
    files, total = await service.list_files(
        session, project=project, limit=limit, offset=offset, state=state, locked=set(held)
    )
    counts = await service.count_states(session, project=project, locked=set(held))
    now = clock.now()

    def read(file: LabelingFile) -> FileRead:
        lock = held.get(file.name)
        return _file_read(file, None if lock is None else service.lock_read(lock, now))

    page = page_of(files, total, read=read, limit=limit, offset=offset)
    return FilePage(**page.model_dump(), counts=counts)


@router.post(
    "/projects/{project_id:int}/files",
    status_code=201,
    response_model=FileRead,
    responses=problem_responses(403, 404, 409),
)
async def add_file(
    session: SessionDep, user: CurrentUser, project_id: IdPath, body: FileCreate
) -> Any:
    """Register a file of the project by name (members)."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    file = await service.add_file(session, project=project, name=body.name)
    return _file_read(file, None)


@router.post(
    "/projects/{project_id:int}/files/upload",
    status_code=201,
    response_model=FileRead,
    responses=problem_responses(404, 409, 413, 415),
)
@upload_limit(lambda settings: settings.labeling_max_image_bytes)
async def upload_file(
    state: StateDep,
    labeling: RuntimeDep,
    user: CurrentPrincipal,
    session: SessionDep,
    project_id: IdPath,
    file: Annotated[UploadFile, File(description="A JPEG, PNG, GIF, WebP, BMP or TIFF image.")],
    name: Annotated[
        str | None, Form(description="File name in the project; default: the upload's name.")
    ] = None,
) -> Any:
    """Upload an image into the project (members). Its type is judged by its content;
    it may be as large as BACKLOT_LABELING_MAX_IMAGE_BYTES."""
    # The slow part (storing the bytes) runs before `session` opens a transaction, so no
    # database connection is held while a client uploads.
    await service.member_project(
        state.sessionmaker, labeling.projects, requester=user, project_id=project_id
    )
    try:
        chosen = FileCreate.model_validate(
            {"name": name or PurePosixPath(file.filename or "").name}
        )
    except ValidationError as exc:  # answered like any other bad field of the form
        raise invalid_request(exc) from exc
    await service.file_name_free(state.sessionmaker, project_id=project_id, name=chosen.name)
    head = await file.read(HEAD_BYTES)  # for the pixel size; the store reads it again
    await file.seek(0)
    content = await store_upload(
        state.storage,
        service.new_object_key(project_id),
        file,
        allowed=IMAGE_TYPES,
        max_bytes=state.settings.labeling_max_image_bytes,
    )
    added = await service.add_uploaded_file(
        session,
        state.storage,
        project_id=project_id,
        name=chosen.name,
        content=content,
        size=image_size(head, content.content_type),
    )
    return _file_read(added, None)


_CONTENT = "/projects/{project_id:int}/files/{file_id:int}/content"
_CONTENT_RESPONSES = range_responses("image/*", "The image.")


@router.get(_CONTENT, response_class=Response, responses=_CONTENT_RESPONSES)
@router.head(
    _CONTENT,
    response_class=Response,
    responses=_CONTENT_RESPONSES,
    operation_id="labeling_file_content_head",
)
async def file_content(
    request: Request,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
    project_id: IdPath,
    file_id: IdPath,
) -> Response:
    """An uploaded image (members), with Range, ETag and conditional requests."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    found = await service.get_file(session, project=project, file_id=file_id)
    if found.object_key is None:
        raise not_found("Content", code="no_content")
    key, filename = found.object_key, found.name
    await session.close()  # the bytes stream after the route returns; free the connection
    return await object_response(request, storage, key, filename=filename)


@router.delete("/projects/{project_id:int}/files/{file_id:int}", status_code=204, responses=_ITEM)
async def delete_file(
    session: SessionDep, storage: StorageDep, user: CurrentUser, project_id: IdPath, file_id: IdPath
) -> Response:
    """Admins delete a file (and its image)."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    await service.delete_file(session, storage, requester=user, project=project, file_id=file_id)
    return Response(status_code=204)


@router.get(
    "/projects/{project_id:int}/lock-events",
    response_model=Page[LockEventRead],
    responses=_ITEM,
)
async def list_lock_events(
    labeling: RuntimeDep,
    user: CurrentPrincipal,
    session: SessionDep,
    project_id: IdPath,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Admins: every lock change of the project (who, what, why), newest first."""
    # Before `session` opens a transaction: on SQLite the writer needs the one connection.
    await labeling.journal.flush()
    project = await service.get_project(session, requester=user, project_id=project_id)
    items, total = await service.list_lock_events(
        session, requester=user, project=project, limit=limit, offset=offset
    )
    return page_of(items, total, read=LockEventRead.model_validate, limit=limit, offset=offset)
