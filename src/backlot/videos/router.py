"""HTTP routes of the videos app: /v1/videos (library, streaming) and /v1/view-logs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any, BinaryIO

import anyio
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
from backlot.accounts.principal import Principal, require_corporation_admin
from backlot.core.apps import upload_limit
from backlot.core.db import unit_of_work
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import ProblemError, invalid_request, problem_responses
from backlot.core.paging import Page, page_of
from backlot.core.params import IdPath, Limit, Offset
from backlot.core.sniff import VIDEO_TYPES
from backlot.core.state import AppState
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
from backlot.videos.poster import preview
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
from backlot.videos.views import viewing

STREAM_AUDIENCE = "video-stream"
POSTER_AUDIENCE = "video-poster"
# What a client may send as an Idempotency-Key: a UUID, or any short token of its own.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{8,100}")

router = APIRouter(
    prefix="/v1/videos", tags=["videos"], responses=problem_responses(400, 401, 413, 422)
)
view_logs_router = APIRouter(
    prefix="/v1/view-logs", tags=["videos"], responses=problem_responses(401, 422)
)
_ITEM = problem_responses(403, 404)


def video_read(video: Video, state: AppState, user: Principal) -> VideoRead:
    """The video as its reader sees it: the poster's URL carries a token for this video
    and this reader only (an <img src> cannot send the Authorization header)."""
    poster_url = None
    if video.poster_key is not None:
        ttl = timedelta(seconds=state.settings.video_stream_token_ttl_seconds)
        token = url_token(state.signer, user, POSTER_AUDIENCE, ttl, vid=video.id)
        poster_url = f"/v1/videos/{video.id}/poster?token={token}"
    return VideoRead(
        id=video.id,
        corporation_id=video.corporation_id,
        name=video.name,
        source="upload" if video.object_key else "url",
        file_path=video.source_url,
        content_type=video.content_type,
        size=video.size,
        stream_path=f"/v1/videos/stream/{video.id}",
        duration_seconds=video.duration_seconds,
        poster_url=poster_url,
        deleted_at=video.deleted_at,
        created_at=video.created_at,
        updated_at=video.updated_at,
    )


@router.get("", response_model=Page[VideoRead], responses=problem_responses(403))
async def list_videos(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    deleted: Annotated[bool, Query(description="Admins: the deleted ones instead.")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Your corporation's videos, newest first."""
    items, total = await service.list_videos(
        session, requester=user, deleted=deleted, limit=limit, offset=offset
    )
    return page_of(
        items, total, read=lambda v: video_read(v, state, user), limit=limit, offset=offset
    )


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
    request: Request,
    response: Response,
    state: StateDep,
    session: SessionDep,
    user: CurrentPrincipal,
) -> Any:
    """Admins add a video: upload a file (multipart `file` + `name`, streamed to storage)
    or register an external URL (multipart or JSON `file_path` + `name`, seed 001).

    An upload may carry an `Idempotency-Key` header (8-100 of `A-Z a-z 0-9 . _ : -`, e.g.
    a UUID made once per upload and reused on retries): the first upload answers 201, a
    retry with the same key, name and file answers 200 with the same video (one video,
    however many retries, even concurrent ones). The same key with another name or file
    is 422 `idempotency_key_reused`. Keys are per user and last
    BACKLOT_VIDEO_IDEMPOTENCY_KEY_TTL_SECONDS."""
    require_corporation_admin(user)  # before a byte of the body is read
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise ProblemError(
            422,
            "invalid_idempotency_key",
            "Idempotency-Key must be 8 to 100 letters, digits or . _ : - (a UUID fits).",
        )
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        try:
            body = VideoRegister.model_validate_json(await request.body())
        except ValidationError as exc:
            raise invalid_request(exc) from exc
        url = await check_public_url(body.file_path, state.settings.video_url_allowed_hosts)
        return video_read(
            await service.add_registered(session, requester=user, name=body.name, url=url),
            state,
            user,
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
                await service.add_registered(session, requester=user, name=name, url=checked),
                state,
                user,
            )
        assert isinstance(file, UploadFile)
        assert user.corporation_id is not None
        object_key = service.new_object_key(user.corporation_id)
        content = await store_upload(
            state.storage,
            object_key,
            file,
            allowed=VIDEO_TYPES,
            max_bytes=state.settings.video_max_upload_bytes,
        )
        poster_key = None
        try:
            # The spooled upload, not the store: a local read, whatever the backend.
            await check_playable(file.file)
            media = await preview(file.file)
            if media.poster_jpeg is not None:
                poster_key = f"{object_key}.poster.jpg"
                await state.storage.put(
                    poster_key, _once(media.poster_jpeg), content_type="image/jpeg"
                )
            fingerprint = await anyio.to_thread.run_sync(_fingerprint, name, file.file)
        except BaseException:
            await _remove(state.storage, content.key, poster_key)
            raise
    if idempotency_key is not None:
        now = state.clock.now()
        try:
            earlier = await service.claim_upload_key(
                session,
                requester=user,
                key=idempotency_key,
                fingerprint=fingerprint,
                now=now,
                ttl=timedelta(seconds=state.settings.video_idempotency_key_ttl_seconds),
            )
        except BaseException:
            await _remove(state.storage, content.key, poster_key)
            raise
        if earlier is not None:
            await _remove(state.storage, content.key, poster_key)
            response.status_code = 200
            return video_read(earlier, state, user)
    video = await service.add_uploaded(
        session,
        state.storage,
        requester=user,
        name=name,
        content=content,
        duration_seconds=media.duration_seconds,
        poster_key=poster_key,
    )
    if idempotency_key is not None:
        earlier = await service.bind_upload_key(
            session,
            requester=user,
            key=idempotency_key,
            fingerprint=fingerprint,
            video=video,
            now=now,
            store=state.storage,
        )
        if earlier is not None:  # a concurrent retry made it first
            response.status_code = 200
            return video_read(earlier, state, user)
    return video_read(video, state, user)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _remove(store: ObjectStore, *keys: str | None) -> None:
    for key in keys:
        if key is not None:
            await store.delete(key)


def _fingerprint(name: str, file: BinaryIO) -> str:
    """What makes a retry the same upload: its name and its file's bytes."""
    digest = hashlib.sha256(name.encode() + b"\0")
    file.seek(0)
    while chunk := file.read(1024 * 1024):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


@router.get("/{video_id:int}", response_model=VideoRead, responses=_ITEM)
async def read_video(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, video_id: IdPath
) -> Any:
    return video_read(
        await service.get_video(session, requester=user, video_id=video_id), state, user
    )


@router.patch("/{video_id:int}", response_model=VideoRead, responses=_ITEM)
async def rename_video(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    video_id: IdPath,
    body: VideoUpdate,
) -> Any:
    """Admins rename a video."""
    return video_read(
        await service.rename(session, requester=user, video_id=video_id, name=body.name),
        state,
        user,
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
        await service.restore(session, requester=user, video_id=video_id, now=state.clock.now()),
        state,
        user,
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
    async with viewing(videos.views_engine, state.sessionmaker) as views:
        video = await views.streamable(requester=viewer, video_id=video_id)
        # Nobody mints points on their own video; a HEAD is not a view.
        pays = request.method == "GET" and viewer.id != video.uploaded_by_id

        async def pay_view() -> None:
            if pays:
                await views.pay(user_id=viewer.id, video_id=video_id)

        # Stored bytes: the connection that read the row pays the view just before the
        # answer starts, and goes back to the pool before a byte flows.
        if video.object_key is not None:
            prefix = state.settings.video_accel_redirect_prefix
            if prefix:
                return await _accel_redirect(
                    request,
                    state.storage,
                    video.object_key,
                    prefix,
                    video.name,
                    video.content_type,
                    pay_view,
                )
            return await object_response(
                request, state.storage, video.object_key, filename=video.name, on_start=pay_view
            )

    # An external URL: no connection is held while the upstream answers; the view is
    # paid on one of its own once it does.
    async def pay_proxied_view() -> None:
        if pays:
            async with viewing(videos.views_engine, state.sessionmaker) as views:
                await views.pay(user_id=viewer.id, video_id=video_id)

    assert video.source_url is not None
    return await proxy_video(
        videos.http,
        request,
        video.source_url,
        filename=video.name,
        allowed_hosts=state.settings.video_url_allowed_hosts,
        on_start=pay_proxied_view,
    )


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


@router.get(
    "/{video_id:int}/poster",
    response_class=Response,
    responses=range_responses("image/jpeg", "The poster frame."),
)
async def video_poster(
    request: Request,
    state: StateDep,
    video_id: IdPath,
    bearer: Annotated[int | None, Depends(bearer_user_id)],
    token: Annotated[
        str | None, Query(max_length=4096, description="A poster URL's token.")
    ] = None,
) -> Response:
    """The video's poster frame (JPEG), with a Bearer token or the token of `poster_url`
    (this video and user only). 404 for a video without one or of another company."""
    user_id = await scoped_user_id(request, state, bearer, token, POSTER_AUDIENCE, vid=video_id)
    viewer = await principal_of(request, state, user_id)
    async with unit_of_work(state.sessionmaker) as session:
        video = await service.get_video(session, requester=viewer, video_id=video_id)
        key, name = video.poster_key, video.name
    if key is None:
        raise ProblemError(404, "not_found", "This video has no poster.")
    return await object_response(
        request, state.storage, key, filename=f"{name}.jpg", cache_control="private, max-age=600"
    )


@view_logs_router.get("", response_model=Page[ViewLogRead])
async def list_view_logs(
    session: SessionDep, user: CurrentPrincipal, limit: Limit = 50, offset: Offset = 0
) -> Any:
    """Your views (each paid its points once); admins see their corporation's."""
    items, total = await service.list_view_logs(session, requester=user, limit=limit, offset=offset)
    return page_of(items, total, read=ViewLogRead.model_validate, limit=limit, offset=offset)
