"""The cached list of the most attempted scripts (`?sort=popular`): one list per
audience (the shared catalogue, each corporation's own), in process or in Redis when
scaled, dropped once a change of counts commits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backlot.core.db import after_commit
from backlot.core.paging import Page
from backlot.core.state import AppState
from backlot.dubbing import service
from backlot.dubbing.models import Script
from backlot.dubbing.presenter import script_read
from backlot.dubbing.schemas import ScriptRead

POPULAR_KEY = "dubbing:scripts:popular"
POPULAR_CACHED = 100  # the first page of the largest size a list may ask for


def popular_key(corporation_id: int | None) -> str:
    """One cached list per audience: the shared catalogue, and each corporation's own."""
    return f"{POPULAR_KEY}:{'shared' if corporation_id is None else corporation_id}"


def forget_popular(session: AsyncSession, *, state: AppState, corporation_id: int | None) -> None:
    """Counts moved in that audience's scripts: its cached list goes once this commits."""
    after_commit(session, lambda: state.kv.delete(popular_key(corporation_id)))


async def popular_scripts(
    session: AsyncSession, *, state: AppState, corporation_id: int | None
) -> Page[ScriptRead]:
    """The most attempted scripts a member of `corporation_id` sees: the shared list and
    the corporation's own, each cached apart, merged in the order the database would
    give them."""
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
        session, where=own, query=None, kind=None, sort="popular", limit=POPULAR_CACHED, offset=0
    )
    top = Page[ScriptRead](
        items=[script_read(s) for s in items], total=total, limit=POPULAR_CACHED, offset=0
    )
    ttl = state.settings.dubbing_popular_cache_seconds
    if ttl > 0:
        await state.kv.set(key, top.model_dump_json(), timedelta(seconds=ttl))
    return top
