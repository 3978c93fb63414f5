"""My page (seed 003): bookmarks, the lines I dubbed, an overview of my progress."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from backlot.accounts.deps import CurrentPrincipal
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import problem_responses
from backlot.core.paging import Page
from backlot.core.params import Limit, Offset
from backlot.dubbing import service
from backlot.dubbing.deps import LineIdPath
from backlot.dubbing.models import Bookmark
from backlot.dubbing.presenter import job_result, line_read, lines_read
from backlot.dubbing.schemas import (
    AttemptRead,
    BookmarkAdd,
    BookmarkRead,
    DubbedLine,
    Overview,
)

router = APIRouter(
    prefix="/v1/mypage", tags=["dubbing"], responses=problem_responses(400, 401, 422)
)


@router.get("/bookmarks", response_model=Page[BookmarkRead])
async def list_bookmarks(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Your bookmarked lines, newest first."""
    items, total = await service.bookmarks(session, user_id=user.id, limit=limit, offset=offset)
    lines = await lines_read(session, state=state, lines=[line for _, line in items], user=user)
    return Page[BookmarkRead](
        items=[
            BookmarkRead(token=line, created_at=bookmark.created_at)
            for (bookmark, _), line in zip(items, lines, strict=True)
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/bookmarks",
    status_code=201,
    response_model=BookmarkRead,
    responses={
        200: {"model": BookmarkRead, "description": "Bookmarked already."},
        **problem_responses(404),
    },
)
async def add_bookmark(
    session: SessionDep,
    state: StateDep,
    user: CurrentPrincipal,
    body: BookmarkAdd,
    response: Response,
) -> Any:
    """Bookmark a line: 201 the first time, 200 after (nothing changes)."""
    line = await service.get_line(session, line_id=body.token_id, requester=user)
    if not await service.add_bookmark(session, user_id=user.id, line=line):
        response.status_code = 200
    bookmark = await session.get(Bookmark, (user.id, line.id))
    assert bookmark is not None
    return BookmarkRead(
        token=await line_read(session, state=state, line=line, user=user),
        created_at=bookmark.created_at,
    )


@router.delete("/bookmarks/{token_id}", status_code=204)
async def remove_bookmark(
    session: SessionDep, user: CurrentPrincipal, line_id: LineIdPath
) -> Response:
    """Remove a bookmark (204 whether or not it was there)."""
    await service.remove_bookmark(session, user_id=user.id, line_id=line_id)
    return Response(status_code=204)


@router.get("/my-dubbed-tokens", response_model=Page[DubbedLine])
async def dubbed_tokens(
    session: SessionDep, user: CurrentPrincipal, limit: Limit = 50, offset: Offset = 0
) -> Any:
    """Lines you attempted, most recent first, with your best and latest scores."""
    items, total = await service.dubbed_lines(session, user_id=user.id, limit=limit, offset=offset)
    return Page[DubbedLine](items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/my-dubbed-tokens/{token_id}/attempts",
    response_model=Page[AttemptRead],
    responses=problem_responses(404),
)
async def line_attempts(
    session: SessionDep,
    user: CurrentPrincipal,
    line_id: LineIdPath,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Your attempts at one line, newest first (404 `token_not_found` for a line you
    cannot see; another user's attempts are never listed)."""
    line = await service.get_line(session, line_id=line_id, requester=user)
    items, total = await service.line_attempts(
        session, user_id=user.id, line_id=line.id, limit=limit, offset=offset
    )
    return Page[AttemptRead](
        items=[AttemptRead.model_validate(job_result(job).model_dump()) for job in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/overview", response_model=Overview)
async def my_overview(session: SessionDep, user: CurrentPrincipal) -> Any:
    """Your attempts, average and best score per dimension, and progress by day."""
    return await service.overview(session, user_id=user.id)
