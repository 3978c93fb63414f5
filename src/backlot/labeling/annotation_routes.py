"""HTTP routes of label sets, annotations (saved under the file's lock), their history
and the project's export, under /v1/labeling/projects/{project_id}."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.deps import CurrentPrincipal, CurrentUser
from backlot.accounts.principal import Requester, require_corporation_admin
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import problem_responses
from backlot.core.paging import Page, page_of
from backlot.core.params import IdPath, Limit, Offset
from backlot.core.state import AppState
from backlot.labeling import annotation, export, service
from backlot.labeling.deps import RuntimeDep
from backlot.labeling.runtime import LabelingRuntime
from backlot.labeling.schemas import (
    AnnotationRead,
    AnnotationRestore,
    AnnotationSave,
    FileName,
    LabelSet,
    LabelSetRead,
    PolygonShape,
    RectShape,
)

router = APIRouter(
    prefix="/v1/labeling/projects/{project_id:int}",
    tags=["labeling"],
    responses=problem_responses(400, 401, 404, 422),
)
_ANNOTATION = "/annotations/{file_name}"
_SAVE = problem_responses(403, 409)


@router.get("/labels", response_model=LabelSetRead)
async def read_labels(session: SessionDep, user: CurrentUser, project_id: IdPath) -> Any:
    """The project's label set (members)."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    return LabelSetRead(project_id=project.id, labels=project.labels)


@router.put("/labels", response_model=LabelSetRead, responses=problem_responses(403))
async def replace_labels(
    state: StateDep, session: SessionDep, user: CurrentUser, project_id: IdPath, body: LabelSet
) -> Any:
    """Admins replace the label set: unique names, colors `#rrggbb`, at most
    BACKLOT_LABELING_MAX_LABELS. Saved annotations keep the names they were drawn with."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    annotation.set_labels(project, requester=user, labels=body.labels, settings=state.settings)
    await session.flush()
    return LabelSetRead(project_id=project.id, labels=project.labels)


@router.get(_ANNOTATION, response_model=AnnotationRead)
async def read_annotation(
    session: SessionDep, user: CurrentUser, project_id: IdPath, file_name: FileName
) -> Any:
    """The file's latest annotation; 404 `no_annotation` when it has none."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    file = await annotation.file_by_name(session, project=project, file_name=file_name)
    return annotation.annotation_read(file, await annotation.latest(session, file))


@router.put(_ANNOTATION, response_model=AnnotationRead, responses=_SAVE)
async def save_annotation(
    state: StateDep,
    labeling: RuntimeDep,
    user: CurrentPrincipal,
    session: SessionDep,
    project_id: IdPath,
    file_name: FileName,
    body: AnnotationSave,
) -> Any:
    """Save the file's shapes as a new version, while you hold its lock with `token`:
    409 `not_lock_owner` without the lock, 409 `stale_lock` when a newer lock exists or
    a newer token already saved the file (fencing)."""
    # The lock is checked before `session` opens a transaction (SQLite has one writer).
    await service.member_project(
        state.sessionmaker, labeling.projects, requester=user, project_id=project_id
    )
    return await _save(
        state,
        labeling,
        user,
        session,
        project_id=project_id,
        file_name=file_name,
        token=body.token,
        shapes=body.shapes,
    )


@router.get(f"{_ANNOTATION}/versions", response_model=Page[AnnotationRead])
async def list_versions(
    session: SessionDep,
    user: CurrentUser,
    project_id: IdPath,
    file_name: FileName,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Every saved version of the file's annotation, newest first (members)."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    file = await annotation.file_by_name(session, project=project, file_name=file_name)
    rows, total = await annotation.list_versions(session, file, limit=limit, offset=offset)
    return page_of(
        rows,
        total,
        read=lambda row: annotation.annotation_read(file, row),
        limit=limit,
        offset=offset,
    )


@router.post(
    f"{_ANNOTATION}/versions/{{version:int}}/restore",
    status_code=201,
    response_model=AnnotationRead,
    responses=_SAVE,
)
async def restore_version(
    state: StateDep,
    labeling: RuntimeDep,
    user: CurrentPrincipal,
    session: SessionDep,
    project_id: IdPath,
    file_name: FileName,
    version: IdPath,
    body: AnnotationRestore,
) -> Any:
    """Admins save an old version's shapes as the newest version. Like a save, it needs
    the file's lock (`token`), so it never overwrites someone labeling the file."""
    await service.member_project(
        state.sessionmaker, labeling.projects, requester=user, project_id=project_id
    )
    require_corporation_admin(user)
    return await _save(
        state,
        labeling,
        user,
        session,
        project_id=project_id,
        file_name=file_name,
        token=body.token,
        restore=version,
    )


async def _save(
    state: AppState,
    labeling: LabelingRuntime,
    user: Requester,
    session: AsyncSession,
    *,
    project_id: int,
    file_name: str,
    token: int,
    shapes: list[RectShape | PolygonShape] | None = None,
    restore: int | None = None,
) -> AnnotationRead:
    await annotation.check_lock(
        labeling.locks, requester=user, project_id=project_id, file_name=file_name, token=token
    )
    project = await service.get_project(session, requester=user, project_id=project_id)
    file = await annotation.file_by_name(session, project=project, file_name=file_name)
    if restore is None:
        stored = annotation.check_shapes(
            shapes or [], project=project, file=file, settings=state.settings
        )
    else:
        stored = (await annotation.version_of(session, file, restore)).shapes
    row = await annotation.write_version(
        session,
        state.bus,
        requester=user,
        file=file,
        token=token,
        shapes=stored,
        now=state.clock.now(),
        restored_from=restore,
    )
    return annotation.annotation_read(file, row)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/json": {}, "application/zip": {}}}},
)
async def export_project(
    state: StateDep,
    session: SessionDep,
    user: CurrentUser,
    project_id: IdPath,
    kind: Annotated[
        Literal["coco", "yolo"],
        Query(alias="format", description="coco: COCO JSON; yolo: a zip of YOLO txt files."),
    ],
) -> StreamingResponse:
    """Every file's latest annotation, streamed as COCO JSON or a YOLO zip (members)."""
    project = await service.get_project(session, requester=user, project_id=project_id)
    chosen = export.Project.of(project)
    await session.close()  # the export reads in batches of its own after the route returns
    return export.response(state.sessionmaker, project=chosen, kind=kind)
