"""Ending a user's sessions: every access token issued before stops working at once, on
every process, and the socket servers hear of it (core/sessions.py)."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import User
from backlot.accounts.principal import Principal
from backlot.core.bus import EventBus
from backlot.core.cache import RowCache
from backlot.core.db import after_commit
from backlot.core.sessions import announce_session_end, session_ends

log = logging.getLogger("backlot.accounts")


async def end_sessions(session: AsyncSession, bus: EventBus, user_id: int, reason: str) -> None:
    """Bump the user's session generation (access tokens carry it as `gen`) and announce
    the end once the change is committed; nothing is announced on rollback."""
    user = await session.get(User, user_id)
    if user is not None:
        user.session_generation += 1
        await session.flush()
    announce_after_commit(session, bus, user_id, reason)


def announce_after_commit(session: AsyncSession, bus: EventBus, user_id: int, reason: str) -> None:
    after_commit(session, partial(_announce, bus, user_id, reason))


async def _announce(bus: EventBus, user_id: int, reason: str) -> None:
    # A failure is logged by the unit of work; other processes still see the new
    # generation within the principal cache's lifetime.
    await announce_session_end(bus, user_id, reason)


async def forget_ended_sessions(bus: EventBus, principals: RowCache[Principal]) -> None:
    """Drop a user's cached principal whenever any process ends their sessions; runs for
    the process's life. A broken subscription is re-made, and the whole cache dropped
    since announcements may have been missed meanwhile."""
    while True:
        try:
            async for end in session_ends(bus):
                principals.drop(end.user_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("listening for ended sessions failed; listening again")
        principals.clear()
        await asyncio.sleep(1)
