"""Routes of the dubbing catalogue: /v1/scripts (scripts, actors, lines) and
/v1/tokens/{token_id} (one line, its reference audio)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.deps import (
    CurrentPrincipal,
    bearer_user_id,
    principal_of,
    scoped_user_id,
    url_token,
)
from backlot.accounts.principal import Principal
from backlot.core.apps import upload_limit
from backlot.core.db import after_commit, unit_of_work
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import not_found, problem_responses
from backlot.core.paging import Page
from backlot.core.params import IdPath, Limit, Offset
from backlot.core.state import AppState
from backlot.core.streaming import object_response, range_responses
from backlot.dubbing import service
from backlot.dubbing.audio import receive_audio
from backlot.dubbing.models import Actor, Line, Script
from backlot.dubbing.schemas import (
    ActorCreate,
    ActorRead,
    LineCreate,
    LineRead,
    LineUpdate,
    ScriptCreate,
    ScriptDetail,
    ScriptRead,
    ScriptUpdate,
)

AUDIO_AUDIENCE = "dubbing-audio"
POPULAR_KEY = "dubbing:scripts:popular"
POPULAR_CACHED = 100  # the first page of the largest size a list may ask for

scripts_router = APIRouter(
    prefix="/v1/scripts", tags=["dubbing"], responses=problem_responses(400, 401, 422)
)
tokens_router = APIRouter(
    prefix="/v1/tokens", tags=["dubbing"], responses=problem_responses(400, 401, 422)
)
_ITEM = problem_responses(403, 404)


def script_read(script: Script) -> ScriptRead:
    return ScriptRead.model_validate(script, from_attributes=True)


async def line_read(
    session: AsyncSession, state: AppState, line: Line, user: Principal
) -> LineRead:
    actor = await session.get(Actor, line.actor_id) if line.actor_id else None
    url = expires = None
    if line.audio_key:
        ttl = timedelta(seconds=state.settings.dubbing_audio_token_ttl_seconds)
        token = url_token(state.signer, user, AUDIO_AUDIENCE, ttl, line=line.id)
        url, expires = f"/v1/tokens/{line.id}/audio?token={token}", state.clock.now() + ttl
    return LineRead(
        id=line.id,
        script_id=line.script_id,
        actor_id=line.actor_id,
        actor=actor.name if actor else None,
        order=line.order,
        text=line.text,
        start_time=line.start_time,
        end_time=line.end_time,
        audio_seconds=line.audio_seconds,
        audio_url=url,
        audio_url_expires_at=expires,
    )


def popular_key(corporation_id: int | None) -> str:
    """One cached list per audience: the shared catalogue, and each corporation's own."""
    return f"{POPULAR_KEY}:{'shared' if corporation_id is None else corporation_id}"


def forget_popular(session: AsyncSession, state: AppState, corporation_id: int | None) -> None:
    """Counts moved in that audience's scripts: its cached list goes once this commits."""
    after_commit(session, lambda: state.kv.delete(popular_key(corporation_id)))


@scripts_router.get("", response_model=Page[ScriptRead])
async def list_scripts(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    q: Annotated[
        str | None, Query(max_length=100, description="Words in title or description.")
    ] = None,
    kind: Annotated[Literal["movie", "drama"] | None, Query()] = None,
    sort: Annotated[Literal["recent", "popular", "title"], Query()] = "recent",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The catalogue. `sort=popular` (most attempted first) is cached for
    BACKLOT_DUBBING_POPULAR_CACHE_SECONDS and dropped whenever counts move."""
    cacheable = not user.is_superuser  # superusers see every audience: not cached
    if cacheable and sort == "popular" and not q and not kind and offset + limit <= POPULAR_CACHED:
        top = await popular_scripts(session, state, user.corporation_id)
        return Page[ScriptRead](
            items=top.items[offset : offset + limit], total=top.total, limit=limit, offset=offset
        )
    where = service.visible_to(user)
    items, total = await service.list_scripts(session, where, q, kind, sort, limit, offset)
    return Page[ScriptRead](
        items=[script_read(s) for s in items], total=total, limit=limit, offset=offset
    )


async def popular_scripts(
    session: AsyncSession, state: AppState, corporation_id: int | None
) -> Page[ScriptRead]:
    """The most attempted scripts a member of `corporation_id` sees: the shared list and
    the corporation's own, each cached apart (in process, or Redis when scaled), merged
    in the order the database would give them."""
    parts = [await _popular_of(session, state, None)]
    if corporation_id is not None:
        parts.append(await _popular_of(session, state, corporation_id))
    merged = sorted((s for part in parts for s in part.items), key=lambda s: (-s.attempts, -s.id))
    return Page[ScriptRead](
        items=merged[:POPULAR_CACHED],
        total=sum(part.total for part in parts),
        limit=POPULAR_CACHED,
        offset=0,
    )


async def _popular_of(
    session: AsyncSession, state: AppState, corporation_id: int | None
) -> Page[ScriptRead]:
    """One audience's own scripts (the shared ones, or one corporation's), most attempted
    first."""
    key = popular_key(corporation_id)
    cached = await state.kv.get(key)
    if cached is not None:
        return Page[ScriptRead].model_validate_json(cached)
    own = (
        Script.corporation_id.is_(None)
        if corporation_id is None
        else Script.corporation_id == corporation_id
    )
    items, total = await service.list_scripts(
        session, own, None, None, "popular", POPULAR_CACHED, 0
    )
    top = Page[ScriptRead](
        items=[script_read(s) for s in items], total=total, limit=POPULAR_CACHED, offset=0
    )
    ttl = state.settings.dubbing_popular_cache_seconds
    if ttl > 0:
        await state.kv.set(key, top.model_dump_json(), timedelta(seconds=ttl))
    return top


@scripts_router.post("", status_code=201, response_model=ScriptRead, responses=_ITEM)
async def create_script(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, body: ScriptCreate
) -> Any:
    """Superusers and corporation admins add a script (an admin's is their corporation's
    to edit)."""
    script = await service.create_script(
        session, user, body.title, body.kind.value, body.description
    )
    forget_popular(session, state, script.corporation_id)
    return script_read(script)


@scripts_router.get("/{script_id}", response_model=ScriptDetail, responses=_ITEM)
async def read_script(session: SessionDep, user: CurrentPrincipal, script_id: IdPath) -> Any:
    script = await service.get_script(session, script_id, user)
    actors = await service.script_actors(session, script.id)
    return ScriptDetail(
        **script_read(script).model_dump(),
        actors=[ActorRead.model_validate(a, from_attributes=True) for a in actors],
    )


@scripts_router.patch("/{script_id}", response_model=ScriptRead, responses=_ITEM)
async def update_script(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    script_id: IdPath,
    body: ScriptUpdate,
) -> Any:
    script = await service.editable_script(session, user, script_id)
    for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(script, name, value.value if hasattr(value, "value") else value)
    await session.flush()
    forget_popular(session, state, script.corporation_id)
    return script_read(script)


@scripts_router.delete("/{script_id}", status_code=204, responses=_ITEM)
async def delete_script(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, script_id: IdPath
) -> Response:
    """Its lines, their audio and the attempts at them go too."""
    script = await service.editable_script(session, user, script_id)
    lines, _ = await service.script_lines(session, script.id, 1_000_000, 0)
    for line in lines:
        await service.delete_line(session, state.storage, line)
    await session.delete(script)
    forget_popular(session, state, script.corporation_id)
    return Response(status_code=204)


@scripts_router.post(
    "/{script_id}/actors", status_code=201, response_model=ActorRead, responses=_ITEM
)
async def add_actor(
    session: SessionDep, user: CurrentPrincipal, script_id: IdPath, body: ActorCreate
) -> Any:
    script = await service.editable_script(session, user, script_id)
    return ActorRead.model_validate(
        await service.add_actor(session, script, body.name), from_attributes=True
    )


@scripts_router.get("/{script_id}/tokens", response_model=Page[LineRead], responses=_ITEM)
async def list_lines(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    script_id: IdPath,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The script's lines (seed 003's tokens), in order."""
    script = await service.get_script(session, script_id, user)
    items, total = await service.script_lines(session, script.id, limit, offset)
    return Page[LineRead](
        items=[await line_read(session, state, line, user) for line in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@scripts_router.post(
    "/{script_id}/tokens", status_code=201, response_model=LineRead, responses=_ITEM
)
async def add_line(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    script_id: IdPath,
    body: LineCreate,
) -> Any:
    script = await service.editable_script(session, user, script_id)
    line = await service.add_line(session, script, **body.model_dump())
    return await line_read(session, state, line, user)


@tokens_router.get("/{token_id:int}", response_model=LineRead, responses=_ITEM)
async def read_line(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, token_id: IdPath
) -> Any:
    """One line, with a short-lived URL of its reference audio."""
    return await line_read(session, state, await service.get_line(session, token_id, user), user)


@tokens_router.patch("/{token_id:int}", response_model=LineRead, responses=_ITEM)
async def update_line(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    token_id: IdPath,
    body: LineUpdate,
) -> Any:
    line = await service.get_line(session, token_id, user)
    script = await service.editable_script(session, user, line.script_id)
    await service.update_line(session, script, line, body.model_dump(exclude_unset=True))
    return await line_read(session, state, line, user)


@tokens_router.delete("/{token_id:int}", status_code=204, responses=_ITEM)
async def delete_line(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, token_id: IdPath
) -> Response:
    line = await service.get_line(session, token_id, user)
    await service.editable_script(session, user, line.script_id)
    await service.delete_line(session, state.storage, line)
    return Response(status_code=204)


@tokens_router.put(
    "/{token_id:int}/audio",
    response_model=LineRead,
    responses={**_ITEM, **problem_responses(413, 415)},
)
@upload_limit(lambda settings: settings.dubbing_max_upload_bytes)
async def upload_reference(
    state: StateDep, user: CurrentPrincipal, token_id: IdPath, file: UploadFile
) -> Any:
    """Editors upload the line's reference audio (wav, mp3, m4a/aac, ogg/opus, webm/opus,
    flac; judged by its bytes; BACKLOT_DUBBING_MAX_UPLOAD_BYTES and _MAX_AUDIO_SECONDS)."""
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, token_id, user)
        await service.editable_script(session, user, line.script_id)
    # Stored before the transaction that points the line at it: no connection is held
    # while the bytes arrive and are checked.
    content, seconds = await receive_audio(
        state.storage, state.settings, file, service.new_audio_key("reference")
    )
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, token_id, user)
        service.set_reference_audio(session, state.storage, line, content, seconds)
        await session.flush()
        return await line_read(session, state, line, user)


_AUDIO = "/{token_id:int}/audio"
_AUDIO_RESPONSES = range_responses("audio/*", "The reference audio.")


@tokens_router.get(_AUDIO, response_class=Response, responses=_AUDIO_RESPONSES)
@tokens_router.head(
    _AUDIO, response_class=Response, responses=_AUDIO_RESPONSES, operation_id="line_audio_head"
)
async def line_audio(
    request: Request,
    state: StateDep,
    token_id: IdPath,
    bearer: Annotated[int | None, Depends(bearer_user_id)],
    token: Annotated[str | None, Query(max_length=4096, description="The URL's token.")] = None,
) -> Response:
    """The reference audio, Range-capable, with a Bearer token or the `audio_url` token
    (401 `session_ended` once the session it was issued in has ended)."""
    user_id = await scoped_user_id(request, state, bearer, token, AUDIO_AUDIENCE, line=token_id)
    person = await principal_of(request, state, user_id)  # the user still exists
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, token_id, person)
        key = line.audio_key
    if key is None:
        raise not_found("Reference audio", code="audio_not_found")
    return await object_response(request, state.storage, key, filename=f"line-{token_id}")
