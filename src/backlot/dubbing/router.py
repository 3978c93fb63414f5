"""Routes of the dubbing catalogue: /v1/scripts (scripts, actors, lines) and
/v1/tokens/{token_id} (one line, its reference audio; the URL keeps seed 003's word)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile

from backlot.accounts.deps import CurrentPrincipal, bearer_user_id, principal_of, scoped_user_id
from backlot.core.apps import upload_limit
from backlot.core.db import unit_of_work
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import not_found, problem_responses
from backlot.core.paging import Page
from backlot.core.params import IdPath, Limit, Offset
from backlot.core.streaming import object_response, range_responses
from backlot.dubbing import service
from backlot.dubbing.audiences import AUDIO_AUDIENCE
from backlot.dubbing.deps import LineIdPath
from backlot.dubbing.popular import POPULAR_CACHED, forget_popular, popular_scripts
from backlot.dubbing.presenter import line_read, lines_read, script_read
from backlot.dubbing.recordings import replace_reference
from backlot.dubbing.schemas import (
    ActorCreate,
    ActorRead,
    LineCreate,
    LineOrder,
    LineRead,
    LineUpdate,
    ScriptCreate,
    ScriptDetail,
    ScriptRead,
    ScriptUpdate,
)

scripts_router = APIRouter(
    prefix="/v1/scripts", tags=["dubbing"], responses=problem_responses(400, 401, 422)
)
tokens_router = APIRouter(
    prefix="/v1/tokens", tags=["dubbing"], responses=problem_responses(400, 401, 422)
)
_ITEM = problem_responses(403, 404)


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
        top = await popular_scripts(session, state=state, corporation_id=user.corporation_id)
        return Page[ScriptRead](
            items=top.items[offset : offset + limit], total=top.total, limit=limit, offset=offset
        )
    items, total = await service.list_scripts(
        session,
        where=service.visible_to(user),
        query=q,
        kind=kind,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return Page[ScriptRead](
        items=[script_read(s) for s in items], total=total, limit=limit, offset=offset
    )


@scripts_router.post("", status_code=201, response_model=ScriptRead, responses=_ITEM)
async def create_script(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, body: ScriptCreate
) -> Any:
    """Superusers and corporation admins add a script (an admin's is their corporation's
    to edit)."""
    script = await service.create_script(
        session,
        requester=user,
        title=body.title,
        kind=body.kind.value,
        description=body.description,
    )
    forget_popular(session, state=state, corporation_id=script.corporation_id)
    return script_read(script)


@scripts_router.get("/{script_id}", response_model=ScriptDetail, responses=_ITEM)
async def read_script(session: SessionDep, user: CurrentPrincipal, script_id: IdPath) -> Any:
    script = await service.get_script(session, script_id=script_id, requester=user)
    actors = await service.script_actors(session, script_id=script.id)
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
    script = await service.editable_script(session, requester=user, script_id=script_id)
    for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(script, name, value.value if hasattr(value, "value") else value)
    await session.flush()
    forget_popular(session, state=state, corporation_id=script.corporation_id)
    return script_read(script)


@scripts_router.delete("/{script_id}", status_code=204, responses=_ITEM)
async def delete_script(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, script_id: IdPath
) -> Response:
    """Its lines, their audio and the attempts at them go too."""
    script = await service.editable_script(session, requester=user, script_id=script_id)
    lines, _ = await service.script_lines(session, script_id=script.id, limit=1_000_000, offset=0)
    for line in lines:
        await service.delete_line(session, store=state.storage, line=line)
    await session.delete(script)
    forget_popular(session, state=state, corporation_id=script.corporation_id)
    return Response(status_code=204)


@scripts_router.post(
    "/{script_id}/actors", status_code=201, response_model=ActorRead, responses=_ITEM
)
async def add_actor(
    session: SessionDep, user: CurrentPrincipal, script_id: IdPath, body: ActorCreate
) -> Any:
    script = await service.editable_script(session, requester=user, script_id=script_id)
    return ActorRead.model_validate(
        await service.add_actor(session, script=script, name=body.name), from_attributes=True
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
    script = await service.get_script(session, script_id=script_id, requester=user)
    lines, total = await service.script_lines(
        session, script_id=script.id, limit=limit, offset=offset
    )
    return Page[LineRead](
        items=await lines_read(session, state=state, lines=lines, user=user),
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
    script = await service.editable_script(session, requester=user, script_id=script_id)
    line = await service.add_line(session, script=script, **body.model_dump())
    return await line_read(session, state=state, line=line, user=user)


@scripts_router.put("/{script_id}/tokens/order", response_model=Page[LineRead], responses=_ITEM)
async def reorder_lines(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    script_id: IdPath,
    body: LineOrder,
) -> Any:
    """Editors put the lines in a new order in one step (422 `order_mismatch` unless the
    list names every line of the script once); answers the first page in the new order."""
    script = await service.editable_script(session, requester=user, script_id=script_id)
    await service.reorder_lines(session, script=script, line_ids=body.token_ids)
    lines, total = await service.script_lines(session, script_id=script.id, limit=50, offset=0)
    return Page[LineRead](
        items=await lines_read(session, state=state, lines=lines, user=user),
        total=total,
        limit=50,
        offset=0,
    )


@tokens_router.get("/{token_id:int}", response_model=LineRead, responses=_ITEM)
async def read_line(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, line_id: LineIdPath
) -> Any:
    """One line, with a short-lived URL of its reference audio."""
    line = await service.get_line(session, line_id=line_id, requester=user)
    return await line_read(session, state=state, line=line, user=user)


@tokens_router.patch("/{token_id:int}", response_model=LineRead, responses=_ITEM)
async def update_line(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    line_id: LineIdPath,
    body: LineUpdate,
) -> Any:
    line = await service.get_line(session, line_id=line_id, requester=user)
    script = await service.editable_script(session, requester=user, script_id=line.script_id)
    await service.update_line(
        session, script=script, line=line, changes=body.model_dump(exclude_unset=True)
    )
    return await line_read(session, state=state, line=line, user=user)


@tokens_router.delete("/{token_id:int}", status_code=204, responses=_ITEM)
async def delete_line(
    session: SessionDep, state: StateDep, user: CurrentPrincipal, line_id: LineIdPath
) -> Response:
    line = await service.get_line(session, line_id=line_id, requester=user)
    await service.editable_script(session, requester=user, script_id=line.script_id)
    await service.delete_line(session, store=state.storage, line=line)
    return Response(status_code=204)


@tokens_router.put(
    "/{token_id:int}/audio",
    response_model=LineRead,
    responses={**_ITEM, **problem_responses(413, 415)},
)
@upload_limit(lambda s: s.dubbing_max_upload_bytes)
async def upload_reference(
    state: StateDep, user: CurrentPrincipal, line_id: LineIdPath, file: UploadFile
) -> Any:
    """Editors upload the line's reference audio (wav, mp3, m4a/aac, ogg/opus, webm/opus,
    flac; judged by its bytes; BACKLOT_DUBBING_MAX_UPLOAD_BYTES and _MAX_AUDIO_SECONDS)."""
    return await replace_reference(state, user=user, line_id=line_id, upload=file)


_AUDIO = "/{token_id:int}/audio"
_AUDIO_RESPONSES = range_responses("audio/*", "The reference audio.")


@tokens_router.get(_AUDIO, response_class=Response, responses=_AUDIO_RESPONSES)
@tokens_router.head(
    _AUDIO, response_class=Response, responses=_AUDIO_RESPONSES, operation_id="line_audio_head"
)
async def line_audio(
    request: Request,
    state: StateDep,
    line_id: LineIdPath,
    bearer: Annotated[int | None, Depends(bearer_user_id)],
    token: Annotated[str | None, Query(max_length=4096, description="The URL's token.")] = None,
) -> Response:
    """The reference audio, Range-capable, with a Bearer token or the `audio_url` token
    (401 `session_ended` once the session it was issued in has ended)."""
    user_id = await scoped_user_id(request, state, bearer, token, AUDIO_AUDIENCE, line=line_id)
    requester = await principal_of(request, state, user_id)  # the user still exists
    async with unit_of_work(state.sessionmaker) as session:
        line = await service.get_line(session, line_id=line_id, requester=requester)
        key = line.audio_key
    if key is None:
        raise not_found("Reference audio", code="audio_not_found")
    return await object_response(request, state.storage, key, filename=f"line-{line_id}")
