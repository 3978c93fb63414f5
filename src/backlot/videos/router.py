"""HTTP routes of the videos app: /v1/videos (library, streaming) and /v1/view-logs."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from backlot.accounts.deps import (
    CurrentPrincipal,
    bearer_user_id,
    principal_of,
    scoped_user_id,
    url_token,
)
from backlot.accounts.principal import require_corporation_admin
from backlot.core.apps import upload_limit
from backlot.core.db import unit_of_work
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import ProblemError, invalid_request, problem_responses
from backlot.core.paging import Page, page_of
from backlot.core.params import IdPath, Limit, Offset
from backlot.core.sniff import VIDEO_TYPES
from backlot.core.storage import ObjectNotFoundError, ObjectStore
from backlot.core.streaming import (
    STREAM_HEADERS,
    OnStart,
    content_disposition,
    object_response,
    range_responses,
)
from backlot.core.uploads import store_upload
from backlot.videos import service
from backlot.videos.deps import VideosDep
from backlot.videos.models import Video
from backlot.videos.probe import check_playable
from backlot.videos.proxy import proxy_video
from backlot.videos.schemas import (
    StreamUrl,
    VideoRead,
    VideoRegister,
    VideoUpdate,
    ViewLogRead,
)
from backlot.videos.sources import check_public_url

STREAM_AUDIENCE = "video-stream"

router = APIRouter(
    prefix="/v1/videos", tags=["videos"], responses=problem_responses(400, 401, 413, 422)
)
view_logs_router = APIRouter(
    prefix="/v1/view-logs", tags=["videos"], responses=problem_responses(401, 422)
)
_ITEM = problem_responses(403, 404)


def video_read(video: Video) -> VideoRead:
    return VideoRead(
        id=video.id,
        corporation_id=video.corporation_id,
        name=video.name,
        source="upload" if video.object_key else "url",
        file_path=video.source_url,
        content_type=video.content_type,
        size=video.size,
        stream_path=f"/v1/videos/stream/{video.id}",
        deleted_at=video.deleted_at,
        created_at=video.created_at,
        updated_at=video.updated_at,
    )


@router.get("", response_model=Page[VideoRead], responses=problem_responses(403))
async def list_videos(
    session: SessionDep,
    user: CurrentPrincipal,
    deleted: Annotated[bool, Query(description="Admins: the deleted ones instead.")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Your corporation's videos, newest first."""
    items, total = await service.list_videos(
        session, requester=user, deleted=deleted, limit=limit, offset=offset
    )
    return page_of(items, total, read=video_read, limit=limit, offset=offset)


_CREATE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "MP4, MOV, WebM or MKV, judged by its bytes.",
                    },
                    "file_path": {
                        "type": "string",
                        "description": "Instead of `file`: a public http(s) URL.",
                    },
                },
            }
        },
        "application/json": {"schema": VideoRegister.model_json_schema()},
    },
}


@router.post(
    "",
    status_code=201,
    response_model=VideoRead,
    responses=problem_responses(403, 415),
    openapi_extra={"requestBody": _CREATE_BODY},
)
@upload_limit(lambda settings: settings.video_max_upload_bytes)
async def create_video(
    request: Request, state: StateDep, session: SessionDep, user: CurrentPrincipal
) -> Any:
    """Admins add a video: upload a file (multipart `file` + `name`, streamed to storage)
    or register an external URL (multipart or JSON `file_path` + `name`, seed 001)."""
    require_corporation_admin(user)  # before a byte of the body is read
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        try:
            body = VideoRegister.model_validate_json(await request.body())
        except ValidationError as exc:
            raise invalid_request(exc) from exc
        url = await check_public_url(body.file_path, state.settings.video_url_allowed_hosts)
        return video_read(
            await service.add_registered(session, requester=user, name=body.name, url=url)
        )
    if not kind.startswith("multipart/form-data"):
        raise ProblemError(
            415, "unsupported_media_type", "Send multipart/form-data or application/json."
        )
    # The bytes are stored before `session` opens a transaction: no connection is held
    # while a client uploads.
    async with request.form(max_files=1, max_fields=4, max_part_size=64 * 1024) as form:
        file, file_path = form.get("file"), form.get("file_path")
        try:
            name = VideoUpdate.model_validate({"name": form.get("name")}).name
            if isinstance(file, UploadFile) == isinstance(file_path, str):
                raise ProblemError(
                    422, "validation_failed", "Send either `file` or `file_path`, not both."
                )
            if isinstance(file_path, str):
                register = VideoRegister.model_validate({"name": name, "file_path": file_path})
        except ValidationError as exc:
            raise invalid_request(exc) from exc
        if isinstance(file_path, str):
            allowed = state.settings.video_url_allowed_hosts
            checked = await check_public_url(register.file_path, allowed)
            return video_read(
                await service.add_registered(session, requester=user, name=name, url=checked)
            )
        assert isinstance(file, UploadFile)
        assert user.corporation_id is not None
        content = await store_upload(
            state.storage,
            service.new_object_key(user.corporation_id),
            file,
            allowed=VIDEO_TYPES,
            max_bytes=state.settings.video_max_upload_bytes,
        )
        try:
            # The spooled upload, not the store: a local read, whatever the backend.
            await check_playable(file.file)
        except BaseException:
            await state.storage.delete(content.key)
            raise
    return video_read(
        await service.add_uploaded(
            session, state.storage, requester=user, name=name, content=content
        )
    )


@router.get("/{video_id:int}", response_model=VideoRead, responses=_ITEM)
async def read_video(session: SessionDep, user: CurrentPrincipal, video_id: IdPath) -> Any:
    return video_read(await service.get_video(session, requester=user, video_id=video_id))


@router.patch("/{video_id:int}", response_model=VideoRead, responses=_ITEM)
async def rename_video(
    session: SessionDep, user: CurrentPrincipal, video_id: IdPath, body: VideoUpdate
) -> Any:
    """Admins rename a video."""
    return video_read(
        await service.rename(session, requester=user, video_id=video_id, name=body.name)
    )


@router.delete("/{video_id:int}", status_code=204, responses=_ITEM)
async def delete_video(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, video_id: IdPath
) -> Response:
    """Admins delete a video (softly: it leaves lists and streams, and can come back on a
    paid plan)."""
    await service.soft_delete(session, requester=user, video_id=video_id, now=state.clock.now())
    return Response(status_code=204)


@router.post(
    "/{video_id:int}/restore",
    response_model=VideoRead,
    responses=problem_responses(402, 403, 404, 410),
)
async def restore_video(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, video_id: IdPath
) -> Any:
    """Admins bring back a deleted video: only while the corporation's plan is paid
    (402 `plan_required` otherwise), and only within BACKLOT_VIDEO_DELETED_RETENTION_DAYS
    of its deletion (410 `video_purged` after: its file is gone)."""
    return video_read(
        await service.restore(session, requester=user, video_id=video_id, now=state.clock.now())
    )


@router.post("/{video_id:int}/stream-url", response_model=StreamUrl, responses=_ITEM)
async def stream_url(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, video_id: IdPath
) -> Any:
    """A URL for `<video src>`, which cannot send headers: its token is good for this
    video and you only, for BACKLOT_VIDEO_STREAM_TOKEN_TTL_SECONDS, and dies with this
    session (a logout or password change: 401 `session_ended`). Never put the access
    token in a URL."""
    await service.get_video(session, requester=user, video_id=video_id)
    ttl = timedelta(seconds=state.settings.video_stream_token_ttl_seconds)
    token = url_token(state.signer, user, STREAM_AUDIENCE, ttl, vid=video_id)
    return StreamUrl(
        url=f"/v1/videos/stream/{video_id}?token={token}", expires_at=state.clock.now() + ttl
    )


_STREAM = "/stream/{video_id:int}"
_STREAM_RESPONSES = range_responses("video/*", "The video.", 502)


@router.get(_STREAM, response_class=Response, responses=_STREAM_RESPONSES)
@router.head(
    _STREAM,
    response_class=Response,
    responses=_STREAM_RESPONSES,
    operation_id="stream_video_head",
)
async def stream_video(
    request: Request,
    state: StateDep,
    videos: VideosDep,
    video_id: IdPath,
    bearer: Annotated[int | None, Depends(bearer_user_id)],
    token: Annotated[
        str | None, Query(max_length=4096, description="A stream URL's token.")
    ] = None,
) -> Response:
    """The video's bytes, with Range (seeking), validators and HEAD. A GET is a view: the
    viewer's first view of another's video pays 10 points, exactly once, when its bytes
    start flowing (not for a HEAD, a 304, a missing file or a failed upstream)."""
    user_id = await scoped_user_id(request, state, bearer, token, STREAM_AUDIENCE, vid=video_id)
    viewer = await principal_of(request, state, user_id)
    # Short transactions of their own: no connection is held while the bytes flow.
    async with unit_of_work(state.sessionmaker) as session:
        video = await service.get_video(session, requester=viewer, video_id=video_id)
        key, url, name = video.object_key, video.source_url, video.name
        media_type, uploader = video.content_type, video.uploaded_by_id

    async def pay_view() -> None:
        if request.method != "GET" or viewer.id == uploader:
            return  # nobody mints points on their own video
        async with unit_of_work(state.sessionmaker) as session:
            await service.record_view(session, user_id=viewer.id, video_id=video_id)

    if url is not None:
        return await proxy_video(
            videos.http,
            request,
            url,
            filename=name,
            allowed_hosts=state.settings.video_url_allowed_hosts,
            on_start=pay_view,
        )
    assert key is not None
    prefix = state.settings.video_accel_redirect_prefix
    if prefix:
        return await _accel_redirect(
            request, state.storage, key, prefix, name, media_type, pay_view
        )
    return await object_response(request, state.storage, key, filename=name, on_start=pay_view)


async def _accel_redirect(
    request: Request,
    storage: ObjectStore,
    key: str,
    prefix: str,
    name: str,
    media_type: str | None,
    on_start: OnStart,
) -> Response:
    """nginx sends the bytes (ranges included) from its internal location; the object is
    looked at first, so a missing one is a 404 that pays nothing."""
    try:
        await storage.stat(key)
    except ObjectNotFoundError as exc:
        raise ProblemError(404, "not_found", "The file's content is gone.") from exc
    if (
        request.headers.get("if-none-match") is None
        and request.headers.get("if-modified-since") is None
    ):
        await on_start()  # a conditional GET may well be a 304 from nginx: no view
    return Response(
        media_type=media_type,
        headers={
            "X-Accel-Redirect": f"{prefix.rstrip('/')}/{key}",
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "private, max-age=0, must-revalidate",
            **STREAM_HEADERS,
        },
    )


@view_logs_router.get("", response_model=Page[ViewLogRead])
async def list_view_logs(
    session: SessionDep, user: CurrentPrincipal, limit: Limit = 50, offset: Offset = 0
) -> Any:
    """Your views (each paid its points once); admins see their corporation's."""
    items, total = await service.list_view_logs(session, requester=user, limit=limit, offset=offset)
    return page_of(items, total, read=ViewLogRead.model_validate, limit=limit, offset=offset)
